//! Rows of the tasks view from the engine's jobs and Proxmox's task list.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::task_board::{LogSource, RowOrigin, TaskRow, TaskState};
use crate::engine::{JobInfo, JobState};
use crate::pve::TaskListEntry;

fn from_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// A Proximity job as a row (the board sanitizes its text).
pub fn job_row(job: &JobInfo) -> TaskRow {
    TaskRow {
        origin: RowOrigin::Job,
        host: job.target.host.clone(),
        node: job.target.node.clone().unwrap_or_default(),
        kind: job.kind.label().to_string(),
        target: job.target.vmid.map(|v| v.to_string()).unwrap_or_default(),
        user: format!("{:?}", job.caller).to_lowercase(),
        state: match job.state {
            JobState::Queued | JobState::Running => TaskState::Running,
            JobState::Succeeded => TaskState::Ok,
            JobState::Cancelled => TaskState::Cancelled,
            JobState::Failed(_) | JobState::Interrupted => TaskState::Error,
        },
        started: from_ms(job.started_ms),
        ended: job.ended_ms.map(from_ms),
        log: LogSource::Job { id: job.id.0 },
    }
}

/// A Proxmox task as a row. Running: no end time and a status that is absent or `RUNNING`;
/// `OK` and `WARNINGS: n` are fine; anything else is the error.
pub fn task_row(host: &str, t: &TaskListEntry) -> TaskRow {
    let running = t.endtime.is_none()
        && t.status
            .as_deref()
            .is_none_or(|s| s.is_empty() || s == "RUNNING");
    let state = if running {
        TaskState::Running
    } else if t.status.as_deref().is_some_and(crate::pve::exit_ok) {
        TaskState::Ok
    } else {
        TaskState::Error
    };
    TaskRow {
        origin: RowOrigin::Pve,
        host: host.to_string(),
        node: t.node.clone(),
        kind: t.kind.clone(),
        target: t.id.clone(),
        user: t.user.clone(),
        state,
        started: UNIX_EPOCH + Duration::from_secs(t.starttime),
        ended: t.endtime.map(|e| UNIX_EPOCH + Duration::from_secs(e)),
        log: LogSource::Task {
            host: host.to_string(),
            upid: t.upid.clone(),
        },
    }
}
