//! The HTTP side of consoles: `POST .../termproxy` asks the [`ConsoleHub`] for a slot and runs a
//! `vncproxy`/`vncshell` task until the session ends; `GET .../vncwebsocket` hands the request
//! to the hub after normal auth.

use serde_json::json;

use super::console::ConsoleTarget;
use super::http::{ApiError, ApiResult, Reply};
use super::model::GuestKind;
use super::state::Ctx;
use super::tasks;

pub fn termproxy(ctx: &Ctx, node: &str, vmid: Option<u32>) -> ApiResult {
    let target = ctx.sim.with(|m| match vmid {
        Some(vmid) => {
            let g = m.guest(node, GuestKind::Lxc, vmid)?;
            if !g.running {
                return Err(ApiError::die(format!("CT {vmid} not running")));
            }
            Ok(ConsoleTarget::Container {
                node: node.to_string(),
                vmid,
                hostname: g.name(),
            })
        }
        None => {
            m.node(node)?;
            Ok(ConsoleTarget::Node {
                node: node.to_string(),
            })
        }
    })?;
    let grant = ctx
        .sim
        .hub
        .open(ctx.authid, target)
        .map_err(ApiError::die)?;
    let (ttype, id) = match vmid {
        Some(v) => ("vncproxy", v.to_string()),
        None => ("vncshell", String::new()),
    };
    let finished = grant.finished;
    let upid = tasks::spawn(ctx.sim, node, ttype, &id, ctx.authid, move |t| async move {
        let port = grant.port;
        t.log(format!("starting termproxy on port {port}"));
        let cancel = t.cancelled();
        tokio::select! {
            r = finished => match r {
                Ok(result) => result,
                // The hub dropped the session without a verdict.
                Err(_) => Ok(()),
            },
            _ = cancel.cancelled() => Err("received interrupt".to_string()),
        }
    });
    Ok(Reply::json(&json!({
        "user": grant.user,
        "ticket": grant.ticket,
        "port": grant.port,
        "upid": upid,
    })))
}
