//! Console sessions: one tokio task per session owns its termproxy connection, sends what
//! happens (opened, output chunks, closed, notices) into the caller's sink and takes input,
//! resize and close from a channel. Input typed while the console is still connecting waits in
//! that channel. A session never reconnects by itself: the front end decides (the TUI makes one
//! automatic retry after a drop).
//!
//! The sink is the caller's own inbox (`mpsc::Sender<E>` with `E: From<ConsoleEvent>`): guest
//! output goes straight into it, with no extra hop between the websocket and the screen.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::recording::{RecordError, RecordPlan, SessionRecorder, records};
use crate::pve::{ConsoleOptions, ConsoleTarget, PveClient, PveError};
use crate::store::Store;

/// What a console session reports to the front end that opened it.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsoleEvent {
    /// The websocket is up.
    Opened { session: u64 },
    /// Raw guest output: fed to a terminal screen, never printed as is.
    Output { session: u64, bytes: Vec<u8> },
    /// The session ended. `dropped`: the connection was lost (worth one reconnect);
    /// otherwise it was refused or the shell ended, and `reason` says why in Proxmox's
    /// words (`CT 101 not running`), sanitized.
    Closed {
        session: u64,
        reason: String,
        dropped: bool,
    },
    /// A message for the user about the session (recording started or stopped). Sanitized.
    Notice { text: String, error: bool },
}

enum Cmd {
    Input(Vec<u8>),
    Resize(u16, u16),
    Close,
}

/// The live sessions' command channels, by session id, and where recordings go.
#[derive(Default)]
pub(super) struct Consoles {
    map: HashMap<u64, mpsc::UnboundedSender<Cmd>>,
    /// The settings' store and the state dir; without both nothing is recorded.
    recording: Option<(Store, PathBuf)>,
}

impl Consoles {
    /// Sessions recorded as the settings in `store` say, under `state_dir/recordings`.
    pub(super) fn new(store: Option<Store>, state_dir: Option<PathBuf>) -> Consoles {
        Consoles {
            map: HashMap::new(),
            recording: store.zip(state_dir),
        }
    }

    /// Start (or restart, for a reconnect) session `id` on `host`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn open<E: From<ConsoleEvent> + Send + 'static>(
        &mut self,
        id: u64,
        host: &str,
        client: PveClient,
        target: ConsoleTarget,
        size: (u16, u16),
        sink: mpsc::Sender<E>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Some(old) = self.map.insert(id, tx) {
            let _ = old.send(Cmd::Close);
        }
        // An unreadable settings record means defaults: not recorded.
        let record = self.recording.as_ref().and_then(|(store, dir)| {
            let settings = store.settings().get().unwrap_or_default();
            records(&settings, host).then(|| RecordPlan {
                state_dir: dir.clone(),
                host: host.to_string(),
            })
        });
        tokio::spawn(run_session(id, client, target, size, record, rx, sink));
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
    crate::text::clean_string(&text)
}

async fn run_session<E: From<ConsoleEvent> + Send + 'static>(
    id: u64,
    client: PveClient,
    target: ConsoleTarget,
    (cols, rows): (u16, u16),
    record: Option<RecordPlan>,
    mut cmds: mpsc::UnboundedReceiver<Cmd>,
    sink: mpsc::Sender<E>,
) {
    let closed = |reason: String, dropped: bool| {
        E::from(ConsoleEvent::Closed {
            session: id,
            reason,
            dropped,
        })
    };
    let opts = ConsoleOptions {
        initial_size: Some((cols, rows)),
        ..ConsoleOptions::default()
    };
    let stream = match client.open_console(&target, &opts).await {
        Ok(s) => s,
        Err(e) => {
            let _ = sink.send(closed(describe(&e), false)).await;
            return;
        }
    };
    let (writer, mut reader) = stream.split();
    let opened = E::from(ConsoleEvent::Opened { session: id });
    if sink.send(opened).await.is_err() {
        let _ = writer.close().await;
        return;
    }
    let mut recorder = match record {
        Some(plan) => start_recording(&plan, &target, (cols, rows), &sink).await,
        None => None,
    };
    loop {
        tokio::select! {
            chunk = reader.next() => {
                let event = match chunk {
                    Some(Ok(bytes)) => {
                        if let Some(r) = &mut recorder
                            && let Err(e) = r.output(&bytes)
                        {
                            recorder = None;
                            stop_recording(&e, &sink).await;
                        }
                        ConsoleEvent::Output { session: id, bytes: bytes.to_vec() }
                    }
                    Some(Err(e)) => {
                        let dropped = matches!(e, PveError::ConsoleClosed(_));
                        let _ = sink.send(closed(describe(&e), dropped)).await;
                        return;
                    }
                    None => {
                        let _ = sink.send(closed("session ended".into(), false)).await;
                        return;
                    }
                };
                if sink.send(E::from(event)).await.is_err() {
                    let _ = writer.close().await;
                    return;
                }
            }
            cmd = cmds.recv() => {
                let sent = match cmd {
                    Some(Cmd::Input(bytes)) => writer.send_input(&bytes).await,
                    Some(Cmd::Resize(c, r)) => {
                        if let Some(rec) = &mut recorder
                            && let Err(e) = rec.resize(c, r)
                        {
                            recorder = None;
                            stop_recording(&e, &sink).await;
                        }
                        writer.resize(c, r).await
                    }
                    Some(Cmd::Close) | None => {
                        let _ = writer.close().await;
                        return;
                    }
                };
                if let Err(e) = sent {
                    let _ = sink.send(closed(describe(&e), true)).await;
                    return;
                }
            }
        }
    }
}

/// Open the session's recording and tell the user that it is recorded (or why it could not
/// be: the console itself still works).
async fn start_recording<E: From<ConsoleEvent>>(
    plan: &RecordPlan,
    target: &ConsoleTarget,
    size: (u16, u16),
    sink: &mpsc::Sender<E>,
) -> Option<SessionRecorder> {
    let made =
        SessionRecorder::create(&plan.state_dir, &plan.host, target, size, SystemTime::now());
    let (text, error, rec) = match made {
        Ok(r) => {
            let name = r.path().file_name().unwrap_or_default().to_string_lossy();
            (format!("● REC console recorded: {name}"), false, Some(r))
        }
        Err(e) => (format!("console not recorded: {e}"), true, None),
    };
    let text = crate::text::clean_string(&text);
    let _ = sink
        .send(E::from(ConsoleEvent::Notice { text, error }))
        .await;
    rec
}

async fn stop_recording<E: From<ConsoleEvent>>(e: &RecordError, sink: &mpsc::Sender<E>) {
    let text = crate::text::clean_string(&format!("console recording stopped: {e}"));
    let _ = sink
        .send(E::from(ConsoleEvent::Notice { text, error: true }))
        .await;
}
