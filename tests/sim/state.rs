//! `--state` persistence, TLS, fault injection.

use crate::sim_support;

use proximity::sim::SimConfig;
use sim_support::*;

#[tokio::test]
async fn state_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SimConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..config()
    };
    let s = start_with(cfg.clone()).await;
    let ct = s.find_guest("pve1", "lxc", "stopped").await;
    let put = s
        .call(
            "PUT",
            &format!("/nodes/pve1/lxc/{ct}/config"),
            &[("description", "persisted"), ("tags", "keep")],
        )
        .await;
    assert_eq!(put.status, 200);
    let up = s
        .call("POST", &format!("/nodes/pve1/lxc/{ct}/status/start"), &[])
        .await
        .data();
    assert_eq!(s.wait_task(up.as_str().unwrap()).await, "OK");
    let info = s.handle.info.clone();
    s.finish().await;

    let file = dir.path().join("sim-state.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        // `shell/` holds the containers' shell state files (deployments inside them).
        .filter(|name| name != "shell")
        .collect();
    assert_eq!(leftovers.len(), 1, "no temp files left: {leftovers:?}");

    // A different seed must not matter: the saved model wins, and so do generated credentials.
    let s = start_with(SimConfig { seed: 999, ..cfg }).await;
    assert_eq!(
        (s.handle.info.password.clone(), s.handle.info.token.clone()),
        (info.password, info.token)
    );
    let cfg = s.get(&format!("/nodes/pve1/lxc/{ct}/config")).await;
    assert_eq!(cfg["description"], "persisted");
    assert_eq!(cfg["tags"], "keep");
    let cur = s.get(&format!("/nodes/pve1/lxc/{ct}/status/current")).await;
    assert_eq!(cur["status"], "running");
    let tasks = s
        .call("GET", "/nodes/pve1/tasks", &[("typefilter", "vzstart")])
        .await
        .json();
    assert_eq!(tasks["total"], 1, "task archive persisted");
    s.finish().await;
}

#[tokio::test]
async fn corrupt_state_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sim-state.json"), b"{not json").unwrap();
    let r = proximity::sim::start(SimConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..config()
    })
    .await;
    let err = r.err().expect("refuses a corrupt state file").to_string();
    assert!(err.contains("not a valid emulator state"), "{err}");
}

#[tokio::test]
async fn tls_with_fingerprint() {
    let s = start_with(SimConfig {
        tls: true,
        ..config()
    })
    .await;
    let info = &s.handle.info;
    assert!(info.url.starts_with("https://127.0.0.1:"));
    let fp = info.fingerprint.clone().unwrap();
    assert_eq!(fp.len(), 32 * 3 - 1);
    assert!(
        fp.chars()
            .all(|c| c == ':' || c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    );
    let v = s.get("/version").await;
    assert_eq!(v["release"], "9.1");
    s.finish().await;
}

#[tokio::test]
async fn fault_injection() {
    let s = start_with(SimConfig {
        fail_rate: 1.0,
        ..config()
    })
    .await;
    let a = s.call("GET", "/nodes", &[]).await;
    assert_eq!(a.status, 595);
    assert!(a.body.is_empty());
    let (line, _) = s
        .raw(&format!(
            "GET /api2/json/nodes HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\n\r\n",
            s.token_header()
        ))
        .await;
    assert_eq!(
        line,
        "HTTP/1.1 595 Errors during connection establishment, proxy handshake: Connection refused"
    );
    let p = s
        .call("POST", "/nodes/pve1/vzdump", &[("vmid", "100")])
        .await;
    assert_eq!(p.status, 500);
    // Login still works (the fault models an unreachable cluster node, not pveproxy itself).
    s.login().await;
    s.finish().await;
}
