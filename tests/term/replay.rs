//! Replay dump of recorded sessions (asciicast v2 and raw byte streams), the asciicast
//! writer round trip, and the step player.

use std::path::PathBuf;
use std::time::Duration;

use proximity::term::{
    AsciicastWriter, Player, RecordingEvent, TermError, parse_size, read_recording, replay_dump,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/term")
        .join(name)
}

#[test]
fn dumps_asciicast_final_screen() {
    let got = replay_dump(fixture("session.cast"), false, None).expect("dump");
    assert_eq!(got, "$ echo hi\nhimid 日\n$ red ┌─┐\n\n");
}

#[test]
fn dumps_raw_stream_at_80x24_or_given_size() {
    let got = replay_dump(fixture("session.raw"), true, None).expect("dump");
    let lines: Vec<&str> = got.split_terminator('\n').collect();
    assert_eq!(lines.len(), 24);
    assert_eq!(&lines[..6], &["first", "green", "", "", "row five", ""]);
    let small = replay_dump(fixture("session.raw"), true, Some((30, 6))).expect("dump");
    assert_eq!(small, "first\ngreen\n\n\nrow five\n\n");
    let tiny = replay_dump(fixture("tiny.raw"), true, Some((10, 2))).expect("dump");
    // "second" scrolled up to the first row, then "over" overwrote its start.
    assert_eq!(tiny, "overnd\n\n");
}

#[test]
fn size_override_wraps_wide_characters() {
    let got = replay_dump(fixture("wide.cast"), false, Some((11, 2))).expect("dump");
    assert_eq!(got, "unicode 日\n本\n");
}

#[test]
fn bad_files_give_clear_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("bad.cast");
    std::fs::write(&p, "{\"version\": 1, \"width\": 80, \"height\": 24}\n").expect("write");
    let e = replay_dump(&p, false, None).expect_err("v1");
    assert!(matches!(e, TermError::Format { line: 1, .. }), "{e}");
    std::fs::write(
        &p,
        "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.1, \"o\"]\n",
    )
    .expect("write");
    let e = replay_dump(&p, false, None).expect_err("short event");
    assert_eq!(
        e.to_string(),
        format!("{}: line 2: event must be [time, type, data]", p.display())
    );
    let e = replay_dump(dir.path().join("missing"), true, None).expect_err("missing");
    assert!(matches!(e, TermError::Read { .. }));
    assert_eq!(parse_size("132x43").expect("size"), (132, 43));
    assert!(parse_size("0x10").is_err());
    assert!(parse_size("80").is_err());
}

#[test]
fn writer_round_trips_and_keeps_utf8_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("rec.cast");
    let file = std::fs::File::create(&p).expect("create");
    let mut w = AsciicastWriter::new(file, 40, 5, Some(1_700_000_000)).expect("header");
    let bytes = "ok 日本\r\n".as_bytes();
    // Cut inside the 3-byte character: the writer carries the tail to the next event.
    w.output_at(0.5, &bytes[..4]).expect("o");
    w.output_at(0.75, &bytes[4..]).expect("o");
    w.resize_at(1.0, 50, 6).expect("r");
    w.output_at(1.25, b"\x1b[1mbold\x1b[0m").expect("o");
    w.flush().expect("flush");
    drop(w);
    let text = std::fs::read_to_string(&p).expect("read");
    let first = text.lines().next().expect("header");
    let header: serde_json::Value = serde_json::from_str(first).expect("json");
    assert_eq!(
        header,
        serde_json::json!({"version": 2, "width": 40, "height": 5, "timestamp": 1_700_000_000})
    );
    let rec = read_recording(&p, false).expect("read back");
    assert_eq!((rec.cols, rec.rows), (40, 5));
    assert_eq!(
        rec.events,
        vec![
            (0.5, RecordingEvent::Output(b"ok ".to_vec())),
            (0.75, RecordingEvent::Output("日本\r\n".as_bytes().to_vec())),
            (1.0, RecordingEvent::Resize(50, 6)),
            (1.25, RecordingEvent::Output(b"\x1b[1mbold\x1b[0m".to_vec())),
        ]
    );
    assert_eq!(
        replay_dump(&p, false, None).expect("dump"),
        "ok 日本\nbold\n\n\n\n\n"
    );
}

#[test]
fn player_scales_delays_by_speed() {
    let rec = read_recording(&fixture("session.cast"), false).expect("read");
    let steps: Vec<_> = Player::new(rec.clone(), 2.0).collect();
    let delays: Vec<u128> = steps.iter().map(|s| s.delay.as_millis()).collect();
    assert_eq!(delays, vec![50, 75, 125, 150, 100]);
    assert_eq!(steps[2].event, RecordingEvent::Resize(24, 4));
    let capped: Vec<_> = Player::new(rec, 0.5)
        .with_max_idle(Duration::from_millis(300))
        .map(|s| s.delay)
        .collect();
    assert_eq!(capped[0], Duration::from_millis(200));
    assert_eq!(capped[3], Duration::from_millis(300));
}
