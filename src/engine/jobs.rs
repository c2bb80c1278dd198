//! Jobs: every operation that takes time runs as one, with an id, the caller that asked, a
//! target, a state, the current step and a progress fraction when known, a log of timestamped
//! lines, start and end times, and a cancel token (yazi's scheduler, gitui's async jobs).
//!
//! The registry is the engine's own state (never the UI's): a job body reports through its
//! [`JobCtx`], the registry records it and publishes a [`JobEvent`] that any front end can
//! follow. A job that changes Proxmox is also written to the store when it starts and at each
//! step (`store::JobsTree`), so the next start knows what was running when a process died.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use super::events::EngineEvent;
use crate::store::Store;

/// Log lines kept per job in memory (the store keeps fewer: see `PERSISTED_LOG_LINES`).
const MAX_LOG_LINES: usize = 10_000;
/// Finished jobs kept in the registry for the tasks view and `logs JOB`.
const MAX_FINISHED_JOBS: usize = 200;
/// The tail of a job's log written with its record: enough to tell what happened.
const PERSISTED_LOG_LINES: usize = 200;
/// New log lines reach the journal at most this often (steps and the end always do).
const JOURNAL_LOG_INTERVAL_MS: u64 = 1000;

/// A job's id: unique in the store (a persistent counter), shown as `job-N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub u64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job-{}", self.0)
    }
}

impl std::str::FromStr for JobId {
    type Err = String;
    fn from_str(s: &str) -> Result<JobId, String> {
        let digits = s.strip_prefix("job-").unwrap_or(s);
        digits
            .parse()
            .map(JobId)
            .map_err(|_| format!("'{s}' is not a job id (job-N)"))
    }
}

/// Who asked for a job: shown in the tasks view, and the audit trail later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Caller {
    Tui,
    Cli,
    /// Tests and other embedders.
    Api,
}

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Start,
    Stop,
    Shutdown,
    Reboot,
    Delete,
    /// Looking at a host's certificate before it is saved.
    HostProbe,
    /// Logging in to a host draft to prove it works.
    HostTest,
    /// Proving a host's credentials, then saving it.
    HostSave,
    /// Deploying a catalog app (or resuming a deployment).
    Deploy,
    /// Rolling a deployment back.
    Rollback,
    /// Updating a managed app (snapshot, pull, up, health; rolled back on failure).
    Update,
    /// Changing a managed app's variables (compose file rewritten, services re-created).
    Reconfigure,
    /// A managed app's `docker compose logs`, read into the job's log.
    AppLogs,
    /// Restarting a managed app's compose project (`docker compose restart`).
    AppRestart,
    /// Backing a guest up (`vzdump`).
    Backup,
    /// Restoring a backup into a container.
    Restore,
    /// Deleting a backup archive.
    BackupDelete,
    /// Taking a container snapshot.
    Snapshot,
    /// Rolling a container back to a snapshot.
    SnapshotRollback,
    /// Deleting a container snapshot.
    SnapshotDelete,
}

impl JobKind {
    pub fn label(self) -> &'static str {
        match self {
            JobKind::Start => "start",
            JobKind::Stop => "stop",
            JobKind::Shutdown => "shutdown",
            JobKind::Reboot => "reboot",
            JobKind::Delete => "delete",
            JobKind::HostProbe => "host probe",
            JobKind::HostTest => "host test",
            JobKind::HostSave => "host save",
            JobKind::Deploy => "deploy",
            JobKind::Rollback => "rollback",
            JobKind::Update => "update",
            JobKind::Reconfigure => "reconfigure",
            JobKind::AppLogs => "app logs",
            JobKind::AppRestart => "compose restart",
            JobKind::Backup => "backup",
            JobKind::Restore => "restore",
            JobKind::BackupDelete => "backup delete",
            JobKind::Snapshot => "snapshot",
            JobKind::SnapshotRollback => "rollback to snapshot",
            JobKind::SnapshotDelete => "snapshot delete",
        }
    }

    /// Jobs that change Proxmox are journaled in the store.
    pub fn changes_proxmox(self) -> bool {
        matches!(
            self,
            JobKind::Start
                | JobKind::Stop
                | JobKind::Shutdown
                | JobKind::Reboot
                | JobKind::Delete
                | JobKind::Deploy
                | JobKind::Rollback
                | JobKind::Update
                | JobKind::Reconfigure
                | JobKind::Backup
                | JobKind::Restore
                | JobKind::BackupDelete
                | JobKind::Snapshot
                | JobKind::SnapshotRollback
                | JobKind::SnapshotDelete
        )
    }
}

