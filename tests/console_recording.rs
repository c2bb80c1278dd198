//! Console recording: the session recorder writes asciicast v2 that `term::read_recording`
//! parses and `term::replay_dump` plays back to the screen the guest drew; files land under
//! `recordings/<host>/` with private modes; the settings decide who is recorded.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proximity::engine::recording::{SessionRecorder, recording_path, records};
use proximity::pve::ConsoleTarget;
use proximity::store::Settings;
use proximity::term::{RecordingEvent, read_recording, replay_dump};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn ct(vmid: u32) -> ConsoleTarget {
    ConsoleTarget::Lxc {
        node: "pve1".into(),
        vmid,
    }
}

#[test]
fn a_recorded_byte_stream_replays_to_the_same_screen() {
    let dir = tempfile::tempdir().unwrap();
    // 2026-11-29 16:27:06 UTC
    let started = at(1_795_969_626);
    let mut rec = SessionRecorder::create(dir.path(), "lab", &ct(101), (40, 6), started).unwrap();
    let expected = dir
        .path()
        .join("recordings/lab/20261129-162706-ct-101.cast");
    assert_eq!(rec.path(), expected);

    // A prompt, a colored word, a UTF-8 character cut between two chunks, a clear and a
    // cursor move: what a real shell sends, in awkward pieces.
    let stream: &[&[u8]] = &[
        b"root@ct101:~# ",
        b"echo \x1b[31mred\x1b[0m caf\xc3",
        b"\xa9\r\n",
        b"caf\xc3\xa9\r\nroot@ct101:~# ",
        b"\x1b[2J\x1b[H",
        b"top line\r\n\x1b[3;5Hthird",
    ];
    for chunk in stream {
        rec.output(chunk).unwrap();
    }
    rec.resize(30, 4).unwrap();
    rec.output(b"\r\nafter resize").unwrap();
    drop(rec);

    let parsed = read_recording(&expected, false).unwrap();
    assert_eq!((parsed.cols, parsed.rows), (40, 6));
    let outputs: Vec<u8> = parsed
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            RecordingEvent::Output(b) => Some(b.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let mut sent = stream.concat();
    sent.extend_from_slice(b"\r\nafter resize");
    // Byte for byte, though the cut character had to wait for its second half.
    assert_eq!(outputs, sent);
    let n = parsed.events.len();
    assert_eq!(parsed.events[n - 2].1, RecordingEvent::Resize(30, 4));
    let times: Vec<f64> = parsed.events.iter().map(|(t, _)| *t).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    let screen = replay_dump(&expected, false, None).unwrap();
    let lines: Vec<&str> = screen.lines().collect();
    assert_eq!(lines, ["top line", "", "    third", "after resize"]);

    // Forced to the recording's first size, the resize is ignored.
    let fixed = replay_dump(&expected, false, Some((40, 6))).unwrap();
    assert_eq!(fixed.lines().count(), 6);
    assert!(fixed.contains("    third"), "{fixed}");
}

#[cfg(unix)]
#[test]
fn recordings_are_private_and_never_overwrite() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let started = at(0);
    let node = ConsoleTarget::Node {
        node: "pve/../x".into(),
    };
    let a = SessionRecorder::create(dir.path(), "../evil", &node, (80, 24), started).unwrap();
    let b = SessionRecorder::create(dir.path(), "../evil", &node, (80, 24), started).unwrap();
    let host_dir = dir.path().join("recordings/_.._evil");
    assert_eq!(
        a.path(),
        host_dir.join("19700101-000000-node-pve_.._x.cast")
    );
    assert_eq!(
        b.path(),
        host_dir.join("19700101-000000-node-pve_.._x-2.cast")
    );
    assert!(a.path().starts_with(dir.path().join("recordings")));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("recordings")), 0o700);
    assert_eq!(mode(&host_dir), 0o700);
    assert_eq!(mode(a.path()), 0o600);
    assert_eq!(mode(b.path()), 0o600);
    // The header alone already parses (an empty session is a valid recording).
    let empty = read_recording(b.path(), false).unwrap();
    assert_eq!((empty.cols, empty.rows, empty.events.len()), (80, 24, 0));
}

#[test]
fn recording_is_off_unless_asked() {
    let mut s = Settings::default();
    assert!(!records(&s, "lab"), "recording must be opt-in");
    s.console_recording.insert("lab".into(), true);
    assert!(records(&s, "lab"));
    assert!(!records(&s, "prod"));
    s.console_recording.insert("lab".into(), false);
    s.audit_recording = true;
    assert!(records(&s, "lab") && records(&s, "prod"));
}

#[test]
fn the_path_names_host_time_kind_and_id() {
    let p = recording_path(
        std::path::Path::new("/state"),
        "lab",
        &ConsoleTarget::Node {
            node: "pve2".into(),
        },
        at(951_782_400 + 3661),
    );
    assert_eq!(
        p,
        std::path::Path::new("/state/recordings/lab/20000229-010101-node-pve2.cast")
    );
}

/// The settings screen's switch at the edge: written to the store (flushed: a reopened store
/// has it), other settings kept, and `records` (what the console opener asks at each open)
/// then says the next session on that host is recorded.
#[test]
fn a_switch_saved_from_the_settings_screen_persists_for_the_next_console() {
    use proximity::engine::settings::{current, save_recording};
    use proximity::paths::Paths;
    use proximity::store::Store;
    use proximity::ui::settings::RecordingSwitch;

    let home = tempfile::tempdir().unwrap();
    let paths = Paths {
        config_dir: home.path().join("config"),
        data_dir: home.path().join("data"),
        state_dir: home.path().join("state"),
    };
    {
        let store = Store::open(&paths).unwrap();
        store
            .settings()
            .update(|s| s.theme = Some("nord".into()))
            .unwrap();
        assert_eq!(current(Some(&store)), Default::default());
        let lab = RecordingSwitch::Host("lab".into());
        let written = save_recording(Some(&store), &lab, true).unwrap();
        assert!(written.host("lab") && !written.host("prod") && !written.audit);
        assert_eq!(current(Some(&store)), written);
    }
    let store = Store::open(&paths).unwrap();
    let settings = store.settings().get().unwrap();
    assert_eq!(settings.theme.as_deref(), Some("nord"), "the theme is kept");
    assert!(
        records(&settings, "lab"),
        "the next console on lab is recorded"
    );
    assert!(!records(&settings, "prod"));

    let written = save_recording(Some(&store), &RecordingSwitch::Audit, true).unwrap();
    assert!(written.audit && written.host("lab"));
    assert!(records(&store.settings().get().unwrap(), "prod"));
    // Off again: the host's entry goes (off is the default), audit still records it.
    let lab = RecordingSwitch::Host("lab".into());
    let written = save_recording(Some(&store), &lab, false).unwrap();
    assert!(!written.hosts.contains_key("lab"));
    assert!(records(&store.settings().get().unwrap(), "lab"));
    save_recording(Some(&store), &RecordingSwitch::Audit, false).unwrap();
    let settings = store.settings().get().unwrap();
    assert!(!records(&settings, "lab") && !records(&settings, "prod"));

    // No store (an environment connection whose store is busy): refused, nothing claimed.
    let err = save_recording(None, &RecordingSwitch::Audit, true).unwrap_err();
    assert!(err.contains("store is not open"), "{err}");
    assert_eq!(current(None), Default::default());
}
