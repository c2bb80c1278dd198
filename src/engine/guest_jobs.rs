//! Power and delete as jobs: the Proxmox task is started, its log is streamed into the job's
//! log, cancel stops the Proxmox task, and the job ends with the task's exit status.

use std::time::Duration;

use futures_util::StreamExt;

use super::jobs::JobCtx;
use super::ops::{self, PowerOp};
use super::refresh::HostLink;
use super::target::GuestRef;
use crate::pve::{PveClient, PveError, Upid};

/// Poll interval of a task's log and status while a job follows it.
const FOLLOW_POLL: Duration = Duration::from_millis(250);

/// Run a power operation to its end.
pub(super) async fn power(ctx: JobCtx, link: HostLink, guest: GuestRef, op: PowerOp) {
    // The step names what happens; the job's target names the guest (the rack shows both).
    ctx.step(op.verb(), None);
    let started = tokio::select! {
        r = ops::power(&link.client, &guest, op) => r,
        _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
    };
    match started {
        Ok(upid) => follow(ctx, &link, &upid).await,
        Err(e) => ctx.fail(e.to_string()),
    }
    link.refresh.notify_one();
}

/// Delete a container; with `force`, a running one is stopped first (Proxmox refuses to
/// destroy a running CT).
pub(super) async fn delete(ctx: JobCtx, link: HostLink, guest: GuestRef, force: bool) {
    if force {
        let live = tokio::select! {
            r = link.client.lxc_status(&guest.node, guest.vmid) => r,
            _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
        };
        match live {
            Ok(status) if status.is_running() => {
                ctx.step("stop", Some(0.0));
                let stop = tokio::select! {
                    r = ops::power(&link.client, &guest, PowerOp::Stop) => r,
                    _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
                };
                let upid = match stop {
                    Ok(upid) => upid,
                    Err(e) => return ctx.fail(e.to_string()),
                };
                match follow_task(&ctx, &link.client, &upid).await {
                    Followed::Ok => {}
                    Followed::Failed(reason) => return ctx.fail(reason),
                    Followed::Cancelled => return ctx.cancelled(),
                }
            }
            Ok(_) => {}
            Err(e) => return ctx.fail(e.to_string()),
        }
    }
    ctx.step("delete", Some(0.5));
    // `ops::delete` reads the live status again and refuses a running CT: the check holds
    // even when the inventory was stale.
    let started = tokio::select! {
        r = ops::delete(&link.client, &guest, false) => r,
        _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
    };
    match started {
        Ok(upid) => follow(ctx, &link, &upid).await,
        Err(e) => ctx.fail(e.to_string()),
    }
    link.refresh.notify_one();
}

pub(crate) enum Followed {
    Ok,
    Failed(String),
    Cancelled,
}

/// Follow `upid` to its end and finish the job with its result.
async fn follow(ctx: JobCtx, link: &HostLink, upid: &Upid) {
    match follow_task(&ctx, &link.client, upid).await {
        Followed::Ok => ctx.succeed(),
        Followed::Failed(reason) => ctx.fail(reason),
        Followed::Cancelled => ctx.cancelled(),
    }
}

/// Stream the task's log into the job's log until the task ends; on cancel, ask Proxmox to
/// stop the task (what the web UI's Stop button does).
pub(crate) async fn follow_task(ctx: &JobCtx, client: &PveClient, upid: &Upid) -> Followed {
    follow_task_with(ctx, client, upid, |_| {}).await
}

/// `follow_task`, showing each log line to `on_line` too (progress read from the log).
pub(crate) async fn follow_task_with(
    ctx: &JobCtx,
    client: &PveClient,
    upid: &Upid,
    mut on_line: impl FnMut(&str),
) -> Followed {
    ctx.upid(upid.to_string());
    let mut lines = Box::pin(client.follow_task_log(upid, FOLLOW_POLL));
    loop {
        tokio::select! {
            line = lines.next() => match line {
                Some(Ok(l)) => {
                    ctx.log(&l.t);
                    on_line(&l.t);
                }
                // A log read that fails does not decide the outcome: the status does.
                Some(Err(e)) => {
                    ctx.log(&format!("(log unavailable: {e})"));
                    break;
                }
                None => break,
            },
            _ = ctx.cancel_token().cancelled() => {
                if let Err(e) = client.task_stop(upid).await {
                    ctx.log(&format!("stopping the Proxmox task failed: {e}"));
                }
                return Followed::Cancelled;
            }
        }
    }
    let outcome = tokio::select! {
        r = client.wait_task(upid, FOLLOW_POLL) => r,
        _ = ctx.cancel_token().cancelled() => {
            let _ = client.task_stop(upid).await;
            return Followed::Cancelled;
        }
    };
    match outcome {
        Ok(_) => Followed::Ok,
        Err(PveError::TaskFailed { exitstatus, .. }) => Followed::Failed(exitstatus),
        Err(e) => Followed::Failed(e.to_string()),
    }
}
