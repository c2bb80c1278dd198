//! The interactive replay's state machine, without a terminal: time advance -> events due,
//! key -> new state, what the loop may sleep for, and seeking (which must leave exactly
//! the screen that playing to the same time leaves).

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proximity::term::{Recording, RecordingEvent};
use proximity::ui::render::replay::{ReplayView, draw};
use proximity::ui::replay::{
    MAX_IDLE, Reaction, Replay, ReplayKey, ReplayScreen, SEEK_STEP, clock, speed_label,
};
use proximity::ui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

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

/// 12 s with no gap over the idle cap: colors, a resize, a clear, cursor moves.
fn long_rec() -> Recording {
    Recording {
        cols: 20,
        rows: 5,
        events: vec![
            (0.0, out("boot\r\n")),
            (1.0, out("\x1b[31mred\x1b[0m line\r\n")),
            (2.5, RecordingEvent::Resize(30, 6)),
            (4.0, out("\x1b[2J\x1b[Hcleared")),
            (6.0, out("\r\nsix")),
            (8.0, out("\x1b[1;1H\x1b[1meight\x1b[0m")),
            (10.0, out("\r\nten")),
            (12.0, out("\r\n\r\nend")),
        ],
    }
}

/// Everything that makes two screens the same: cells with their attributes, size, cursor.
fn state(s: &ReplayScreen) -> (String, (u16, u16), (u16, u16)) {
    let screen = s.screen();
    (
        screen.vt().contents_formatted(),
        screen.size(),
        screen.cursor(),
    )
}

/// The screen plain playing (speed 1, never paused) leaves after `t`.
fn played_to(t: Duration) -> ReplayScreen {
    let rec = long_rec();
    let mut screen = ReplayScreen::new(&rec, None);
    let mut r = Replay::new(rec, 1.0);
    assert!(screen.react(&Reaction::Feed(r.advance(t))));
    screen
}

/// Targets between events, on events, and at both ends.
const TARGETS_MS: [u64; 10] = [0, 500, 1000, 2500, 3999, 4000, 7000, 9000, 11_999, 12_000];

#[test]
fn seeking_forward_gives_the_screen_playing_gives() {
    for t in TARGETS_MS.map(ms) {
        let rec = long_rec();
        let mut screen = ReplayScreen::new(&rec, None);
        let mut r = Replay::new(rec, 1.0);
        let reaction = r.seek(t);
        assert!(matches!(reaction, Reaction::Feed(_)), "{t:?}: {reaction:?}");
        assert!(screen.react(&reaction));
        assert_eq!(r.position(), t);
        assert_eq!(state(&screen), state(&played_to(t)), "at {t:?}");
    }
    // Sanity: the targets really differ (the comparison can fail).
    assert_ne!(state(&played_to(ms(3999))), state(&played_to(ms(4000))));
    let end = played_to(ms(12_000));
    assert_eq!(end.screen().size(), (30, 6));
    assert!(end.screen().text_lines().iter().any(|l| l == "ten"));
}

#[test]
fn seeking_back_starts_over_and_gives_the_screen_playing_gives() {
    for t in TARGETS_MS.map(ms) {
        let rec = long_rec();
        let mut screen = ReplayScreen::new(&rec, None);
        let mut r = Replay::new(rec, 1.0);
        // Play past every target, then seek back.
        screen.react(&Reaction::Feed(r.advance(ms(12_000))));
        assert!(r.finished());
        let reaction = r.seek(t);
        if t < r.duration() {
            assert!(
                matches!(reaction, Reaction::Restart(_)),
                "{t:?}: {reaction:?}"
            );
        }
        screen.react(&reaction);
        assert_eq!(r.position(), t);
        assert_eq!(state(&screen), state(&played_to(t)), "back to {t:?}");
        assert_eq!(r.finished(), t == r.duration());
        // Playing on from there is playing on: the rest of the recording follows.
        screen.react(&Reaction::Feed(r.advance(ms(12_000))));
        assert_eq!(state(&screen), state(&played_to(ms(12_000))), "from {t:?}");
    }
}

#[test]
fn seek_keys_step_five_seconds_and_clamp_at_both_ends() {
    assert_eq!(SEEK_STEP, ms(5000));
    let rec = long_rec();
    let mut screen = ReplayScreen::new(&rec, None);
    let mut r = Replay::new(rec, 1.0);
    screen.react(&r.key(ReplayKey::SeekForward));
    assert_eq!(r.position(), ms(5000));
    screen.react(&r.key(ReplayKey::SeekForward));
    assert_eq!(r.position(), ms(10_000));
    assert_eq!(state(&screen), state(&played_to(ms(10_000))));
    // Past the end: clamped to it, every event applied.
    screen.react(&r.key(ReplayKey::SeekForward));
    assert_eq!(r.position(), r.duration());
    assert!(r.finished());
    assert_eq!(r.next_due(), None);
    assert_eq!(r.key(ReplayKey::SeekForward), Reaction::Feed(vec![]));
    assert_eq!(r.seek(ms(999_999)), Reaction::Feed(vec![]));
    assert_eq!(state(&screen), state(&played_to(ms(12_000))));
    screen.react(&r.key(ReplayKey::SeekBack));
    assert_eq!(r.position(), ms(7000));
    assert_eq!(state(&screen), state(&played_to(ms(7000))));
    screen.react(&r.key(ReplayKey::SeekBack));
    screen.react(&r.key(ReplayKey::SeekBack));
    assert_eq!(r.position(), Duration::ZERO, "clamped at the start");
    assert_eq!(state(&screen), state(&played_to(Duration::ZERO)));
    screen.react(&r.key(ReplayKey::SeekEnd));
    assert_eq!(r.position(), ms(12_000));
    screen.react(&r.key(ReplayKey::SeekStart));
    assert_eq!(r.position(), Duration::ZERO);
    assert_eq!(state(&screen), state(&played_to(Duration::ZERO)));
    assert_eq!(
        screen.screen().text_lines()[0],
        "boot",
        "the first event (at 0 s) is on screen"
    );
}

