//! The console latency instrumentation of the UI loop counts what it should: one
//! key-to-input sample per key typed into a console (none for keys the app keeps), one
//! output-to-frame sample per frame that shows guest output. No wall-clock assertions.

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use proximity::ui::runtime::{Plain, RuntimeStats, run_loop};
use proximity::ui::{App, AppEvent, Effect, sample};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

fn key(code: KeyCode, mods: KeyModifiers) -> io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(code, mods)))
}

fn ch(c: char) -> io::Result<Event> {
    key(KeyCode::Char(c), KeyModifiers::NONE)
}

/// An app at 160x45 with a live console on CT 100; returns it with the session id.
fn console_app() -> (App, u64) {
    let now = SystemTime::now();
    let mut app = App::with_defaults(now);
    app.handle(AppEvent::Resize(160, 45));
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
        panic!("no OpenConsole: {fx:?}");
    };
    let id = *session;
    app.handle(AppEvent::ConsoleOpened { session: id });
    assert!(app.console_open());
    (app, id)
}

/// Poll `cond` every 2 ms for up to 5 s.
async fn until(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..2500 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    cond()
}

#[tokio::test]
async fn keys_and_outputs_are_counted_once_each() {
    let (term_tx, mut term_rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let term_events = futures_util::stream::poll_fn(move |cx| term_rx.poll_recv(cx));
    let (inbox_tx, inbox_rx) = mpsc::channel(1024);
    let (fx_tx, mut fx_rx) = mpsc::unbounded_channel();
    let (_sig_tx, sig_rx) = mpsc::unbounded_channel();
    let stats = Arc::new(RuntimeStats::default());
    let (app, id) = console_app();
    let loop_stats = stats.clone();
    let handle = tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(160, 45)).expect("backend");
        run_loop(
            &mut terminal,
            term_events,
            sig_rx,
            Plain,
            app,
            inbox_rx,
            fx_tx,
            loop_stats,
        )
        .await
    });
    assert!(until(|| stats.redraws() >= 1).await, "first frame");
    assert_eq!(stats.latency_snapshot().key_to_input.count, 0);
    assert_eq!(stats.latency_snapshot().output_to_frame.count, 0);

    // (a) N keys into the console: N inputs out, N samples.
    let typed = "ls -l /etc";
    for c in typed.chars() {
        term_tx.send(ch(c)).expect("key");
    }
    term_tx
        .send(key(KeyCode::Enter, KeyModifiers::NONE))
        .expect("key");
    let keys = typed.chars().count() as u64 + 1;
    let mut sent = Vec::new();
    while sent.len() < typed.len() + 1 {
        let fx = tokio::time::timeout(Duration::from_secs(5), fx_rx.recv())
            .await
            .expect("input in time")
            .expect("open");
        if let Effect::ConsoleInput { session, bytes } = fx {
            assert_eq!(session, id);
            sent.extend(bytes);
        }
    }
    assert_eq!(sent, b"ls -l /etc\r");
    assert!(
        until(|| stats.latency_snapshot().key_to_input.count == keys).await,
        "{:?}",
        stats.latency_snapshot()
    );

    // (b) M outputs, each waited for: one sample each, none in (a).
    for i in 0..5u64 {
        inbox_tx
            .send(AppEvent::ConsoleOutput {
                session: id,
                bytes: format!("line {i}\r\n").into_bytes(),
            })
            .await
            .expect("send");
        assert!(
            until(|| stats.latency_snapshot().output_to_frame.count == i + 1).await,
            "output {i}: {:?}",
            stats.latency_snapshot()
        );
    }
    // A burst is drawn in a frame or a few: at least one sample, never one per output.
    let burst = 200u64;
    for i in 0..burst {
        inbox_tx
            .send(AppEvent::ConsoleOutput {
                session: id,
                bytes: format!("burst {i}\r\n").into_bytes(),
            })
            .await
            .expect("send");
    }
    assert!(until(|| stats.latency_snapshot().output_to_frame.count > 5).await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let snap = stats.latency_snapshot();
    assert!(
        snap.output_to_frame.count < 5 + burst,
        "burst counted per output: {snap:?}"
    );
    assert_eq!(snap.key_to_input.count, keys, "outputs are not keys");
    assert!(snap.output_to_frame.p50 <= snap.output_to_frame.p99);
    assert!(snap.output_to_frame.p99 <= snap.output_to_frame.max);
    assert_eq!(snap.output_draw.count, snap.output_to_frame.count);
    assert!(snap.output_draw.max <= snap.output_to_frame.max);
    assert!(snap.key_to_input.max > Duration::ZERO);

    // Keys the app keeps (the escape chord, then rack navigation) are not samples.
    term_tx
        .send(key(KeyCode::Char('5'), KeyModifiers::CONTROL))
        .expect("key");
    term_tx.send(ch('d')).expect("key");
    term_tx.send(ch('j')).expect("key");
    term_tx.send(ch('j')).expect("key");
    drop(term_tx);
    let app = tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .expect("loop ends")
        .expect("join")
        .expect("ok");
    assert!(!app.console_open());
    assert_eq!(stats.latency_snapshot().key_to_input.count, keys);

    stats.reset_latency();
    let snap = stats.latency_snapshot();
    assert_eq!(snap.key_to_input.count, 0);
    assert_eq!(snap.output_to_frame.max, Duration::ZERO);
}

#[test]
fn a_fresh_stats_has_empty_summaries() {
    let stats = RuntimeStats::default();
    let snap = stats.latency_snapshot();
    assert_eq!(snap, Default::default());
}
