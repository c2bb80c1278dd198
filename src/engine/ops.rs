//! Guest operations: power, delete, wait for a task (with its log on failure), resources.

use std::time::Duration;

use crate::pve::{PveClient, PveError, TaskStatus, Upid, types::ClusterResource};

use super::target::{GuestRef, ResolvedGuest, TargetError, resolve_target};
use crate::inventory::GuestKind;

/// Poll interval while waiting for a task: Proxmox tasks take seconds, the UI wants the end
/// promptly, and the API is cheap.
const TASK_POLL: Duration = Duration::from_millis(250);
/// Log lines shown when a task fails.
const FAILED_LOG_TAIL: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerOp {
    Start,
    Stop,
    Shutdown,
    Reboot,
}

impl PowerOp {
    pub fn verb(self) -> &'static str {
        match self {
            PowerOp::Start => "start",
            PowerOp::Stop => "stop",
            PowerOp::Shutdown => "shutdown",
            PowerOp::Reboot => "reboot",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Pve(#[from] PveError),
    #[error("{0}")]
    Target(#[from] TargetError),
    /// The task ran and failed; `log` holds its last lines (raw guest text: sanitize).
    #[error("task {upid} failed: {exitstatus}")]
    TaskFailed {
        upid: String,
        exitstatus: String,
        log: Vec<String>,
    },
    #[error("{0}")]
    Refused(#[from] super::Refusal),
}

/// One `/cluster/resources` request: the whole cluster in one round trip.
pub async fn resources(client: &PveClient) -> Result<Vec<ClusterResource>, EngineError> {
    Ok(client.cluster_resources(None).await?)
}

/// Resolve a TARGET (vmid, name, or `HOST:` either) against one live cluster, named `host`.
/// Across several hosts, see `fleet::find_guest`.
pub async fn find_guest(
    client: &PveClient,
    host: &str,
    target: &str,
) -> Result<ResolvedGuest, EngineError> {
    let all = resources(client).await?;
    Ok(resolve_target(host, target, &all)?)
}

/// Ask Proxmox to change a guest's power state; returns the task.
pub async fn power(client: &PveClient, guest: &GuestRef, op: PowerOp) -> Result<Upid, EngineError> {
    use crate::pve::PowerAction;
    let action = match op {
        PowerOp::Start => PowerAction::Start,
        PowerOp::Stop => PowerAction::Stop,
        PowerOp::Shutdown => PowerAction::Shutdown,
        PowerOp::Reboot => PowerAction::Reboot,
    };
    let upid = match guest.kind {
        GuestKind::Vm => client.qemu_power(&guest.node, guest.vmid, action).await?,
        GuestKind::Container => client.lxc_power(&guest.node, guest.vmid, action).await?,
    };
    Ok(upid)
}

/// Delete a container. A running one is refused unless `force`, which stops it first (and
/// waits): Proxmox itself refuses to destroy a running CT. The status is read live, not
/// taken from the caller's snapshot, which may be seconds old.
pub async fn delete(
    client: &PveClient,
    guest: &GuestRef,
    force: bool,
) -> Result<Upid, EngineError> {
    match guest.kind {
        GuestKind::Vm => {
            return Err(super::Refusal::VmDelete { vmid: guest.vmid }.into());
        }
        GuestKind::Container => {}
    }
    if client
        .lxc_status(&guest.node, guest.vmid)
        .await?
        .is_running()
    {
        if !force {
            return Err(super::Refusal::RunningUnlessForced { vmid: guest.vmid }.into());
        }
        let stop = power(client, guest, PowerOp::Stop).await?;
        wait(client, &stop).await?;
    }
    let opts = crate::pve::DeleteOptions {
        purge: true,
        destroy_unreferenced_disks: Some(true),
        force: false,
    };
    Ok(client.lxc_delete(&guest.node, guest.vmid, opts).await?)
}

/// Wait for a task; on failure, fetch the tail of its log so the caller can show why.
pub async fn wait(client: &PveClient, upid: &Upid) -> Result<TaskStatus, EngineError> {
    match client.wait_task(upid, TASK_POLL).await {
        Ok(status) => Ok(status),
        Err(PveError::TaskFailed {
            upid: id,
            exitstatus,
        }) => {
            let log = match client.task_log(upid, 0, 0).await {
                Ok(page) => {
                    let lines: Vec<String> = page.lines.into_iter().map(|l| l.t).collect();
                    let skip = lines.len().saturating_sub(FAILED_LOG_TAIL);
                    lines.into_iter().skip(skip).collect()
                }
                Err(_) => Vec::new(),
            };
            Err(EngineError::TaskFailed {
                upid: id,
                exitstatus,
                log,
            })
        }
        Err(e) => Err(e.into()),
    }
}
