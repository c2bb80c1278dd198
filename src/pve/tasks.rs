//! Tasks (`WIRE.md` §2): status, log pages, a follow stream that yields log lines as they
//! are written until the task stops, `wait_task`, stop, and the filtered task list.

use std::time::Duration;

use futures_util::Stream;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::client::{PveClient, seg};
use super::error::{PveError, Result};
use super::params::Params;
use super::upid::Upid;

/// `GET /nodes/{node}/tasks/{upid}/status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    #[serde(default)]
    pub upid: String,
    #[serde(default)]
    pub node: String,
    /// `running` or `stopped`.
    pub status: String,
    /// Only when stopped: `OK`, `WARNINGS: n`, or the error message.
    #[serde(default)]
    pub exitstatus: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub tokenid: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub starttime: u64,
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub pid: u64,
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub pstart: u64,
}

impl TaskStatus {
    /// True while the task runs.
    pub fn is_running(&self) -> bool {
        self.status == "running"
    }

    /// True once stopped with `OK` or `WARNINGS: n` (Proxmox counts warnings as success).
    pub fn succeeded(&self) -> bool {
        !self.is_running() && self.exitstatus.as_deref().is_some_and(exit_ok)
    }
}

/// Proxmox's success rule for an exit status.
pub fn exit_ok(exitstatus: &str) -> bool {
    exitstatus == "OK" || exitstatus.starts_with("WARNINGS: ")
}

/// One task log line. `n` is 1-based.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLogLine {
    #[serde(deserialize_with = "super::lenient::u64_or_zero")]
    pub n: u64,
    #[serde(default)]
    pub t: String,
}

/// A page of a task log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskLogPage {
    pub lines: Vec<TaskLogLine>,
    /// Total lines in the log (the envelope's `total`).
    pub total: u64,
}

/// One entry of `GET /nodes/{node}/tasks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskListEntry {
    pub upid: String,
    #[serde(default)]
    pub node: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub tokenid: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub starttime: u64,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub endtime: Option<u64>,
    /// `RUNNING` for active tasks, else the exit status; absent for some archived entries.
    #[serde(default)]
    pub status: Option<String>,
}

/// Filters of `GET /nodes/{node}/tasks`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    pub start: Option<u64>,
    pub limit: Option<u64>,
    /// Case-insensitive user substring.
    pub userfilter: Option<String>,
    /// Exact task type (`vzstart`...).
    pub typefilter: Option<String>,
    pub vmid: Option<u32>,
    /// Only failed tasks.
    pub errors: Option<bool>,
    /// `archive` (default), `active` or `all`.
    pub source: Option<String>,
    pub since: Option<u64>,
    pub until: Option<u64>,
    /// Comma list of `ok,warning,error,unknown`.
    pub statusfilter: Option<String>,
}

impl TaskFilter {
    fn params(&self) -> Params {
        Params::new()
            .opt("start", self.start)
            .opt("limit", self.limit)
            .opt("userfilter", self.userfilter.as_deref())
            .opt("typefilter", self.typefilter.as_deref())
            .opt("vmid", self.vmid)
            .opt_flag("errors", self.errors)
            .opt("source", self.source.as_deref())
            .opt("since", self.since)
            .opt("until", self.until)
            .opt("statusfilter", self.statusfilter.as_deref())
    }
}

/// Lines fetched per log request while following.
const FOLLOW_PAGE: u64 = 500;

fn task_path(upid: &Upid, leaf: &str) -> String {
    format!(
        "/nodes/{}/tasks/{}{}",
        seg(upid.node()),
        seg(upid.as_str()),
        leaf
    )
}

/// Proxmox pads an empty log with `{n:1, t:"no content"}` (an ExtJS workaround); it is not
/// a real line and must not advance the cursor.
fn is_placeholder(line: &TaskLogLine, seen: u64) -> bool {
    seen == 0 && line.n == 1 && line.t == "no content"
}

struct Follow {
    client: PveClient,
    upid: Upid,
    poll: Duration,
    seen: u64,
    done: bool,
}

