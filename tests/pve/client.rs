//! `pve` client against a local mock: auth (ticket, CSRF, token, renewal, re-login, TFA),
//! retries, TLS pinning, and error mapping.

use crate::support_pve;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use proximity::pve::{
    Auth, DeleteOptions, EndpointConfig, LoginOutcome, PveClient, PveError, RetryPolicy, TlsPolicy,
};
use serde_json::json;
use support_pve::{MockRequest, MockResponse, MockServer};

const UPID: &str = "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vzstart:100:root@pam:";

fn fast_retry(max: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries: max,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
    }
}

fn password_config(url: &str) -> EndpointConfig {
    EndpointConfig::new(
        url,
        Auth::Password {
            username: "root@pam".into(),
            password: "secret".into(),
        },
    )
    .with_retry(fast_retry(3))
}

fn token_config(url: &str) -> EndpointConfig {
    EndpointConfig::new(
        url,
        Auth::Token {
            token_id: "root@pam!ci".into(),
            secret: "0b7e-uuid".into(),
        },
    )
    .with_retry(fast_retry(3))
}

/// Tickets `PVE:root@pam:0000000N::sig+/=` for login number N (the `+/=` check encoding).
fn ticket(n: usize) -> String {
    format!("PVE:root@pam:{n:08X}::sig+/=")
}

fn ticket_response(n: usize) -> MockResponse {
    MockResponse::data(json!({
        "username": "root@pam",
        "ticket": ticket(n),
        "CSRFPreventionToken": format!("{n:08X}:csrf"),
        "cap": {},
    }))
}

/// Checks cookie (all methods) and CSRF (writes) like pveproxy does.
fn authorized(req: &MockRequest, n: usize) -> bool {
    let cookie_ok = req.ticket().as_deref() == Some(ticket(n).as_str());
    let csrf_ok =
        req.method == "GET" || req.header("csrfpreventiontoken") == Some(&format!("{n:08X}:csrf"));
    cookie_ok && csrf_ok
}

#[tokio::test]
async fn ticket_login_sends_cookie_and_csrf_only_on_writes() {
    let server = MockServer::start(|req| match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/access/ticket") => {
            if req.param("username") == Some("root@pam") && req.param("password") == Some("secret")
            {
                ticket_response(1)
            } else {
                MockResponse::error(
                    401,
                    "authentication failure",
                    json!({"data":null,"message":"authentication failure\n"}),
                )
            }
        }
        _ if !authorized(req, 1) => MockResponse::empty(401, "No ticket"),
        ("GET", "/nodes") => MockResponse::data(
            json!([{"node":"pve","status":"online","cpu":0.1,"maxcpu":8,"mem":"1024"}]),
        ),
        ("POST", "/nodes/pve/lxc/100/status/start") => MockResponse::data(json!(UPID)),
        _ => MockResponse::error(
            501,
            "Method not implemented",
            json!({"data":null,"message":"Method not implemented"}),
        ),
    })
    .await;
    let client = PveClient::new(password_config(&server.url)).unwrap();
    let nodes = client.nodes().await.unwrap();
    assert_eq!(nodes[0].node, "pve");
    assert_eq!(nodes[0].mem, Some(1024));
    let upid = client.lxc_start("pve", 100).await.unwrap();
    assert_eq!(upid.to_string(), UPID);
    let reqs = server.requests();
    assert_eq!(server.count("POST", "/access/ticket"), 1);
    let get = reqs.iter().find(|r| r.path == "/nodes").unwrap();
    assert!(
        get.header("csrfpreventiontoken").is_none(),
        "no CSRF on GET"
    );
    let post = reqs.iter().find(|r| r.path.ends_with("/start")).unwrap();
    assert_eq!(post.header("csrfpreventiontoken"), Some("00000001:csrf"));
    assert_eq!(client.authenticated_user().as_deref(), Some("root@pam"));
}

#[tokio::test]
async fn token_auth_sends_the_header_and_never_logs_in() {
    let server = MockServer::start(|req| {
        if req.header("authorization") != Some("PVEAPIToken=root@pam!ci=0b7e-uuid") {
            return MockResponse::empty(401, "No ticket");
        }
        match req.path.as_str() {
            "/version" => {
                MockResponse::data(json!({"version":"9.1.3","release":"9.1","repoid":"abcdef12"}))
            }
            "/cluster/nextid" => MockResponse::data(json!("101")),
            _ => MockResponse::empty(501, "not implemented"),
        }
    })
    .await;
    let client = PveClient::new(token_config(&server.url)).unwrap();
    assert_eq!(client.version().await.unwrap().version, "9.1.3");
    assert_eq!(
        client.next_id().await.unwrap(),
        101,
        "nextid arrives as a string"
    );
    assert_eq!(server.count("POST", "/access/ticket"), 0);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("cookie").is_none())
    );
}