/// What a job acts on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JobTarget {
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed(String),
    Cancelled,
    /// Found running in the store at start: the process that ran it died.
    Interrupted,
}

impl JobState {
    pub fn is_finished(&self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }

    pub fn name(&self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "ok",
            JobState::Failed(_) => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Interrupted => "interrupted",
        }
    }
}

/// One line of a job's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub at_ms: u64,
    pub text: String,
}

/// A snapshot of a job, as the registry and the store hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobInfo {
    pub id: JobId,
    pub kind: JobKind,
    pub caller: Caller,
    pub target: JobTarget,
    pub state: JobState,
    #[serde(default)]
    pub step: Option<String>,
    #[serde(default)]
    pub fraction: Option<f32>,
    /// The Proxmox task the job waits on, once there is one.
    #[serde(default)]
    pub upid: Option<String>,
    pub started_ms: u64,
    #[serde(default)]
    pub ended_ms: Option<u64>,
    /// The log as kept in memory (its tail when long); lines are sanitized when added.
    #[serde(default)]
    pub log: VecDeque<LogLine>,
    /// Lines ever logged: `log` holds the last ones, so its first line is number
    /// `log_total - log.len()`.
    #[serde(default)]
    pub log_total: usize,
}

impl crate::store::HasJobId for JobInfo {
    fn job_id(&self) -> u64 {
        self.id.0
    }
}

/// What the registry publishes. `Log` carries only the new line: a follower keeps its copy.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    Started(Box<JobInfo>),
    Step {
        id: JobId,
        step: Option<String>,
        fraction: Option<f32>,
        upid: Option<String>,
    },
    Log {
        id: JobId,
        /// The line's number in the job's log, from 0. A number already published replaces
        /// that line (progress drawn in place); lines after it stay and are redrawn next.
        index: usize,
        line: LogLine,
    },
    /// The final snapshot (without its log: followers have it).
    Finished(Box<JobInfo>),
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

struct Entry {
    info: JobInfo,
    /// When the journal last got this job's record.
    last_persist_ms: u64,
    cancel: CancellationToken,
    /// Flips to the final state; `wait` watches it.
    done: watch::Sender<bool>,
    /// Lines from the end of the log the next command output line replaces (progress
    /// drawn in place moved the cursor up over them); 0 appends.
    redraw: usize,
}

/// The jobs of this process, by id. Cheap to clone.
#[derive(Clone)]
pub struct JobRegistry {
    inner: Arc<RegistryInner>,
}

struct RegistryInner {
    jobs: Mutex<BTreeMap<JobId, Entry>>,
    events: broadcast::Sender<EngineEvent>,
    store: Option<Store>,
    /// Ids without a store: counted from the start time so they do not repeat soon.
    next_id: Mutex<u64>,
}

impl JobRegistry {
    pub fn new(store: Option<Store>, events: broadcast::Sender<EngineEvent>) -> JobRegistry {
        JobRegistry {
            inner: Arc::new(RegistryInner {
                jobs: Mutex::new(BTreeMap::new()),
                events,
                store,
                next_id: Mutex::new(1),
            }),
        }
    }

