//! Interactive replay's state machine, with no terminal in it: which recording events are
//! due after some wall time, and what a key does (pause, speed, single step, seek, quit).
//! The CLI loop (`cli::replay`) owns the clock and the drawing; this module decides, and
//! [`ReplayScreen`] applies the decisions to the screen, so every transition is testable as
//! a plain function call.
//!
//! Time is kept in recording time (seconds of the recording): wall time is multiplied by
//! the speed, so changing speed mid-gap neither skips nor repeats an event.
//!
//! Seeking forward applies the events up to the target at once. A terminal screen cannot be
//! played backwards, so seeking back starts over: a fresh screen, fed from the first event
//! up to the target. That costs a replay of the prefix, which at recording sizes (a console
//! session, a few MB at most) is quick, and it is exactly what playing to the target gives.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::term::{Player, Recording, RecordingEvent, Screen, Step};

/// Gaps longer than this (in recording time) are shortened to it, like `asciinema play
/// -i`: a console left idle for ten minutes should not replay as ten minutes of nothing.
pub const MAX_IDLE: Duration = Duration::from_secs(2);
/// Slowest and fastest speed `+`/`-` reach (`--speed` is clamped to the same range).
pub const MIN_SPEED: f64 = 1.0 / 16.0;
pub const MAX_SPEED: f64 = 1024.0;
/// How far one seek key moves (recording time, idle gaps capped as shown).
pub const SEEK_STEP: Duration = Duration::from_secs(5);

/// What the user can ask of a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayKey {
    TogglePause,
    Faster,
    Slower,
    /// Apply the next event now (only while paused).
    Step,
    /// [`SEEK_STEP`] later (clamped to the end).
    SeekForward,
    /// [`SEEK_STEP`] earlier (clamped to the start).
    SeekBack,
    SeekStart,
    SeekEnd,
    Quit,
}

impl ReplayKey {
    /// The replay's keys: space, `+` (or `=`), `-`, `.`, Right/`l` and Left/`h` (seek),
    /// Home/`g` and End/`G` (start, end), `q`/Esc/Ctrl-C. Others are `None`. (The replay
    /// runs without the TUI's keymap: these are `proximity replay`'s own, like a player's.)
    pub fn from_key(key: &KeyEvent) -> Option<ReplayKey> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            return (key.code == KeyCode::Char('c')).then_some(ReplayKey::Quit);
        }
        match key.code {
            KeyCode::Char(' ') => Some(ReplayKey::TogglePause),
            KeyCode::Char('+') | KeyCode::Char('=') => Some(ReplayKey::Faster),
            KeyCode::Char('-') => Some(ReplayKey::Slower),
            KeyCode::Char('.') => Some(ReplayKey::Step),
            KeyCode::Right | KeyCode::Char('l') => Some(ReplayKey::SeekForward),
            KeyCode::Left | KeyCode::Char('h') => Some(ReplayKey::SeekBack),
            KeyCode::Home | KeyCode::Char('g') => Some(ReplayKey::SeekStart),
            KeyCode::End | KeyCode::Char('G') => Some(ReplayKey::SeekEnd),
            KeyCode::Char('q') | KeyCode::Esc => Some(ReplayKey::Quit),
            _ => None,
        }
    }
}

/// What a key asks the loop to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Reaction {
    /// Apply these events (possibly none) and redraw.
    Feed(Vec<RecordingEvent>),
    /// Start over on a fresh screen at the recording's first size, apply these events,
    /// and redraw (a seek back).
    Restart(Vec<RecordingEvent>),
    Quit,
}

/// A replay in progress.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The recording from its first event, to start over from on a seek back.
    start: Player,
    player: Player,
    /// The next event and its delay (recording time, idle already capped).
    pending: Option<Step>,
    /// Recording time already spent waiting for `pending`.
    waited: Duration,
    position: Duration,
    duration: Duration,
    speed: f64,
    paused: bool,
}

/// `speed` if usable, else 1; within [`MIN_SPEED`, `MAX_SPEED`].
fn clamp_speed(speed: f64) -> f64 {
    if speed.is_finite() && speed > 0.0 {
        speed.clamp(MIN_SPEED, MAX_SPEED)
    } else {
        1.0
    }
}

impl Replay {
    /// Start playing `rec` (not paused) at `speed` times real time.
    pub fn new(rec: Recording, speed: f64) -> Replay {
        // The player runs at speed 1: speed is applied here, to wall time, so it can change
        // between two events.
        let start = Player::new(rec, 1.0).with_max_idle(MAX_IDLE);
        let duration = start.clone().map(|s| s.delay).sum();
        let mut player = start.clone();
        let pending = player.next();
        Replay {
            start,
            player,
            pending,
            waited: Duration::ZERO,
            position: Duration::ZERO,
            duration,
            speed: clamp_speed(speed),
            paused: false,
        }
    }

    /// Recording time played so far (idle gaps capped at [`MAX_IDLE`]).
    pub fn position(&self) -> Duration {
        self.position
    }

    /// The whole recording's length, with the same idle cap.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Every event has been applied.
    pub fn finished(&self) -> bool {
        self.pending.is_none()
    }

