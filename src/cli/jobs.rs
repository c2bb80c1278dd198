//! The command line's side of the engine's jobs: power and delete run as jobs of the same
//! engine the TUI drives (same checks, same journal), waited for here; Ctrl-C cancels the job
//! (and the Proxmox task it follows). `logs JOB` prints a job's log from this process or the
//! store's journal.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use super::CliError;
use crate::engine::{Caller, Engine, EngineConfig, JobId, JobInfo, JobState};
use crate::paths::Paths;
use crate::store::Store;
use crate::text::clean_string;

/// Log lines shown above the error when a job fails.
const FAILED_LOG_TAIL: usize = 20;
/// How often `logs JOB --follow` rereads a job another process runs.
const FOLLOW_POLL: Duration = Duration::from_millis(500);

/// An engine for one command: no background refresh; jobs journaled in the store (shared
/// with a running TUI, see `store::kv`). A store that does not open is logged and the job
/// runs unjournaled.
pub fn engine(paths: &Paths) -> Engine {
    let store = Store::open(paths)
        .inspect_err(|e| tracing::warn!("the store did not open, jobs are not journaled: {e}"))
        .ok();
    Engine::new(EngineConfig {
        store,
        state_dir: None,
        caller: Caller::Cli,
        refresh: None,
    })
}

/// Wait for job `id`; Ctrl-C cancels it. `Ok` when it succeeded; otherwise its last log
/// lines go to stderr and the error says why.
pub async fn run_to_end(engine: &Engine, id: JobId) -> Result<JobInfo, CliError> {
    let info = tokio::select! {
        info = engine.wait(id) => info,
        _ = tokio::signal::ctrl_c() => {
            engine.cancel(id);
            engine.wait(id).await
        }
    };
    let info = info.ok_or_else(|| CliError::new(format!("{id} vanished")))?;
    match &info.state {
        JobState::Succeeded => Ok(info),
        // A failed Proxmox task shows why in its log; a refused request says it in one line.
        JobState::Failed(reason) => Err(CliError::new(match &info.upid {
            Some(upid) => {
                print_tail(&info);
                format!("task {upid} failed: {reason}")
            }
            None => reason.clone(),
        })),
        other => Err(CliError::new(format!("{id} {}", other.name()))),
    }
}

/// The job's last lines (the Proxmox task's log among them), without the final "failed"
/// line the error repeats.
fn print_tail(info: &JobInfo) {
    let lines: Vec<&str> = info
        .log
        .iter()
        .map(|l| l.text.as_str())
        .filter(|t| !t.starts_with("failed: "))
        .collect();
    let skip = lines.len().saturating_sub(FAILED_LOG_TAIL);
    let mut err = std::io::stderr().lock();
    for line in &lines[skip..] {
        let _ = writeln!(err, "  | {}", clean_string(line));
    }
}

/// `logs JOB [--follow]`: the job's log, one line each with its time; with `follow`, new
/// lines until it ends (read again from the journal, where another process writes them).
pub async fn logs(paths: &Paths, id: JobId, follow: bool) -> Result<ExitCode, CliError> {
    let store = Store::open(paths).map_err(CliError::new)?;
    let mut printed = 0usize;
    let mut out = std::io::stdout().lock();
    loop {
        let info: JobInfo = store
            .jobs()
            .get(id.0)
            .map_err(CliError::new)?
            .ok_or_else(|| CliError::new(format!("no job {id} in the journal")))?;
        // The journal keeps the tail of a long log: count from the first line it still has.
        let lines: Vec<_> = info.log.iter().collect();
        for line in lines.iter().skip(printed) {
            writeln!(out, "{}  {}", stamp(line.at_ms), clean_string(&line.text))
                .map_err(CliError::new)?;
        }
        printed = printed.max(lines.len());
        out.flush().map_err(CliError::new)?;
        if !follow || info.state.is_finished() {
            return match info.state {
                JobState::Failed(reason) => Err(CliError::new(format!("{id} failed: {reason}"))),
                _ => Ok(ExitCode::SUCCESS),
            };
        }
        tokio::time::sleep(FOLLOW_POLL).await;
    }
}

/// `HH:MM:SS.mmm` UTC of a unix time in ms.
fn stamp(at_ms: u64) -> String {
    let secs = at_ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60,
        at_ms % 1000
    )
}
