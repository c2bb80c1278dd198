//! The router: "our Proxmox model" of the API tree, matched by hand over path segments (after
//! `/api2/json`). Unknown path or method -> 501 `Method 'GET /foo' not implemented`.

use super::api_guest::{self, Power};
use super::http::{ApiError, ApiResult, ParamMap, Reply};
use super::model::GuestKind;
use super::state::Ctx;
use super::{
    api_cluster, api_console, api_lxc, api_storage, aplinfo, backup_jobs, lxc_config, lxc_create,
    qemu_restore, rrd, tasks,
};

/// Path components that double as parameters (`{node}`, `{vmid}`, ...), by name.
pub fn uri_params(segs: &[&str]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if segs.first() == Some(&"nodes") && segs.len() > 1 {
        out.push(("node", segs[1].to_string()));
        match (segs.get(2), segs.get(3)) {
            (Some(&"lxc" | &"qemu"), Some(id)) => {
                out.push(("vmid", id.to_string()));
                if segs.get(4) == Some(&"snapshot")
                    && let Some(name) = segs.get(5)
                {
                    out.push(("snapname", name.to_string()));
                }
            }
            (Some(&"storage"), Some(s)) => out.push(("storage", s.to_string())),
            (Some(&"tasks"), Some(u)) => out.push(("upid", u.to_string())),
            _ => {}
        }
    }
    out
}

/// A param that is also a path component with a different value is rejected.
pub fn check_uri_conflicts(segs: &[&str], params: &ParamMap) -> Result<(), ApiError> {
    for (name, value) in uri_params(segs) {
        if params.get(name).is_some_and(|v| *v != value) {
            return Err(ApiError::param(
                name,
                "duplicate parameter (already defined in URI) with conflicting values!",
            ));
        }
    }
    Ok(())
}

fn vmid(s: &str) -> Result<u32, ApiError> {
    let n = super::http::parse_int(s).ok_or_else(|| {
        ApiError::param("vmid", format!("type check ('integer') failed - got '{s}'"))
    })?;
    if n < 100 {
        return Err(ApiError::param(
            "vmid",
            "value must have a minimum value of 100",
        ));
    }
    u32::try_from(n)
        .map_err(|_| ApiError::param("vmid", "value must have a maximum value of 999999999"))
}

fn index(subdirs: &[&str]) -> ApiResult {
    let list: Vec<serde_json::Value> = subdirs
        .iter()
        .map(|s| serde_json::json!({"subdir": s}))
        .collect();
    Ok(Reply::ser(&list))
}

/// `GET /access/domains` (auth-free: the login screen needs it).
pub fn domains() -> Reply {
    Reply::json(&serde_json::json!([
        {"realm": "pam", "type": "pam", "comment": "Linux PAM standard authentication"},
        {"realm": "pve", "type": "pve", "comment": "Proxmox VE authentication server"},
    ]))
}

pub fn not_implemented(method: &str, rel: &str) -> ApiError {
    ApiError::not_implemented(format!("Method '{method} /{rel}' not implemented"))
}

