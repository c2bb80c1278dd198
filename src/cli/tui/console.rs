//! Console sessions for the TUI executor: one tokio task per session owns its termproxy
//! connection, forwards output chunks into the UI inbox and takes input/resize/close from a
//! channel. Input typed while the console is still connecting waits in that channel. The
//! task never reconnects by itself: the UI decides (one automatic retry after a drop).
//!
//! Recording: when the store's settings ask for it (the host's `console_recording`, or
//! `audit_recording`), the session task writes what the guest prints, and resizes, as
//! asciicast v2 under `<state_dir>/recordings/<host>/` (dirs 0700, files 0600) and says so
//! in a toast. Settings are read at each open, so a change applies to the next session.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, ErrorKind};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::pve::{ConsoleOptions, ConsoleTarget, PveClient, PveError};
use crate::store::{DIR_MODE, FILE_MODE, Settings, Store};
use crate::term::{AsciicastWriter, TermError};
use crate::ui::action::AppEvent;

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
    pub(super) fn new(store: Option<Store>, state_dir: &Path) -> Consoles {
        Consoles {
            map: HashMap::new(),
            recording: store.map(|s| (s, state_dir.to_path_buf())),
        }
    }

    /// Start (or restart, for a reconnect) session `id` on `host`.
    pub(super) fn open(
        &mut self,
        id: u64,
        host: &str,
        client: PveClient,
        target: ConsoleTarget,
        size: (u16, u16),
        inbox: mpsc::Sender<AppEvent>,
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
        tokio::spawn(run_session(id, client, target, size, record, rx, inbox));
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

/// Whether console sessions on `host` are recorded: its own switch, or the audit switch.
pub fn records(settings: &Settings, host: &str) -> bool {
    settings.console_recording_for(host) || settings.audit_recording
}

/// Where a session task writes its recording.
struct RecordPlan {
    state_dir: PathBuf,
    host: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot create {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] TermError),
}

/// One session's recording: an asciicast v2 file written as output arrives.
pub struct SessionRecorder {
    writer: AsciicastWriter<BufWriter<File>>,
    path: PathBuf,
}

impl SessionRecorder {
    /// Create `<state_dir>/recordings/<host>/<YYYYmmdd-HHMMSS>-<ct|node>-<id>.cast` (UTC
    /// time of `started`; `-2`, `-3`... if that name is taken) and write its header.
    pub fn create(
        state_dir: &Path,
        host: &str,
        target: &ConsoleTarget,
        (cols, rows): (u16, u16),
        started: SystemTime,
    ) -> Result<SessionRecorder, RecordError> {
        let first = recording_path(state_dir, host, target, started);
        let create_err = |path: &Path, source| RecordError::Create {
            path: path.display().to_string(),
            source,
        };
        let dir = first.parent().unwrap_or(state_dir);
        private_dir(dir).map_err(|e| create_err(dir, e))?;
        let mut path = first.clone();
        let mut n = 1;
        let file = loop {
            match new_private_file(&path) {
                Ok(f) => break f,
                Err(e) if e.kind() == ErrorKind::AlreadyExists && n < 100 => {
                    n += 1;
                    let stem = first.file_stem().unwrap_or_default().to_string_lossy();
                    path = first.with_file_name(format!("{stem}-{n}.cast"));
                }
                Err(e) => return Err(create_err(&path, e)),
            }
        };
        let secs = started.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs());
        let writer = AsciicastWriter::new(BufWriter::new(file), cols, rows, secs)?;
        let mut rec = SessionRecorder { writer, path };
        rec.writer.flush()?;
        Ok(rec)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Record guest output now. Flushed at once: a crash loses nothing already shown.
    pub fn output(&mut self, bytes: &[u8]) -> Result<(), RecordError> {
        self.writer.output(bytes)?;
        self.writer.flush()?;
        Ok(())
    }

    /// Record a resize of the console now.
    pub fn resize(&mut self, cols: u16, rows: u16) -> Result<(), RecordError> {
        self.writer.resize(cols, rows)?;
        self.writer.flush()?;
        Ok(())
    }
}

/// The file a session started at `started` records to (before any `-2` suffix).
pub fn recording_path(
    state_dir: &Path,
    host: &str,
    target: &ConsoleTarget,
    started: SystemTime,
) -> PathBuf {
    let (kind, id) = match target {
        ConsoleTarget::Lxc { vmid, .. } => ("ct", vmid.to_string()),
        ConsoleTarget::Node { node } => ("node", node.clone()),
    };
    let secs = started
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    state_dir
        .join("recordings")
        .join(path_part(host))
        .join(format!("{}-{kind}-{}.cast", stamp(secs), path_part(&id)))
}

/// A name safe as one path component: host and node names come from the user and the
/// cluster, so anything but `[A-Za-z0-9._-]` becomes `_`, and no leading dot (`..`).
fn path_part(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '_',
        })
        .collect();
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, '_');
    }
    out
}

/// `YYYYmmdd-HHMMSS` in UTC (civil-from-days, H. Hinnant; no date crate needed for this).
fn stamp(epoch: u64) -> String {
    let days = (epoch / 86_400) as i64;
    let secs = epoch % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Create `dir` and parents with mode 0700, and force 0700 on `dir` and on the
/// `recordings` directory above it (they are ours even if they already existed).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)?;
        let private = std::fs::Permissions::from_mode(DIR_MODE);
        if let Some(parent) = dir.parent() {
            std::fs::set_permissions(parent, private.clone())?;
        }
        std::fs::set_permissions(dir, private)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}

fn new_private_file(path: &Path) -> std::io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(FILE_MODE);
    }
    opts.open(path)
}

async fn run_session(
    id: u64,
    client: PveClient,
    target: ConsoleTarget,
    (cols, rows): (u16, u16),
    record: Option<RecordPlan>,
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
    let mut recorder = match record {
        Some(plan) => start_recording(&plan, &target, (cols, rows), &inbox).await,
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
                            stop_recording(&e, &inbox).await;
                        }
                        AppEvent::ConsoleOutput { session: id, bytes: bytes.to_vec() }
                    }
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
                    Some(Cmd::Resize(c, r)) => {
                        if let Some(rec) = &mut recorder
                            && let Err(e) = rec.resize(c, r)
                        {
                            recorder = None;
                            stop_recording(&e, &inbox).await;
                        }
                        writer.resize(c, r).await
                    }
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

/// Open the session's recording and tell the user, in a toast, that it is recorded (or
/// why it could not be: the console itself still works).
async fn start_recording(
    plan: &RecordPlan,
    target: &ConsoleTarget,
    size: (u16, u16),
    inbox: &mpsc::Sender<AppEvent>,
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
    let text = crate::term::sanitize_line(&text);
    let _ = inbox.send(AppEvent::Toast { text, error }).await;
    rec
}

async fn stop_recording(e: &RecordError, inbox: &mpsc::Sender<AppEvent>) {
    let text = crate::term::sanitize_line(&format!("console recording stopped: {e}"));
    let _ = inbox.send(AppEvent::Toast { text, error: true }).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_civil_time() {
        assert_eq!(stamp(0), "19700101-000000");
        // 2026-11-29 16:27:06 UTC
        assert_eq!(stamp(1_795_969_626), "20261129-162706");
        // A leap day.
        assert_eq!(stamp(951_782_400), "20000229-000000");
    }

    #[test]
    fn path_parts_cannot_climb_or_nest() {
        assert_eq!(path_part(".."), "_..");
        assert_eq!(path_part("a/b"), "a_b");
        assert_eq!(path_part(""), "_");
        assert_eq!(path_part("pve-1.lab"), "pve-1.lab");
    }
}