    fn jobs(&self) -> MutexGuard<'_, BTreeMap<JobId, Entry>> {
        // A panic while holding this lock left a consistent map (every update is one
        // assignment): keep going with it.
        self.inner.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn new_id(&self) -> JobId {
        if let Some(store) = &self.inner.store {
            match store.jobs().next_id() {
                Ok(id) => return JobId(id),
                Err(e) => tracing::warn!("job id from the store: {e}"),
            }
        }
        let mut next = self.inner.next_id.lock().unwrap_or_else(|e| e.into_inner());
        let id = *next;
        *next += 1;
        JobId(id)
    }

    /// Register a job as running and hand back its context.
    pub fn begin(&self, kind: JobKind, caller: Caller, target: JobTarget) -> JobCtx {
        let id = self.new_id();
        let info = JobInfo {
            id,
            kind,
            caller,
            target,
            state: JobState::Running,
            step: None,
            fraction: None,
            upid: None,
            started_ms: now_ms(),
            ended_ms: None,
            log: VecDeque::new(),
            log_total: 0,
        };
        let cancel = CancellationToken::new();
        let (done, _) = watch::channel(false);
        self.persist(&info);
        // Registered before it is announced: a subscriber may ask for it at once.
        self.jobs().insert(
            id,
            Entry {
                last_persist_ms: info.started_ms,
                info: info.clone(),
                cancel: cancel.clone(),
                done,
                redraw: 0,
            },
        );
        self.publish(JobEvent::Started(Box::new(info)));
        JobCtx {
            id,
            registry: self.clone(),
            cancel,
        }
    }

    fn publish(&self, event: JobEvent) {
        // No subscriber is fine (a CLI that only waits).
        let _ = self.inner.events.send(EngineEvent::Job(event));
    }

    fn persist(&self, info: &JobInfo) {
        if !info.kind.changes_proxmox() {
            return;
        }
        let Some(store) = &self.inner.store else {
            return;
        };
        if let Err(e) = store.jobs().put(info) {
            tracing::warn!("journaling {}: {e}", info.id);
        }
    }

    /// Change a running job; `None` when there is no such running job.
    fn with_job<R>(&self, id: JobId, f: impl FnOnce(&mut Entry) -> R) -> Option<R> {
        let mut jobs = self.jobs();
        let entry = jobs.get_mut(&id)?;
        if entry.info.state.is_finished() {
            return None;
        }
        Some(f(entry))
    }

    fn set_step(&self, id: JobId, step: Option<String>, fraction: Option<f32>) {
        let fraction = fraction.map(|f| f.clamp(0.0, 1.0));
        let changed = self.with_job(id, |e| {
            e.info.step = step.clone();
            e.info.fraction = fraction;
            e.last_persist_ms = now_ms();
            (journal_record(&e.info), e.info.upid.clone())
        });
        if let Some((record, upid)) = changed {
            self.persist(&record);
            self.publish(JobEvent::Step {
                id,
                step,
                fraction,
                upid,
            });
        }
    }

    fn set_progress(&self, id: JobId, fraction: Option<f32>) {
        let fraction = fraction.map(|f| f.clamp(0.0, 1.0));
        let changed = self.with_job(id, |e| {
            e.info.fraction = fraction;
            (e.info.step.clone(), e.info.upid.clone())
        });
        if let Some((step, upid)) = changed {
            self.publish(JobEvent::Step {
                id,
                step,
                fraction,
                upid,
            });
        }
    }

    fn set_upid(&self, id: JobId, upid: String) {
        let changed = self.with_job(id, |e| {
            e.info.upid = Some(upid.clone());
            e.last_persist_ms = now_ms();
            (
                journal_record(&e.info),
                e.info.step.clone(),
                e.info.fraction,
            )
        });
        if let Some((record, step, fraction)) = changed {
            self.persist(&record);
            self.publish(JobEvent::Step {
                id,
                step,
                fraction,
                upid: Some(upid),
            });
        }
    }

    fn log(&self, id: JobId, text: &str) {
        self.write_log(id, text, None);
    }

