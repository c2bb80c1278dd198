//! The interactive replay's state machine, without a terminal: time advance -> events due,
//! key -> new state, and what the loop may sleep for.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proximity::term::{Recording, RecordingEvent};
use proximity::ui::replay::{MAX_IDLE, Reaction, Replay, ReplayKey, clock, speed_label};

fn out(s: &str) -> RecordingEvent {
    RecordingEvent::Output(s.as_bytes().to_vec())
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// a at 0 s, b at 1 s, a resize at 1.5 s, c at 3 s.
fn rec() -> Recording {
    Recording {
        cols: 20,
        rows: 5,
        events: vec![
            (0.0, out("a")),
            (1.0, out("b")),
            (1.5, RecordingEvent::Resize(30, 6)),
            (3.0, out("c")),
        ],
    }
}

#[test]
fn time_advance_yields_what_is_due_in_order() {
    let mut r = Replay::new(rec(), 1.0);
    assert_eq!(r.duration(), ms(3000));
    assert_eq!(r.next_due(), Some(Duration::ZERO));
    assert_eq!(r.advance(Duration::ZERO), vec![out("a")]);
    assert_eq!(r.next_due(), Some(ms(1000)));
    assert_eq!(r.advance(ms(400)), vec![]);
    assert_eq!(r.position(), ms(400));
    assert_eq!(r.next_due(), Some(ms(600)));
    // One big step catches up on everything due, in order, and keeps the remainder.
    assert_eq!(
        r.advance(ms(1200)),
        vec![out("b"), RecordingEvent::Resize(30, 6)]
    );
    assert_eq!(r.position(), ms(1600));
    assert_eq!(r.next_due(), Some(ms(1400)));
    assert!(!r.finished());
    assert_eq!(r.advance(ms(5000)), vec![out("c")]);
    assert!(r.finished());
    assert_eq!(r.position(), r.duration());
    assert_eq!(
        r.next_due(),
        None,
        "nothing left: the loop must block on keys"
    );
    assert_eq!(r.advance(ms(5000)), vec![]);
}

#[test]
fn speed_scales_wall_time_and_can_change_mid_gap() {
    let mut r = Replay::new(rec(), 4.0);
    r.advance(Duration::ZERO);
    assert_eq!(r.next_due(), Some(ms(250)));
    assert_eq!(r.advance(ms(125)), vec![], "half the gap at x4");
    assert_eq!(r.key(ReplayKey::Slower), Reaction::Feed(vec![]));
    assert_eq!(r.speed(), 2.0);
    // 500 ms of recording time left, now at x2: 250 ms of wall time.
    assert_eq!(r.next_due(), Some(ms(250)));
    assert_eq!(r.advance(ms(249)), vec![]);
    assert_eq!(r.advance(ms(1)), vec![out("b")]);
    r.key(ReplayKey::Faster);
    r.key(ReplayKey::Faster);
    assert_eq!(r.speed(), 8.0);
    assert_eq!(speed_label(r.speed()), "×8");
}

#[test]
fn speed_stays_in_range() {
    let mut r = Replay::new(rec(), f64::NAN);
    assert_eq!(r.speed(), 1.0);
    for _ in 0..40 {
        r.key(ReplayKey::Slower);
    }
    assert_eq!(r.speed(), 1.0 / 16.0);
    assert_eq!(speed_label(r.speed()), "×0.0625");
    for _ in 0..40 {
        r.key(ReplayKey::Faster);
    }
    assert!(r.speed() <= 1024.0 && r.speed() >= 512.0);
    assert_eq!(Replay::new(rec(), -3.0).speed(), 1.0);
    assert_eq!(Replay::new(rec(), 1e9).speed(), 1024.0);
}

#[test]
fn pause_freezes_time_and_step_applies_one_event() {
    let mut r = Replay::new(rec(), 1.0);
    r.advance(ms(100));
    assert_eq!(r.key(ReplayKey::TogglePause), Reaction::Feed(vec![]));
    assert!(r.paused());
    assert_eq!(r.next_due(), None, "paused: no timer, so no redraws");
    assert_eq!(r.advance(ms(10_000)), vec![]);
    assert_eq!(r.position(), ms(100));
    // Step: exactly the next event, the clock jumps to it.
    assert_eq!(r.key(ReplayKey::Step), Reaction::Feed(vec![out("b")]));
    assert_eq!(r.position(), ms(1000));
    assert_eq!(
        r.key(ReplayKey::Step),
        Reaction::Feed(vec![RecordingEvent::Resize(30, 6)])
    );
    assert_eq!(r.key(ReplayKey::Step), Reaction::Feed(vec![out("c")]));
    assert!(r.finished());
    assert_eq!(r.key(ReplayKey::Step), Reaction::Feed(vec![]));
    assert_eq!(r.position(), r.duration());
    // Resume at the end: still nothing to wait for.
    r.key(ReplayKey::TogglePause);
    assert!(!r.paused());
    assert_eq!(r.next_due(), None);
}

#[test]
fn step_while_playing_does_nothing_and_quit_quits() {
    let mut r = Replay::new(rec(), 1.0);
    r.advance(Duration::ZERO);
    assert_eq!(r.key(ReplayKey::Step), Reaction::Feed(vec![]));
    assert_eq!(r.position(), Duration::ZERO);
    assert_eq!(r.key(ReplayKey::Quit), Reaction::Quit);
}

#[test]
fn long_idle_gaps_are_capped() {
    let rec = Recording {
        cols: 10,
        rows: 2,
        events: vec![(0.0, out("x")), (600.0, out("y")), (600.5, out("z"))],
    };
    let mut r = Replay::new(rec, 1.0);
    assert_eq!(r.duration(), MAX_IDLE + ms(500));
    r.advance(Duration::ZERO);
    assert_eq!(r.next_due(), Some(MAX_IDLE));
    assert_eq!(r.advance(MAX_IDLE), vec![out("y")]);
}

#[test]
fn an_empty_recording_is_finished_at_once() {
    let r = Replay::new(
        Recording {
            cols: 80,
            rows: 24,
            events: vec![],
        },
        1.0,
    );
    assert!(r.finished());
    assert_eq!(r.duration(), Duration::ZERO);
    assert_eq!(r.next_due(), None);
}

#[test]
fn keys_map_to_replay_keys() {
    let k = |c| KeyEvent::new(c, KeyModifiers::NONE);
    assert_eq!(
        ReplayKey::from_key(&k(KeyCode::Char(' '))),
        Some(ReplayKey::TogglePause)
    );
    assert_eq!(
        ReplayKey::from_key(&k(KeyCode::Char('+'))),
        Some(ReplayKey::Faster)
    );
    assert_eq!(
        ReplayKey::from_key(&k(KeyCode::Char('-'))),
        Some(ReplayKey::Slower)
    );
    assert_eq!(
        ReplayKey::from_key(&k(KeyCode::Char('.'))),
        Some(ReplayKey::Step)
    );
    assert_eq!(
        ReplayKey::from_key(&k(KeyCode::Char('q'))),
        Some(ReplayKey::Quit)
    );
    assert_eq!(ReplayKey::from_key(&k(KeyCode::Esc)), Some(ReplayKey::Quit));
    assert_eq!(ReplayKey::from_key(&k(KeyCode::Char('x'))), None);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(ReplayKey::from_key(&ctrl_c), Some(ReplayKey::Quit));
}

#[test]
fn clock_reads_like_a_player() {
    assert_eq!(clock(Duration::ZERO), "0:00.0");
    assert_eq!(clock(ms(61_250)), "1:01.2");
    assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
}
