//! Shared helpers for the emulator's integration tests: start `sim` in-process on 127.0.0.1:0
//! and talk to it with reqwest as a raw HTTP client (never the `pve` client).
#![allow(dead_code)]

use std::time::Duration;

use proximity::sim::{self, SimConfig, SimHandle};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct TestSim {
    pub handle: SimHandle,
    pub http: reqwest::Client,
    pub base: String,
}

/// Every test against the emulator ends with no schema violation recorded (answers that
/// break the real API's `returns`, or endpoints outside the schema subset).
impl Drop for TestSim {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let violations = self.handle.schema_violations();
        assert!(
            violations.is_empty(),
            "schema violations:\n{}",
            violations.join("\n")
        );
    }
}

impl TestSim {
    /// End of a test: the emulator stops (its state saved), then the Drop check runs.
    pub async fn finish(mut self) {
        self.handle.stop().await;
    }
}

pub fn config() -> SimConfig {
    SimConfig {
        tls: false,
        nodes: 2,
        guests: 24,
        seed: 7,
        auth_failure_delay_ms: 0,
        task_step_ms: 5,
        check_returns: true,
        ..SimConfig::default()
    }
}

pub async fn start_with(config: SimConfig) -> TestSim {
    let handle = sim::start(config).await.expect("sim starts");
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let base = format!("{}/api2/json", handle.info.url);
    TestSim { handle, http, base }
}

pub async fn start() -> TestSim {
    start_with(config()).await
}

pub struct Answer {
    pub status: u16,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
    pub fn data(&self) -> Value {
        self.json()["data"].clone()
    }
}

impl TestSim {
    pub fn token_header(&self) -> String {
        format!("PVEAPIToken={}", self.handle.info.token)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.expect("body");
        Answer {
            status,
            body,
            headers,
        }
    }

    /// A request authenticated with the API token.
    pub async fn call(&self, method: &str, path: &str, form: &[(&str, &str)]) -> Answer {
        let url = format!("{}{}", self.base, path);
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .http
            .request(m.clone(), &url)
            .header("Authorization", self.token_header());
        if m == reqwest::Method::GET || m == reqwest::Method::DELETE {
            req = req.query(form);
        } else {
            req = req.form(form);
        }
        self.send(req).await
    }

    pub async fn get(&self, path: &str) -> Value {
        let a = self.call("GET", path, &[]).await;
        assert_eq!(a.status, 200, "GET {path}: {}", a.body);
        a.data()
    }

    /// Password login: (ticket, CSRF token).
    pub async fn login(&self) -> (String, String) {
        let info = &self.handle.info;
        let a = self
            .send(
                self.http
                    .post(format!("{}/access/ticket", self.base))
                    .form(&[
                        ("username", info.user.as_str()),
                        ("password", info.password.as_str()),
                    ]),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let d = a.data();
        (
            d["ticket"].as_str().unwrap().to_string(),
            d["CSRFPreventionToken"].as_str().unwrap().to_string(),
        )
    }

    /// Wait for a task to stop; returns its exit status.
    pub async fn wait_task(&self, upid: &str) -> String {
        let node = upid.split(':').nth(1).unwrap();
        let enc = urlencode(upid);
        for _ in 0..400 {
            let st = self.get(&format!("/nodes/{node}/tasks/{enc}/status")).await;
            if st["status"] == "stopped" {
                return st["exitstatus"].as_str().unwrap().to_string();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("task {upid} did not finish");
    }

    /// First guest of `kind` on `node` whose status is `status`.
    pub async fn find_guest(&self, node: &str, kind: &str, status: &str) -> u64 {
        let list = self.get(&format!("/nodes/{node}/{kind}")).await;
        list.as_array()
            .unwrap()
            .iter()
            .find(|g| g["status"] == status && g.get("lock").is_none())
            .unwrap_or_else(|| panic!("no {status} {kind} on {node}"))["vmid"]
            .as_u64()
            .unwrap()
    }

    /// Any unlocked guest of `kind` ("lxc"/"qemu") with `status`: (node, vmid).
    pub async fn find_any(&self, kind: &str, status: &str) -> (String, u64) {
        let all = self.get("/cluster/resources?type=vm").await;
        let g = all
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["type"] == kind && g["status"] == status && g.get("lock").is_none())
            .unwrap_or_else(|| panic!("no {status} {kind}"))
            .clone();
        (
            g["node"].as_str().unwrap().to_string(),
            g["vmid"].as_u64().unwrap(),
        )
    }

    /// Raw HTTP/1.1 exchange (plain HTTP sims only), to see the exact status line.
    pub async fn raw(&self, request: &str) -> (String, String) {
        let mut s = tokio::net::TcpStream::connect(self.handle.addr())
            .await
            .unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        let text = String::from_utf8_lossy(&out).into_owned();
        let status_line = text.lines().next().unwrap_or("").to_string();
        (status_line, text)
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
