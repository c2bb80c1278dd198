//! Worker tasks: UPIDs (`UPID:node:PID:PSTART:STARTTIME:type:id:user:`), real tokio jobs whose
//! log grows line by line and ends `TASK OK` / `TASK ERROR: ...`, and the `/nodes/{n}/tasks`
//! endpoints (list filters, status, log paging, stop).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use super::clock;
use super::http::{ApiError, ApiResult, Params, Reply};
use super::model::{Model, Task};
use super::state::{Ctx, Sim};

/// Finished tasks kept in the archive (oldest dropped first).
const ARCHIVE_MAX: usize = 2000;

pub fn format_upid(
    node: &str,
    pid: u32,
    pstart: u32,
    start: u64,
    ttype: &str,
    id: &str,
    user: &str,
) -> String {
    format!("UPID:{node}:{pid:08X}:{pstart:08X}:{start:08X}:{ttype}:{id}:{user}:")
}

/// Whether `s` matches pve-common's UPID grammar (node, 8 hex pid, 8-9 hex pstart, 8 hex
/// starttime, type, id, user).
pub fn valid_upid(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("UPID:").and_then(|r| r.strip_suffix(':')) else {
        return false;
    };
    let f: Vec<&str> = rest.split(':').collect();
    if f.len() != 7 {
        return false;
    }
    let node_ok = !f[0].is_empty()
        && f[0].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !f[0].starts_with('-')
        && !f[0].ends_with('-');
    let clean = |x: &str| !x.contains(|c: char| c.is_whitespace() || c == '/');
    let hex = |x: &str, min: usize, max: usize| {
        x.len() >= min && x.len() <= max && x.bytes().all(|b| b.is_ascii_hexdigit())
    };
    node_ok
        && hex(f[1], 8, 8)
        && hex(f[2], 8, 9)
        && hex(f[3], 8, 8)
        && !f[4].is_empty()
        && clean(f[4])
        && clean(f[5])
        && !f[6].is_empty()
        && clean(f[6])
}

/// Handle given to a running job.
#[derive(Clone)]
pub struct TaskCtx {
    pub sim: Arc<Sim>,
    pub upid: String,
    cancel: CancellationToken,
}

impl TaskCtx {
    pub fn log(&self, line: impl Into<String>) {
        let line = line.into();
        self.sim.with(|m| {
            if let Some(t) = m.task_mut(&self.upid) {
                t.log.push(line);
            }
        });
    }

    /// Wait one task step; Err when the task was stopped (`DELETE .../tasks/{upid}`).
    pub async fn step(&self) -> Result<(), String> {
        let d = Duration::from_millis(self.sim.config.task_step_ms);
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = self.cancel.cancelled() => Err("received interrupt".into()),
        }
    }

    pub fn cancelled(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

/// Start a worker: the UPID exists (and is listed as running) before this returns.
pub fn spawn<F, Fut>(
    sim: &Arc<Sim>,
    node: &str,
    ttype: &str,
    id: &str,
    user: &str,
    job: F,
) -> String
where
    F: FnOnce(TaskCtx) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let now = clock::now_epoch();
    let upid = sim.with(|m| {
        let pid = m.next_pid;
        m.next_pid = m.next_pid.wrapping_add(1 + (pid % 7));
        let boot = m
            .nodes
            .iter()
            .find(|n| n.name == node)
            .map(|n| n.boot_epoch)
            .unwrap_or(now);
        // pstart is the process start in clock ticks since boot (USER_HZ 100).
        let pstart = (now.saturating_sub(boot) * 100) as u32;
        let upid = format_upid(node, pid, pstart, now, ttype, id, user);
        m.tasks.push(Task {
            upid: upid.clone(),
            node: node.into(),
            pid,
            pstart,
            starttime: now,
            ttype: ttype.into(),
            id: id.into(),
            user: user.into(),
            log: Vec::new(),
            endtime: None,
            exitstatus: None,
        });
        trim_archive(m);
        upid
    });
    let cancel = CancellationToken::new();
    sim.register_cancel(&upid, cancel.clone());
    let ctx = TaskCtx {
        sim: sim.clone(),
        upid: upid.clone(),
        cancel,
    };
    tokio::spawn(async move {
        let sim = ctx.sim.clone();
        let upid = ctx.upid.clone();
        // An injected failure ends the task before its job touches the model, so the
        // guest's state is what it was (like a real task failing early).
        let result = if sim.inject_task_fault() {
            ctx.log("starting work");
            let _ = ctx.step().await;
            ctx.log("simulated failure injected by --fail-task-rate");
            Err("simulated failure (--fail-task-rate)".to_string())
        } else {
            job(ctx).await
        };
        sim.take_cancel(&upid);
        let _ = sim.change(|m| {
            if let Some(t) = m.task_mut(&upid) {
                let (line, status) = match result {
                    Ok(()) => ("TASK OK".to_string(), "OK".to_string()),
                    Err(e) => {
                        let msg = e.trim_end().replace(['\n', '\r'], " ");
                        (format!("TASK ERROR: {msg}"), msg)
                    }
                };
                t.log.push(line);
                t.endtime = Some(clock::now_epoch());
                t.exitstatus = Some(status);
            }
            Ok::<(), ()>(())
        });
    });
    sim.dirty.notify_one();
    upid
}

