//! The TUI's link to the engine: the UI's `Effect`s become engine calls, and the engine's
//! events become `AppEvent`s in the UI's one inbox. Every engine call returns at once (work
//! that waits on the network runs as a job), so no effect ever holds up another: console
//! keystrokes pass while a slow host is being added.

use tokio::sync::{broadcast, mpsc};

use super::action::{AppEvent, Effect};
use super::log_follow::LogFollowers;
use super::task_board::LogSource;
use crate::engine::{Engine, EngineEvent, JobEvent};

/// Turn effects into engine calls until `Effect::Quit` or the UI is gone.
pub async fn run_effects(
    engine: Engine,
    mut effects: mpsc::UnboundedReceiver<Effect>,
    inbox: mpsc::Sender<AppEvent>,
) {
    let mut runner = EffectRunner::new(engine, inbox);
    while let Some(effect) = effects.recv().await {
        if matches!(effect, Effect::Quit) {
            break;
        }
        runner.apply(effect);
    }
}

/// Carries out the UI's effects on the engine; owns the log followers.
pub struct EffectRunner {
    engine: Engine,
    inbox: mpsc::Sender<AppEvent>,
    followers: LogFollowers,
}

impl EffectRunner {
    pub fn new(engine: Engine, inbox: mpsc::Sender<AppEvent>) -> EffectRunner {
        EffectRunner {
            engine,
            inbox,
            followers: LogFollowers::default(),
        }
    }

    /// One effect. Never awaits: see the module header.
    pub fn apply(&mut self, effect: Effect) {
        let (engine, inbox) = (&self.engine, &self.inbox);
        match effect {
            // The UI loop performs these itself: they act on the user's terminal.
            Effect::Quit | Effect::Suspend | Effect::CopyToClipboard(_) => {}
            Effect::Refresh(host) => engine.refresh(&host),
            Effect::RefreshAll => engine.refresh_all(),
            Effect::Power { target, op } => {
                if let Err(e) = engine.power(&target, op) {
                    refused(inbox, e.to_string());
                }
            }
            Effect::Delete { target } => {
                if let Err(e) = engine.delete(&target, false) {
                    refused(inbox, e.to_string());
                }
            }
            Effect::CancelTask { source } => match source {
                LogSource::Job { id } => {
                    if !engine.cancel(crate::engine::JobId(id)) {
                        refused(inbox, format!("job-{id} is not running"));
                    }
                }
                LogSource::Task { host, upid } => {
                    if let Err(e) = engine.stop_task(&host, &upid) {
                        refused(inbox, e.to_string());
                    }
                }
            },
            Effect::RefreshTasks => engine.refresh_tasks(),
            Effect::FollowLog { source } => self.followers.follow(engine, source, inbox.clone()),
            Effect::StopLog { source } => {
                // A followed app log runs until stopped: closing its viewer stops it.
                if let super::task_board::LogSource::Job { id } = &source
                    && let Some(job) = engine.find_job(crate::engine::JobId(*id))
                    && job.kind == crate::engine::JobKind::AppLogs
                    && !job.state.is_finished()
                {
                    engine.cancel(job.id);
                }
                self.followers.stop(&source)
            }
            Effect::SaveLog { path, lines, .. } => save_log(path, lines, inbox.clone()),
            Effect::SaveSettings { theme } => engine.save_theme(&theme),
            Effect::SaveRecording { switch, on } => engine.save_recording(&switch, on),
            Effect::AddHost(draft) => engine.add_host(draft, None),
            Effect::EditHost { original, draft } => engine.add_host(draft, Some(original)),
            Effect::RemoveHost(name) => engine.remove_host(&name),
            Effect::TestHost(draft) => engine.test_host(draft),
            Effect::TrustFingerprint {
                host,
                fingerprint,
                accept,
            } => engine.trust_fingerprint(&host, fingerprint, accept),
            Effect::LoadDetail { host, node, vmid } => {
                engine.load_detail(&host, &node, vmid);
                super::backups_link::load_last_backup(engine, host, node, vmid, inbox);
            }
            Effect::LoadMetrics { target, timeframe } => {
                if let Err(e) = engine.load_metrics(target.clone(), timeframe) {
                    // The view waits for an answer: give it the refusal.
                    let _ = inbox.try_send(AppEvent::MetricsReport {
                        target,
                        timeframe,
                        result: Err(e.to_string()),
                    });
                }
            }
            Effect::LoadTopGuests => {
                let lists = engine.top_lists(crate::ui::metrics_top::TOP_LIMIT);
                let _ = inbox.try_send(AppEvent::TopGuests(std::sync::Arc::new(lists)));
            }
            Effect::StartDemo => engine.start_demo(),
            Effect::OpenConsole {
                session,
                host,
                target,
                cols,
                rows,
            } => engine.open_console(session, &host, target, (cols, rows), inbox.clone()),
            Effect::ConsoleInput { session, bytes } => engine.console_input(session, bytes),
            Effect::ConsoleResize {
                session,
                cols,
                rows,
            } => engine.console_resize(session, cols, rows),
            Effect::CloseConsole { session } => engine.close_console(session),
            Effect::Deploy(req) => deploy(engine, *req, inbox),
            Effect::LoadAlerts => {
                let firing = engine.alerts();
                let history = engine.alert_history(200);
                let config = Box::new(engine.alert_config());
                let _ = inbox.try_send(AppEvent::AlertsLoaded {
                    firing,
                    history,
                    config,
                });
            }
            Effect::TestNotifications => engine.test_notifications(),
            Effect::SaveAlertThresholds(t) => engine.save_alert_thresholds(*t),
            // The new thresholds come back as `AlertConfig` (published by the engine).
            Effect::SaveAlertLayer { scope, layer } => {
                let text = match engine.save_alert_layer(&scope, &layer) {
                    Ok(_) => (
                        format!("alert thresholds of {scope} saved to alerts.toml"),
                        false,
                    ),
                    Err(e) => (format!("alert thresholds of {scope} not saved: {e}"), true),
                };
                let _ = inbox.try_send(AppEvent::Toast {
                    text: text.0,
                    error: text.1,
                });
            }
            // The UI opens the wizard itself (`App::carry_out`, the UI loop): never sent here.
            Effect::OpenDeployWizard(_) => {}
            Effect::Backups(e) => super::backups_link::apply(engine, e, inbox),
            Effect::Apps(e) => super::apps_link::apply(engine, e, inbox),
        }
    }
}

