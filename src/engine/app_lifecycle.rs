//! The rest of a managed app's life, for every caller: remove it (optionally backed up
//! first, the backup finishing before anything is destroyed), clone it (a new deployment
//! of the same catalog entry with the same variables), restart its compose project, and its
//! logs as a job (so a front end opens them in its log viewer).

use std::collections::BTreeMap;

use super::jobs::{JobId, JobKind, JobState, JobTarget};
use super::service::{Engine, Refusal};
use super::target::GuestRef;
use crate::catalog::AppSpec;
use crate::deploy::{AppRecord, DeployRequest};
use crate::inventory::GuestKind;

/// What a clone asks for beyond its source.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CloneRequest {
    /// The new app's name (a hostname, unique on the cluster).
    pub name: String,
    /// `None`: placed automatically (as a deploy is).
    pub host: Option<String>,
    pub node: Option<String>,
    /// Keep the source's generated secrets; by default the catalog's generated secrets are
    /// generated afresh (two apps sharing a database password is rarely wanted).
    pub keep_secrets: bool,
}

/// How long a followed log may run (until cancelled, in practice).
const FOLLOW_LIMIT: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

impl Engine {
    fn app_guest(app: &AppRecord) -> GuestRef {
        GuestRef {
            host: app.host.clone(),
            node: app.node.clone(),
            vmid: app.vmid,
            kind: GuestKind::Container,
        }
    }

    /// Remove a managed app: its container (stopped first when running) and its record.
    /// With `backup_first`, a backup job runs to its end before anything is destroyed; when
    /// it fails or is cancelled, nothing is. One job; the backup is its own job too (so it
    /// shows in the tasks view), and cancelling this one cancels it.
    pub fn remove_app(&self, name: &str, backup_first: bool) -> Result<JobId, Refusal> {
        let app = self.app_record(name)?;
        let guest = Self::app_guest(&app);
        let link = self.link(&app.host)?;
        let ctx = self.begin(
            JobKind::Delete,
            JobTarget {
                host: app.host.clone(),
                node: Some(app.node.clone()),
                vmid: Some(app.vmid),
            },
        );
        let id = ctx.id();
        let engine = self.clone();
        tokio::spawn(async move {
            if app.missing {
                ctx.log("its container is gone: only the record is removed");
            } else {
                if backup_first {
                    ctx.step("backup", Some(0.0));
                    let backup = match engine.backup(&guest, Default::default()) {
                        Ok(b) => b,
                        Err(e) => return ctx.fail(format!("backup first: {e}")),
                    };
                    ctx.log(&format!("backup job {backup} started"));
                    let done = tokio::select! {
                        d = engine.wait(backup) => d,
                        _ = ctx.cancel_token().cancelled() => {
                            engine.cancel(backup);
                            return ctx.cancelled();
                        }
                    };
                    match done.map(|d| d.state) {
                        Some(JobState::Succeeded) => ctx.log("backup done"),
                        Some(JobState::Failed(r)) => {
                            return ctx.fail(format!("the backup failed, nothing deleted: {r}"));
                        }
                        other => {
                            return ctx.fail(format!(
                                "the backup did not finish ({}), nothing deleted",
                                other.map_or("unknown", |s| s.name())
                            ));
                        }
                    }
                }
                ctx.step("delete", Some(0.5));
                // The delete is its own job (stop, destroy, the Proxmox task's log); this one
                // waits for it and says how it ended.
                let delete = match engine.delete_with_status(&guest, "running", true) {
                    Ok(d) => d,
                    Err(e) => return ctx.fail(e.to_string()),
                };
                ctx.log(&format!("delete job {delete} started"));
                let done = tokio::select! {
                    d = engine.wait(delete) => d,
                    _ = ctx.cancel_token().cancelled() => {
                        engine.cancel(delete);
                        return ctx.cancelled();
                    }
                };
                match done.map(|d| d.state) {
                    Some(JobState::Succeeded) => ctx.log(&format!("CT {} destroyed", app.vmid)),
                    Some(JobState::Failed(r)) => return ctx.fail(r),
                    other => {
                        return ctx.fail(format!(
                            "the delete did not finish ({})",
                            other.map_or("unknown", |s| s.name())
                        ));
                    }
                }
            }
            if let Some(store) = engine.store()
                && let Err(e) = store.apps().remove(&app.name)
            {
                return ctx.fail(format!("the record stays: {e}"));
            }
            link.refresh.notify_one();
            ctx.succeed();
        });
        Ok(id)
    }

