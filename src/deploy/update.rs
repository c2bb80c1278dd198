//! The fearless update of a managed app: snapshot the container, pull the images again,
//! re-create the services, wait for the health check; if anything fails, roll the container
//! back to the snapshot and start it again. The snapshot is removed after a good update.

use std::time::Duration;

use super::exec::Executor;
use super::record::AppRecord;
use super::runner::{DeployTuning, Stop, failed, run_ok, wait_healthy};
use super::scripts;
use crate::catalog::AppSpec;
use crate::engine::JobCtx;
use crate::engine::guest_jobs::{Followed, follow_task};
use crate::pve::{PveClient, Upid};

/// What an update needs.
pub struct UpdatePlan<'a> {
    pub client: &'a PveClient,
    pub app: &'a AppRecord,
    pub spec: &'a AppSpec,
    pub exec: &'a dyn Executor,
    pub tuning: &'a DeployTuning,
    /// The snapshot's name (unique per update: `px-update-<epoch>`).
    pub snapshot: String,
}

async fn follow(ctx: &JobCtx, client: &PveClient, upid: &Upid) -> Result<(), Stop> {
    match follow_task(ctx, client, upid).await {
        Followed::Ok => Ok(()),
        Followed::Failed(reason) => Err(failed(reason)),
        Followed::Cancelled => Err(Stop::Cancelled),
    }
}

/// Run the update; `Ok` when the app answers on the new images. On failure after the
/// snapshot, the container is rolled back (never cancellable: it is the safety net).
pub async fn update(ctx: &JobCtx, plan: UpdatePlan<'_>) -> Result<(), Stop> {
    let UpdatePlan {
        client,
        app,
        spec,
        exec,
        tuning,
        snapshot,
    } = plan;
    ctx.step("snapshot", Some(0.05));
    let upid = client
        .lxc_snapshot_create(
            &app.node,
            app.vmid,
            &snapshot,
            Some("before an update by Proximity"),
        )
        .await
        .map_err(failed)?;
    follow(ctx, client, &upid).await?;
    let result = pull_up_check(ctx, app, spec, exec, tuning).await;
    match result {
        Ok(()) => {
            ctx.step("removing the snapshot", Some(0.95));
            match client
                .lxc_snapshot_delete(&app.node, app.vmid, &snapshot, false)
                .await
            {
                Ok(upid) => {
                    if let Err(e) = client.wait_task(&upid, tuning.poll).await {
                        ctx.log(&format!("snapshot {snapshot} kept: {e}"));
                    }
                }
                Err(e) => ctx.log(&format!("snapshot {snapshot} kept: {e}")),
            }
            record_version(ctx, client, app, spec).await;
            Ok(())
        }
        Err(stop) => {
            let why = match &stop {
                Stop::Cancelled => "cancelled".to_string(),
                Stop::Failed(r) => r.clone(),
            };
            ctx.step("rolling back to the snapshot", None);
            ctx.log(&format!("{why}: rolling back to {snapshot}"));
            match roll_back(client, app, &snapshot, tuning.poll).await {
                Ok(()) => ctx.log("rolled back: the app runs as before the update"),
                Err(e) => ctx.log(&format!("rollback failed: {e}")),
            }
            Err(stop)
        }
    }
}

async fn pull_up_check(
    ctx: &JobCtx,
    app: &AppRecord,
    spec: &AppSpec,
    exec: &dyn Executor,
    t: &DeployTuning,
) -> Result<(), Stop> {
    // The catalog entry may be newer than what runs (other images, new variables): the
    // compose file is written from it, with the app's current values, after the snapshot,
    // so a failure rolls the file back too.
    ctx.step("writing the compose file", Some(0.15));
    let (values, current) = super::edit_env::current_values(ctx, exec, app, spec, t).await?;
    if super::edit_env::write_compose(exec, app, spec, &values, &current).await? {
        ctx.log(&format!(
            "compose file written for {} {} (was {})",
            spec.name,
            spec.version,
            app.version.as_deref().unwrap_or("an unknown version")
        ));
    }
    ctx.step("pulling images", Some(0.2));
    let pull = scripts::compose(&app.name, "pull");
    run_ok(ctx, exec, &pull, t.pull_timeout, "pulling images").await?;
    recreate_and_check(ctx, app, spec, exec, t).await
}

/// `up -d` (services whose image or settings changed are re-created), then the health
/// check: the end of an update and of a change of variables.
pub(super) async fn recreate_and_check(
    ctx: &JobCtx,
    app: &AppRecord,
    spec: &AppSpec,
    exec: &dyn Executor,
    t: &DeployTuning,
) -> Result<(), Stop> {
    ctx.step("re-creating the services", Some(0.6));
    let up = scripts::compose(&app.name, "up -d");
    run_ok(ctx, exec, &up, t.command_timeout, "starting the app").await?;
    ctx.step("waiting for the app to answer", Some(0.8));
    wait_healthy(ctx, exec, &spec.health, t).await
}

/// The container's description says which catalog version runs (the next Proximity to
/// adopt it reads it there); the store's record follows at the job's end. Best effort: the
/// update itself succeeded.
async fn record_version(ctx: &JobCtx, client: &PveClient, app: &AppRecord, spec: &AppSpec) {
    if app.version.as_deref() == Some(spec.version.as_str()) {
        return;
    }
    let description = match client.lxc_config(&app.node, app.vmid).await {
        Ok(cfg) => cfg.description.unwrap_or_default(),
        Err(e) => return ctx.log(&format!("version not recorded in the description: {e}")),
    };
    let Some(text) = crate::engine::apps::with_version(&description, &spec.version) else {
        return ctx.log("version not recorded: the description has no Proximity metadata");
    };
    let params = crate::pve::Params::new().set("description", text);
    if let Err(e) = client.lxc_set_config(&app.node, app.vmid, &params).await {
        ctx.log(&format!("version not recorded in the description: {e}"));
    }
}

/// Stop, roll back to `snapshot`, start again.
async fn roll_back(
    client: &PveClient,
    app: &AppRecord,
    snapshot: &str,
    poll: Duration,
) -> Result<(), String> {
    let status = client
        .lxc_status(&app.node, app.vmid)
        .await
        .map_err(|e| e.to_string())?;
    if status.is_running() {
        let upid = client
            .lxc_power(&app.node, app.vmid, crate::pve::PowerAction::Stop)
            .await
            .map_err(|e| e.to_string())?;
        client
            .wait_task(&upid, poll)
            .await
            .map_err(|e| e.to_string())?;
    }
    let upid = client
        .lxc_snapshot_rollback(&app.node, app.vmid, snapshot, true)
        .await
        .map_err(|e| e.to_string())?;
    client
        .wait_task(&upid, poll)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The app's recent logs (`docker compose logs`), from inside its container.
pub async fn logs(
    exec: &dyn Executor,
    app: &AppRecord,
    tail: usize,
    timeout: Duration,
) -> Result<String, String> {
    let cmd = scripts::compose(&app.name, &format!("logs --no-color --tail {tail}"));
    let out = exec
        .run(&cmd, timeout, &|_| {})
        .await
        .map_err(|e| e.to_string())?;
    if out.code != 0 {
        return Err(format!("docker compose logs failed (exit {})", out.code));
    }
    Ok(out.output)
}
