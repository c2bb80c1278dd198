//! End to end: the real binary in a PTY against `proximity sim`, read through a vt100 screen.
//! Filter the rack, start a stopped container, watch its LED change.

mod support;

use std::time::Duration;
use support::{PtyApp, SimProcess, run_cli};

const LED_STOPPED: &str = "○";
const LED_RUNNING: &str = "●";

fn slot_line(screen: &str, vmid: u64) -> Option<String> {
    let needle = format!(" {vmid} ");
    screen
        .lines()
        .find(|l| l.contains(&needle))
        .map(str::to_string)
}

#[test]
fn filter_then_start_a_stopped_container_and_see_its_led_change() {
    let sim = SimProcess::start(&["--nodes", "2", "--guests", "12", "--task-step-ms", "50"]);
    let home = tempfile::tempdir().unwrap();
    let (ok, out, err) = run_cli(&["ls", "--json"], &sim.env(), home.path());
    assert!(ok, "{err}");
    let guests: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let target = guests
        .iter()
        .find(|g| g["status"] == "stopped" && g["type"] == "lxc")
        .expect("a stopped container");
    let vmid = target["vmid"].as_u64().unwrap();
    let name = target["name"].as_str().unwrap().to_string();

    let mut app = PtyApp::spawn(&[], &sim.env(), home.path(), 120, 36);
    wait_connected(&app);
    app.wait_text(&name, Duration::from_secs(15));

    // Live filter down to the one guest.
    app.send(b"/");
    app.send(name.as_bytes());
    app.wait_text("1 match", Duration::from_secs(5));
    app.send(b"\r");
    app.wait_for("only the target slot", Duration::from_secs(5), |s| {
        let slots = s
            .lines()
            .filter(|l| l.contains(" CT ") || l.contains(" VM "))
            .count();
        slots == 1 && slot_line(s, vmid).is_some_and(|l| l.contains(LED_STOPPED))
    });

    // Start it: the slot shows the task, then the running LED.
    app.send(b"s");
    app.wait_for("running LED", Duration::from_secs(20), |s| {
        slot_line(s, vmid).is_some_and(|l| l.contains(LED_RUNNING))
    });
    app.wait_text("start done", Duration::from_secs(10));

    // The emulator agrees.
    let (_, out, _) = run_cli(&["ls", "--json"], &sim.env(), home.path());
    let now: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let g = now
        .iter()
        .find(|g| g["vmid"].as_u64() == Some(vmid))
        .unwrap();
    assert_eq!(g["status"], "running");

    // q quits (nothing running any more), and the terminal is given back.
    app.send(b"q");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.exited().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(app.exited(), Some(true), "proximity exits cleanly on q");
}

#[test]
fn unreachable_host_is_drawn_with_the_reason_and_cached_state_starts_offline() {
    let home = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(&["--nodes", "1", "--guests", "4"]);
    // Configure a host, open the TUI once so the inventory is cached, then stop the emulator.
    let (ok, _, err) = run_cli(
        &[
            "hosts",
            "add",
            "lab",
            "--url",
            &sim.field("url"),
            "--token",
            &sim.field("token"),
            "--yes",
        ],
        &[],
        home.path(),
    );
    assert!(ok, "{err}");
    {
        let mut app = PtyApp::spawn(&[], &[], home.path(), 100, 30);
        wait_connected(&app);
        app.send(b"q");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while app.exited().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    drop(sim);
    let app = PtyApp::spawn(&[], &[], home.path(), 100, 30);
    // The cached guests are drawn, and the host says why it is not live.
    app.wait_text("lab", Duration::from_secs(10));
    app.wait_for("unreachable with reason", Duration::from_secs(20), |s| {
        let lower = s.to_lowercase();
        lower.contains("unreachable") && (lower.contains("connect") || lower.contains("refused"))
    });
    let text = app.text();
    assert!(
        text.contains(" CT ") || text.contains(" VM "),
        "cached slots drawn while offline:\n{text}"
    );
}

/// The LCD once the host answered: nominal, or an alert of the monitor (the emulator's seeded
/// guests include backups older than 7 days), never "unreachable".
fn wait_connected(app: &PtyApp) {
    app.wait_for(
        "the LCD of a connected rack",
        Duration::from_secs(15),
        |s| {
            s.contains("SYSTEM: NOMINAL")
                || (s.contains("ALERT: ")
                    && !s.contains("unreachable")
                    && !s.contains("authentication"))
        },
    );
}
