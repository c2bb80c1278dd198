//! Guest status and power for LXC and QEMU: lists, `status/current`, and the power actions
//! (start/stop/shutdown/reboot/suspend/resume) that check state synchronously and then run a
//! `vzstart`/`qmstart`/... task which changes the state as it runs.

use serde_json::{Map, Value, json};

use super::clock;
use super::deploy_sim::DeployStep;
use super::http::{ApiError, ApiResult, Params, Reply};
use super::model::{Guest, GuestKind, check_lock};
use super::state::Ctx;
use super::tasks;
use super::usage;

/// The fields `vmstatus` reports for one guest (list entry and `status/current`).
pub fn status_entry(g: &Guest, seed: u64, t: f64) -> Map<String, Value> {
    let u = usage::guest(g, seed, t);
    let mut o = Map::new();
    o.insert("vmid".into(), json!(g.vmid));
    o.insert(
        "status".into(),
        json!(if g.running { "running" } else { "stopped" }),
    );
    o.insert("name".into(), json!(g.name()));
    o.insert("cpus".into(), json!(g.cpus()));
    o.insert("cpu".into(), json!(u.cpu));
    o.insert("mem".into(), json!(u.mem));
    o.insert("maxmem".into(), json!(g.maxmem()));
    o.insert("disk".into(), json!(u.disk));
    o.insert("maxdisk".into(), json!(g.maxdisk()));
    o.insert("diskread".into(), json!(u.diskread));
    o.insert("diskwrite".into(), json!(u.diskwrite));
    o.insert("netin".into(), json!(u.netin));
    o.insert("netout".into(), json!(u.netout));
    o.insert("uptime".into(), json!(g.uptime(t as u64)));
    match g.kind {
        GuestKind::Lxc => {
            o.insert("type".into(), json!("lxc"));
            o.insert("swap".into(), json!(u.swap));
            o.insert("maxswap".into(), json!(g.maxswap()));
        }
        GuestKind::Qemu => {
            o.insert("memhost".into(), json!(u.memhost));
            let qmp = if !g.running {
                "stopped"
            } else if g.frozen {
                "paused"
            } else {
                "running"
            };
            o.insert("qmpstatus".into(), json!(qmp));
        }
    }
    if g.running {
        o.insert("pid".into(), json!(10_000 + g.vmid % 50_000));
        o.insert("pressurecpusome".into(), json!(u.cpu * 0.02));
        o.insert("pressureiosome".into(), json!(0.0));
        o.insert("pressureiofull".into(), json!(0.0));
        o.insert("pressurememorysome".into(), json!(0.0));
        o.insert("pressurememoryfull".into(), json!(0.0));
    }
    if let Some(tags) = g.tags() {
        o.insert("tags".into(), json!(tags));
    }
    if let Some(lock) = &g.lock {
        o.insert("lock".into(), json!(lock));
    }
    if g.is_template() {
        o.insert("template".into(), json!(1));
    }
    o
}

pub fn list(ctx: &Ctx, node: &str, kind: GuestKind) -> ApiResult {
    let t = clock::now_epoch_f64();
    ctx.sim.with(|m| {
        m.node(node)?;
        let rows: Vec<Value> = m
            .guests
            .values()
            .filter(|g| g.node == node && g.kind == kind)
            .map(|g| Value::Object(status_entry(g, m.seed, t)))
            .collect();
        Ok(Reply::ser(&rows))
    })
}

