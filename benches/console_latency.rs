//! Console keystroke-to-redraw latency added by the app (budget: 1 ms p99).
//!
//! Drives the real UI loop (`run_loop` with a frame hook) on a
//! 160x45 `TestBackend` with a scripted key stream typed 20 ms apart (slower than any
//! human) into a console whose screen is already full of colored `ls -l`. A fake "echo
//! guest" answers every `Effect::ConsoleInput` with an `AppEvent::ConsoleOutput` of the same
//! bytes (Enter: a new line and the prompt). Reported:
//! - (a) key arrival -> its input handed to the effects channel (the loop's own figures),
//! - (b) guest output arrival -> end of the frame that shows it (the loop's own figures),
//! - end to end: key sent -> end of the frame whose cursor moved (the echo is on screen),
//!   minus the fake guest's own time (receive input -> send output),
//! - the peer: `Terminal::draw` of the same screen alone (after a one-byte echo), outside
//!   the loop, back to back and 20 ms apart (as the loop draws: cold caches), so the ratio
//!   shows how much of (b) is ratatui's drawing and how much ours.
//!
//! Plain harness: `cargo bench --bench console_latency` (KEYS=n to change the sample).

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use proximity::ui::runtime::{FrameEdge, FrameHook, RuntimeStats, run_loop};
use proximity::ui::{App, AppEvent, Effect, render, sample};
use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};
use ratatui::layout::Position;
use tokio::sync::mpsc;

const COLS: u16 = 160;
const ROWS: u16 = 45;
const GAP: Duration = Duration::from_millis(20);
const PROMPT: &str = "root@ct100:~# ";
const WARMUP: usize = 30;
/// Characters typed on one command line before Enter.
const LINE: usize = 60;

/// A colored `ls -l` long enough to fill the pane and push lines into the scrollback.
fn ls_screen() -> Vec<u8> {
    let names = [
        ("bin", "01;36"),
        ("backup.tar.gz", "01;31"),
        ("deploy.sh", "01;32"),
        ("etc", "01;34"),
        ("notes.txt", "0"),
        ("jellyfin", "01;34"),
    ];
    let mut out = format!("{PROMPT}ls -l --color /srv\r\ntotal 240\r\n").into_bytes();
    for i in 0..60u32 {
        let (name, color) = names[(i as usize) % names.len()];
        let dir = if color == "01;34" { 'd' } else { '-' };
        out.extend_from_slice(
            format!(
                "{dir}rwxr-xr-x {:>2} root root {:>8} Nov 29 16:{:02} \x1b[{color}m{name}_{i}\x1b[0m\r\n",
                1 + i % 7,
                4096 * (1 + i * 37 % 400),
                i % 60
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(PROMPT.as_bytes());
    out
}

/// The app at 160x45 with a live console on CT 100 (the loop's and the peer's).
fn console_app() -> (App, u64) {
    let now = SystemTime::now();
    let mut app = App::with_defaults(now);
    app.handle(AppEvent::Resize(COLS, ROWS));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(3, 40).into()),
        now,
    ));
    app.jump_to("lab", 100);
    let fx = app.handle(AppEvent::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::NONE,
    )));
    let Some(Effect::OpenConsole { session, .. }) = fx.first() else {
        panic!("the console did not open: {fx:?}");
    };
    let id = *session;
    app.handle(AppEvent::ConsoleOpened { session: id });
    (app, id)
}

/// The key typed at step `i`: letters shifted per line, Enter every `LINE` keys.
fn script(i: usize) -> KeyCode {
    if i % (LINE + 1) == LINE {
        KeyCode::Enter
    } else {
        let line = i / (LINE + 1);
        KeyCode::Char(char::from(b'a' + ((i + line) % 26) as u8))
    }
}

/// What the frame hook saw: the end of every frame whose cursor moved.
#[derive(Default)]
struct Probe {
    cursor: Option<Position>,
    moved_at: Vec<Instant>,
}

