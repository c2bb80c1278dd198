//! Following logs for the log viewer (`Effect::FollowLog` / `StopLog`): a Proximity job's
//! log from the engine (its lines so far, then each new one as the engine publishes it), or a
//! Proxmox task's log from its host (polled until the task ends). Each follower is a task
//! that sends `AppEvent::LogLines` into the UI's inbox and stops when asked, when its log
//! ends or when the UI is gone.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::action::AppEvent;
use super::task_board::{LogLine, LogSource};
use crate::engine::{Engine, EngineEvent, JobEvent, JobId};

/// How often a Proxmox task's log is read while it runs (the web UI polls each second).
const TASK_LOG_POLL: Duration = Duration::from_millis(1000);
/// Lines sent in one `LogLines`, so a long log arrives in a few events, not thousands.
const BATCH_LINES: usize = 512;

/// The followers running, by the log they follow.
#[derive(Default)]
pub struct LogFollowers {
    running: HashMap<LogSource, CancellationToken>,
}

impl LogFollowers {
    /// Start following `source` (a follower already on it restarts from the first line).
    pub fn follow(&mut self, engine: &Engine, source: LogSource, inbox: mpsc::Sender<AppEvent>) {
        self.stop(&source);
        let stop = CancellationToken::new();
        self.running.insert(source.clone(), stop.clone());
        match source {
            LogSource::Job { id } => {
                let events = engine.subscribe();
                let snapshot = engine.find_job(JobId(id));
                tokio::spawn(follow_job(id, snapshot, events, inbox, stop));
            }
            LogSource::Task { ref host, ref upid } => match engine.client(host) {
                Ok(client) => {
                    tokio::spawn(follow_task(
                        client,
                        source.clone(),
                        upid.clone(),
                        inbox,
                        stop,
                    ));
                }
                Err(e) => {
                    let _ = inbox.try_send(AppEvent::Toast {
                        text: e.to_string(),
                        error: true,
                    });
                }
            },
        }
    }

    pub fn stop(&mut self, source: &LogSource) {
        if let Some(stop) = self.running.remove(source) {
            stop.cancel();
        }
    }
}

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

async fn follow_job(
    id: u64,
    snapshot: Option<crate::engine::JobInfo>,
    mut events: broadcast::Receiver<EngineEvent>,
    inbox: mpsc::Sender<AppEvent>,
    stop: CancellationToken,
) {
    let source = LogSource::Job { id };
    let Some(info) = snapshot else {
        let text = format!("no job job-{id}");
        let _ = inbox.send(AppEvent::Toast { text, error: true }).await;
        return;
    };
    // The snapshot's first line is line number `first` of the job's log; events number
    // lines the same way, so one logged between subscribing and the snapshot is not
    // shown twice.
    let first = info.log_total - info.log.len();
    let mut next = info.log_total;
    let lines = info
        .log
        .iter()
        .map(|l| LogLine {
            at: Some(at(l.at_ms)),
            text: l.text.clone(),
        })
        .collect();
    let done = info.state.is_finished();
    let sent = inbox.send(AppEvent::LogLines {
        source: source.clone(),
        from_line: 0,
        lines,
        done,
    });
    if sent.await.is_err() || done {
        return;
    }
    loop {
        let event = tokio::select! {
            e = events.recv() => e,
            _ = stop.cancelled() => return,
        };
        let (from_line, lines, done) = match event {
            Ok(EngineEvent::Job(JobEvent::Log {
                id: jid,
                index,
                line,
            })) if jid.0 == id && index >= first => {
                // A number already sent is a line redrawn in place (progress): it replaces
                // that line.
                next = next.max(index + 1);
                (
                    index - first,
                    vec![LogLine {
                        at: Some(at(line.at_ms)),
                        text: line.text,
                    }],
                    false,
                )
            }
            Ok(EngineEvent::Job(JobEvent::Finished(info))) if info.id.0 == id => {
                (next - first, Vec::new(), true)
            }
            Ok(_) => continue,
            // Fell behind: the viewer keeps what it has; the end still arrives.
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let sent = inbox.send(AppEvent::LogLines {
            source: source.clone(),
            from_line,
            lines,
            done,
        });
        if sent.await.is_err() || done {
            return;
        }
    }
}

async fn follow_task(
    client: crate::pve::PveClient,
    source: LogSource,
    upid: String,
    inbox: mpsc::Sender<AppEvent>,
    stop: CancellationToken,
) {
    let parsed: crate::pve::Upid = match upid.parse() {
        Ok(u) => u,
        Err(e) => {
            let text = format!("{}: {e}", crate::text::clean_string(&upid));
            let _ = inbox.send(AppEvent::Toast { text, error: true }).await;
            return;
        }
    };
    let mut lines = Box::pin(
        client
            .follow_task_log(&parsed, TASK_LOG_POLL)
            .ready_chunks(BATCH_LINES),
    );
    let mut count = 0usize;
    loop {
        let batch = tokio::select! {
            b = lines.next() => b,
            _ = stop.cancelled() => return,
        };
        let (text, done) = match batch {
            Some(batch) => {
                let mut text = Vec::with_capacity(batch.len());
                let mut failed = false;
                for line in batch {
                    match line {
                        Ok(l) => text.push(LogLine::new(crate::text::clean_string(&l.t))),
                        Err(e) => {
                            text.push(LogLine::new(format!(
                                "(log unavailable: {})",
                                crate::text::clean_string(&e.to_string())
                            )));
                            failed = true;
                        }
                    }
                }
                (text, failed)
            }
            None => (Vec::new(), true),
        };
        let n = text.len();
        let sent = inbox.send(AppEvent::LogLines {
            source: source.clone(),
            from_line: count,
            lines: text,
            done,
        });
        count += n;
        if sent.await.is_err() || done {
            return;
        }
    }
}