    /// Appends a line (`up` None: the job's own words), or places a line of command output
    /// as a terminal would (`up` Some: after the cursor moved up that many lines, the line
    /// replaces one already in the log, published again under its number).
    fn write_log(&self, id: JobId, text: &str, up: Option<usize>) {
        let line = LogLine {
            at_ms: now_ms(),
            text: crate::text::clean_string(text),
        };
        let added = self.with_job(id, |e| {
            let index = match up {
                None => {
                    e.redraw = 0;
                    None
                }
                Some(up) => {
                    e.redraw = (e.redraw + up).min(e.info.log.len());
                    (e.redraw > 0).then(|| {
                        let at = e.info.log.len() - e.redraw;
                        e.redraw -= 1;
                        if let Some(old) = e.info.log.get_mut(at) {
                            *old = line.clone();
                        }
                        e.info.log_total - e.info.log.len() + at
                    })
                }
            };
            let index = index.unwrap_or_else(|| {
                if e.info.log.len() >= MAX_LOG_LINES {
                    e.info.log.pop_front();
                }
                e.info.log.push_back(line.clone());
                e.info.log_total += 1;
                e.info.log_total - 1
            });
            // Another process following this job (`logs JOB --follow`) reads the journal:
            // write the new lines at most once per interval, not once per line.
            let due = line.at_ms.saturating_sub(e.last_persist_ms) >= JOURNAL_LOG_INTERVAL_MS;
            if due {
                e.last_persist_ms = line.at_ms;
            }
            (index, due.then(|| journal_record(&e.info)))
        });
        if let Some((index, record)) = added {
            if let Some(record) = record {
                self.persist(&record);
            }
            self.publish(JobEvent::Log { id, index, line });
        }
    }

    fn finish(&self, id: JobId, state: JobState) {
        let finished = {
            let mut jobs = self.jobs();
            let Some(entry) = jobs.get_mut(&id) else {
                return;
            };
            if entry.info.state.is_finished() {
                return;
            }
            entry.info.state = state;
            entry.info.ended_ms = Some(now_ms());
            if entry.info.state == JobState::Succeeded {
                entry.info.fraction = Some(1.0);
            }
            journal_record(&entry.info)
        };
        // Journaled and announced before waiters wake: whoever waited reads the end
        // everywhere.
        self.persist(&finished);
        let mut event = finished;
        event.log.clear();
        self.publish(JobEvent::Finished(Box::new(event)));
        let mut jobs = self.jobs();
        if let Some(entry) = jobs.get(&id) {
            entry.done.send_replace(true);
        }
        prune_finished(&mut jobs);
    }

    /// Ask a job to stop. Returns false when there is no such running job.
    pub fn cancel(&self, id: JobId) -> bool {
        let jobs = self.jobs();
        match jobs.get(&id) {
            Some(e) if !e.info.state.is_finished() => {
                e.cancel.cancel();
                true
            }
            _ => false,
        }
    }

    /// A snapshot of one job (with its log).
    pub fn get(&self, id: JobId) -> Option<JobInfo> {
        self.jobs().get(&id).map(|e| e.info.clone())
    }

    /// Snapshots of every job this process knows, oldest first, without their logs.
    pub fn list(&self) -> Vec<JobInfo> {
        self.jobs()
            .values()
            .map(|e| JobInfo {
                log: VecDeque::new(),
                ..journal_record(&e.info)
            })
            .collect()
    }

    /// Jobs still running.
    pub fn running(&self) -> usize {
        self.jobs()
            .values()
            .filter(|e| !e.info.state.is_finished())
            .count()
    }

    /// Wait for a job to end; its final snapshot.
    pub async fn wait(&self, id: JobId) -> Option<JobInfo> {
        let mut rx = {
            let jobs = self.jobs();
            jobs.get(&id)?.done.subscribe()
        };
        // `wait_for` returns at once when the job already finished; an Err means the
        // entry (and its sender) was pruned, which only happens to finished jobs.
        let _ = rx.wait_for(|done| *done).await;
        self.get(id)
    }
}

