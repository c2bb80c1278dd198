//! The UI loop on a TestBackend with scripted terminal events: idle means no redraws,
//! bursts cost one frame, keys become effects, `q` ends the loop, every frame is bracketed
//! by the frame hook (synchronized update on the real terminal), and a copy reaches the
//! terminal as OSC 52 between frames; an open tasks view refreshes on the loop's timer.

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use proximity::ui::runtime::{
    FrameEdge, FrameHook, Plain, RuntimeStats, TerminalHooks, passthrough, run_loop, synchronized,
};
use proximity::ui::{App, AppEvent, Effect, sample};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

fn key(c: char) -> io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

#[tokio::test]
async fn idle_sleeps_bursts_batch_and_keys_become_effects() {
    let (term_tx, mut term_rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let term_events = futures_util::stream::poll_fn(move |cx| term_rx.poll_recv(cx));
    let (inbox_tx, inbox_rx) = mpsc::channel(1024);
    let (fx_tx, mut fx_rx) = mpsc::unbounded_channel();
    let (_sig_tx, sig_rx) = mpsc::unbounded_channel();
    let stats = Arc::new(RuntimeStats::default());
    let mut quiet = sample::resources(3, 60);
    for r in &mut quiet {
        r.extra = None;
    }
    let now = SystemTime::now();
    inbox_tx
        .send(AppEvent::Inventory(
            "lab".into(),
            Ok(quiet.clone().into()),
            now,
        ))
        .await
        .expect("send");

    let loop_stats = stats.clone();
    let handle = tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("backend");
        run_loop(
            &mut terminal,
            term_events,
            sig_rx,
            Plain,
            App::with_defaults(now),
            inbox_rx,
            fx_tx,
            loop_stats,
        )
        .await
    });

    tokio::time::sleep(Duration::from_millis(300)).await;
    let settled = stats.redraws();
    assert!((1..=3).contains(&settled), "initial frames: {settled}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stats.redraws(), settled, "idle: no redraws at all");

    // A burst of 200 refreshes is drained in one go and drawn once or twice.
    for _ in 0..200 {
        inbox_tx
            .send(AppEvent::Inventory(
                "lab".into(),
                Ok(quiet.clone().into()),
                now,
            ))
            .await
            .expect("send");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after_burst = stats.redraws();
    assert!(
        after_burst - settled <= 3,
        "burst cost {} frames",
        after_burst - settled
    );
    assert!(stats.events() >= 201);

    term_tx.send(key('s')).expect("key");
    let fx = tokio::time::timeout(Duration::from_secs(2), fx_rx.recv())
        .await
        .expect("effect in time");
    assert!(matches!(fx, Some(Effect::Power { .. })), "{fx:?}");

    term_tx.send(key('q')).expect("key");
    let app = tokio::time::timeout(Duration::from_secs(2), handle)
        .await
        .expect("loop ends")
        .expect("join")
        .expect("ok");
    assert_eq!(fx_rx.recv().await, Some(Effect::Quit));
    assert_eq!(app.counts.guests, 60);
}

#[tokio::test]
async fn a_pulsing_slot_ticks_and_stops_when_work_ends() {
    let (_term_tx, mut term_rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let term_events = futures_util::stream::poll_fn(move |cx| term_rx.poll_recv(cx));
    let (inbox_tx, inbox_rx) = mpsc::channel(16);
    let (fx_tx, _fx_rx) = mpsc::unbounded_channel();
    let (_sig_tx, sig_rx) = mpsc::unbounded_channel();
    let stats = Arc::new(RuntimeStats::default());
    let mut quiet = sample::resources(1, 5);
    for r in &mut quiet {
        r.extra = None;
    }
    let now = SystemTime::now();
    inbox_tx
        .send(AppEvent::Inventory("lab".into(), Ok(quiet.into()), now))
        .await
        .expect("send");
    inbox_tx
        .send(AppEvent::TaskProgress {
            host: "lab".into(),
            vmid: 101,
            upid: "U".into(),
            label: "start".into(),
            fraction: None,
        })
        .await
        .expect("send");
    let loop_stats = stats.clone();
    tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("backend");
        run_loop(
            &mut terminal,
            term_events,
            sig_rx,
            Plain,
            App::with_defaults(now),
            inbox_rx,
            fx_tx,
            loop_stats,
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let animating = stats.redraws();
    assert!(
        animating >= 3,
        "a running task animates: {animating} frames in 1.1 s"
    );
    inbox_tx
        .send(AppEvent::TaskDone {
            host: "lab".into(),
            vmid: 101,
            upid: "U".into(),
            ok: true,
            message: "ok".into(),
        })
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let done = stats.redraws();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        stats.redraws(),
        done,
        "no animation once the task is done (the toast waits for its deadline)"
    );
}

#[test]
fn synchronized_update_is_dec_mode_2026() {
    let mut out: Vec<u8> = Vec::new();
    synchronized(&mut out, FrameEdge::Begin).expect("begin");
    assert_eq!(out, b"\x1b[?2026h");
    synchronized(&mut out, FrameEdge::End).expect("end");
    assert_eq!(out, b"\x1b[?2026h\x1b[?2026l");
}

#[tokio::test]
async fn every_frame_is_bracketed_by_the_hook() {
    let (term_tx, mut term_rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let term_events = futures_util::stream::poll_fn(move |cx| term_rx.poll_recv(cx));
    let (inbox_tx, inbox_rx) = mpsc::channel(16);
    let (fx_tx, _fx_rx) = mpsc::unbounded_channel();
    let (_sig_tx, sig_rx) = mpsc::unbounded_channel();
    let stats = Arc::new(RuntimeStats::default());
    let now = SystemTime::now();
    let edges = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = edges.clone();
    let loop_stats = stats.clone();
    let handle = tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("backend");
        run_loop(
            &mut terminal,
            term_events,
            sig_rx,
            FrameHook(move |_: &mut Terminal<TestBackend>, edge| {
                seen.lock().expect("lock").push(edge);
                Ok(())
            }),
            App::with_defaults(now),
            inbox_rx,
            fx_tx,
            loop_stats,
        )
        .await
    });
    inbox_tx
        .send(AppEvent::Inventory(
            "lab".into(),
            Ok(sample::resources(1, 5).into()),
            now,
        ))
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(100)).await;
    term_tx.send(key('j')).expect("key");
    tokio::time::sleep(Duration::from_millis(100)).await;
    term_tx.send(key('q')).expect("key");
    tokio::time::timeout(Duration::from_secs(2), handle)
        .await
        .expect("loop ends")
        .expect("join")
        .expect("ok");
    let edges = edges.lock().expect("lock").clone();
    let frames = usize::try_from(stats.redraws()).expect("count");
    assert!(frames >= 2, "{frames} frames");
    assert_eq!(edges.len(), 2 * frames, "{edges:?}");
    for pair in edges.chunks(2) {
        assert_eq!(pair, [FrameEdge::Begin, FrameEdge::End]);
    }
}