#[derive(Clone, Copy)]
struct Summary {
    n: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn summarize(mut v: Vec<Duration>) -> Summary {
    v.sort_unstable();
    let rank = |p: usize| {
        let i = (v.len() * p).div_ceil(100).max(1) - 1;
        v.get(i).copied().unwrap_or_default()
    };
    Summary {
        n: v.len(),
        p50: rank(50),
        p99: rank(99),
        max: v.last().copied().unwrap_or_default(),
    }
}

fn us(d: Duration) -> String {
    format!("{:>8.1} us", d.as_secs_f64() * 1e6)
}

fn line(label: &str, n: u64, p50: Duration, p99: Duration, max: Duration) {
    println!(
        "{label:<44} n={n:<5} p50 {}  p99 {}  max {}",
        us(p50),
        us(p99),
        us(max)
    );
}

async fn run_loop_bench(keys: usize) -> (Summary, Summary, Arc<RuntimeStats>) {
    let (term_tx, mut term_rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let term_events = futures_util::stream::poll_fn(move |cx| term_rx.poll_recv(cx));
    let (inbox_tx, inbox_rx) = mpsc::channel::<AppEvent>(1024);
    let (fx_tx, mut fx_rx) = mpsc::unbounded_channel::<Effect>();
    let (_sig_tx, sig_rx) = mpsc::unbounded_channel();
    let stats = Arc::new(RuntimeStats::default());
    let probe = Arc::new(Mutex::new(Probe::default()));
    let (app, id) = console_app();

    // The fake guest: echo every input (Enter: a new line and the prompt), timing itself.
    let guest_times = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let guest_log = guest_times.clone();
    let guest_inbox = inbox_tx.clone();
    let guest = tokio::spawn(async move {
        while let Some(fx) = fx_rx.recv().await {
            if let Effect::ConsoleInput { session, bytes } = fx {
                let t = Instant::now();
                let bytes = if bytes == b"\r" {
                    format!("\r\n{PROMPT}").into_bytes()
                } else {
                    bytes
                };
                if guest_inbox
                    .send(AppEvent::ConsoleOutput { session, bytes })
                    .await
                    .is_err()
                {
                    break;
                }
                if let Ok(mut g) = guest_log.lock() {
                    g.push(t.elapsed());
                }
            }
        }
    });

    let loop_stats = stats.clone();
    let hook_probe = probe.clone();
    let ui = tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(COLS, ROWS)).expect("backend");
        run_loop(
            &mut terminal,
            term_events,
            sig_rx,
            FrameHook(move |t: &mut Terminal<TestBackend>, edge| {
                if edge == FrameEdge::End {
                    let now = Instant::now();
                    let pos = t.backend_mut().get_cursor_position().ok();
                    if let Ok(mut p) = hook_probe.lock()
                        && pos != p.cursor
                    {
                        p.cursor = pos;
                        p.moved_at.push(now);
                    }
                }
                Ok(())
            }),
            app,
            inbox_rx,
            fx_tx,
            loop_stats,
        )
        .await
    });

    // Fill the screen, let it settle.
    inbox_tx
        .send(AppEvent::ConsoleOutput {
            session: id,
            bytes: ls_screen(),
        })
        .await
        .expect("fill");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let moves = || probe.lock().map(|p| p.moved_at.len()).unwrap_or(0);
    let mut sent_at = Vec::with_capacity(keys);
    let mut first_move = 0;
    for i in 0..WARMUP + keys {
        if i == WARMUP {
            stats.reset_latency();
            if let Ok(mut g) = guest_times.lock() {
                g.clear();
            }
            first_move = moves();
        }
        let before = moves();
        let t = Instant::now();
        term_tx
            .send(Ok(Event::Key(KeyEvent::new(script(i), KeyModifiers::NONE))))
            .expect("key");
        if i >= WARMUP {
            sent_at.push(t);
        }
        // Wait for the echo on screen (so no two keys share a frame), then the gap.
        let deadline = t + Duration::from_secs(2);
        while moves() == before && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        assert!(
            moves() > before,
            "key {i}: its echo never reached the screen"
        );
        tokio::time::sleep_until((t + GAP).into()).await;
    }
    drop(term_tx);
    let app = ui.await.expect("join").expect("loop");
    drop(app);
    drop(inbox_tx);
    guest.abort();

    let moved = probe.lock().map(|p| p.moved_at.clone()).unwrap_or_default();
    let guest = guest_times.lock().map(|g| g.clone()).unwrap_or_default();
    let shown = &moved[first_move..];
    assert_eq!(shown.len(), keys, "one cursor move per key");
    let e2e: Vec<Duration> = (0..keys)
        .map(|i| shown[i].duration_since(sent_at[i]))
        .collect();
    let ours: Vec<Duration> = e2e
        .iter()
        .zip(&guest)
        .map(|(e, g)| e.saturating_sub(*g))
        .collect();
    (summarize(e2e), summarize(ours), stats)
}