/// A job's record for the journal: everything but the head of a long log.
fn journal_record(info: &JobInfo) -> JobInfo {
    // Field by field: cloning the whole log (up to MAX_LOG_LINES) to drop most of it would
    // cost O(log) per step.
    let skip = info.log.len().saturating_sub(PERSISTED_LOG_LINES);
    JobInfo {
        log: info.log.iter().skip(skip).cloned().collect(),
        id: info.id,
        kind: info.kind,
        caller: info.caller,
        target: info.target.clone(),
        state: info.state.clone(),
        step: info.step.clone(),
        fraction: info.fraction,
        upid: info.upid.clone(),
        started_ms: info.started_ms,
        ended_ms: info.ended_ms,
        log_total: info.log_total,
    }
}

/// Keep at most `MAX_FINISHED_JOBS` finished jobs (the oldest go first).
fn prune_finished(jobs: &mut BTreeMap<JobId, Entry>) {
    let finished: Vec<JobId> = jobs
        .iter()
        .filter(|(_, e)| e.info.state.is_finished())
        .map(|(id, _)| *id)
        .collect();
    let excess = finished.len().saturating_sub(MAX_FINISHED_JOBS);
    for id in finished.into_iter().take(excess) {
        jobs.remove(&id);
    }
}

/// What a job body holds: report steps, progress and log lines; check for cancellation.
/// Dropping it without `succeed`/`fail` marks the job failed (a body that panicked or
/// returned early must not leave a job "running" forever).
pub struct JobCtx {
    id: JobId,
    registry: JobRegistry,
    cancel: CancellationToken,
}

impl JobCtx {
    pub fn id(&self) -> JobId {
        self.id
    }

    /// Start a named step; `fraction` is the whole job's progress when known.
    pub fn step(&self, step: impl Into<String>, fraction: Option<f32>) {
        let step = step.into();
        self.registry.log(self.id, &step);
        self.registry.set_step(self.id, Some(step), fraction);
    }

    pub fn progress(&self, fraction: f32) {
        self.registry.set_progress(self.id, Some(fraction));
    }

    pub fn upid(&self, upid: impl Into<String>) {
        self.registry.set_upid(self.id, upid.into());
    }

    /// A line of command output, placed as a terminal would (see
    /// [`crate::deploy::exec::OutputLine`]): progress drawn in place replaces its lines
    /// instead of adding one per redraw.
    pub fn log_output(&self, line: crate::deploy::exec::OutputLine<'_>) {
        self.registry.write_log(self.id, line.text, Some(line.up));
    }

    pub fn log(&self, text: &str) {
        self.registry.log(self.id, text);
    }

    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    pub fn succeed(self) {
        self.registry.finish(self.id, JobState::Succeeded);
    }

    pub fn fail(self, reason: impl Into<String>) {
        let reason = crate::text::clean_string(&reason.into());
        self.registry.log(self.id, &format!("failed: {reason}"));
        self.registry.finish(self.id, JobState::Failed(reason));
    }

    pub fn cancelled(self) {
        self.registry.log(self.id, "cancelled");
        self.registry.finish(self.id, JobState::Cancelled);
    }
}

