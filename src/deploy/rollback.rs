//! Undoing a deployment: its container is stopped and destroyed, but only when Proxmox says
//! it is the deployment's own (the id in its description), so a rollback can never take
//! someone else's container that reused the id.

use std::time::Duration;

use super::record::DeploymentRecord;
use crate::engine::apps::parse_app_meta;
use crate::pve::{DeleteOptions, PowerAction, PveClient};

/// Stop and destroy `rec`'s container if it exists and is its own. `Ok` when nothing of
/// the deployment is left.
pub async fn destroy_own_container(
    client: &PveClient,
    rec: &DeploymentRecord,
    poll: Duration,
    log: &(dyn Fn(&str) + Send + Sync),
) -> Result<(), String> {
    let Some(vmid) = rec.vmid else {
        log("no container was created");
        return Ok(());
    };
    if client.vmid_is_free(vmid).await.map_err(|e| e.to_string())? {
        log(&format!("CT {vmid} does not exist: nothing to remove"));
        return Ok(());
    }
    let config = match client.lxc_config(&rec.node, vmid).await {
        Ok(c) => c,
        Err(e) => {
            log(&format!("CT {vmid} is not on {}: left alone ({e})", rec.node));
            return Ok(());
        }
    };
    let owner = config
        .description
        .as_deref()
        .and_then(parse_app_meta)
        .and_then(|m| m.deployment);
    if owner != Some(rec.id) {
        log(&format!("CT {vmid} is not this deployment's: left alone"));
        return Ok(());
    }
    let status = client
        .lxc_status(&rec.node, vmid)
        .await
        .map_err(|e| e.to_string())?;
    if status.is_running() {
        log(&format!("stopping CT {vmid}"));
        let upid = client
            .lxc_power(&rec.node, vmid, PowerAction::Stop)
            .await
            .map_err(|e| e.to_string())?;
        client
            .wait_task(&upid, poll)
            .await
            .map_err(|e| e.to_string())?;
    }
    log(&format!("destroying CT {vmid}"));
    let upid = client
        .lxc_delete(
            &rec.node,
            vmid,
            DeleteOptions {
                purge: true,
                force: false,
                destroy_unreferenced_disks: Some(true),
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    client
        .wait_task(&upid, poll)
        .await
        .map_err(|e| e.to_string())?;
    log(&format!("CT {vmid} destroyed"));
    Ok(())
}
