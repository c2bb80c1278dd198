//! The UI loop: one inbox (workers' `AppEvent`s merged with the terminal's events), state
//! changed only here, effects sent out on a channel. Redraws happen only when something
//! changed, at most ~60 per second (plus the user's keys); timers run only while something
//! animates or a toast or stale age is due to change, so an idle rack sleeps (the redraw
//! counter stays put).
//! On the real terminal each frame is bracketed in DEC mode 2026 (synchronized update) so a
//! slow link (ssh, mosh) never shows half a frame; terminals without it ignore the mode.
//!
//! The frame cap has two clocks so a console stays snappy: a key gets its frame at once
//! (one such frame per `FRAME_MS`), and everything else (guest output, refreshes, ticks) is
//! held to ~60 fps on its own clock. With a single clock the frame drawn for a typed key
//! would hold back the guest's echo, arriving a few hundred microseconds later, by a whole
//! frame. For the same reason a key sent to a console guest is not drawn on its own: its
//! frame waits (up to `FRAME_MS`) for the echo. The loop also measures the latency it adds
//! to a console (`RuntimeStats::latency_snapshot`).
//!
//! Some effects act on the user's terminal itself (Ctrl-Z, the OSC 52 clipboard write):
//! the loop performs those between frames, through the same writer, so their bytes never
//! land inside a frame.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crossterm::event::{Event, EventStream};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;

use super::action::{AppEvent, Effect};
use super::app::App;
use super::terminal_guard::TerminalGuard;
use crate::term::CursorStyle;

/// Minimum time between two frames (~60 fps).
pub const FRAME_MS: u64 = 16;

/// Latency samples kept per measured part (the most recent ones; older ones are overwritten).
const LATENCY_RING: usize = 4096;

/// Counters the lead (and tests) read to prove idle means no redraws, plus the console
/// latency the loop adds (see `latency_snapshot`).
#[derive(Debug, Default)]
pub struct RuntimeStats {
    pub redraws: AtomicU64,
    pub events: AtomicU64,
    /// Terminal key arrival -> its `Effect::ConsoleInput` handed to the effects channel.
    key_to_input: LatencyRing,
    /// `AppEvent::ConsoleOutput` arrival -> end of the frame that shows it.
    output_to_frame: LatencyRing,
    /// The drawing inside those frames (hooks included): the part of (b) that is ratatui's.
    output_draw: LatencyRing,
}

impl RuntimeStats {
    pub fn redraws(&self) -> u64 {
        self.redraws.load(Ordering::Relaxed)
    }
    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }
    /// Percentiles of the console latency added by the loop, over the last 4096 samples of
    /// each part (`count` and `max` cover every sample since the last reset).
    pub fn latency_snapshot(&self) -> LatencySnapshot {
        LatencySnapshot {
            key_to_input: self.key_to_input.summary(),
            output_to_frame: self.output_to_frame.summary(),
            output_draw: self.output_draw.summary(),
        }
    }
    /// Forget the latency samples (between benchmark phases). Meant for a quiet loop: a
    /// sample recorded at the same moment may survive the reset.
    pub fn reset_latency(&self) {
        self.key_to_input.reset();
        self.output_to_frame.reset();
        self.output_draw.reset();
    }
}

