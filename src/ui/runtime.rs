//! The UI loop: one inbox (workers' `AppEvent`s merged with the terminal's events), state
//! changed only here, effects sent out on a channel. Redraws happen only when something
//! changed, at most ~60 per second; timers run only while something animates or a toast or
//! stale age is due to change, so an idle rack sleeps (the redraw counter stays put).
//! On the real terminal each frame is bracketed in DEC mode 2026 (synchronized update) so a
//! slow link (ssh, mosh) never shows half a frame; terminals without it ignore the mode.

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

/// Minimum time between two frames (~60 fps).
pub const FRAME_MS: u64 = 16;

/// Counters the lead (and tests) read to prove idle means no redraws.
#[derive(Debug, Default)]
pub struct RuntimeStats {
    pub redraws: AtomicU64,
    pub events: AtomicU64,
}

impl RuntimeStats {
    pub fn redraws(&self) -> u64 {
        self.redraws.load(Ordering::Relaxed)
    }
    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("terminal: {0}")]
    Io(#[from] io::Error),
    #[error("drawing: {0}")]
    Backend(String),
}

/// Which side of a frame a `run_loop_framed` hook is called on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameEdge {
    Begin,
    End,
}

/// The real terminal's frame hook: `CSI ? 2026 h` before a frame, `CSI ? 2026 l` (and a
/// flush) after it, so the terminal paints the frame at once.
pub fn synchronized<W: Write>(out: &mut W, edge: FrameEdge) -> io::Result<()> {
    use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
    match edge {
        FrameEdge::Begin => crossterm::queue!(out, BeginSynchronizedUpdate),
        FrameEdge::End => crossterm::execute!(out, EndSynchronizedUpdate),
    }
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
    let result = run_loop_framed(
        &mut guard.terminal,
        EventStream::new(),
        sig_rx,
        super::terminal_guard::suspend,
        |t, edge| synchronized(t.backend_mut(), edge),
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

/// The loop itself, generic over the backend and the terminal event stream so tests drive
/// it on a `TestBackend` with scripted events. Frames are drawn plainly.
#[allow(clippy::too_many_arguments)]
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    term_events: S,
    suspend_signals: mpsc::UnboundedReceiver<()>,
    suspend: impl FnMut(&mut Terminal<B>) -> io::Result<()>,
    app: App,
    inbox: mpsc::Receiver<AppEvent>,
    effects: mpsc::UnboundedSender<Effect>,
    stats: Arc<RuntimeStats>,
) -> Result<App, UiError>
where
    B: Backend,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    run_loop_framed(
        terminal,
        term_events,
        suspend_signals,
        suspend,
        |_, _| Ok(()),
        app,
        inbox,
        effects,
        stats,
    )
    .await
}

/// `run_loop` with `frame` called before and after every frame (`synchronized` on the real
/// terminal).
#[allow(clippy::too_many_arguments)]
pub async fn run_loop_framed<B, S>(
    terminal: &mut Terminal<B>,
    mut term_events: S,
    mut suspend_signals: mpsc::UnboundedReceiver<()>,
    mut suspend: impl FnMut(&mut Terminal<B>) -> io::Result<()>,
    mut frame: impl FnMut(&mut Terminal<B>, FrameEdge) -> io::Result<()>,
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
    let mut dirty = true;
    let mut inbox_open = true;
    let mut signals_open = true;
    let mut last_draw = Instant::now() - Duration::from_millis(FRAME_MS);
    loop {
        if dirty && last_draw.elapsed() >= Duration::from_millis(FRAME_MS) {
            frame(terminal, FrameEdge::Begin)?;
            let drawn = terminal.draw(|f| super::render(&app, f)).map(drop);
            // End the update even when drawing failed: a terminal left mid-update holds
            // its screen until its own timeout.
            let ended = frame(terminal, FrameEdge::End);
            drawn.map_err(backend_err)?;
            ended?;
            stats.redraws.fetch_add(1, Ordering::Relaxed);
            last_draw = Instant::now();
            dirty = false;
        }
        // When to wake without an event: the frame cap if a draw is pending, else the app's
        // own next deadline, else never.
        let wake: Option<Instant> = if dirty {
            Some(last_draw + Duration::from_millis(FRAME_MS))
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
        tokio::select! {
            ev = term_events.next() => match ev {
                Some(Ok(ev)) => if let Some(ev) = from_terminal(ev) {
                    stats.events.fetch_add(1, Ordering::Relaxed);
                    app.now = SystemTime::now();
                    out.extend(app.handle(ev));
                    dirty = true;
                },
                Some(Err(e)) => return Err(e.into()),
                // stdin closed: nothing more can come from the user.
                None => return Ok(app),
            },
            ev = inbox.recv(), if inbox_open => match ev {
                Some(ev) => {
                    stats.events.fetch_add(1, Ordering::Relaxed);
                    app.now = SystemTime::now();
                    out.extend(app.handle(ev));
                    // Drain what else is queued so a burst costs one frame.
                    while let Ok(ev) = inbox.try_recv() {
                        stats.events.fetch_add(1, Ordering::Relaxed);
                        out.extend(app.handle(ev));
                    }
                    dirty = true;
                }
                None => inbox_open = false,
            },
            sig = suspend_signals.recv(), if signals_open => match sig {
                Some(()) => out.push(Effect::Suspend),
                None => signals_open = false,
            },
            _ = sleep => {
                if !dirty {
                    app.handle(AppEvent::Tick(SystemTime::now()));
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
                    suspend(terminal)?;
                    dirty = true;
                }
                other => {
                    // A closed effect channel means the runtime is shutting down; the UI
                    // keeps drawing until the user quits.
                    let _ = effects.send(other);
                }
            }
        }
    }
}