    /// The variables a managed app runs with, read from the compose file in its container
    /// (secrets included: they live only there). Keys the catalog does not know are left out.
    pub async fn app_env(
        &self,
        name: &str,
        spec: &AppSpec,
    ) -> Result<BTreeMap<String, String>, Refusal> {
        let app = self.present_app_record(name)?;
        let (exec, timeout) = self.app_console(&app).await?;
        let path = crate::deploy::scripts::compose_path(&app.name);
        let cmd = format!("cat {}", crate::deploy::scripts::quote(&path));
        let out = exec.run(&cmd, timeout, &|_| {}).await;
        exec.close().await;
        let out = out.map_err(|e| Refusal::Host(e.to_string()))?;
        if out.code != 0 {
            return Err(Refusal::Host(format!(
                "cannot read {path} in CT {} (exit {})",
                app.vmid, out.code
            )));
        }
        let doc: serde_json::Value = serde_json::from_str(&out.output).map_err(|e| {
            Refusal::Host(format!(
                "{path} is not the compose file Proximity wrote: {e}"
            ))
        })?;
        Ok(crate::deploy::edit_env::recover_env(spec, &doc))
    }

    /// Clone a managed app: a new deployment (the deploy job, with every check a deploy
    /// gets) of the same catalog entry `spec`, with the source's variables and resources.
    /// Generated secrets are generated again unless `req.keep_secrets`.
    pub async fn clone_app(
        &self,
        source: &str,
        spec: AppSpec,
        req: CloneRequest,
    ) -> Result<JobId, Refusal> {
        let app = self.app_record(source)?;
        if app.app != spec.id {
            return Err(Refusal::Invalid(format!(
                "{} runs {}, not {}",
                crate::text::clean_string(&app.name),
                crate::text::clean_string(&app.app),
                spec.id
            )));
        }
        crate::deploy::request::validate_name(&req.name)?;
        let mut env = self.app_env(source, &spec).await?;
        if !req.keep_secrets {
            env.retain(|k, _| !spec.env.iter().any(|v| &v.key == k && v.is_secret()));
        }
        let resources = self
            .deployments()
            .into_iter()
            .rev()
            .find(|d| d.name == app.name && d.vmid == Some(app.vmid))
            .map(|d| d.resources);
        let deploy = DeployRequest {
            name: Some(req.name),
            host: req.host,
            node: req.node,
            env,
            resources,
            ..DeployRequest::new(spec)
        };
        self.deploy(deploy)
    }

    /// Restart a managed app's compose project (`docker compose restart`: every service
    /// stopped and started again, the container left running), as a job whose log is the
    /// command's output. A container restart is `power` with `Reboot`.
    pub fn restart_app_compose(&self, name: &str) -> Result<JobId, Refusal> {
        self.app_job(
            name,
            JobKind::AppRestart,
            |ctx, _client, app, exec, tuning| {
                Box::pin(async move {
                    ctx.step("docker compose restart", None);
                    let cmd = crate::deploy::scripts::compose(&app.name, "restart");
                    crate::deploy::runner::run_ok(
                        ctx,
                        exec,
                        &cmd,
                        tuning.command_timeout,
                        "docker compose restart",
                    )
                    .await
                })
            },
        )
    }

    /// A managed app's logs followed live (`docker compose logs --follow --tail N`): the last
    /// `tail` lines, then each new one as the app writes it, streamed into the job's log.
    /// It runs until cancelled (closing its log viewer, Ctrl-C in the CLI): the console
    /// closes, which ends the command in the container.
    pub fn follow_app_logs_job(&self, name: &str, tail: usize) -> Result<JobId, Refusal> {
        self.app_job(
            name,
            JobKind::AppLogs,
            move |ctx, _client, app, exec, _tuning| {
                Box::pin(async move {
                    ctx.step(format!("docker compose logs --follow --tail {tail}"), None);
                    let cmd = crate::deploy::scripts::compose(
                        &app.name,
                        &format!("logs --no-color --follow --tail {tail}"),
                    );
                    let sink = |line: crate::deploy::exec::OutputLine<'_>| ctx.log_output(line);
                    let stop = |r: String| crate::deploy::runner::Stop::Failed(r);
                    tokio::select! {
                        r = exec.run(&cmd, FOLLOW_LIMIT, &sink) => match r {
                            Ok(out) if out.code == 0 => Ok(()),
                            Ok(out) => Err(stop(format!(
                                "docker compose logs failed (exit {})",
                                out.code
                            ))),
                            Err(e) => Err(stop(e.to_string())),
                        },
                        _ = ctx.cancel_token().cancelled() => {
                            Err(crate::deploy::runner::Stop::Cancelled)
                        }
                    }
                })
            },
        )
    }

    /// A managed app's recent logs (`docker compose logs --tail N`) as a job whose log is
    /// their lines (cleaned): what a front end opens in its log viewer.
    pub fn app_logs_job(&self, name: &str, tail: usize) -> Result<JobId, Refusal> {
        self.app_job(
            name,
            JobKind::AppLogs,
            move |ctx, _client, app, exec, tuning| {
                Box::pin(async move {
                    ctx.step(format!("docker compose logs --tail {tail}"), None);
                    let text = crate::deploy::update::logs(exec, app, tail, tuning.command_timeout)
                        .await
                        .map_err(crate::deploy::runner::Stop::Failed)?;
                    for line in text.lines() {
                        ctx.log(line);
                    }
                    Ok(())
                })
            },
        )
    }
}
