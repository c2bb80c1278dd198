//! `proximity alerts [--json]` end to end: the real binary against `proximity sim` started
//! with a node offline; a guest spiked at run time through the emulator's control endpoint
//! (loopback only); thresholds from `alerts.toml` (a bad one is one line naming file and
//! line, exit 1); exit 4 while something fires, 0 once all is quiet; `alerts notify` keeps
//! the webhook URL out of the store's plain text.

mod support;

use std::io::{Read, Write};

use support::{SimProcess, add_host, run_cli_code};

/// POST to the emulator's control endpoint (a plain-HTTP emulator on loopback).
fn control(sim: &SimProcess, path: &str) -> String {
    let url = sim.field("url");
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /_proximity-sim/{path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn alerts_json(home: &std::path::Path) -> (Option<i32>, serde_json::Value, String) {
    let (code, out, err) = run_cli_code(&["alerts", "--json"], &[], home);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v, err)
}

fn rules_of(v: &serde_json::Value, list: &str) -> Vec<(String, String)> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let t = &a["target"];
            let target = match (t["vmid"].as_u64(), t["node"].as_str()) {
                (Some(vmid), _) => format!("{}:{vmid}", t["host"].as_str().unwrap()),
                (None, Some(node)) => format!("{}/{node}", t["host"].as_str().unwrap()),
                (None, None) => t["host"].as_str().unwrap().to_string(),
            };
            (a["rule"].as_str().unwrap().to_string(), target)
        })
        .collect()
}

#[test]
fn alerts_from_an_offline_node_and_a_spike_then_quiet() {
    let sim = SimProcess::start(&[
        "--no-tls",
        "--nodes",
        "2",
        "--guests",
        "10",
        "--offline-node",
        "pve2",
    ]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &sim);
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("alerts.toml"),
        "[defaults]\nnode_offline_for = \"0s\"\noff = [\"backup_missing\"]\n",
    )
    .unwrap();

    let (code, v, err) = alerts_json(home.path());
    assert_eq!(code, Some(4), "{v}\n{err}");
    assert_eq!(
        rules_of(&v, "firing"),
        vec![("node_offline".to_string(), "lab/pve2".to_string())]
    );
    assert_eq!(v["firing"][0]["message"], "node pve2 is offline");
    assert_eq!(v["firing"][0]["severity"], "critical");
    assert!(v["hosts_down"].as_array().unwrap().is_empty());

    // A running container on the online node spikes: memory fires at once, CPU waits out
    // its 5 minutes (pending).
    let (code, out, _) = run_cli_code(&["ls", "--json"], &[], home.path());
    assert_eq!(code, Some(0));
    let guests: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let vmid = guests
        .iter()
        .find(|g| g["node"] == "pve1" && g["status"] == "running" && g["type"] == "lxc")
        .and_then(|g| g["vmid"].as_u64())
        .expect("a running container on pve1");
    let answer = control(&sim, &format!("guest/{vmid}/spike?cpu=97&mem=96"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (code, v, _) = alerts_json(home.path());
    assert_eq!(code, Some(4));
    let firing = rules_of(&v, "firing");
    assert!(
        firing.contains(&("memory".to_string(), format!("lab:{vmid}"))),
        "{firing:?}"
    );
    assert_eq!(
        rules_of(&v, "pending"),
        vec![("cpu".to_string(), format!("lab:{vmid}"))]
    );

    // The table form says the same.
    let (code, out, _) = run_cli_code(&["alerts"], &[], home.path());
    assert_eq!(code, Some(4));
    assert!(
        out.contains("firing   critical  node_offline   lab/pve2"),
        "{out}"
    );
    assert!(
        out.contains(&format!("pending  warning   cpu            lab:{vmid}")),
        "{out}"
    );

    // All quiet again: exit 0.
    assert!(control(&sim, &format!("guest/{vmid}/calm")).starts_with("HTTP/1.1 200"));
    assert!(control(&sim, "node/pve2/online").starts_with("HTTP/1.1 200"));
    assert!(control(&sim, "node/nope/online").starts_with("HTTP/1.1 404"));
    let (code, v, err) = alerts_json(home.path());
    assert_eq!(code, Some(0), "{v}\n{err}");
    assert!(v["firing"].as_array().unwrap().is_empty(), "{v}");
    let (code, out, _) = run_cli_code(&["alerts"], &[], home.path());
    assert_eq!(code, Some(0));
    assert_eq!(out, "no alert: every rule is quiet\n");
}

#[test]
fn a_bad_alerts_file_is_one_line_with_file_and_line() {
    let sim = SimProcess::start(&["--no-tls", "--nodes", "1", "--guests", "2"]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &sim);
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("alerts.toml"),
        "[host.lab]\n\ndisk_percent = 101\n",
    )
    .unwrap();
    let (code, out, err) = run_cli_code(&["alerts"], &[], home.path());
    assert_eq!(code, Some(1), "{out}");
    let line = err.lines().last().unwrap_or_default();
    assert!(
        line.ends_with(&format!(
            "{}:3: host.lab.disk_percent: 101 is not a percentage above 0 and at most 100",
            config.join("alerts.toml").display()
        )),
        "{err}"
    );
}

#[test]
fn notify_reads_the_webhook_from_stdin_and_test_posts_to_it() {
    use std::process::{Command, Stdio};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/hook?key=very-s3cret-key",
        listener.local_addr().unwrap()
    );
    let got = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !String::from_utf8_lossy(&buf).contains("\"source\"") {
            let n = s.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        // The body is one JSON object: read to its closing brace.
        while !buf.ends_with(b"}") {
            let n = s.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        s.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
            .unwrap();
        String::from_utf8_lossy(&buf).into_owned()
    });
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(support::BIN)
        .args(["alerts", "notify", "--webhook-stdin"])
        .env("PROXIMITY_HOME", home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{url}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, out, _) = run_cli_code(&["alerts", "notify"], &[], home.path());
    assert_eq!(code, Some(0));
    assert_eq!(out, "webhook: set\nntfy: off\n");

    let (code, out, err) = run_cli_code(&["alerts", "test"], &[], home.path());
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(out, "test notification sent (webhook)\n");
    let request = got.join().unwrap();
    assert!(
        request.starts_with("POST /hook?key=very-s3cret-key HTTP/1.1"),
        "{request}"
    );
    assert!(request.contains("\"event\":\"test\""), "{request}");

    // The URL and its key are nowhere in the data directory in plain text.
    for entry in walk(&home.path().join("data")) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("very-s3cret-key"),
            "{} holds the webhook key",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
