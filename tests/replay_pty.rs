//! `proximity replay` in a real PTY: the recording plays in a pane, keys work, `q` exits 0.

mod support;

use std::time::{Duration, Instant};

use support::PtyApp;

const WAIT: Duration = Duration::from_secs(20);

fn write_cast(dir: &std::path::Path, name: &str, lines: &[&str]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_string_lossy().into_owned()
}

fn wait_exit(app: &mut PtyApp) -> bool {
    let start = Instant::now();
    loop {
        if let Some(ok) = app.exited() {
            return ok;
        }
        assert!(
            start.elapsed() < WAIT,
            "replay did not exit:\n{}",
            app.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_recording_plays_to_its_end_then_q_quits() {
    let home = tempfile::tempdir().unwrap();
    let file = write_cast(
        home.path(),
        "demo.cast",
        &[
            r#"{"version": 2, "width": 40, "height": 6}"#,
            r#"[0.1, "o", "booting...\r\n"]"#,
            r#"[1.5, "o", "\u001b[2J\u001b[Hroot@ct101:~# "]"#,
            r#"[2.0, "o", "uptime\r\n 16:27 up 3 days\r\n"]"#,
            r#"[3.0, "o", "root@ct101:~# final line here"]"#,
        ],
    );
    let mut app = PtyApp::spawn(
        &["replay", "--speed", "1000", &file],
        &[],
        home.path(),
        100,
        20,
    );
    app.wait_text("final line here", WAIT);
    app.wait_text("END", WAIT);
    let text = app.text();
    assert!(text.contains("demo.cast"), "{text}");
    assert!(text.contains("16:27 up 3 days"), "{text}");
    // The clear happened: the first screen's text is gone.
    assert!(!text.contains("booting"), "{text}");
    assert!(text.contains("0:03.0 / 0:03.0"), "{text}");
    app.send(b"q");
    assert!(wait_exit(&mut app), "q must exit 0");
}

#[test]
fn pause_then_step_shows_the_next_event() {
    let home = tempfile::tempdir().unwrap();
    let file = write_cast(
        home.path(),
        "slow.cast",
        &[
            r#"{"version": 2, "width": 30, "height": 4}"#,
            r#"[0.0, "o", "first event"]"#,
            r#"[1.9, "o", "\r\nsecond event"]"#,
        ],
    );
    // At x0.0625 the second event is half a minute away: only a step can bring it.
    let mut app = PtyApp::spawn(
        &["replay", "--speed", "0.0625", &file],
        &[],
        home.path(),
        80,
        12,
    );
    app.wait_text("first event", WAIT);
    app.send(b" ");
    app.wait_text("PAUSED", WAIT);
    assert!(!app.text().contains("second event"));
    app.send(b".");
    app.wait_text("second event", WAIT);
    app.wait_text("END", WAIT);
    app.send(b"\x1b");
    assert!(wait_exit(&mut app), "Esc must exit 0");
}

#[test]
fn a_bad_file_is_one_error_line_before_the_terminal_is_touched() {
    let home = tempfile::tempdir().unwrap();
    let file = write_cast(home.path(), "bad.cast", &["not json"]);
    let (ok, _out, err) = support::run_cli(&["replay", &file], &[], home.path());
    assert!(!ok);
    assert!(err.contains("bad.cast") && err.contains("line 1"), "{err}");
    assert!(
        !err.contains("\x1b["),
        "no terminal modes on error: {err:?}"
    );
}

#[test]
fn end_and_home_seek_through_the_loop() {
    let home = tempfile::tempdir().unwrap();
    let file = write_cast(
        home.path(),
        "seek.cast",
        &[
            r#"{"version": 2, "width": 30, "height": 4}"#,
            r#"[0.0, "o", "first event"]"#,
            r#"[1.9, "o", "\r\nsecond event"]"#,
        ],
    );
    // At x0.0625 the second event is half a minute away: only a seek brings it.
    let mut app = PtyApp::spawn(
        &["replay", "--speed", "0.0625", &file],
        &[],
        home.path(),
        80,
        12,
    );
    app.wait_text("first event", WAIT);
    app.send(b" ");
    app.wait_text("PAUSED", WAIT);
    app.send(b"G");
    app.wait_text("second event", WAIT);
    app.wait_text("0:01.9 / 0:01.9", WAIT);
    // Back to the start: a fresh screen with only what is there at 0 s.
    app.send(b"g");
    app.wait_for("the start", WAIT, |t| {
        t.contains("0:00.0 / 0:01.9") && !t.contains("second event")
    });
    assert!(app.text().contains("first event"), "{}", app.text());
    app.send(b"q");
    assert!(wait_exit(&mut app), "q must exit 0");
}
