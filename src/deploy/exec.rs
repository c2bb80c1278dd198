//! Running commands inside a container. The Proxmox API has no exec for containers, so the
//! default executor drives the container's termproxy console: a real shell on a PTY. An SSH
//! `pct exec` executor can come later behind the same trait.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Receives each line of a command's output as it arrives (already cleaned of escape
/// sequences and carriage returns).
pub type LineSink<'a> = &'a (dyn Fn(OutputLine<'_>) + Send + Sync);

/// One line of a command's output, as a terminal would place it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLine<'a> {
    /// The line, cleaned.
    pub text: &'a str,
    /// Lines the cursor moved up before this one (progress drawn in place): this line and
    /// the next `up - 1` replace the last `up` lines output. 0 for a new line.
    pub up: usize,
}

impl<'a> OutputLine<'a> {
    /// A new line (nothing redrawn).
    pub fn new(text: &'a str) -> Self {
        OutputLine { text, up: 0 }
    }
}

/// What a finished command left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The command's exit status (`$?`).
    pub code: i32,
    /// Every output line, cleaned, joined with `\n`.
    pub output: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("cannot open a shell in the container: {0}")]
    Connect(String),
    #[error("`{command}` did not finish within {}s", after.as_secs())]
    Timeout { command: String, after: Duration },
    #[error("the container's console closed")]
    Closed,
    #[error("{0}")]
    Protocol(String),
}

/// Runs shell commands in one container, one at a time.
pub trait Executor: Send + Sync {
    /// Runs `command` (one line of POSIX sh) and waits for its exit status, streaming output
    /// lines to `log`. On timeout the command is interrupted (Ctrl-C) and the shell is usable
    /// again.
    fn run<'a>(
        &'a self,
        command: &'a str,
        timeout: Duration,
        log: LineSink<'a>,
    ) -> BoxFuture<'a, Result<ExecOutput, ExecError>>;

    /// Writes `contents` to `path` (parent directories created) with the octal `mode`.
    fn write_file<'a>(
        &'a self,
        path: &'a str,
        contents: &'a [u8],
        mode: u32,
    ) -> BoxFuture<'a, Result<(), ExecError>>;

    /// Closes the session.
    fn close(&self) -> BoxFuture<'_, ()>;
}