pub fn dispatch(ctx: &Ctx, method: &str, segs: &[&str], rel: &str) -> ApiResult {
    use GuestKind::{Lxc, Qemu};
    match (method, segs) {
        ("GET", ["version"]) => api_cluster::version(false),
        ("GET", ["cluster", "status"]) => api_cluster::cluster_status(ctx),
        ("GET", ["cluster", "resources"]) => api_cluster::resources(ctx),
        ("GET", ["cluster", "nextid"]) => api_cluster::nextid(ctx),
        ("GET", ["cluster", "tasks"]) => tasks::cluster_list(ctx),
        ("GET", ["cluster", "backup"]) => backup_jobs::list(ctx),
        ("POST", ["cluster", "backup"]) => backup_jobs::create(ctx),
        ("GET", ["cluster", "backup", id]) => backup_jobs::get(ctx, id),
        ("PUT", ["cluster", "backup", id]) => backup_jobs::update(ctx, id),
        ("DELETE", ["cluster", "backup", id]) => backup_jobs::delete(ctx, id),
        // Directory indexes (`[{subdir}]`, or `[{name}]` under guests), as the API tree has them.
        ("GET", []) => index(&["access", "cluster", "nodes", "pools", "storage", "version"]),
        ("GET", ["cluster"]) => index(&[
            "backup",
            "log",
            "nextid",
            "options",
            "resources",
            "status",
            "tasks",
        ]),
        ("GET", ["access"]) => index(&["domains", "ticket", "users"]),
        ("GET", ["nodes", n]) => {
            ctx.sim.with(|m| m.node(n).map(|_| ()))?;
            index(&[
                "aplinfo",
                "lxc",
                "qemu",
                "rrddata",
                "status",
                "storage",
                "tasks",
                "termproxy",
                "version",
                "vzdump",
            ])
        }
        ("GET", ["nodes", n, "lxc", id]) => {
            ctx.sim.with(|m| m.guest(n, Lxc, vmid(id)?).map(|_| ()))?;
            index(&[
                "clone",
                "config",
                "interfaces",
                "rrddata",
                "snapshot",
                "status",
                "termproxy",
                "vncwebsocket",
            ])
        }
        ("GET", ["nodes", n, "lxc", id, "status"]) => {
            ctx.sim.with(|m| m.guest(n, Lxc, vmid(id)?).map(|_| ()))?;
            index(&[
                "current", "reboot", "resume", "shutdown", "start", "stop", "suspend",
            ])
        }
        ("GET", ["nodes", n, "qemu", id]) => {
            ctx.sim.with(|m| m.guest(n, Qemu, vmid(id)?).map(|_| ()))?;
            index(&["config", "rrddata", "status"])
        }
        ("GET", ["nodes"]) => api_cluster::nodes(ctx),
        ("GET", ["nodes", n, "status"]) => api_cluster::node_status(ctx, n),
        ("GET", ["nodes", n, "version"]) => {
            ctx.sim.with(|m| m.node(n).map(|_| ()))?;
            api_cluster::version(true)
        }
        ("GET", ["nodes", n, "rrddata"]) => rrd::node(ctx, n),
        ("POST", ["nodes", n, "termproxy"]) => api_console::termproxy(ctx, n, None),

        ("GET", ["nodes", n, "lxc"]) => api_guest::list(ctx, n, Lxc),
        ("POST", ["nodes", n, "lxc"]) => lxc_create::create(ctx, n),
        ("DELETE", ["nodes", n, "lxc", id]) => api_lxc::destroy(ctx, n, vmid(id)?),
        ("GET", ["nodes", n, "lxc", id, "status", "current"]) => {
            api_guest::current(ctx, n, Lxc, vmid(id)?)
        }
        ("POST", ["nodes", n, "lxc", id, "status", action]) => match Power::from_segment(action) {
            Some(p) => api_guest::power(ctx, n, Lxc, vmid(id)?, p),
            None => Err(not_implemented(method, rel)),
        },
        ("GET", ["nodes", n, "lxc", id, "config"]) => lxc_config::get(ctx, n, Lxc, vmid(id)?, None),
        ("GET", ["nodes", n, "lxc", id, "snapshot", name, "config"]) => {
            lxc_config::get(ctx, n, Lxc, vmid(id)?, Some(name))
        }
        ("PUT", ["nodes", n, "lxc", id, "config"]) => lxc_config::put(ctx, n, vmid(id)?),
        ("GET", ["nodes", n, "lxc", id, "interfaces"]) => api_lxc::interfaces(ctx, n, vmid(id)?),
        ("POST", ["nodes", n, "lxc", id, "clone"]) => api_lxc::clone(ctx, n, vmid(id)?),
        ("GET", ["nodes", n, "lxc", id, "snapshot"]) => api_lxc::snapshot_list(ctx, n, vmid(id)?),
        ("POST", ["nodes", n, "lxc", id, "snapshot"]) => {
            api_lxc::snapshot_create(ctx, n, vmid(id)?)
        }
        ("DELETE", ["nodes", n, "lxc", id, "snapshot", name]) => {
            api_lxc::snapshot_delete(ctx, n, vmid(id)?, name)
        }
        ("POST", ["nodes", n, "lxc", id, "snapshot", name, "rollback"]) => {
            api_lxc::snapshot_rollback(ctx, n, vmid(id)?, name)
        }
        ("GET", ["nodes", n, "lxc", id, "rrddata"]) => rrd::guest(ctx, n, Lxc, vmid(id)?),
        ("POST", ["nodes", n, "lxc", id, "termproxy"]) => {
            api_console::termproxy(ctx, n, Some(vmid(id)?))
        }

        ("GET", ["nodes", n, "qemu"]) => api_guest::list(ctx, n, Qemu),
        ("POST", ["nodes", n, "qemu"]) => qemu_restore::create(ctx, n),
        ("GET", ["nodes", n, "qemu", id, "config"]) => {
            lxc_config::get(ctx, n, Qemu, vmid(id)?, None)
        }
        ("GET", ["nodes", n, "qemu", id, "status", "current"]) => {
            api_guest::current(ctx, n, Qemu, vmid(id)?)
        }
        ("POST", ["nodes", n, "qemu", id, "status", action]) => match Power::from_segment(action) {
            Some(p) => api_guest::power(ctx, n, Qemu, vmid(id)?, p),
            None => Err(not_implemented(method, rel)),
        },
        ("GET", ["nodes", n, "qemu", id, "rrddata"]) => rrd::guest(ctx, n, Qemu, vmid(id)?),

        ("GET", ["nodes", n, "storage"]) => api_storage::list(ctx, n),
        ("GET", ["nodes", n, "storage", s, "content"]) => api_storage::content(ctx, n, s),
        // A volid's `/` arrives decoded, so the volume is the rest of the path.
        (_, ["nodes", n, "storage", s, "content", vol @ ..]) if !vol.is_empty() => {
            let vol = vol.join("/");
            match method {
                "GET" => api_storage::volume_get(ctx, n, s, &vol),
                "PUT" => api_storage::volume_put(ctx, n, s, &vol),
                "DELETE" => api_storage::volume_delete(ctx, n, s, &vol),
                _ => Err(not_implemented(method, rel)),
            }
        }
        ("GET", ["nodes", n, "aplinfo"]) => aplinfo::list(ctx, n),
        ("POST", ["nodes", n, "aplinfo"]) => aplinfo::download(ctx, n),
        ("POST", ["nodes", n, "vzdump"]) => api_storage::vzdump(ctx, n),

        ("GET", ["nodes", n, "tasks"]) => tasks::list(ctx, n),
        ("GET", ["nodes", n, "tasks", upid, "status"]) => tasks::status(ctx, n, upid),
        ("GET", ["nodes", n, "tasks", upid, "log"]) => tasks::log(ctx, n, upid),
        ("DELETE", ["nodes", n, "tasks", upid]) => tasks::stop(ctx, n, upid),
        _ => Err(not_implemented(method, rel)),
    }
}
