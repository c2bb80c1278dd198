//! Console sessions for the TUI executor: one tokio task per session owns its termproxy
//! connection, forwards output chunks into the UI inbox and takes input/resize/close from a
//! channel. Input typed while the console is still connecting waits in that channel. The
//! task never reconnects by itself: the UI decides (one automatic retry after a drop).

use std::collections::HashMap;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::pve::{ConsoleOptions, ConsoleTarget, PveClient, PveError};
use crate::ui::action::AppEvent;

enum Cmd {
    Input(Vec<u8>),
    Resize(u16, u16),
    Close,
}

/// The live sessions' command channels, by session id.
#[derive(Default)]
pub(super) struct Consoles {
    map: HashMap<u64, mpsc::UnboundedSender<Cmd>>,
}

impl Consoles {
    /// Start (or restart, for a reconnect) session `id`.
    pub(super) fn open(
        &mut self,
        id: u64,
        client: PveClient,
        target: ConsoleTarget,
        size: (u16, u16),
        inbox: mpsc::Sender<AppEvent>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Some(old) = self.map.insert(id, tx) {
            let _ = old.send(Cmd::Close);
        }
        tokio::spawn(run_session(id, client, target, size, rx, inbox));
    }

    pub(super) fn input(&self, id: u64, bytes: Vec<u8>) {
        if let Some(tx) = self.map.get(&id) {
            let _ = tx.send(Cmd::Input(bytes));
        }
    }

    pub(super) fn resize(&self, id: u64, cols: u16, rows: u16) {
        if let Some(tx) = self.map.get(&id) {
            let _ = tx.send(Cmd::Resize(cols, rows));
        }
    }

    pub(super) fn close(&mut self, id: u64) {
        if let Some(tx) = self.map.remove(&id) {
            let _ = tx.send(Cmd::Close);
        }
    }
}

/// Why a console could not open, in the user's terms. Proxmox's own words come through
/// as they are (`CT 101 not running`); the rest gets a short explanation.
fn describe(e: &PveError) -> String {
    let text = match e {
        PveError::Unauthorized { message } => {
            format!("not authorized (expired ticket or token?): {message}")
        }
        PveError::Forbidden { message } => {
            format!("permission denied (VM.Console / Sys.Console): {message}")
        }
        // The transport's words are long (rustls links its manual): keep the first clause.
        PveError::ConsoleClosed(message) => {
            let m = message.trim_start_matches("IO error: ");
            let m = m.split(": http").next().unwrap_or(m);
            let m = m.split("; ").next().unwrap_or(m);
            let short: String = m.chars().take(60).collect();
            let more = if short.len() < m.len() { "…" } else { "" };
            format!("connection lost: {short}{more}")
        }
        other => other.to_string(),
    };
    crate::term::sanitize_line(&text)
}

async fn run_session(
    id: u64,
    client: PveClient,
    target: ConsoleTarget,
    (cols, rows): (u16, u16),
    mut cmds: mpsc::UnboundedReceiver<Cmd>,
    inbox: mpsc::Sender<AppEvent>,
) {
    let closed = |reason: String, dropped: bool| AppEvent::ConsoleClosed {
        session: id,
        reason,
        dropped,
    };
    let opts = ConsoleOptions {
        initial_size: Some((cols, rows)),
        ..ConsoleOptions::default()
    };
    let stream = match client.open_console(&target, &opts).await {
        Ok(s) => s,
        Err(e) => {
            let _ = inbox.send(closed(describe(&e), false)).await;
            return;
        }
    };
    let (writer, mut reader) = stream.split();
    if inbox
        .send(AppEvent::ConsoleOpened { session: id })
        .await
        .is_err()
    {
        let _ = writer.close().await;
        return;
    }
    loop {
        tokio::select! {
            chunk = reader.next() => {
                let event = match chunk {
                    Some(Ok(bytes)) => AppEvent::ConsoleOutput { session: id, bytes: bytes.to_vec() },
                    Some(Err(e)) => {
                        let dropped = matches!(e, PveError::ConsoleClosed(_));
                        let _ = inbox.send(closed(describe(&e), dropped)).await;
                        return;
                    }
                    None => {
                        let _ = inbox.send(closed("session ended".into(), false)).await;
                        return;
                    }
                };
                if inbox.send(event).await.is_err() {
                    let _ = writer.close().await;
                    return;
                }
            }
            cmd = cmds.recv() => {
                let sent = match cmd {
                    Some(Cmd::Input(bytes)) => writer.send_input(&bytes).await,
                    Some(Cmd::Resize(c, r)) => writer.resize(c, r).await,
                    Some(Cmd::Close) | None => {
                        let _ = writer.close().await;
                        return;
                    }
                };
                if let Err(e) = sent {
                    let _ = inbox.send(closed(describe(&e), true)).await;
                    return;
                }
            }
        }
    }
}