#[tokio::test]
async fn ticket_is_renewed_in_the_background_with_the_ticket_as_password() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |req| match req.path.as_str() {
        "/access/ticket" => {
            let current = l.load(Ordering::SeqCst);
            let ok = if current == 0 {
                req.param("password") == Some("secret")
            } else {
                req.param("password") == Some(ticket(current).as_str())
            };
            if !ok {
                return MockResponse::empty(401, "authentication failure");
            }
            ticket_response(l.fetch_add(1, Ordering::SeqCst) + 1)
        }
        "/version" if authorized(req, l.load(Ordering::SeqCst)) => {
            MockResponse::data(json!({"version":"9.1.3"}))
        }
        _ => MockResponse::empty(401, "No ticket"),
    })
    .await;
    let cfg = password_config(&server.url).with_renew_interval(Duration::from_millis(60));
    let client = PveClient::new(cfg).unwrap();
    assert_eq!(client.login().await.unwrap(), LoginOutcome::LoggedIn);
    tokio::time::sleep(Duration::from_millis(250)).await;
    let n = logins.load(Ordering::SeqCst);
    assert!(n >= 3, "expected renewals, got {n} ticket posts");
    // Requests use the newest ticket (the mock only accepts the latest one).
    client.version().await.unwrap();
    let renewals: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/access/ticket")
        .skip(1)
        .collect();
    assert!(
        renewals
            .iter()
            .all(|r| r.param("password").unwrap().starts_with("PVE:root@pam:"))
    );
    assert_eq!(
        server.count("GET", "/version"),
        1,
        "no 401 retry was needed"
    );
    drop(client);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let after_drop = logins.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        logins.load(Ordering::SeqCst),
        after_drop,
        "renewal stops with the client"
    );
}

#[tokio::test]
async fn a_401_triggers_one_relogin_and_one_retry() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |req| match req.path.as_str() {
        "/access/ticket" => ticket_response(l.fetch_add(1, Ordering::SeqCst) + 1),
        // The server "restarted": only tickets from the second login are valid.
        "/nodes/pve/lxc/100/status/stop" | "/version" if authorized(req, 2) => {
            match req.path.as_str() {
                "/version" => MockResponse::data(json!({"version":"9.1.3"})),
                _ => MockResponse::data(json!(UPID)),
            }
        }
        "/always401" => MockResponse::empty(401, "Authentication failed!"),
        _ => MockResponse::empty(401, "No ticket"),
    })
    .await;
    let client = PveClient::new(password_config(&server.url)).unwrap();
    client.version().await.unwrap();
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    assert_eq!(server.count("GET", "/version"), 2);
    // A write refused with 401 is retried exactly once after the re-login.
    client.lxc_stop("pve", 100).await.unwrap();
    assert_eq!(server.count("POST", "/nodes/pve/lxc/100/status/stop"), 1);
    // A persistent 401 is not an endless loop.
    let before = logins.load(Ordering::SeqCst);
    let err = client
        .lxc_delete("pve", 999, DeleteOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, PveError::Unauthorized { .. }), "{err:?}");
    assert_eq!(err.to_string(), "No ticket");
    assert_eq!(logins.load(Ordering::SeqCst), before + 1);
    assert_eq!(server.count("DELETE", "/nodes/pve/lxc/999"), 2);
}

#[tokio::test]
async fn a_595_on_get_is_retried_and_reports_the_reason_phrase() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let reason = "Errors during connection establishment, proxy handshake: No route to host";
    let server = MockServer::start(move |req| match req.path.as_str() {
        "/nodes/pve2/status" => {
            if c.fetch_add(1, Ordering::SeqCst) < 2 {
                MockResponse::empty(595, reason)
            } else {
                MockResponse::data(json!({"uptime": 5, "loadavg": ["0.12","0.10","0.05"], "cpuinfo": {"model":"x","mhz":"2400.000"}, "memory":{"total":10,"used":4,"free":6}}))
            }
        }
        _ => MockResponse::empty(596, "Broken pipe"),
    })
    .await;
    let client = PveClient::new(token_config(&server.url)).unwrap();
    let status = client.node_status("pve2").await.unwrap();
    assert_eq!(status.loadavg, vec![0.12, 0.10, 0.05]);
    assert_eq!(status.cpuinfo.mhz, Some(2400.0));
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let client = PveClient::new(token_config(&server.url).with_retry(fast_retry(1))).unwrap();
    let err = client.node_status("other").await.unwrap_err();
    assert!(
        matches!(err, PveError::Proxy { status: 596, .. }),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "Broken pipe");
    assert_eq!(server.count("GET", "/nodes/other/status"), 2);
}

