//! The UI loop with the tasks view open: `g t` asks for Proxmox's tasks at once, and the
//! loop's timer ticks the view into asking again every few seconds (a tick's effects reach
//! the runtime).

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use proximity::ui::runtime::{Plain, RuntimeStats, run_loop};
use proximity::ui::tasks_view::REFRESH_SECS;
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
async fn the_open_tasks_view_refreshes_on_the_loop_timer() {
    let (term_tx, mut term_rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let term_events = futures_util::stream::poll_fn(move |cx| term_rx.poll_recv(cx));
    let (inbox_tx, inbox_rx) = mpsc::channel(64);
    let (fx_tx, mut fx_rx) = mpsc::unbounded_channel();
    let (_sig_tx, sig_rx) = mpsc::unbounded_channel();
    let mut quiet = sample::resources(1, 5);
    for r in &mut quiet {
        r.lock = None;
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
    let timer = Duration::from_secs(REFRESH_SECS + 2);
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
