//! One program running on a real PTY for a console session, the way termproxy's `run_pty` starts
//! it: size 80x20, environment cleared except PATH/HOME/LANG, `TERM=xterm-256color`, the child a
//! session leader with the PTY as its controlling terminal.
//!
//! Blocking PTY IO lives on plain threads: a reader (PTY -> bounded channel, so a slow websocket
//! slows the program down instead of growing memory), a writer that also owns the master (input
//! and resizes, unbounded so the async side never blocks on a program that stops reading), and a
//! waiter that reaps the child. Dropping a [`PtyProcess`] hangs up and then kills the child's
//! whole process group, so nothing outlives its session.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use tokio::sync::{mpsc, oneshot};

/// termproxy's initial PTY size (`pty.set_size(80, 20)`).
pub const INITIAL_COLS: u16 = 80;
pub const INITIAL_ROWS: u16 = 20;

/// Read size of the PTY reader; well under the 128 KiB websocket frame limit.
const READ_CHUNK: usize = 16 * 1024;
/// Chunks buffered between the PTY reader and the websocket.
const OUTPUT_QUEUE: usize = 32;
/// Time a hung-up process group gets before SIGKILL.
const HANGUP_GRACE: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum PtyError {
    #[error("unable to open pty: {0}")]
    Open(String),
    #[error("unable to spawn '{program}': {detail}")]
    Spawn { program: String, detail: String },
    #[error("unable to start pty thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// What runs on the PTY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtyProgram {
    pub argv: Vec<OsString>,
}

impl PtyProgram {
    /// `--console-cmd`: any shell snippet, run by `/bin/sh -c`.
    pub fn shell_snippet(snippet: &str) -> Self {
        PtyProgram {
            argv: vec!["/bin/sh".into(), "-c".into(), snippet.into()],
        }
    }

