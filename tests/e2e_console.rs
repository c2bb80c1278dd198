//! End to end: the real binary in a PTY (`proximity demo`, the emulator in-process) opens a
//! running container's console from the rack, runs commands in it, follows a terminal
//! resize, and gives the rack back after the escape chord.

mod support;

use std::time::Duration;

use support::PtyApp;

const WAIT: Duration = Duration::from_secs(30);

/// Names of the containers the rack shows (`● 100 proxy-100 CT ...`).
fn rack_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let words: Vec<&str> = l
                .split(|c: char| c.is_whitespace() || c == '┃')
                .filter(|w| !w.is_empty())
                .collect();
            let i = words.iter().position(|w| *w == "CT")?;
            (i >= 2 && words[i - 2].parse::<u32>().is_ok()).then(|| words[i - 1].to_string())
        })
        .collect()
}

/// The pane's text lines without their border.
fn pane_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            l.trim_start_matches('│')
                .trim_end()
                .trim_end_matches('│')
                .trim_end()
                .to_string()
        })
        .collect()
}

/// The line after the last echo of `cmd` at a prompt.
fn output_of(text: &str, cmd: &str) -> Option<String> {
    let lines = pane_lines(text);
    let at = lines
        .iter()
        .rposition(|l| l.contains("# ") && l.ends_with(cmd))?;
    lines.get(at + 1).cloned()
}

#[test]
fn console_in_the_tui_end_to_end() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut app = PtyApp::spawn(
        &["demo", "--nodes", "1", "--guests", "6"],
        &[],
        home.path(),
        120,
        36,
    );
    app.wait_for("the rack", WAIT, |t| !rack_names(t).is_empty());
    let names = rack_names(&app.text());

    // Only running guests: the selection is then a container that has a console.
    app.send(b"/status:running\r");
    app.wait_text("match", WAIT);
    app.send(b"c");
    app.wait_for("the console prompt", WAIT, |t| {
        t.contains("1:CT") && t.contains("root@")
    });

    app.send(b"hostname\r");
    app.wait_for("hostname output", WAIT, |t| {
        output_of(t, "hostname").is_some_and(|o| !o.is_empty())
    });
    let host = output_of(&app.text(), "hostname").unwrap_or_default();
    assert!(
        names.contains(&host),
        "hostname {host:?} is not one of the rack's containers {names:?}"
    );
    assert!(app.text().contains(&format!("root@{host}")));

    // 120x36 minus the header and status lines and the pane border.
    app.send(b"stty size\r");
    app.wait_for("stty size 32 118", WAIT, |t| {
        output_of(t, "stty size").as_deref() == Some("32 118")
    });

    app.resize(100, 30);
    // Give the UI a moment to see SIGWINCH and tell the console before asking again.
    app.wait_for("the pane redrawn at 100 columns", WAIT, |t| {
        t.lines()
            .nth(1)
            .is_some_and(|l| l.chars().count() <= 100 && l.ends_with('┐'))
    });
    std::thread::sleep(Duration::from_millis(300));
    app.send(b"stty size\r");
    app.wait_for("stty size 26 98", WAIT, |t| {
        output_of(t, "stty size").as_deref() == Some("26 98")
    });

    // Ctrl-C goes to the guest (the app keeps running), then the chord gives the rack back.
    app.send(b"\x03");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        app.exited(),
        None,
        "Ctrl-C in the console must not quit the app"
    );
    app.send(b"\x1d");
    app.send(b"d");
    app.wait_for("the rack again", WAIT, |t| {
        !t.contains("1:CT") && t.contains("pve1")
    });
    assert!(!rack_names(&app.text()).is_empty());

    // Back to the same console with `g c`: its screen was kept.
    app.send(b"gc");
    app.wait_for("the console again", WAIT, |t| {
        t.contains("1:CT") && t.contains("26 98")
    });
    app.send(b"\x1dd");
    app.wait_for("the rack", WAIT, |t| !t.contains("1:CT"));

    // The node shell opens as a second tab; the escape chord and a digit switch tabs.
    app.send(b"C");
    app.wait_for("the node shell", WAIT, |t| {
        t.contains("2:shell pve1") && t.contains("root@pve1")
    });
    app.send(b"hostname\r");
    app.wait_for("the node's hostname", WAIT, |t| {
        output_of(t, "hostname").as_deref() == Some("pve1")
    });
    app.send(b"\x1d1");
    app.wait_for("the first tab again", WAIT, |t| {
        t.contains(&format!("root@{host}")) && t.contains("26 98")
    });
    app.send(b"\x1dd");
    app.wait_for("the rack", WAIT, |t| !t.contains("1:CT"));
    app.send(b"q");
    let start = std::time::Instant::now();
    while app.exited().is_none() && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(app.exited(), Some(true), "quit cleanly");
}

#[test]
fn a_dropped_console_reconnects_once_then_says_why() {
    let home = tempfile::tempdir().expect("tempdir");
    let env = [("PROXIMITY_DEMO_CONSOLE_DROP_S".to_string(), "2".to_string())];
    let mut app = PtyApp::spawn(
        &["demo", "--nodes", "1", "--guests", "6"],
        &env,
        home.path(),
        160,
        40,
    );
    app.wait_for("the rack", WAIT, |t| !rack_names(t).is_empty());
    app.send(b"/status:running\r");
    app.wait_text("match", WAIT);
    app.send(b"c");
    app.wait_for("the console prompt", WAIT, |t| t.contains("root@"));
    app.wait_text("reconnecting", WAIT);
    // The second connection is a fresh termproxy: its shell greets again.
    app.wait_for("a second login", WAIT, |t| {
        t.matches("Last login").count() >= 2
    });
    app.send(b"hostname\r");
    app.wait_for("hostname after the reconnect", WAIT, |t| {
        output_of(t, "hostname").is_some_and(|o| !o.is_empty())
    });
    // The second drop is not retried: the pane says why and how to reconnect by hand.
    app.wait_text("console closed:", WAIT);
    app.wait_text("r reconnect", WAIT);
    app.send(b"\x1dr");
    app.wait_for("a manual reconnect", WAIT, |t| {
        t.matches("Last login").count() >= 3 || t.contains("reconnecting…")
    });
}