fn trim_archive(m: &mut Model) {
    let finished = m.tasks.iter().filter(|t| t.endtime.is_some()).count();
    if finished > ARCHIVE_MAX {
        let mut drop = finished - ARCHIVE_MAX;
        m.tasks.retain(|t| {
            if drop > 0 && t.endtime.is_some() {
                drop -= 1;
                false
            } else {
                true
            }
        });
    }
}

fn task_fields(t: &Task) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("upid".into(), json!(t.upid));
    o.insert("node".into(), json!(t.node));
    o.insert("pid".into(), json!(t.pid));
    o.insert("pstart".into(), json!(t.pstart));
    o.insert("starttime".into(), json!(t.starttime));
    o.insert("type".into(), json!(t.ttype));
    o.insert("id".into(), json!(t.id));
    // Task lists split a token authid into user + tokenid.
    match t.user.split_once('!') {
        Some((user, tok)) => {
            o.insert("user".into(), json!(user));
            o.insert("tokenid".into(), json!(tok));
        }
        None => {
            o.insert("user".into(), json!(t.user));
        }
    }
    o
}

fn status_class(exit: &str) -> &'static str {
    if exit == "OK" {
        "ok"
    } else if exit.starts_with("WARNINGS:") {
        "warning"
    } else if exit == "unexpected status" {
        "unknown"
    } else {
        "error"
    }
}

/// `GET /nodes/{node}/tasks`.
pub fn list(ctx: &Ctx, node: &str) -> ApiResult {
    let p = Params(ctx.params);
    let start = p.int("start")?.unwrap_or(0).max(0) as usize;
    let limit = p.int("limit")?.unwrap_or(50).max(0) as usize;
    let userfilter = p.str("userfilter").map(str::to_lowercase);
    let typefilter = p.str("typefilter");
    let vmid = p.vmid("vmid")?;
    let errors = p.flag("errors")?;
    let source = p.str("source").unwrap_or("archive");
    if !matches!(source, "archive" | "active" | "all") {
        return Err(ApiError::param(
            "source",
            format!(
                "value '{source}' does not have a value in the enumeration 'archive, active, all'"
            ),
        ));
    }
    let since = p.int("since")?;
    let until = p.int("until")?;
    let statusfilter: Option<Vec<String>> = p
        .str("statusfilter")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());

    ctx.sim.with(|m| {
        m.node(node)?;
        let mut items: Vec<&Task> = m
            .tasks
            .iter()
            .filter(|t| t.node == node)
            .filter(|t| match source {
                "active" => t.endtime.is_none(),
                "archive" => t.endtime.is_some(),
                _ => true,
            })
            .filter(|t| {
                userfilter
                    .as_ref()
                    .is_none_or(|u| t.user.to_lowercase().contains(u))
            })
            .filter(|t| typefilter.is_none_or(|ty| t.ttype == ty))
            .filter(|t| vmid.is_none_or(|v| t.id == v.to_string()))
            .filter(|t| since.is_none_or(|s| t.starttime as i64 >= s))
            .filter(|t| until.is_none_or(|u| t.starttime as i64 <= u))
            .filter(|t| !errors || t.exitstatus.as_deref().is_some_and(|e| e != "OK"))
            .filter(|t| {
                statusfilter.as_ref().is_none_or(|f| {
                    t.exitstatus
                        .as_deref()
                        .is_some_and(|e| f.iter().any(|c| c == status_class(e)))
                })
            })
            .collect();
        items.sort_by(|a, b| b.starttime.cmp(&a.starttime).then(b.pid.cmp(&a.pid)));
        let total = items.len() as u64;
        let page: Vec<Value> = items
            .into_iter()
            .skip(start)
            .take(limit)
            .map(|t| {
                let mut o = task_fields(t);
                match (&t.endtime, &t.exitstatus) {
                    (Some(end), Some(st)) => {
                        o.insert("endtime".into(), json!(end));
                        o.insert("status".into(), json!(st));
                    }
                    _ => {
                        o.insert("status".into(), json!("RUNNING"));
                    }
                }
                Value::Object(o)
            })
            .collect();
        Ok(Reply::ser(&page).with_total(total))
    })
}