    fn display(&self) -> String {
        self.argv
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Input for the PTY writer thread.
#[derive(Debug)]
pub enum PtyInput {
    Bytes(Vec<u8>),
    Resize { cols: u16, rows: u16 },
}

/// A running program on a PTY.
pub struct PtyProcess {
    /// Input bytes and resizes; closing it drops the master.
    pub input: mpsc::UnboundedSender<PtyInput>,
    /// Raw output; ends when the PTY reports EOF/EIO (every holder of the slave is gone).
    pub output: mpsc::Receiver<Vec<u8>>,
    /// Resolves with the exit code once the child has been reaped.
    pub exited: oneshot::Receiver<u32>,
    pid: Option<i32>,
    reap: Arc<Mutex<ReapState>>,
    /// Dropped with the process: tells the waiter it may reap the leader now.
    _release: std::sync::mpsc::Sender<()>,
}

/// Shared by the waiter (the only thread that reaps the child) and the drop's killer. A pid
/// stays ours until it is reaped: signalling it while holding this lock and seeing
/// `reaped == false` cannot hit a process that reused the number. The waiter keeps an exited
/// leader as a zombie until the session is dropped, so its pid, and with it the process
/// group id, stay reserved while leftovers of the group are signalled.
#[derive(Debug, Default)]
struct ReapState {
    reaped: bool,
    /// The session was dropped: leftovers of the group are killed when the leader goes.
    hung_up: bool,
}

impl PtyProcess {
    pub fn spawn(program: &PtyProgram) -> Result<Self, PtyError> {
        let size = PtySize {
            rows: INITIAL_ROWS,
            cols: INITIAL_COLS,
            pixel_width: 0,
            pixel_height: 0,
        };
        let pair = native_pty_system()
            .openpty(size)
            .map_err(|e| PtyError::Open(e.to_string()))?;

        let mut cmd = CommandBuilder::from_argv(program.argv.clone());
        cmd.env_clear();
        for key in ["PATH", "HOME", "LANG"] {
            if let Some(value) = std::env::var_os(key) {
                cmd.env(key, value);
            }
        }
        cmd.env("TERM", "xterm-256color");
        cmd.cwd("/");
        let spawn_err = |e: &dyn std::fmt::Display| PtyError::Spawn {
            program: program.display(),
            detail: e.to_string(),
        };
        let mut child = pair.slave.spawn_command(cmd).map_err(|e| spawn_err(&e))?;
        // Our copy of the slave must go, or the reader would never see EOF.
        drop(pair.slave);
        let pid = child.process_id().and_then(|p| i32::try_from(p).ok());

        let master = pair.master;
        let reader = master.try_clone_reader().map_err(|e| spawn_err(&e))?;
        let writer = master.take_writer().map_err(|e| spawn_err(&e))?;

        let (out_tx, out_rx) = mpsc::channel(OUTPUT_QUEUE);
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let (exit_tx, exit_rx) = oneshot::channel();
        let reap = Arc::new(Mutex::new(ReapState::default()));
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();

        let process = PtyProcess {
            input: in_tx,
            output: out_rx,
            exited: exit_rx,
            pid,
            reap: reap.clone(),
            _release: release_tx,
        };
        // From here on, dropping `process` kills the child if a thread fails to start.
        std::thread::Builder::new()
            .name("console-pty-read".into())
            .spawn(move || read_loop(reader, out_tx))?;
        std::thread::Builder::new()
            .name("console-pty-write".into())
            .spawn(move || write_loop(master, writer, in_rx))?;
        std::thread::Builder::new()
            .name("console-pty-wait".into())
            .spawn(move || {
                // Learn the exit without reaping; the zombie keeps the pid and group id
                // reserved until the session is dropped (or waitid is unavailable).
                let early = pid.and_then(wait_exited_keep_zombie);
                let mut exit_tx = Some(exit_tx);
                if let Some(code) = early {
                    if let Some(tx) = exit_tx.take() {
                        let _ = tx.send(code);
                    }
                    // Returns once the `PtyProcess` (holding the sender) is dropped.
                    let _ = release_rx.recv();
                }
                let code = match reap.lock() {
                    Ok(mut state) => {
                        if state.hung_up {
                            if let Some(pid) = pid.filter(|p| *p > 1) {
                                signal_group(pid, libc::SIGKILL);
                            }
                        }
                        let code = child.wait().map(|s| s.exit_code()).unwrap_or(1);
                        state.reaped = true;
                        code
                    }
                    Err(_) => child.wait().map(|s| s.exit_code()).unwrap_or(1),
                };
                if let Some(tx) = exit_tx {
                    let _ = tx.send(code);
                }
            })?;
        Ok(process)
    }

    /// The child's pid (also its process group and session id).
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }
}

impl Drop for PtyProcess {
    fn drop(&mut self) {
        let Some(pid) = self.pid else { return };
        if pid <= 1 {
            return;
        }
        // Like a terminal hangup: SIGHUP to the whole group (the child is a session leader,
        // so its pid is the group id), then SIGKILL whatever is left after a grace period.
        let reap = self.reap.clone();
        match reap.lock() {
            Ok(mut state) if !state.reaped => {
                state.hung_up = true;
                signal_group(pid, libc::SIGHUP);
                signal_group(pid, libc::SIGCONT);
            }
            // Already reaped: the pid may belong to someone else by now.
            _ => return,
        }
        let _ = std::thread::Builder::new()
            .name("console-pty-kill".into())
            .spawn(move || {
                std::thread::sleep(HANGUP_GRACE);
                // Only while the waiter has not reaped the leader is the pid still ours; once
                // it has, it killed the group's leftovers itself just before reaping.
                if let Ok(state) = reap.lock() {
                    if !state.reaped {
                        signal_group(pid, libc::SIGKILL);
                        signal_pid(pid, libc::SIGKILL);
                    }
                }
            });
    }
}

fn signal_group(pgid: i32, signal: i32) {
    // SAFETY: kill(2) with a negative pid only sends a signal; no memory is touched.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

fn signal_pid(pid: i32, signal: i32) {
    // SAFETY: as above.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Blocks until `pid` (our child) has exited, leaving it a zombie (`waitid` with `WNOWAIT`);
/// its exit code (1 when killed by a signal, as portable-pty reports it). `None` on failure.
fn wait_exited_keep_zombie(pid: i32) -> Option<u32> {
    let id = libc::id_t::try_from(pid).ok()?;
    loop {
        // SAFETY: siginfo_t is plain data that waitid fills in; an all-zero value is valid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid writes only into `info`, which outlives the call.
        let rc = unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if rc == 0 {
            if info.si_code != libc::CLD_EXITED {
                return Some(1);
            }
            // SAFETY: for a SIGCHLD-style siginfo filled by waitid, si_status is valid.
            let status = unsafe { info.si_status() };
            return Some(u32::try_from(status).unwrap_or(1));
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return None;
        }
    }
}

fn read_loop(mut reader: Box<dyn Read + Send>, out: mpsc::Sender<Vec<u8>>) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match reader.read(&mut buf) {
            // Linux reports EIO on the master once the last slave fd is closed.
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if out.blocking_send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        }
    }
}

fn write_loop(
    master: Box<dyn MasterPty + Send>,
    mut writer: Box<dyn Write + Send>,
    mut input: mpsc::UnboundedReceiver<PtyInput>,
) {
    while let Some(item) = input.blocking_recv() {
        match item {
            PtyInput::Bytes(bytes) => {
                if writer
                    .write_all(&bytes)
                    .and_then(|()| writer.flush())
                    .is_err()
                {
                    break;
                }
            }
            PtyInput::Resize { cols, rows } => {
                let _ = master.resize(PtySize {
                    rows,
                    cols,
                    pixel_width: 0,
                    pixel_height: 0,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The killer now waits on the waiter's reap state instead of a raw pid after a sleep;
    /// a program that ignores the hangup must still be gone soon after the drop.
    #[tokio::test]
    async fn a_dropped_session_kills_a_program_that_ignores_hangup() {
        let program = PtyProgram::shell_snippet("trap '' HUP; echo ready; exec sleep 30");
        let mut process = PtyProcess::spawn(&program).unwrap();
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("ready") {
            let chunk = tokio::time::timeout(Duration::from_secs(5), process.output.recv())
                .await
                .unwrap()
                .unwrap();
            seen.extend_from_slice(&chunk);
        }
        let (_keep, placeholder) = oneshot::channel();
        let exited = std::mem::replace(&mut process.exited, placeholder);
        drop(process);
        let code = tokio::time::timeout(Duration::from_secs(5), exited)
            .await
            .expect("killed within the grace period")
            .unwrap();
        assert_ne!(code, 0, "killed, not a clean exit");
    }
}