#[test]
fn the_clipboard_passthrough_writes_exactly_osc_52() {
    let mut out: Vec<u8> = Vec::new();
    passthrough(&mut out, &proximity::term::osc52_copy("héllo\nworld")).expect("write");
    // base64 of the UTF-8 text, `c` (clipboard) selection, BEL-terminated.
    assert_eq!(out, b"\x1b]52;c;aMOpbGxvCndvcmxk\x07");
}

/// What the terminal saw, in order: frame edges and passthrough writes.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Edge(FrameEdge),
    Raw(Vec<u8>),
}

/// Hooks that write down every frame edge and passthrough write, in order.
struct Recorder(Arc<std::sync::Mutex<Vec<Seen>>>);

impl TerminalHooks<TestBackend> for Recorder {
    fn frame(&mut self, _: &mut Terminal<TestBackend>, edge: FrameEdge) -> io::Result<()> {
        self.0.lock().expect("lock").push(Seen::Edge(edge));
        Ok(())
    }

    fn passthrough(&mut self, _: &mut Terminal<TestBackend>, bytes: &[u8]) -> io::Result<()> {
        self.0.lock().expect("lock").push(Seen::Raw(bytes.to_vec()));
        Ok(())
    }
}

#[tokio::test]
async fn a_mouse_copy_reaches_the_terminal_between_frames_and_not_the_executor() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let (term_tx, mut term_rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let term_events = futures_util::stream::poll_fn(move |cx| term_rx.poll_recv(cx));
    let (_inbox_tx, inbox_rx) = mpsc::channel(16);
    let (fx_tx, mut fx_rx) = mpsc::unbounded_channel();
    let (_sig_tx, sig_rx) = mpsc::unbounded_channel();
    let stats = Arc::new(RuntimeStats::default());
    let now = SystemTime::now();
    // A console with one guest line, set up before the loop starts (same size: no resize).
    let mut app = App::with_defaults(now);
    app.handle(AppEvent::Resize(80, 24));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(1, 5).into()),
        now,
    ));
    app.jump_to("lab", 100);
    app.handle(AppEvent::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::NONE,
    )));
    app.handle(AppEvent::ConsoleOpened { session: 1 });
    app.handle(AppEvent::ConsoleOutput {
        session: 1,
        bytes: b"hello world\r\n".to_vec(),
    });
    // Press on `w` (pane row 1, column 6: screen 7, 3) and drag to the end of `world`.
    for (kind, column) in [
        (MouseEventKind::Down(MouseButton::Left), 7),
        (MouseEventKind::Drag(MouseButton::Left), 11),
        (MouseEventKind::Up(MouseButton::Left), 11),
    ] {
        let ev = MouseEvent {
            kind,
            column,
            row: 3,
            modifiers: KeyModifiers::NONE,
        };
        term_tx.send(Ok(Event::Mouse(ev))).expect("mouse");
    }
    // The end of the terminal's events ends the loop once they are handled.
    drop(term_tx);
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = seen.clone();
    let handle = tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("backend");
        run_loop(
            &mut terminal,
            term_events,
            sig_rx,
            Recorder(recorded),
            app,
            inbox_rx,
            fx_tx,
            stats,
        )
        .await
    });
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .expect("loop ends")
        .expect("join")
        .expect("ok");
    let seen = seen.lock().expect("lock").clone();
    let raw: Vec<usize> = (0..seen.len())
        .filter(|i| matches!(seen[*i], Seen::Raw(_)))
        .collect();
    assert_eq!(raw.len(), 1, "{seen:?}");
    assert_eq!(seen[raw[0]], Seen::Raw(b"\x1b]52;c;d29ybGQ=\x07".to_vec()));
    // Outside any frame: the last edge before it closed a frame.
    let before = seen[..raw[0]]
        .iter()
        .rev()
        .find(|s| matches!(s, Seen::Edge(_)));
    assert!(
        matches!(before, None | Some(Seen::Edge(FrameEdge::End))),
        "{seen:?}"
    );
    // The loop performed it; the executor never sees it.
    while let Ok(fx) = fx_rx.try_recv() {
        assert!(!matches!(fx, Effect::CopyToClipboard(_)), "{fx:?}");
    }
}