/// `GET /cluster/tasks`: the most recent tasks of all nodes, newest first (running ones too).
pub fn cluster_list(ctx: &Ctx) -> ApiResult {
    ctx.sim.with(|m| {
        let mut items: Vec<&Task> = m.tasks.iter().collect();
        items.sort_by(|a, b| b.starttime.cmp(&a.starttime).then(b.pid.cmp(&a.pid)));
        let rows: Vec<Value> = items
            .into_iter()
            .take(50)
            .map(|t| {
                let mut o = task_fields(t);
                if let (Some(end), Some(st)) = (&t.endtime, &t.exitstatus) {
                    o.insert("endtime".into(), json!(end));
                    o.insert("status".into(), json!(st));
                }
                Value::Object(o)
            })
            .collect();
        Ok(Reply::ser(&rows))
    })
}

fn find<'m>(m: &'m Model, upid: &str) -> Result<&'m Task, ApiError> {
    if !valid_upid(upid) {
        return Err(ApiError::param("upid", "unable to parse worker upid"));
    }
    m.task(upid)
        .ok_or_else(|| ApiError::param("upid", "no such task"))
}

/// `GET /nodes/{node}/tasks/{upid}/status`.
pub fn status(ctx: &Ctx, node: &str, upid: &str) -> ApiResult {
    ctx.sim.with(|m| {
        m.node(node)?;
        let t = find(m, upid)?;
        let mut o = task_fields(t);
        match &t.exitstatus {
            Some(st) if t.endtime.is_some() => {
                o.insert("status".into(), json!("stopped"));
                o.insert("exitstatus".into(), json!(st));
            }
            _ => {
                o.insert("status".into(), json!("running"));
            }
        }
        Ok(Reply::json(&Value::Object(o)))
    })
}

/// `GET /nodes/{node}/tasks/{upid}/log?start=&limit=` (n is 1-based; limit 0 = to the end).
pub fn log(ctx: &Ctx, node: &str, upid: &str) -> ApiResult {
    let p = Params(ctx.params);
    let start = p.int("start")?.unwrap_or(0).max(0) as usize;
    let limit = p.int("limit")?.unwrap_or(50).max(0) as usize;
    ctx.sim.with(|m| {
        m.node(node)?;
        let t = find(m, upid)?;
        if t.log.is_empty() {
            return Ok(Reply::json(&json!([{"n": 1, "t": "no content"}])));
        }
        let take = if limit == 0 { usize::MAX } else { limit };
        let lines: Vec<Value> = t
            .log
            .iter()
            .enumerate()
            .skip(start)
            .take(take)
            .map(|(i, line)| json!({"n": i + 1, "t": line}))
            .collect();
        Ok(Reply::ser(&lines).with_total(t.log.len() as u64))
    })
}

/// `DELETE /nodes/{node}/tasks/{upid}`: stop a running task.
pub fn stop(ctx: &Ctx, node: &str, upid: &str) -> ApiResult {
    ctx.sim.with(|m| {
        m.node(node)?;
        find(m, upid).map(|_| ())
    })?;
    ctx.sim.cancel(upid);
    Ok(Reply::null())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upid_round_trip() {
        let u = format_upid(
            "pve",
            0x3A1F2,
            0x108C3B4,
            0x6745A1B2,
            "vzstart",
            "100",
            "root@pam!tok",
        );
        assert_eq!(
            u,
            "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vzstart:100:root@pam!tok:"
        );
        assert!(valid_upid(&u));
        assert!(!valid_upid("UPID:pve:1:2:3:x::u:"));
        assert!(!valid_upid(
            "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vz/dump::root@pam:"
        ));
        assert!(valid_upid(
            "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vzdump::root@pam:"
        ));
    }
}