impl Drop for JobCtx {
    fn drop(&mut self) {
        // No-op when the body already finished it.
        self.registry.finish(
            self.id,
            JobState::Failed("the job ended without a result".into()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> (JobRegistry, broadcast::Receiver<EngineEvent>) {
        let (tx, rx) = broadcast::channel(64);
        (JobRegistry::new(None, tx), rx)
    }

    fn target() -> JobTarget {
        JobTarget {
            host: "h".into(),
            node: None,
            vmid: Some(100),
        }
    }

    #[test]
    fn a_job_reports_steps_logs_and_its_end_in_order() {
        let (reg, mut rx) = registry();
        let ctx = reg.begin(JobKind::Start, Caller::Api, target());
        let id = ctx.id();
        ctx.step("starting", Some(0.5));
        ctx.log("line \x1b[31mred\x1b[0m");
        ctx.succeed();
        let mut seen = Vec::new();
        while let Ok(EngineEvent::Job(e)) = rx.try_recv() {
            seen.push(e);
        }
        assert!(matches!(&seen[0], JobEvent::Started(i) if i.id == id));
        assert!(matches!(&seen[1], JobEvent::Log { line, .. } if line.text == "starting"));
        assert!(
            matches!(&seen[2], JobEvent::Step { step: Some(s), fraction: Some(f), .. } if s == "starting" && *f == 0.5)
        );
        assert!(matches!(&seen[3], JobEvent::Log { line, .. } if line.text == "line red"));
        assert!(
            matches!(&seen[4], JobEvent::Finished(i) if i.state == JobState::Succeeded && i.fraction == Some(1.0))
        );
        let info = reg.get(id).unwrap();
        assert_eq!(info.log.len(), 2);
        assert!(info.ended_ms.is_some());
    }

    #[test]
    fn pull_progress_drawn_in_place_ends_as_one_line_per_layer() {
        use crate::deploy::exec::OutputLine;
        let (reg, mut rx) = registry();
        let ctx = reg.begin(JobKind::Deploy, Caller::Api, target());
        let id = ctx.id();
        ctx.log("$ docker compose pull");
        // Three layers redrawn at each percent, as `docker compose pull` does on a terminal.
        for percent in (0..=100).step_by(10) {
            for layer in 0..3 {
                let up = if percent > 0 && layer == 0 { 3 } else { 0 };
                let text = format!("layer{layer} Downloading {percent}%");
                ctx.log_output(OutputLine { text: &text, up });
            }
        }
        ctx.log_output(OutputLine::new("Pulled"));
        ctx.log("done");
        let info = reg.get(id).unwrap();
        let texts: Vec<&str> = info.log.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "$ docker compose pull",
                "layer0 Downloading 100%",
                "layer1 Downloading 100%",
                "layer2 Downloading 100%",
                "Pulled",
                "done",
            ]
        );
        assert_eq!(info.log_total, 6);
        // Followers got each redraw under the number of the line it replaces.
        let mut last = std::collections::BTreeMap::new();
        while let Ok(EngineEvent::Job(e)) = rx.try_recv() {
            if let JobEvent::Log { index, line, .. } = e {
                last.insert(index, line.text);
            }
        }
        let followed: Vec<&str> = last.values().map(String::as_str).collect();
        assert_eq!(followed, texts);
    }

    #[test]
    fn a_dropped_context_fails_the_job_and_cancel_needs_a_running_job() {
        let (reg, _rx) = registry();
        let ctx = reg.begin(JobKind::Stop, Caller::Api, target());
        let id = ctx.id();
        assert!(reg.cancel(id));
        assert!(ctx.is_cancelled());
        drop(ctx);
        assert!(matches!(reg.get(id).unwrap().state, JobState::Failed(_)));
        assert!(!reg.cancel(id), "a finished job cannot be cancelled");
        assert!(!reg.cancel(JobId(999)));
    }

    #[test]
    fn job_ids_parse_with_or_without_prefix() {
        assert_eq!("job-12".parse::<JobId>(), Ok(JobId(12)));
        assert_eq!("12".parse::<JobId>(), Ok(JobId(12)));
        assert!("job-x".parse::<JobId>().is_err());
        assert_eq!(JobId(7).to_string(), "job-7");
    }

    #[tokio::test]
    async fn wait_returns_the_final_snapshot() {
        let (reg, _rx) = registry();
        let ctx = reg.begin(JobKind::Reboot, Caller::Api, target());
        let id = ctx.id();
        let waiter = tokio::spawn({
            let reg = reg.clone();
            async move { reg.wait(id).await }
        });
        tokio::task::yield_now().await;
        ctx.fail("boom");
        let info = waiter.await.unwrap().unwrap();
        assert_eq!(info.state, JobState::Failed("boom".into()));
        assert_eq!(reg.running(), 0);
    }
}
