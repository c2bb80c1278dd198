//! End to end: with audit recording switched on in the store, a console opened in the TUI
//! (`proximity demo`) says it is recorded and leaves an asciicast file under
//! `state/recordings/<host>/` that replays to what the guest printed. A host's switch flipped
//! on the settings screen is saved in the store and the next console on it is recorded.

mod support;

use std::time::{Duration, Instant};

use proximity::paths::Paths;
use proximity::store::Store;
use support::PtyApp;

const WAIT: Duration = Duration::from_secs(30);

fn casts(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for host in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(host.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push(f.path());
        }
    }
    out
}

#[test]
fn an_audited_console_is_recorded() {
    let home = tempfile::tempdir().expect("tempdir");
    let paths = Paths {
        config_dir: home.path().join("config"),
        data_dir: home.path().join("data"),
        state_dir: home.path().join("state"),
    };
    {
        let store = Store::open(&paths).expect("store");
        store
            .settings()
            .update(|s| s.audit_recording = true)
            .expect("settings");
    }
    let mut app = PtyApp::spawn(
        &["demo", "--nodes", "1", "--guests", "4"],
        &[],
        home.path(),
        120,
        36,
    );
    app.wait_text("pve1", WAIT);
    app.send(b"C");
    app.wait_for("the node shell", WAIT, |t| t.contains("root@pve1"));
    app.wait_text("REC", WAIT);
    app.send(b"echo recorded-marker\r");
    // The echoed command line and the output line.
    app.wait_for("the echo output", WAIT, |t| {
        t.matches("recorded-marker").count() >= 2
    });
    app.send(b"\x1dd");
    app.wait_for("the rack", WAIT, |t| !t.contains("root@pve1"));
    app.send(b"q");
    let start = Instant::now();
    while app.exited().is_none() && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(app.exited(), Some(true), "quit cleanly");

    let files = casts(&paths.state_dir.join("recordings"));
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("-node-pve1.cast"), "{name}");
    let screen = proximity::term::replay_dump(&files[0], false, None).expect("replays");
    assert!(screen.matches("recorded-marker").count() >= 2, "{screen}");
    assert!(screen.contains("root@pve1"), "{screen}");
}

#[test]
fn a_host_switched_on_in_settings_records_the_next_console() {
    let home = tempfile::tempdir().expect("tempdir");
    let paths = Paths {
        config_dir: home.path().join("config"),
        data_dir: home.path().join("data"),
        state_dir: home.path().join("state"),
    };
    let mut app = PtyApp::spawn(
        &["demo", "--nodes", "1", "--guests", "4"],
        &[],
        home.path(),
        120,
        36,
    );
    app.wait_text("pve1", WAIT);
    // Settings: the last item is audit, the one above it the demo host's switch.
    app.send(b"gs");
    app.wait_text("RECORD CONSOLE SESSIONS", WAIT);
    app.send(b"Gk\r");
    app.wait_text("[x] demo", WAIT);
    app.send(b"gr");
    app.wait_for("the rack", WAIT, |t| !t.contains("RECORD CONSOLE"));
    app.send(b"C");
    app.wait_for("the node shell", WAIT, |t| t.contains("root@pve1"));
    app.wait_text("REC", WAIT);
    app.send(b"echo switched-marker\r");
    app.wait_for("the echo output", WAIT, |t| {
        t.matches("switched-marker").count() >= 2
    });
    app.send(b"\x1dd");
    app.wait_for("the rack", WAIT, |t| !t.contains("root@pve1"));
    app.send(b"q");
    let start = Instant::now();
    while app.exited().is_none() && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(app.exited(), Some(true), "quit cleanly");

    let store = Store::open(&paths).expect("store");
    let settings = store.settings().get().expect("settings");
    assert!(settings.console_recording_for("demo"), "{settings:?}");
    assert!(
        !settings.audit_recording,
        "only the host's switch was flipped"
    );
    let files = casts(&paths.state_dir.join("recordings"));
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].starts_with(paths.state_dir.join("recordings/demo")));
    let screen = proximity::term::replay_dump(&files[0], false, None).expect("replays");
    assert!(screen.matches("switched-marker").count() >= 2, "{screen}");
}