pub fn current(ctx: &Ctx, node: &str, kind: GuestKind, vmid: u32) -> ApiResult {
    let t = clock::now_epoch_f64();
    ctx.sim.with(|m| {
        let g = m.guest(node, kind, vmid)?;
        let mut o = status_entry(g, m.seed, t);
        let ha = if g.ha {
            json!({"managed": 1, "state": if g.running { "started" } else { "stopped" }})
        } else {
            json!({"managed": 0})
        };
        o.insert("ha".into(), ha);
        Ok(Reply::json(&Value::Object(o)))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    Start,
    Stop,
    Shutdown,
    Reboot,
    Suspend,
    Resume,
}

impl Power {
    pub fn from_segment(s: &str) -> Option<Power> {
        Some(match s {
            "start" => Power::Start,
            "stop" => Power::Stop,
            "shutdown" => Power::Shutdown,
            "reboot" => Power::Reboot,
            "suspend" => Power::Suspend,
            "resume" => Power::Resume,
            _ => return None,
        })
    }

    fn task_type(self, kind: GuestKind) -> &'static str {
        match (kind, self) {
            (GuestKind::Lxc, Power::Start) => "vzstart",
            (GuestKind::Lxc, Power::Stop) => "vzstop",
            (GuestKind::Lxc, Power::Shutdown) => "vzshutdown",
            (GuestKind::Lxc, Power::Reboot) => "vzreboot",
            (GuestKind::Lxc, Power::Suspend) => "vzsuspend",
            (GuestKind::Lxc, Power::Resume) => "vzresume",
            (GuestKind::Qemu, Power::Start) => "qmstart",
            (GuestKind::Qemu, Power::Stop) => "qmstop",
            (GuestKind::Qemu, Power::Shutdown) => "qmshutdown",
            (GuestKind::Qemu, Power::Reboot) => "qmreboot",
            (GuestKind::Qemu, Power::Suspend) => "qmsuspend",
            (GuestKind::Qemu, Power::Resume) => "qmresume",
        }
    }
}

/// Synchronous checks (the errors Proxmox raises before forking the worker), then the task.
pub fn power(ctx: &Ctx, node: &str, kind: GuestKind, vmid: u32, action: Power) -> ApiResult {
    let p = Params(ctx.params);
    let skiplock = p.flag("skiplock")?;
    let timeout = p.int("timeout")?.unwrap_or(60);
    let force_stop = p.bool("forceStop")?.unwrap_or(false);
    let label = kind.label();
    ctx.sim.with(|m| {
        let g = m.guest(node, kind, vmid)?;
        if !skiplock {
            check_lock(g)?;
        }
        match action {
            Power::Start if g.running => {
                Err(ApiError::die(format!("{label} {vmid} already running")))
            }
            Power::Start if g.is_template() => Err(ApiError::die(format!(
                "you can't start a {label} if it's a template"
            ))),
            Power::Stop | Power::Shutdown | Power::Reboot | Power::Suspend if !g.running => {
                Err(ApiError::die(format!("{label} {vmid} not running")))
            }
            Power::Resume if !g.running => {
                Err(ApiError::die(format!("{label} {vmid} not running")))
            }
            _ => Ok(()),
        }
    })?;
    let ttype = action.task_type(kind);
    let node_s = node.to_string();
    let upid = tasks::spawn(
        ctx.sim,
        node,
        ttype,
        &vmid.to_string(),
        ctx.authid,
        move |t| async move {
            let set = |running: Option<bool>, frozen: bool| {
                t.sim.change(|m| {
                    let g = m
                        .guests
                        .get_mut(&vmid)
                        .filter(|g| g.node == node_s)
                        .ok_or_else(|| {
                            format!(
                                "Configuration file 'nodes/{node_s}/{}/{vmid}.conf' does not exist",
                                kind.conf_dir()
                            )
                        })?;
                    if let Some(r) = running {
                        g.running = r;
                        g.started_at = r.then(clock::now_epoch);
                    }
                    g.frozen = frozen;
                    Ok::<(), String>(())
                })
            };
            match action {
                Power::Start => {
                    t.step().await?;
                    if kind == GuestKind::Lxc && t.sim.fails(DeployStep::Start) {
                        t.log(format!(
                            "run_buffer: 571 Script exited with status 1\nlxc_init: 845 Failed to run lxc.hook.pre-start for container \"{vmid}\"\n__lxc_start: 2034 Failed to initialize container \"{vmid}\""
                        ));
                        return Err(format!("startup for container '{vmid}' failed"));
                    }
                    set(Some(true), false)?;
                }
                Power::Stop => {
                    t.step().await?;
                    set(Some(false), false)?;
                }
                Power::Shutdown => {
                    t.step().await?;
                    t.step().await?;
                    if timeout == 0 && !force_stop {
                        return Err(format!("shutdown timed out after {timeout} seconds"));
                    }
                    set(Some(false), false)?;
                }
                Power::Reboot => {
                    t.step().await?;
                    set(Some(false), false)?;
                    t.step().await?;
                    set(Some(true), false)?;
                }
                Power::Suspend => {
                    t.step().await?;
                    set(None, true)?;
                }
                Power::Resume => {
                    t.step().await?;
                    set(None, false)?;
                }
            }
            Ok(())
        },
    );
    Ok(Reply::string(&upid))
}
