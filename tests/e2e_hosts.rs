//! End to end: first run with no host, add one through the TUI form, trust its certificate on
//! first contact, see its rack; the host is saved with the pinned fingerprint.

mod support;

use std::time::Duration;
use support::{PtyApp, SimProcess, run_cli};

#[test]
fn onboarding_add_host_trust_fingerprint_then_rack() {
    let sim = SimProcess::start(&["--nodes", "1", "--guests", "3"]);
    let home = tempfile::tempdir().unwrap();
    let token = sim.field("token");
    let (id, secret) = token.rsplit_once('=').unwrap();

    let mut app = PtyApp::spawn(&[], &[], home.path(), 100, 30);
    app.wait_text("No host is configured yet", Duration::from_secs(15));
    app.send(b"a");
    app.wait_text("add host", Duration::from_secs(5));
    for (i, field) in ["lab", &sim.field("url"), id, secret].iter().enumerate() {
        if i > 0 {
            app.send(b"\t");
        }
        app.send(field.as_bytes());
    }
    app.send(b"\r");
    app.wait_text("unknown certificate", Duration::from_secs(10));
    let fp = sim.field("fingerprint");
    // The dialog shows the fingerprint in two rows of 16 bytes.
    app.wait_text(&fp[..47], Duration::from_secs(5));
    app.send(b"y");
    app.wait_text("host lab saved", Duration::from_secs(10));
    app.wait_text("lab ● online", Duration::from_secs(15));
    app.send(b"q");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.exited().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(app.exited(), Some(true));

    let (ok, out, err) = run_cli(&["hosts", "ls", "--json"], &[], home.path());
    assert!(ok, "{err}");
    let hosts: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0]["name"], "lab");
    assert_eq!(hosts[0]["fingerprint"], fp.as_str());
}