#[test]
fn cursor_shape_is_decscusr() {
    use proximity::term::CursorStyle;
    let mut out: Vec<u8> = Vec::new();
    synchronized(
        &mut out,
        FrameEdge::CursorStyle(CursorStyle::SteadyVerticalBar),
    )
    .expect("bar");
    assert_eq!(out, b"\x1b[6 q");
    out.clear();
    synchronized(&mut out, FrameEdge::CursorStyle(CursorStyle::Default)).expect("default");
    assert_eq!(out, b"\x1b[0 q");
}

/// A console guest's cursor shape reaches the user's terminal inside the frame that shows
/// the console, once; leaving the console gives the user's default shape back.
#[tokio::test]
async fn the_guests_cursor_shape_follows_the_console_pane() {
    use proximity::term::CursorStyle;
    let (term_tx, mut term_rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let term_events = futures_util::stream::poll_fn(move |cx| term_rx.poll_recv(cx));
    let (inbox_tx, inbox_rx) = mpsc::channel(16);
    let (fx_tx, mut fx_rx) = mpsc::unbounded_channel();
    let (_sig_tx, sig_rx) = mpsc::unbounded_channel();
    let stats = Arc::new(RuntimeStats::default());
    let now = SystemTime::now();
    let edges = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = edges.clone();
    let mut app = App::with_defaults(now);
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(1, 5).into()),
        now,
    ));
    app.jump_to("lab", 100);
    let handle = tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("backend");
        run_loop(
            &mut terminal,
            term_events,
            sig_rx,
            FrameHook(move |_: &mut Terminal<TestBackend>, edge| {
                seen.lock().expect("lock").push(edge);
                Ok(())
            }),
            app,
            inbox_rx,
            fx_tx,
            stats,
        )
        .await
    });
    let pause = || tokio::time::sleep(Duration::from_millis(100));
    term_tx.send(key('c')).expect("key");
    let session = loop {
        let fx = tokio::time::timeout(Duration::from_secs(2), fx_rx.recv())
            .await
            .expect("an effect")
            .expect("open channel");
        if let Effect::OpenConsole { session, .. } = fx {
            break session;
        }
    };
    inbox_tx
        .send(AppEvent::ConsoleOpened { session })
        .await
        .expect("send");
    inbox_tx
        .send(AppEvent::ConsoleOutput {
            session,
            bytes: b"\x1b[6 q$ ".to_vec(),
        })
        .await
        .expect("send");
    pause().await;
    // More output with the same shape: no second DECSCUSR.
    inbox_tx
        .send(AppEvent::ConsoleOutput {
            session,
            bytes: b"ls\r\n".to_vec(),
        })
        .await
        .expect("send");
    pause().await;
    term_tx
        .send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Char(']'),
            KeyModifiers::CONTROL,
        ))))
        .expect("key");
    term_tx.send(key('d')).expect("key");
    pause().await;
    term_tx.send(key('q')).expect("key");
    tokio::time::timeout(Duration::from_secs(2), handle)
        .await
        .expect("loop ends")
        .expect("join")
        .expect("ok");
    let edges = edges.lock().expect("lock").clone();
    let styles: Vec<CursorStyle> = edges
        .iter()
        .filter_map(|e| match e {
            FrameEdge::CursorStyle(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert_eq!(
        styles,
        [CursorStyle::SteadyVerticalBar, CursorStyle::Default],
        "{edges:?}"
    );
    // Each shape is sent inside a frame: after a Begin, before its End.
    for (i, e) in edges.iter().enumerate() {
        if matches!(e, FrameEdge::CursorStyle(_)) {
            assert_eq!(edges[i - 1], FrameEdge::Begin, "{edges:?}");
            assert_eq!(edges[i + 1], FrameEdge::End, "{edges:?}");
        }
    }
}

/// The tasks view open: `g t` asks for Proxmox's tasks at once, and the loop's timer ticks
/// the view into asking again every few seconds (a tick's effects reach the runtime).
#[tokio::test]
async fn the_open_tasks_view_refreshes_on_the_loop_timer() {
    let (term_tx, mut term_rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let term_events = futures_util::stream::poll_fn(move |cx| term_rx.poll_recv(cx));
    let (inbox_tx, inbox_rx) = mpsc::channel(64);
    let (fx_tx, mut fx_rx) = mpsc::unbounded_channel();
    let (_sig_tx, sig_rx) = mpsc::unbounded_channel();
    let mut quiet = sample::resources(1, 5);
    for r in &mut quiet {
        r.extra = None;
    }
    let now = SystemTime::now();
    inbox_tx
        .send(AppEvent::Inventory("lab".into(), Ok(quiet.into()), now))
        .await
        .expect("send");
    let handle = tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("backend");
        run_loop(
            &mut terminal,
            term_events,
            sig_rx,
            Plain,
            App::with_defaults(now),
            inbox_rx,
            fx_tx,
            Arc::new(RuntimeStats::default()),
        )
        .await
    });
    term_tx.send(key('g')).expect("key");
    term_tx.send(key('t')).expect("key");
    let first = tokio::time::timeout(Duration::from_secs(2), fx_rx.recv()).await;
    assert_eq!(first.expect("at once"), Some(Effect::RefreshTasks));
    let timer = Duration::from_secs(proximity::ui::tasks_view::REFRESH_SECS + 2);
    let second = tokio::time::timeout(timer, fx_rx.recv()).await;
    assert_eq!(second.expect("on the timer"), Some(Effect::RefreshTasks));
    term_tx.send(key('q')).expect("key"); // closes the view
    term_tx.send(key('q')).expect("key"); // quits
    let app = tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .expect("loop ends")
        .expect("join")
        .expect("loop ok");
    assert!(app.layers.is_empty());
}