#[test]
fn a_seek_keeps_pause_and_speed_and_the_clock_runs_on_from_the_target() {
    let mut r = Replay::new(long_rec(), 2.0);
    r.key(ReplayKey::TogglePause);
    r.key(ReplayKey::SeekForward);
    assert!(r.paused(), "seeking while paused stays paused");
    assert_eq!(r.position(), ms(5000));
    assert_eq!(r.advance(ms(10_000)), vec![], "paused: time does not move");
    r.key(ReplayKey::TogglePause);
    // The next event (6 s) is 1 s of recording away: 500 ms of wall time at x2.
    assert_eq!(r.next_due(), Some(ms(500)));
    assert_eq!(r.advance(ms(500)), vec![out("\r\nsix")]);
    r.key(ReplayKey::SeekStart);
    assert_eq!(r.speed(), 2.0);
    assert_eq!(r.next_due(), Some(ms(500)), "from 0 s, the event at 1 s");
}

#[test]
fn with_a_fixed_size_a_seek_back_starts_over_at_that_size() {
    let rec = long_rec();
    let mut screen = ReplayScreen::new(&rec, Some((12, 3)));
    let mut r = Replay::new(rec, 1.0);
    screen.react(&r.seek(ms(12_000)));
    assert_eq!(screen.screen().size(), (12, 3), "resizes ignored");
    screen.react(&r.seek(ms(1000)));
    assert_eq!(screen.screen().size(), (12, 3));
    assert_eq!(screen.screen().text_lines(), ["boot", "red line", ""]);
}

#[test]
fn an_empty_recording_seeks_nowhere() {
    let rec = Recording {
        cols: 10,
        rows: 2,
        events: vec![],
    };
    let mut r = Replay::new(rec, 1.0);
    for k in [
        ReplayKey::SeekForward,
        ReplayKey::SeekBack,
        ReplayKey::SeekStart,
        ReplayKey::SeekEnd,
    ] {
        assert_eq!(r.key(k), Reaction::Feed(vec![]));
        assert_eq!(r.position(), Duration::ZERO);
    }
}

#[test]
fn seek_keys_map_to_replay_keys() {
    let k = |c| KeyEvent::new(c, KeyModifiers::NONE);
    for (code, want) in [
        (KeyCode::Right, ReplayKey::SeekForward),
        (KeyCode::Char('l'), ReplayKey::SeekForward),
        (KeyCode::Left, ReplayKey::SeekBack),
        (KeyCode::Char('h'), ReplayKey::SeekBack),
        (KeyCode::Home, ReplayKey::SeekStart),
        (KeyCode::Char('g'), ReplayKey::SeekStart),
        (KeyCode::End, ReplayKey::SeekEnd),
    ] {
        assert_eq!(ReplayKey::from_key(&k(code)), Some(want), "{code:?}");
    }
    let shift_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
    assert_eq!(ReplayKey::from_key(&shift_g), Some(ReplayKey::SeekEnd));
}

/// The pane's top border (the status) after a seek: position / total, and the keys below.
#[test]
fn the_status_shows_position_and_total_time() {
    let rec = long_rec();
    let mut screen = ReplayScreen::new(&rec, None);
    let mut r = Replay::new(rec, 1.0);
    let theme = Theme::fallback(proximity::ui::theme::ColorDepth::None);
    let text = |r: &Replay, screen: &ReplayScreen| {
        let area = Rect::new(0, 0, 90, 12);
        let mut buf = Buffer::empty(area);
        let view = ReplayView {
            title: "long.cast",
            replay: r,
            screen: screen.screen(),
            theme: &theme,
        };
        draw(&view, area, &mut buf);
        (0..area.height)
            .map(|y| (0..area.width).map(|x| buf[(x, y)].symbol()).collect())
            .collect::<Vec<String>>()
    };
    let lines = text(&r, &screen);
    assert!(lines[0].contains("0:00.0 / 0:12.0"), "{lines:#?}");
    screen.react(&r.key(ReplayKey::SeekForward));
    let lines = text(&r, &screen);
    assert!(lines[0].contains("0:05.0 / 0:12.0"), "{lines:#?}");
    let bottom = lines
        .iter()
        .rev()
        .find(|l| l.contains("quit"))
        .expect("keys");
    assert!(
        bottom.contains("←/→ seek") && bottom.contains("g/G start/end"),
        "{bottom}"
    );
    screen.react(&r.key(ReplayKey::SeekEnd));
    let lines = text(&r, &screen);
    assert!(lines[0].contains("0:12.0 / 0:12.0"), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("END")), "{lines:#?}");
}