/// Write a log the viewer formatted (0600, its directory 0700), off the UI's loop.
fn save_log(path: std::path::PathBuf, lines: Vec<String>, inbox: mpsc::Sender<AppEvent>) {
    tokio::task::spawn_blocking(move || {
        let result = write_private(&path, &lines).map_err(|e| e.to_string());
        let _ = inbox.blocking_send(AppEvent::LogSaved { path, result });
    });
}

fn write_private(path: &std::path::Path, lines: &[String]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if let Some(dir) = path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(crate::store::DIR_MODE)
                .create(dir)?;
        }
        opts.mode(crate::store::FILE_MODE);
    }
    let mut out = std::io::BufWriter::new(opts.open(path)?);
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()
}

/// Start a deployment; the answer goes back to the wizard (a refusal keeps it open).
fn deploy(engine: &Engine, req: crate::deploy::DeployRequest, inbox: &mpsc::Sender<AppEvent>) {
    let (name, host, node) = (req.name.clone(), req.host.clone(), req.node.clone());
    let answer = match engine.deploy(req) {
        Ok(job) => AppEvent::DeployStarted {
            job,
            name: name.unwrap_or_default(),
            host,
            node,
        },
        Err(e) => AppEvent::DeployRefused {
            text: e.to_string(),
        },
    };
    let _ = inbox.try_send(answer);
}

/// A refusal is the user's to read: a toast, sent without waiting (the inbox is the UI's).
fn refused(inbox: &mpsc::Sender<AppEvent>, text: String) {
    let _ = inbox.try_send(AppEvent::Toast { text, error: true });
}

