//! The apps screen's side of the engine: one `Effect::Apps` carries an `AppsEffect`,
//! carried out here off the UI's loop through the engine calls the CLI makes (`app update`,
//! `app logs`, `app rm`, `app clone`, `edit_app_env`); answers come back as one
//! `AppEvent::Apps`. Refusals are toasts with the engine's reason.

use std::collections::{BTreeMap, HashMap};

use tokio::sync::mpsc;

use super::action::AppEvent;
use crate::catalog::AppSpec;
use crate::deploy::{AppRecord, DeploymentStatus};
use crate::engine::app_lifecycle::CloneRequest;
use crate::engine::{Engine, JobId, Refusal};

/// Lines of `docker compose logs` the logs job reads.
pub const LOG_TAIL: usize = 500;

/// What the apps screen asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum AppsEffect {
    /// The managed apps, the running deployments and the last backups (answered by
    /// `AppsEvent::List`); `reconcile` first adopts tagged containers and marks vanished ones.
    Load { reconcile: bool },
    /// Update fearlessly (snapshot, pull, up, health check; rolled back on failure).
    Update { name: String, spec: Box<AppSpec> },
    /// `docker compose logs --follow` as a job, opened in the log viewer (closing it stops
    /// the job).
    Logs { name: String },
    /// `docker compose restart` as a job (the container stays up).
    ComposeRestart { name: String },
    /// Read the app's variables for the form (answered by `AppsEvent::Env`).
    LoadEnv { name: String, spec: Box<AppSpec> },
    /// Apply the form's changes (the compose file written again, services re-created).
    EditEnv {
        name: String,
        spec: Box<AppSpec>,
        changes: BTreeMap<String, String>,
    },
    /// Remove the app; `backup_first`: a backup job runs to its end before the delete.
    Remove { name: String, backup_first: bool },
    /// A new deployment of the same app with the same variables.
    Clone {
        source: String,
        spec: Box<AppSpec>,
        request: CloneRequest,
    },
}

/// A deployment under way, listed with the apps.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployingApp {
    pub name: String,
    pub app: String,
    pub host: String,
    pub node: String,
    pub step: String,
}

/// The answers.
#[derive(Debug, Clone)]
pub enum AppsEvent {
    List {
        apps: Vec<AppRecord>,
        deploying: Vec<DeployingApp>,
        /// The newest backup's time (epoch seconds) by (host, vmid).
        backups: HashMap<(String, u32), u64>,
    },
    /// The variables of `name` as its compose file holds them, or why they could not be read.
    Env {
        name: String,
        result: Result<BTreeMap<String, String>, String>,
    },
    /// A job started for the screen: open its log (`title`) in the log viewer.
    OpenJobLog { job: JobId, title: String },
}

fn send(inbox: &mpsc::Sender<AppEvent>, ev: AppsEvent) {
    let _ = inbox.try_send(AppEvent::Apps(ev));
}

fn toast(inbox: &mpsc::Sender<AppEvent>, text: String, error: bool) {
    let text = crate::text::clean_string(&text);
    let _ = inbox.try_send(AppEvent::Toast { text, error });
}

/// Started: a toast, and the job's log opened when `log` names it.
fn started(
    inbox: &mpsc::Sender<AppEvent>,
    result: Result<JobId, Refusal>,
    what: String,
    log: bool,
) {
    match result {
        Ok(job) => {
            toast(inbox, format!("{what} started ({job})"), false);
            if log {
                send(inbox, AppsEvent::OpenJobLog { job, title: what });
            }
        }
        Err(e) => toast(inbox, format!("{what}: {e}"), true),
    }
}

/// Carry one effect out; the network waits run in their own task.
pub fn apply(engine: &Engine, effect: AppsEffect, inbox: &mpsc::Sender<AppEvent>) {
    let (engine, inbox) = (engine.clone(), inbox.clone());
    tokio::spawn(async move {
        match effect {
            AppsEffect::Load { reconcile } => {
                if reconcile {
                    for host in engine.connected() {
                        if let Err(e) = engine.reconcile_apps(&host).await {
                            toast(&inbox, format!("host {host}: {e}"), true);
                        }
                    }
                }
                let deploying = engine
                    .deployments()
                    .into_iter()
                    .filter(|d| d.status == DeploymentStatus::Running)
                    .map(|d| DeployingApp {
                        name: d.name,
                        app: d.app,
                        host: d.host,
                        node: d.node,
                        step: d.step.label().to_string(),
                    })
                    .collect();
                let apps = engine.apps();
                let backups = engine.last_backups().await;
                send(
                    &inbox,
                    AppsEvent::List {
                        apps,
                        deploying,
                        backups,
                    },
                );
            }
            AppsEffect::Update { name, spec } => {
                let what = format!("update {name}");
                started(&inbox, engine.update_app(&name, *spec), what, true);
            }
            AppsEffect::Logs { name } => {
                let what = format!("logs of {name}");
                started(
                    &inbox,
                    engine.follow_app_logs_job(&name, LOG_TAIL),
                    what,
                    true,
                );
            }
            AppsEffect::ComposeRestart { name } => {
                let what = format!("compose restart of {name}");
                started(&inbox, engine.restart_app_compose(&name), what, true);
            }
            AppsEffect::LoadEnv { name, spec } => {
                let result = engine
                    .app_env(&name, &spec)
                    .await
                    .map_err(|e| crate::text::clean_string(&e.to_string()));
                send(&inbox, AppsEvent::Env { name, result });
            }
            AppsEffect::EditEnv {
                name,
                spec,
                changes,
            } => {
                let what = format!("variables of {name}");
                started(
                    &inbox,
                    engine.edit_app_env(&name, *spec, changes),
                    what,
                    true,
                );
            }
            AppsEffect::Remove { name, backup_first } => {
                let what = if backup_first {
                    format!("back up, then delete {name}")
                } else {
                    format!("delete {name}")
                };
                started(&inbox, engine.remove_app(&name, backup_first), what, true);
            }
            AppsEffect::Clone {
                source,
                spec,
                request,
            } => {
                let (name, host, node) = (
                    request.name.clone(),
                    request.host.clone(),
                    request.node.clone(),
                );
                // The deploy wizard's answers: the rack shows the pending deploy and its log.
                match engine.clone_app(&source, *spec, request).await {
                    Ok(job) => {
                        let _ = inbox.try_send(AppEvent::DeployStarted {
                            job,
                            name,
                            host,
                            node,
                        });
                    }
                    Err(e) => {
                        let text = crate::text::clean_string(&e.to_string());
                        let _ = inbox.try_send(AppEvent::DeployRefused { text });
                    }
                }
            }
        }
    });
}