impl Follow {
    /// Waits until new lines exist or the task has stopped; returns the batch.
    async fn next_batch(&mut self) -> Option<Vec<Result<TaskLogLine>>> {
        loop {
            if self.done {
                return None;
            }
            // Status before log: once `stopped` is seen, the log read after it is complete.
            let stopped = match self.client.task_status(&self.upid).await {
                Ok(s) => !s.is_running(),
                Err(e) => {
                    self.done = true;
                    return Some(vec![Err(e)]);
                }
            };
            let page = match self
                .client
                .task_log(&self.upid, self.seen, FOLLOW_PAGE)
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    self.done = true;
                    return Some(vec![Err(e)]);
                }
            };
            let full_page = page.lines.len() as u64 >= FOLLOW_PAGE;
            let mut out = Vec::new();
            for line in page.lines {
                if line.n > self.seen && !is_placeholder(&line, self.seen) {
                    self.seen = line.n;
                    out.push(Ok(line));
                }
            }
            if stopped && !full_page {
                self.done = true;
            }
            if !out.is_empty() {
                return Some(out);
            }
            if !self.done && !full_page {
                tokio::time::sleep(self.poll).await;
            }
        }
    }
}

impl PveClient {
    /// `GET /nodes/{node}/tasks/{upid}/status` (the node comes from the UPID).
    pub async fn task_status(&self, upid: &Upid) -> Result<TaskStatus> {
        self.get(&task_path(upid, "/status"), &Params::new()).await
    }

    /// `GET /nodes/{node}/tasks/{upid}/log?start=&limit=`: lines `start+1 ..= start+limit`.
    pub async fn task_log(&self, upid: &Upid, start: u64, limit: u64) -> Result<TaskLogPage> {
        let params = Params::new().set("start", start).set("limit", limit);
        let (lines, total) = self
            .get_with_total::<Vec<TaskLogLine>>(&task_path(upid, "/log"), &params)
            .await?;
        Ok(TaskLogPage { lines, total })
    }

    /// `DELETE /nodes/{node}/tasks/{upid}`: stop a running task.
    pub async fn task_stop(&self, upid: &Upid) -> Result<()> {
        let _: Option<serde_json::Value> =
            self.delete(&task_path(upid, ""), &Params::new()).await?;
        Ok(())
    }

    /// `GET /nodes/{node}/tasks` with filters; returns the entries and the matching total.
    pub async fn task_list(
        &self,
        node: &str,
        filter: &TaskFilter,
    ) -> Result<(Vec<TaskListEntry>, u64)> {
        self.get_with_total(&format!("/nodes/{}/tasks", seg(node)), &filter.params())
            .await
    }

    /// `GET /cluster/tasks`: the cluster's recent tasks, every node, running ones included
    /// (no parameters, no paging: Proxmox returns its own recent window). A running task has
    /// no `endtime`, and its `status` is absent or `RUNNING`.
    pub async fn cluster_tasks(&self) -> Result<Vec<TaskListEntry>> {
        self.get("/cluster/tasks", &Params::new()).await
    }

    /// Follows a task's log: yields every line already written, then new lines as they are
    /// written (polling every `poll`), and ends after the task stops and its last line
    /// (`TASK OK` / `TASK ERROR: ...`) is delivered. An API error ends the stream after
    /// being yielded. Lines are raw server text: sanitize before printing to a terminal.
    pub fn follow_task_log(
        &self,
        upid: &Upid,
        poll: Duration,
    ) -> impl Stream<Item = Result<TaskLogLine>> + Send + 'static {
        let state = Follow {
            client: self.clone(),
            upid: upid.clone(),
            poll,
            seen: 0,
            done: false,
        };
        futures_util::stream::unfold(state, |mut st| async move {
            st.next_batch().await.map(|batch| (batch, st))
        })
        .flat_map(futures_util::stream::iter)
    }

    /// Polls the task every `poll` until it stops. `Ok` with the final status on `OK` or
    /// `WARNINGS: n`; `PveError::TaskFailed` with the exit status otherwise. Wrap in
    /// `tokio::time::timeout` to bound the wait.
    pub async fn wait_task(&self, upid: &Upid, poll: Duration) -> Result<TaskStatus> {
        loop {
            let status = self.task_status(upid).await?;
            if !status.is_running() {
                if status.succeeded() {
                    return Ok(status);
                }
                return Err(PveError::TaskFailed {
                    upid: upid.to_string(),
                    exitstatus: super::error::clean_message(
                        status.exitstatus.as_deref().unwrap_or("unexpected status"),
                    ),
                });
            }
            tokio::time::sleep(poll).await;
        }
    }
}