    /// Take the pending event now, counting the rest of its delay as played.
    fn take_pending(&mut self) -> Option<RecordingEvent> {
        let step = self.pending.take()?;
        self.position += step.delay.saturating_sub(self.waited);
        self.waited = Duration::ZERO;
        self.pending = self.player.next();
        Some(step.event)
    }

    /// `wall` time has passed: the events now due, in order. Nothing while paused.
    pub fn advance(&mut self, wall: Duration) -> Vec<RecordingEvent> {
        if self.paused {
            return Vec::new();
        }
        self.play(wall.mul_f64(self.speed))
    }

    /// Play `budget` of recording time: the events it reaches, in order.
    fn play(&mut self, mut budget: Duration) -> Vec<RecordingEvent> {
        let mut out = Vec::new();
        while let Some(step) = &self.pending {
            let left = step.delay.saturating_sub(self.waited);
            if budget < left {
                self.waited += budget;
                self.position += budget;
                break;
            }
            budget -= left;
            if let Some(ev) = self.take_pending() {
                out.push(ev);
            }
        }
        out
    }

    /// Wall time until the next event is due; `None` while paused or finished (the loop
    /// then waits for a key only: no timer, no redraw).
    pub fn next_due(&self) -> Option<Duration> {
        if self.paused {
            return None;
        }
        let step = self.pending.as_ref()?;
        Some(step.delay.saturating_sub(self.waited).div_f64(self.speed))
    }

    /// Apply a key.
    pub fn key(&mut self, key: ReplayKey) -> Reaction {
        let mut fed = Vec::new();
        match key {
            ReplayKey::Quit => return Reaction::Quit,
            ReplayKey::TogglePause => self.paused = !self.paused,
            ReplayKey::Faster => self.speed = clamp_speed(self.speed * 2.0),
            ReplayKey::Slower => self.speed = clamp_speed(self.speed / 2.0),
            ReplayKey::Step if self.paused => fed.extend(self.take_pending()),
            ReplayKey::Step => {}
            ReplayKey::SeekForward => return self.seek(self.position.saturating_add(SEEK_STEP)),
            ReplayKey::SeekBack => return self.seek(self.position.saturating_sub(SEEK_STEP)),
            ReplayKey::SeekStart => return self.seek(Duration::ZERO),
            ReplayKey::SeekEnd => return self.seek(self.duration),
        }
        Reaction::Feed(fed)
    }

    /// Move to `target` (clamped to the recording), paused or not. Forward: the events on
    /// the way. Back: start over and replay up to `target`. Either way the screen ends
    /// exactly as playing from the start to `target` leaves it.
    pub fn seek(&mut self, target: Duration) -> Reaction {
        let target = target.min(self.duration);
        if target >= self.position {
            return Reaction::Feed(self.play(target - self.position));
        }
        self.player = self.start.clone();
        self.pending = self.player.next();
        self.waited = Duration::ZERO;
        self.position = Duration::ZERO;
        Reaction::Restart(self.play(target))
    }
}

/// The replayed screen: what the loop draws, changed only through [`Reaction`]s and events
/// (so tests drive the same code the player runs).
#[derive(Debug)]
pub struct ReplayScreen {
    screen: Screen,
    /// The size a fresh screen starts at.
    initial: (u16, u16),
    /// `--size`: the screen keeps it, the recording's resizes are ignored.
    fixed: bool,
}

impl ReplayScreen {
    /// A blank screen for `rec`, at `size` when given (and then fixed), else the
    /// recording's own first size.
    pub fn new(rec: &Recording, size: Option<(u16, u16)>) -> ReplayScreen {
        let initial = size.unwrap_or((rec.cols, rec.rows));
        ReplayScreen {
            screen: Screen::with_scrollback(initial.0, initial.1, 0),
            initial,
            fixed: size.is_some(),
        }
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// Feed one event.
    pub fn apply(&mut self, ev: &RecordingEvent) {
        match ev {
            RecordingEvent::Output(bytes) => {
                self.screen.process(bytes);
                // Nobody answers a recording's device queries.
                let _ = self.screen.take_replies();
            }
            RecordingEvent::Resize(c, r) if !self.fixed => self.screen.resize(*c, *r),
            RecordingEvent::Resize(..) => {}
        }
    }

    /// Carry out a reaction; `false` when it asks to quit.
    pub fn react(&mut self, reaction: &Reaction) -> bool {
        let events = match reaction {
            Reaction::Quit => return false,
            Reaction::Feed(events) => events,
            Reaction::Restart(events) => {
                self.screen = Screen::with_scrollback(self.initial.0, self.initial.1, 0);
                events
            }
        };
        for ev in events {
            self.apply(ev);
        }
        true
    }
}

/// `m:ss.t` (or `h:mm:ss` from an hour on), for the pane's border.
pub fn clock(d: Duration) -> String {
    let tenths = d.as_millis() / 100;
    let secs = tenths / 10;
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}.{}", secs / 60, secs % 60, tenths % 10)
    }
}

/// The speed as shown: `×2`, `×0.5`, `×0.0625`.
pub fn speed_label(speed: f64) -> String {
    let s = format!("{speed:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("×{s}")
}