#[tokio::test]
async fn writes_are_never_retried() {
    let server = MockServer::start(|req| match req.method.as_str() {
        "POST" => MockResponse::empty(
            595,
            "Errors during connection establishment, proxy handshake: Connection refused",
        ),
        "PUT" => MockResponse::empty(503, "Service Unavailable"),
        _ => MockResponse::empty(501, "no"),
    })
    .await;
    let client = PveClient::new(token_config(&server.url)).unwrap();
    let err = client.lxc_start("pve2", 100).await.unwrap_err();
    assert!(err.to_string().ends_with("Connection refused"), "{err}");
    assert_eq!(server.count("POST", "/nodes/pve2/lxc/100/status/start"), 1);
    let changes = proximity::pve::Params::new().set("memory", 2048);
    client
        .lxc_set_config("pve", 100, &changes)
        .await
        .unwrap_err();
    assert_eq!(server.count("PUT", "/nodes/pve/lxc/100/config"), 1);
}

#[tokio::test]
async fn connection_refused_is_a_connect_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = PveClient::new(token_config(&url).with_retry(fast_retry(2))).unwrap();
    let err = client.version().await.unwrap_err();
    assert!(matches!(err, PveError::Connect { .. }), "{err:?}");
    assert!(err.to_string().starts_with("cannot connect to"), "{err}");
}

#[tokio::test]
async fn wrong_password_is_authentication_failure() {
    let server = MockServer::start(|_| {
        MockResponse::error(
            401,
            "authentication failure",
            json!({"data":null,"message":"authentication failure\n"}),
        )
    })
    .await;
    let client = PveClient::new(password_config(&server.url)).unwrap();
    let err = client.login().await.unwrap_err();
    assert_eq!(err.to_string(), "authentication failure");
    assert_eq!(
        server.count("POST", "/access/ticket"),
        1,
        "logins are not retried"
    );
}