/// Forward the engine's events into the inbox until either side is gone. A subscriber that
/// fell behind re-reads what it may have missed (the hosts list; jobs end with a snapshot).
pub async fn forward_events(
    engine: Engine,
    mut events: broadcast::Receiver<EngineEvent>,
    inbox: mpsc::Sender<AppEvent>,
) {
    loop {
        let batch = match events.recv().await {
            Ok(e) => vec![to_app_event(e)],
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!("the UI fell {n} engine events behind");
                resync(&engine)
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        for event in batch.into_iter().flat_map(|e| with_job_rows(&engine, e)) {
            if inbox.send(event).await.is_err() {
                return;
            }
        }
    }
}

/// What a lagging UI re-reads: the hosts, and the end of every job it may have missed (a
/// slot must not pulse forever; ends it already saw change nothing).
fn resync(engine: &Engine) -> Vec<AppEvent> {
    let mut out = vec![
        AppEvent::HostsConfigured(engine.host_entries()),
        // Raises and clears it may have missed: what fires now replaces its list.
        AppEvent::AlertsLoaded {
            firing: engine.alerts(),
            history: engine.alert_history(200),
            config: Box::new(engine.alert_config()),
        },
    ];
    for job in engine.jobs().into_iter().filter(|j| j.state.is_finished()) {
        out.push(AppEvent::Job(crate::engine::JobEvent::Finished(Box::new(
            job,
        ))));
    }
    out
}

/// A job that started, moved to a step or ended changes the tasks view's job rows: they
/// follow the event (log lines do not change a row).
fn with_job_rows(engine: &Engine, event: AppEvent) -> Vec<AppEvent> {
    let rows_changed = matches!(&event, AppEvent::Job(j) if !matches!(j, JobEvent::Log { .. }));
    let mut out = vec![event];
    if rows_changed {
        out.push(AppEvent::Jobs(
            engine
                .jobs()
                .iter()
                .map(super::task_rows::job_row)
                .collect(),
        ));
    }
    out
}

pub fn to_app_event(event: EngineEvent) -> AppEvent {
    match event {
        EngineEvent::ProxmoxTasks { host, result, at } => match result {
            Ok(list) => AppEvent::TaskRows {
                rows: list
                    .iter()
                    .map(|t| super::task_rows::task_row(&host, t))
                    .collect(),
                host,
                at,
            },
            Err(e) => AppEvent::Toast {
                text: format!("tasks of {host}: {e}"),
                error: true,
            },
        },
        EngineEvent::Inventory { host, result, at } => AppEvent::Inventory(host, result, at),
        EngineEvent::Cached { host, nodes, at } => AppEvent::Cached(host, nodes, at),
        EngineEvent::Hosts(list) => AppEvent::HostsConfigured(list),
        EngineEvent::Job(job) => AppEvent::Job(job),
        EngineEvent::AppPorts { host, vmid, ports } => AppEvent::AppPorts { host, vmid, ports },
        EngineEvent::FingerprintPrompt {
            host,
            url,
            fingerprint,
        } => AppEvent::FingerprintPrompt {
            host,
            url,
            fingerprint,
        },
        EngineEvent::HostTestResult { name, result } => AppEvent::HostTestResult { name, result },
        EngineEvent::Recording(switches) => AppEvent::Recording(switches),
        EngineEvent::Notice { text, error } => AppEvent::Toast { text, error },
        EngineEvent::GuestDetail {
            host,
            vmid,
            ips,
            config,
        } => AppEvent::GuestDetail {
            host,
            vmid,
            ips,
            config,
        },
        EngineEvent::MetricsReport {
            target,
            timeframe,
            result,
        } => AppEvent::MetricsReport {
            target,
            timeframe,
            result,
        },
        EngineEvent::Alert { alert, raised } => AppEvent::Alert { alert, raised },
        EngineEvent::AppHealth(result) => AppEvent::AppHealth(result),
        EngineEvent::AlertConfig(config) => AppEvent::AlertConfig(config),
        EngineEvent::TopGuests(lists) => AppEvent::TopGuests(lists),
        EngineEvent::LastBackups { host, newest } => {
            AppEvent::Backups(super::backups_link::BackupEvent::HostBackups { host, newest })
        }
    }
}