/// The peer: `Terminal::draw` of the same console screen alone, after a one-byte echo.
/// `spaced`: sleep `GAP` between draws as the loop does between keys (cold caches and
/// clocks, as in the loop); otherwise back to back (hot).
fn draw_alone(keys: usize, spaced: bool) -> (Summary, Summary) {
    let (mut app, id) = console_app();
    app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: ls_screen(),
    });
    let mut terminal = Terminal::new(TestBackend::new(COLS, ROWS)).expect("backend");
    terminal.draw(|f| render(&app, f)).expect("draw");
    let mut handle = Vec::with_capacity(keys);
    let mut draw = Vec::with_capacity(keys);
    for i in 0..WARMUP + keys {
        let bytes = match script(i) {
            KeyCode::Char(c) => vec![c as u8],
            _ => format!("\r\n{PROMPT}").into_bytes(),
        };
        let t = Instant::now();
        app.handle(AppEvent::ConsoleOutput { session: id, bytes });
        let h = t.elapsed();
        let t = Instant::now();
        terminal.draw(|f| render(&app, f)).expect("draw");
        let d = t.elapsed();
        if i >= WARMUP {
            handle.push(h);
            draw.push(d);
        }
        if spaced {
            std::thread::sleep(GAP);
        }
    }
    (summarize(handle), summarize(draw))
}

fn main() {
    let keys = std::env::var("KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (e2e, ours, stats) = runtime.block_on(run_loop_bench(keys));
    let (handle, draw) = draw_alone(keys, false);
    let (_, draw_spaced) = draw_alone(keys, true);
    let snap = stats.latency_snapshot();
    println!(
        "console latency, {COLS}x{ROWS} TestBackend, {keys} keys {} ms apart, full colored ls -l screen",
        GAP.as_millis()
    );
    let a = snap.key_to_input;
    let b = snap.output_to_frame;
    line("(a) key -> ConsoleInput sent", a.count, a.p50, a.p99, a.max);
    line(
        "(b) ConsoleOutput -> frame end",
        b.count,
        b.p50,
        b.p99,
        b.max,
    );
    let d = snap.output_draw;
    line(
        "    of which the frame's draw (in the loop)",
        d.count,
        d.p50,
        d.p99,
        d.max,
    );
    for (label, s) in [
        ("end to end: key -> echo frame drawn", e2e),
        ("end to end minus the fake guest's time", ours),
        ("peer: App::handle(echo) alone", handle),
        ("peer: Terminal::draw alone, back to back", draw),
        ("peer: Terminal::draw alone, 20 ms apart", draw_spaced),
    ] {
        line(label, s.n as u64, s.p50, s.p99, s.max);
    }
    let ratio = |x: Duration| x.as_secs_f64() / draw_spaced.p50.as_secs_f64().max(1e-9);
    println!(
        "ratio to the draw alone 20 ms apart (p50): (b) {:.2}x, end to end minus guest {:.2}x",
        ratio(b.p50),
        ratio(ours.p50)
    );
    println!(
        "budget 1 ms p99: end to end minus guest {}",
        if ours.p99 <= Duration::from_millis(1) {
            "MET"
        } else {
            "MISSED"
        }
    );
}
