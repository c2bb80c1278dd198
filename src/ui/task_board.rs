//! What the tasks view and the log viewer show, as the inbox delivers it: Proxmox tasks per
//! host and Proximity's own jobs (`TaskBoard`), and the identity of one log (`LogSource`).
//! The board outlives the views, so reopening the tasks view draws the last rows at once.

use std::collections::BTreeMap;
use std::time::SystemTime;

/// One log a viewer can show.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogSource {
    /// A Proxmox task, by the host it runs on and its UPID.
    Task { host: String, upid: String },
    /// A Proximity job (deployment, backup...), by its id in the engine's registry.
    Job { id: u64 },
}

impl LogSource {
    /// A short name for titles and file names: `vzdump 101`, `job 7`.
    pub fn title(&self) -> String {
        match self {
            LogSource::Task { upid, .. } => match upid.parse::<crate::pve::Upid>() {
                Ok(u) if u.id().is_empty() => format!("task {}", u.kind()),
                Ok(u) => format!("task {} {}", u.kind(), u.id()),
                Err(_) => format!("task {upid}"),
            },
            LogSource::Job { id } => format!("job {id}"),
        }
    }

    /// A file name safe on every file system: letters, digits, `-` and `_` only.
    pub fn file_stem(&self) -> String {
        let raw = match self {
            LogSource::Task { host, upid } => {
                let short = upid.split(':').take(6).collect::<Vec<_>>().join("-");
                format!("{host}-{short}")
            }
            LogSource::Job { id } => format!("job-{id}"),
        };
        raw.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

/// One line of a log: Proxmox task logs carry no time per line, Proximity's jobs do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub at: Option<SystemTime>,
    pub text: String,
}

impl LogLine {
    pub fn new(text: impl Into<String>) -> LogLine {
        LogLine {
            at: None,
            text: text.into(),
        }
    }
}

/// Where a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RowOrigin {
    /// A Proximity job.
    Job,
    /// A Proxmox task.
    Pve,
}

impl RowOrigin {
    pub fn name(self) -> &'static str {
        match self {
            RowOrigin::Job => "job",
            RowOrigin::Pve => "pve",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskState {
    Running,
    Ok,
    Error,
    Cancelled,
}

impl TaskState {
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Running => "running",
            TaskState::Ok => "ok",
            TaskState::Error => "error",
            TaskState::Cancelled => "cancelled",
        }
    }
}

/// One row of the tasks view: a Proxmox task or a Proximity job.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub origin: RowOrigin,
    pub host: String,
    pub node: String,
    /// `vzdump`, `qmstart`, `deploy`...
    pub kind: String,
    /// The guest id or other object the task works on; empty when none.
    pub target: String,
    pub user: String,
    pub state: TaskState,
    pub started: SystemTime,
    pub ended: Option<SystemTime>,
    /// What Enter opens and `c` cancels.
    pub log: LogSource,
}

impl TaskRow {
    /// Text from hosts and jobs made safe to draw (the board stores only clean rows).
    fn sanitized(mut self) -> TaskRow {
        for s in [
            &mut self.host,
            &mut self.node,
            &mut self.kind,
            &mut self.target,
            &mut self.user,
        ] {
            *s = crate::text::clean_string(s);
        }
        self
    }

    /// Seconds it ran (so far, while running).
    pub fn duration_secs(&self, now: SystemTime) -> u64 {
        let end = self.ended.unwrap_or(now);
        end.duration_since(self.started)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// Every known row: Proxmox tasks per host (each refresh replaces its host's list) and the
/// jobs (each event replaces the list).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskBoard {
    pub pve: BTreeMap<String, Vec<TaskRow>>,
    pub jobs: Vec<TaskRow>,
    /// When each host's list was fetched.
    pub fetched: BTreeMap<String, SystemTime>,
}

impl TaskBoard {
    pub fn set_host_rows(&mut self, host: String, rows: Vec<TaskRow>, at: SystemTime) {
        let rows = rows.into_iter().map(TaskRow::sanitized).collect();
        self.pve.insert(host.clone(), rows);
        self.fetched.insert(host, at);
    }

    pub fn set_jobs(&mut self, rows: Vec<TaskRow>) {
        self.jobs = rows.into_iter().map(TaskRow::sanitized).collect();
    }

    /// Every row, jobs first (the view sorts them anyway).
    pub fn rows(&self) -> impl Iterator<Item = &TaskRow> {
        self.jobs.iter().chain(self.pve.values().flatten())
    }
}

/// `HH:MM:SS` of a time, in UTC (the UI has no time zone database).
pub fn clock(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// `MM-DD HH:MM` of a time, in UTC: short enough for a table column.
pub fn month_day_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (_, month, day) = crate::civil::civil_from_days((secs / 86_400) as i64);
    format!(
        "{month:02}-{day:02} {:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60
    )
}

/// `YYYY-MM-DD HH:MM:SS` of a time, in UTC: for saved log files.
pub fn date_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (year, month, day) = crate::civil::civil_from_days((secs / 86_400) as i64);
    format!("{year:04}-{month:02}-{day:02} {}", clock(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_in_utc() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(month_day_time(t), "11-14 22:13");
        assert_eq!(clock(t), "22:13:20");
        assert_eq!(date_time(t), "2023-11-14 22:13:20");
    }

    #[test]
    fn file_stems_are_plain() {
        let s = LogSource::Task {
            host: "lab".into(),
            upid: "UPID:pve1:000A1B2C:0012D687:6553F100:vzdump:101:root@pam:".into(),
        };
        assert_eq!(
            s.file_stem(),
            "lab-UPID-pve1-000A1B2C-0012D687-6553F100-vzdump"
        );
        assert_eq!(LogSource::Job { id: 7 }.file_stem(), "job-7");
    }
}