/// The two parts of the keystroke-to-redraw latency the app adds (the guest's round trip
/// is not ours and sits between them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencySnapshot {
    /// (a) a key typed into a console -> its bytes handed to the console worker.
    pub key_to_input: LatencySummary,
    /// (b) guest output received -> the frame showing it drawn (and flushed). One sample
    /// per frame that shows console output, timed from the oldest output it shows.
    pub output_to_frame: LatencySummary,
    /// The frame drawing within (b) (begin hook to end hook), to tell ours from ratatui's.
    pub output_draw: LatencySummary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencySummary {
    pub count: u64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// A preallocated ring of nanosecond samples. One writer (the loop) and any number of
/// readers: recording is three relaxed atomic operations, never a lock or an allocation.
struct LatencyRing {
    samples: Box<[AtomicU64]>,
    count: AtomicU64,
    max: AtomicU64,
}

impl Default for LatencyRing {
    fn default() -> Self {
        LatencyRing {
            samples: (0..LATENCY_RING).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }
}

impl std::fmt::Debug for LatencyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatencyRing")
            .field("count", &self.count.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl LatencyRing {
    fn record(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        // Only the loop writes, so load-then-store cannot lose a count.
        let n = self.count.load(Ordering::Relaxed);
        let slot = (n % LATENCY_RING as u64) as usize;
        if let Some(s) = self.samples.get(slot) {
            s.store(ns, Ordering::Relaxed);
        }
        self.max.fetch_max(ns, Ordering::Relaxed);
        self.count.store(n + 1, Ordering::Release);
    }

    fn reset(&self) {
        self.count.store(0, Ordering::Release);
        self.max.store(0, Ordering::Relaxed);
    }

    fn summary(&self) -> LatencySummary {
        let count = self.count.load(Ordering::Acquire);
        let kept = count.min(LATENCY_RING as u64) as usize;
        let mut v: Vec<u64> = self.samples[..kept]
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .collect();
        v.sort_unstable();
        // Nearest rank: the smallest sample with at least p% of the samples at or below it.
        let rank = |p: usize| -> Duration {
            let i = (kept * p).div_ceil(100).max(1) - 1;
            Duration::from_nanos(v.get(i).copied().unwrap_or(0))
        };
        LatencySummary {
            count,
            p50: rank(50),
            p99: rank(99),
            max: Duration::from_nanos(self.max.load(Ordering::Relaxed)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("terminal: {0}")]
    Io(#[from] io::Error),
    #[error("drawing: {0}")]
    Backend(String),
}

/// What a frame hook ([`TerminalHooks::frame`]) is called for: the two sides of a frame,
/// and between them, when it changes, the cursor shape the frame wants (a console guest's
/// DECSCUSR; the user's default everywhere else). ratatui sets the cursor's place, not its
/// shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameEdge {
    Begin,
    CursorStyle(CursorStyle),
    End,
}

/// The real terminal's frame hook: `CSI ? 2026 h` before a frame, `CSI ? 2026 l` (and a
/// flush) after it, so the terminal paints the frame at once; DECSCUSR for a new cursor
/// shape.
pub fn synchronized<W: Write>(out: &mut W, edge: FrameEdge) -> io::Result<()> {
    use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
    match edge {
        FrameEdge::Begin => crossterm::queue!(out, BeginSynchronizedUpdate),
        FrameEdge::CursorStyle(style) => crossterm::queue!(out, set_cursor_style(style)),
        FrameEdge::End => crossterm::execute!(out, EndSynchronizedUpdate),
    }
}

fn set_cursor_style(style: CursorStyle) -> crossterm::cursor::SetCursorStyle {
    use crossterm::cursor::SetCursorStyle as S;
    match style {
        CursorStyle::Default => S::DefaultUserShape,
        CursorStyle::BlinkBlock => S::BlinkingBlock,
        CursorStyle::SteadyBlock => S::SteadyBlock,
        CursorStyle::BlinkUnderline => S::BlinkingUnderScore,
        CursorStyle::SteadyUnderline => S::SteadyUnderScore,
        CursorStyle::BlinkVerticalBar => S::BlinkingBar,
        CursorStyle::SteadyVerticalBar => S::SteadyBar,
    }
}

/// The real terminal's passthrough hook: bytes for the user's terminal itself (the OSC 52
/// clipboard sequence), written between frames and flushed at once.
pub fn passthrough<W: Write>(out: &mut W, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}

/// Translate a terminal event; `None` for what the UI ignores (focus changes).
fn from_terminal(ev: Event) -> Option<AppEvent> {
    match ev {
        Event::Key(k) => Some(AppEvent::Key(k)),
        Event::Mouse(m) => Some(AppEvent::Mouse(m)),
        Event::Paste(s) => Some(AppEvent::Paste(s)),
        Event::Resize(w, h) => Some(AppEvent::Resize(w, h)),
        _ => None,
    }
}

/// Run the UI on the real terminal until the user quits (returns the final `App`).
/// Workers send into `inbox`; the runtime reads `effects` (unbounded: the UI never waits).
pub async fn run(
    guard: &mut TerminalGuard,
    app: App,
    inbox: mpsc::Receiver<AppEvent>,
    effects: mpsc::UnboundedSender<Effect>,
    stats: Arc<RuntimeStats>,
) -> Result<App, UiError> {
    // SIGTSTP from outside (`kill -TSTP`) suspends like Ctrl-Z; in raw mode the terminal
    // itself never sends it.
    #[cfg(unix)]
    let mut tstp =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGTSTP))?;
    #[cfg(unix)]
    let (sig_tx, sig_rx) = mpsc::unbounded_channel::<()>();
    #[cfg(unix)]
    let forward = tokio::spawn(async move {
        while tstp.recv().await.is_some() {
            if sig_tx.send(()).is_err() {
                break;
            }
        }
    });
    #[cfg(not(unix))]
    let (_sig_tx, sig_rx) = mpsc::unbounded_channel::<()>();
    let result = run_loop(
        &mut guard.terminal,
        EventStream::new(),
        sig_rx,
        RealTerminal,
        app,
        inbox,
        effects,
        stats,
    )
    .await;
    #[cfg(unix)]
    forward.abort();
    result
}

/// What the loop asks of the terminal besides drawing. Every method does nothing by
/// default, so a test implements only what it watches ([`Plain`]: nothing at all).
pub trait TerminalHooks<B: Backend> {
    /// Ctrl-Z: give the terminal back to the shell until the process is resumed.
    fn suspend(&mut self, _terminal: &mut Terminal<B>) -> io::Result<()> {
        Ok(())
    }

    /// Called on each side of every frame, and between them when the cursor shape changes
    /// (`synchronized` on the real terminal).
    fn frame(&mut self, _terminal: &mut Terminal<B>, _edge: FrameEdge) -> io::Result<()> {
        Ok(())
    }

    /// Bytes for the user's terminal itself, between frames: `Effect::CopyToClipboard` as
    /// OSC 52 (`passthrough` on the real terminal).
    fn passthrough(&mut self, _terminal: &mut Terminal<B>, _bytes: &[u8]) -> io::Result<()> {
        Ok(())
    }
}

/// No hooks: frames drawn plainly, suspend and clipboard writes ignored.
pub struct Plain;

impl<B: Backend> TerminalHooks<B> for Plain {}

/// A frame hook alone, from a closure (what most tests watch).
pub struct FrameHook<F>(pub F);

impl<B, F> TerminalHooks<B> for FrameHook<F>
where
    B: Backend,
    F: FnMut(&mut Terminal<B>, FrameEdge) -> io::Result<()>,
{
    fn frame(&mut self, terminal: &mut Terminal<B>, edge: FrameEdge) -> io::Result<()> {
        (self.0)(terminal, edge)
    }
}

/// The user's terminal: synchronized frames, Ctrl-Z through the terminal guard, clipboard
/// writes as they are.
struct RealTerminal;

impl TerminalHooks<super::terminal_guard::Backend> for RealTerminal {
    fn suspend(&mut self, terminal: &mut super::terminal_guard::Tui) -> io::Result<()> {
        super::terminal_guard::suspend(terminal)
    }

    fn frame(
        &mut self,
        terminal: &mut super::terminal_guard::Tui,
        edge: FrameEdge,
    ) -> io::Result<()> {
        synchronized(terminal.backend_mut(), edge)
    }

    fn passthrough(
        &mut self,
        terminal: &mut super::terminal_guard::Tui,
        bytes: &[u8],
    ) -> io::Result<()> {
        passthrough(terminal.backend_mut(), bytes)
    }
}

/// The loop itself, generic over the backend, the terminal event stream and the hooks, so
/// tests drive it on a `TestBackend` with scripted events.
#[allow(clippy::too_many_arguments)]
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    mut term_events: S,
    mut suspend_signals: mpsc::UnboundedReceiver<()>,
    mut hooks: impl TerminalHooks<B>,
    mut app: App,
    mut inbox: mpsc::Receiver<AppEvent>,
    effects: mpsc::UnboundedSender<Effect>,
    stats: Arc<RuntimeStats>,
) -> Result<App, UiError>
where
    B: Backend,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let backend_err = |e: B::Error| UiError::Backend(e.to_string());
    let size = terminal.size().map_err(backend_err)?;
    app.handle(AppEvent::Resize(size.width, size.height));
    app.handle(AppEvent::Tick(SystemTime::now()));
    let frame_gap = Duration::from_millis(FRAME_MS);
    let mut dirty = true;
    // The pending change came from the user (a key, a paste, a resume): draw it on the
    // input clock if that clock allows, so the guest's echo still finds the other free.
    let mut urgent = false;
    let mut inbox_open = true;
    let mut signals_open = true;
    // Both clocks start due, so the first frame is drawn at once.
    let long_ago = Instant::now()
        .checked_sub(frame_gap)
        .unwrap_or_else(Instant::now);
    let mut last_draw = long_ago;
    let mut last_input_draw = long_ago;
    // The oldest console output not yet on screen (for `output_to_frame`).
    let mut output_since: Option<Instant> = None;
    // A key just went to the guest: its frame would show nothing new (at most the view
    // snapping back from the history), and drawing it would make the echo, due within a
    // round trip, wait behind it. So the frame waits for the echo, or this deadline.
    let mut echo_hold: Option<Instant> = None;
    // The user's terminal starts with its own cursor shape.
    let mut cursor_style = CursorStyle::Default;
    loop {
        let input_due = urgent && last_input_draw.elapsed() >= frame_gap;
        let other_due = last_draw.elapsed() >= frame_gap;
        let held = echo_hold.is_some_and(|h| Instant::now() < h);
        if dirty && (input_due || other_due) && !held {
            let begin = Instant::now();
            hooks.frame(terminal, FrameEdge::Begin)?;
            let drawn = terminal.draw(|f| super::render(&app, f)).map(drop);
            let want = app.cursor_style();
            let styled = if drawn.is_ok() && want != cursor_style {
                cursor_style = want;
                hooks.frame(terminal, FrameEdge::CursorStyle(want))
            } else {
                Ok(())
            };
            // End the update even when drawing failed: a terminal left mid-update holds
            // its screen until its own timeout.
            let ended = hooks.frame(terminal, FrameEdge::End);
            drawn.map_err(backend_err)?;
            styled?;
            ended?;
            let now = Instant::now();
            if let Some(t) = output_since.take() {
                stats.output_to_frame.record(now.duration_since(t));
                stats.output_draw.record(now.duration_since(begin));
            }
            stats.redraws.fetch_add(1, Ordering::Relaxed);
            if input_due {
                last_input_draw = now;
            } else {
                last_draw = now;
            }
            dirty = false;
            urgent = false;
            echo_hold = None;
        }
        // When to wake without an event: the frame cap if a draw is pending, else the app's
        // own next deadline, else never.
        let wake: Option<Instant> = if dirty {
            let other = last_draw + frame_gap;
            let due = if urgent {
                other.min(last_input_draw + frame_gap)
            } else {
                other
            };
            Some(echo_hold.map_or(due, |h| due.max(h)))
        } else {
            app.next_deadline().map(|t| {
                let d = t
                    .duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO);
                Instant::now() + d
            })
        };
        let sleep = async {
            match wake {
                Some(w) => tokio::time::sleep_until(w.into()).await,
                None => std::future::pending::<()>().await,
            }
        };
        let mut out: Vec<Effect> = Vec::new();
        // When the key being handled arrived (for `key_to_input`).
        let mut key_at: Option<Instant> = None;
        let mut from_user = false;
        tokio::select! {
            ev = term_events.next() => match ev {
                Some(Ok(ev)) => if let Some(ev) = from_terminal(ev) {
                    stats.events.fetch_add(1, Ordering::Relaxed);
                    let user = matches!(ev, AppEvent::Key(_) | AppEvent::Paste(_));
                    if matches!(ev, AppEvent::Key(_)) {
                        key_at = Some(Instant::now());
                    }
                    app.now = SystemTime::now();
                    out.extend(app.handle(ev));
                    dirty = true;
                    urgent |= user;
                    from_user = user;
                },
                Some(Err(e)) => return Err(e.into()),
                // stdin closed: nothing more can come from the user.
                None => return Ok(app),
            },
            ev = inbox.recv(), if inbox_open => match ev {
                Some(ev) => {
                    stats.events.fetch_add(1, Ordering::Relaxed);
                    note_output(&ev, &mut output_since);
                    app.now = SystemTime::now();
                    out.extend(app.handle(ev));
                    // Drain what else is queued so a burst costs one frame.
                    while let Ok(ev) = inbox.try_recv() {
                        stats.events.fetch_add(1, Ordering::Relaxed);
                        note_output(&ev, &mut output_since);
                        out.extend(app.handle(ev));
                    }
                    dirty = true;
                    if output_since.is_some() {
                        echo_hold = None;
                    }
                }
                None => inbox_open = false,
            },
            sig = suspend_signals.recv(), if signals_open => match sig {
                Some(()) => out.push(Effect::Suspend),
                None => signals_open = false,
            },
            _ = sleep => {
                if !dirty {
                    // A tick may ask for work (the open tasks view's periodic refresh).
                    out.extend(app.handle(AppEvent::Tick(SystemTime::now())));
                    dirty = true;
                }
            },
        }
        for effect in out {
            match effect {
                Effect::Quit => {
                    let _ = effects.send(Effect::Quit);
                    return Ok(app);
                }
                Effect::Suspend => {
                    hooks.suspend(terminal)?;
                    // Suspending gave the user's terminal its own cursor shape back.
                    cursor_style = CursorStyle::Default;
                    dirty = true;
                    urgent = true;
                }
                // Asked for outside a layer (a layer's ask is met in `App::carry_out`).
                Effect::OpenDeployWizard(spec) => {
                    app.open_deploy_wizard(*spec);
                    dirty = true;
                }
                Effect::CopyToClipboard(text) => {
                    // A terminal that cannot take the write cannot draw either; the next
                    // frame reports that. A failed copy alone must not end the loop.
                    if let Err(e) = hooks.passthrough(terminal, &crate::term::osc52_copy(&text)) {
                        tracing::warn!("clipboard write: {e}");
                    }
                }
                other => {
                    let typed = matches!(other, Effect::ConsoleInput { .. });
                    // A closed effect channel means the runtime is shutting down; the UI
                    // keeps drawing until the user quits.
                    let _ = effects.send(other);
                    // One sample per key, at its first input (a key never makes two).
                    if let (true, Some(t)) = (typed, key_at) {
                        stats.key_to_input.record(t.elapsed());
                        key_at = None;
                    }
                    if typed && from_user {
                        echo_hold = Some(Instant::now() + frame_gap);
                    }
                }
            }
        }
    }
}

/// Note when console output arrives, keeping the oldest one not yet drawn.
fn note_output(ev: &AppEvent, since: &mut Option<Instant>) {
    if matches!(ev, AppEvent::ConsoleOutput { .. }) && since.is_none() {
        *since = Some(Instant::now());
    }
}