#[tokio::test]
async fn errors_surface_proxmox_text_params_and_decode_paths() {
    let server = MockServer::start(|req| match req.path.as_str() {
        "/nodes/pve/lxc" => MockResponse::error(
            400,
            "Parameter verification failed.",
            json!({"data":null,"errors":{"vmid":"property is missing and it is not optional"},"message":"Parameter verification failed.\n"}),
        ),
        "/nodes/pve/lxc/100/status/start" => MockResponse::error(500, "CT 100 already running", json!({"data":null,"message":"CT 100 already running\n"})),
        "/nodes/pve/lxc/100/status/stop" => MockResponse::error(403, "Permission check failed (/vms/100, VM.PowerMgmt)", json!({"data":null,"message":"Permission check failed (/vms/100, VM.PowerMgmt)\n"})),
        "/cluster/nextid" => MockResponse::raw(r#"{"data": "10"#),
        "/nodes/pve/lxc/100/config" => MockResponse::raw(r#"{"data":{"hostname":"web","memory":"512","onboot":1,"unprivileged":"1","net0":"name=eth0,bridge=vmbr0,ip=dhcp","lxc.idmap":"u 0 100000 65536"}}"#),
        _ => MockResponse::error(501, "Method 'GET /foo' not implemented", json!({"data":null,"message":"Method 'GET /foo' not implemented"})),
    })
    .await;
    let client = PveClient::new(token_config(&server.url)).unwrap();
    let err = client
        .lxc_create(
            "pve",
            &proximity::pve::LxcCreate::new(100, "local:vztmpl/x.tar.zst"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Parameter verification failed: vmid: property is missing and it is not optional"
    );
    match &err {
        PveError::BadRequest { errors, .. } => {
            assert_eq!(errors["vmid"], "property is missing and it is not optional")
        }
        other => panic!("{other:?}"),
    }
    let err = client.lxc_start("pve", 100).await.unwrap_err();
    assert_eq!(err.to_string(), "CT 100 already running");
    assert_eq!(err.status(), Some(500));
    let err = client.lxc_stop("pve", 100).await.unwrap_err();
    assert!(matches!(err, PveError::Forbidden { .. }));
    let err = client.next_id().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, PveError::Decode { .. }), "{err:?}");
    assert!(
        text.contains("/cluster/nextid") && text.contains("EOF"),
        "{text}"
    );
    let err = client.cluster_status().await.unwrap_err();
    assert_eq!(err.to_string(), "Method 'GET /foo' not implemented");
    let cfg = client.lxc_config("pve", 100).await.unwrap();
    assert_eq!(
        (cfg.memory, cfg.onboot, cfg.unprivileged),
        (Some(512), Some(true), Some(true))
    );
    assert_eq!(cfg.nets(), vec![(0, "name=eth0,bridge=vmbr0,ip=dhcp")]);
}

#[tokio::test]
async fn delete_sends_params_in_the_query_and_no_body() {
    let server = MockServer::start(|req| {
        if req.method == "DELETE" && req.body_len > 0 {
            return MockResponse::error(
                501,
                "Unexpected content for method 'DELETE'",
                json!({"data":null,"message":"Unexpected content for method 'DELETE'"}),
            );
        }
        MockResponse::data(json!(
            "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vzdestroy:100:root@pam!ci:"
        ))
    })
    .await;
    let client = PveClient::new(token_config(&server.url)).unwrap();
    let opts = DeleteOptions {
        purge: true,
        force: true,
        destroy_unreferenced_disks: Some(true),
    };
    let upid = client.lxc_delete("pve", 100, opts).await.unwrap();
    assert_eq!(upid.kind(), "vzdestroy");
    let req = &server.requests()[0];
    assert_eq!(req.query.get("purge").map(String::as_str), Some("1"));
    assert_eq!(
        req.query
            .get("destroy-unreferenced-disks")
            .map(String::as_str),
        Some("1")
    );
    assert_eq!(req.body_len, 0);
}

#[tokio::test]
async fn totp_second_factor_flow() {
    let server = MockServer::start(|req| match req.path.as_str() {
        "/access/ticket" => match (req.param("tfa-challenge"), req.param("password")) {
            (None, Some("secret")) => MockResponse::data(json!({
                "username": "root@pam", "ticket": "PVE:!tfa!%7B%22totp%22%3Atrue%7D:6745A1B2::half=",
                "CSRFPreventionToken": "6745A1B2:x", "NeedTFA": 1
            })),
            (Some("PVE:!tfa!%7B%22totp%22%3Atrue%7D:6745A1B2::half="), Some("totp:123456"))
                if req.param("username") == Some("root@pam") => ticket_response(1),
            _ => MockResponse::error(401, "authentication failure", json!({"data":null,"message":"authentication failure\n"})),
        },
        "/version" if authorized(req, 1) => MockResponse::data(json!({"version":"9.1.3"})),
        _ => MockResponse::empty(401, "No ticket"),
    })
    .await;
    let client = PveClient::new(password_config(&server.url)).unwrap();
    assert_eq!(client.login().await.unwrap(), LoginOutcome::NeedTfa);
    assert!(matches!(client.version().await, Err(PveError::NeedTfa)));
    assert_eq!(
        client.complete_tfa("000000").await.unwrap_err().to_string(),
        "authentication failure"
    );
    client.complete_tfa("123456").await.unwrap();
    assert_eq!(client.version().await.unwrap().version, "9.1.3");
}

#[tokio::test]
async fn tls_pinning_accepts_the_right_fingerprint_and_names_both_on_mismatch() {
    let server = MockServer::start_tls(|_| MockResponse::data(json!({"version":"9.1.3"}))).await;
    let real = server.fingerprint.clone().unwrap();

    // Trust on first use: fetch the fingerprint without trusting the certificate.
    let fetched = proximity::pve::tls::fetch_fingerprint(&server.url)
        .await
        .unwrap();
    assert_eq!(fetched, real);

    let pinned = real.to_lowercase().replace(':', "").parse().unwrap();
    let client =
        PveClient::new(token_config(&server.url).with_tls(TlsPolicy::Pinned(pinned))).unwrap();
    assert_eq!(client.version().await.unwrap().version, "9.1.3");

    let wrong = "AB:".repeat(31) + "AB";
    let client = PveClient::new(
        token_config(&server.url).with_tls(TlsPolicy::Pinned(wrong.parse().unwrap())),
    )
    .unwrap();
    let err = client.version().await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, PveError::FingerprintMismatch { .. }),
        "{err:?}"
    );
    assert!(text.contains(&real) && text.contains(&wrong), "{text}");
    assert_eq!(
        server.count("GET", "/version"),
        1,
        "a TLS refusal is not retried into success"
    );

    // Default policy: a self-signed certificate is refused.
    let client = PveClient::new(token_config(&server.url).with_retry(RetryPolicy::none())).unwrap();
    let err = client.version().await.unwrap_err();
    assert!(matches!(err, PveError::Tls { .. }), "{err:?}");

    let client = PveClient::new(token_config(&server.url).with_tls(TlsPolicy::Insecure)).unwrap();
    client.version().await.unwrap();
}

#[test]
fn client_is_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<PveClient>();
}

#[tokio::test]
async fn concurrent_first_requests_log_in_once() {
    let server = MockServer::start(|req| match req.path.as_str() {
        "/access/ticket" => ticket_response(1),
        "/version" if authorized(req, 1) => MockResponse::data(json!({"version":"9.1.3"})),
        _ => MockResponse::empty(401, "No ticket"),
    })
    .await;
    let client = PveClient::new(password_config(&server.url)).unwrap();
    let calls = (0..8).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.version().await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(server.count("POST", "/access/ticket"), 1);
}
