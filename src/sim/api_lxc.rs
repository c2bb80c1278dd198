//! Container lifecycle beyond power: interfaces, snapshots (list/create/delete/rollback),
//! clone and destroy. Synchronous checks raise Proxmox's errors; the work runs as a task that
//! holds the guest's lock while it runs.

use serde_json::{Value, json};

use super::clock;
use super::http::{ApiError, ApiResult, Params, Reply};
use super::lxc_config::digest;
use super::model::{GuestKind, Snapshot, check_lock};
use super::state::Ctx;
use super::tasks;

/// A MAC for a new NIC, stable for (vmid, index).
pub fn new_hwaddr(vmid: u32, idx: u64) -> String {
    let b = clock::mix64(u64::from(vmid) << 8 | idx).to_be_bytes();
    format!("BC:24:11:{:02X}:{:02X}:{:02X}", b[0], b[1], b[2])
}

/// `GET .../interfaces`: `null` when stopped; `lo` plus one entry per `net[n]` when running.
pub fn interfaces(ctx: &Ctx, node: &str, vmid: u32) -> ApiResult {
    ctx.sim.with(|m| {
        let g = m.guest(node, GuestKind::Lxc, vmid)?;
        if !g.running {
            return Ok(Reply::null());
        }
        let mut out = vec![json!({
            "name": "lo", "hwaddr": "00:00:00:00:00:00", "hardware-address": "00:00:00:00:00:00",
            "inet": "127.0.0.1/8", "inet6": "::1/128",
            "ip-addresses": [
                {"ip-address": "127.0.0.1", "ip-address-type": "inet", "prefix": 8},
                {"ip-address": "::1", "ip-address-type": "inet6", "prefix": 128},
            ],
        })];
        for (key, value) in g.config.iter().filter(|(k, _)| k.starts_with("net")) {
            let Some(spec) = value.as_str() else { continue };
            let field = |f: &str| {
                spec.split(',')
                    .find_map(|kv| kv.strip_prefix(f))
                    .map(str::to_string)
            };
            let name = field("name=").unwrap_or_else(|| key.replace("net", "eth"));
            let hw = field("hwaddr=")
                .unwrap_or_else(|| new_hwaddr(vmid, 0))
                .to_lowercase();
            let idx: u32 = key[3..].parse().unwrap_or(0);
            let inet = match field("ip=") {
                Some(ip) if ip.contains('/') => ip,
                Some(ip) if ip == "manual" => continue,
                _ => format!(
                    "10.{}.{}.{}/24",
                    10 + idx,
                    (vmid / 250) % 250,
                    2 + vmid % 250
                ),
            };
            let (addr, prefix) = inet.split_once('/').unwrap_or((&inet, "24"));
            let prefix: u32 = prefix.parse().unwrap_or(24);
            out.push(json!({
                "name": name, "hwaddr": hw, "hardware-address": hw, "inet": inet,
                "ip-addresses": [{"ip-address": addr, "ip-address-type": "inet", "prefix": prefix}],
            }));
        }
        Ok(Reply::ser(&out))
    })
}

pub fn snapshot_list(ctx: &Ctx, node: &str, vmid: u32) -> ApiResult {
    ctx.sim.with(|m| {
        let g = m.guest(node, GuestKind::Lxc, vmid)?;
        let mut out: Vec<Value> = g
            .snapshots
            .iter()
            .map(|s| {
                let mut o =
                    json!({"name": s.name, "description": s.description, "snaptime": s.snaptime});
                if let Some(p) = &s.parent {
                    o["parent"] = json!(p);
                }
                o
            })
            .collect();
        let mut current = json!({"name": "current", "description": "You are here!",
            "digest": digest(&g.config), "running": i32::from(g.running)});
        if let Some(parent) = current_parent(g) {
            current["parent"] = json!(parent);
        }
        out.push(current);
        Ok(Reply::ser(&out))
    })
}

/// The snapshot the current state descends from; state saved before the `parent` tracking
/// existed falls back to the newest snapshot.
fn current_parent(g: &super::model::Guest) -> Option<String> {
    match &g.snap_parent {
        Some(p) if g.snapshots.iter().any(|s| &s.name == p) => Some(p.clone()),
        _ => g.snapshots.last().map(|s| s.name.clone()),
    }
}

fn valid_configid(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && s.len() <= 40
}

/// Lock the guest for a task, with `check_lock` semantics.
fn take_lock(ctx: &Ctx, node: &str, vmid: u32, lock: &str) -> Result<(), ApiError> {
    ctx.sim.change(|m| {
        let g = m.guest_mut(node, GuestKind::Lxc, vmid)?;
        check_lock(g)?;
        g.lock = Some(lock.to_string());
        Ok(())
    })
}

/// Proxmox's answer when a snapshot named in the path is not there (AbstractConfig.pm).
fn require_snapshot(ctx: &Ctx, node: &str, vmid: u32, name: &str) -> Result<(), ApiError> {
    ctx.sim.with(|m| {
        let g = m.guest(node, GuestKind::Lxc, vmid)?;
        g.snapshots
            .iter()
            .any(|s| s.name == name)
            .then_some(())
            .ok_or_else(|| ApiError::die(format!("snapshot '{name}' does not exist")))
    })
}

fn release(t: &tasks::TaskCtx, vmid: u32) {
    let _ = t.sim.change(|m| {
        if let Some(g) = m.guests.get_mut(&vmid) {
            g.lock = None;
        }
        Ok::<(), ()>(())
    });
}

pub fn snapshot_create(ctx: &Ctx, node: &str, vmid: u32) -> ApiResult {
    let p = Params(ctx.params);
    let name = p.req_str("snapname")?.to_string();
    if !valid_configid(&name) {
        return Err(ApiError::param(
            "snapname",
            "invalid format - invalid configuration ID '".to_string() + &name + "'",
        ));
    }
    let description = p.str("description").unwrap_or("").to_string();
    ctx.sim.with(|m| {
        let g = m.guest(node, GuestKind::Lxc, vmid)?;
        if name == "current" || g.snapshots.iter().any(|s| s.name == name) {
            return Err(ApiError::die(format!(
                "snapshot name '{name}' already used"
            )));
        }
        Ok(())
    })?;
    take_lock(ctx, node, vmid, "snapshot")?;
    let upid = tasks::spawn(
        ctx.sim,
        node,
        "vzsnapshot",
        &vmid.to_string(),
        ctx.authid,
        move |t| async move {
            t.log(format!("create snapshot '{name}'"));
            let r = t.step().await;
            if r.is_ok() {
                let _ = t.sim.change(|m| {
                    let g = m.guests.get_mut(&vmid).ok_or(())?;
                    let parent = current_parent(g);
                    g.snap_parent = Some(name.clone());
                    let snap = Snapshot {
                        name: name.clone(),
                        description,
                        snaptime: clock::now_epoch(),
                        parent,
                        config: g.config.clone(),
                        running: g.running,
                    };
                    g.snapshots.push(snap);
                    Ok::<(), ()>(())
                });
                t.log(format!(
                    "  Logical volume \"snap_vm-{vmid}-disk-0_{name}\" created."
                ));
            }
            release(&t, vmid);
            r
        },
    );
    Ok(Reply::string(&upid))
}

pub fn snapshot_delete(ctx: &Ctx, node: &str, vmid: u32, name: &str) -> ApiResult {
    require_snapshot(ctx, node, vmid, name)?;
    take_lock(ctx, node, vmid, "snapshot-delete")?;
    let name = name.to_string();
    let upid = tasks::spawn(
        ctx.sim,
        node,
        "vzdelsnapshot",
        &vmid.to_string(),
        ctx.authid,
        move |t| async move {
            let r = t.step().await;
            if r.is_ok() {
                let _ = t.sim.change(|m| {
                    let g = m.guests.get_mut(&vmid).ok_or(())?;
                    let removed_parent = g
                        .snapshots
                        .iter()
                        .find(|s| s.name == name)
                        .and_then(|s| s.parent.clone());
                    g.snapshots.retain(|s| s.name != name);
                    if g.snap_parent.as_deref() == Some(name.as_str()) {
                        g.snap_parent = removed_parent.clone();
                    }
                    for s in &mut g.snapshots {
                        if s.parent.as_deref() == Some(name.as_str()) {
                            s.parent = removed_parent.clone();
                        }
                    }
                    Ok::<(), ()>(())
                });
                t.log(format!(
                    "  Logical volume \"snap_vm-{vmid}-disk-0_{name}\" successfully removed."
                ));
            }
            release(&t, vmid);
            r
        },
    );
    Ok(Reply::string(&upid))
}

pub fn snapshot_rollback(ctx: &Ctx, node: &str, vmid: u32, name: &str) -> ApiResult {
    let start = Params(ctx.params).flag("start")?;
    require_snapshot(ctx, node, vmid, name)?;
    take_lock(ctx, node, vmid, "rollback")?;
    let name = name.to_string();
    let upid = tasks::spawn(
        ctx.sim,
        node,
        "vzrollback",
        &vmid.to_string(),
        ctx.authid,
        move |t| async move {
            let r = t.step().await;
            if r.is_ok() {
                let _ = t.sim.change(|m| {
                    let g = m.guests.get_mut(&vmid).ok_or(())?;
                    if g.running {
                        g.running = false;
                        g.started_at = None;
                    }
                    let idx = g.snapshots.iter().position(|s| s.name == name).ok_or(())?;
                    g.config = g.snapshots[idx].config.clone();
                    g.snap_parent = Some(name.clone());
                    if start {
                        g.running = true;
                        g.started_at = Some(clock::now_epoch());
                    }
                    Ok::<(), ()>(())
                });
                t.log(format!(
                    "  Logical volume \"vm-{vmid}-disk-0\" successfully removed."
                ));
                t.log(format!("  Logical volume \"vm-{vmid}-disk-0\" created."));
            }
            release(&t, vmid);
            r
        },
    );
    Ok(Reply::string(&upid))
}

/// `DELETE /nodes/{n}/lxc/{vmid}`.
pub fn destroy(ctx: &Ctx, node: &str, vmid: u32) -> ApiResult {
    let p = Params(ctx.params);
    let force = p.flag("force")?;
    p.flag("purge")?;
    p.flag("destroy-unreferenced-disks")?;
    ctx.sim.with(|m| {
        let g = m.guest(node, GuestKind::Lxc, vmid)?;
        check_lock(g)?;
        if g.cfg_u64("protection") == Some(1) {
            return Err(ApiError::die(format!(
                "can't remove CT {vmid} - protection mode enabled"
            )));
        }
        if g.running && !force {
            return Err(ApiError::die(format!(
                "unable to destroy CT {vmid} - container is running"
            )));
        }
        Ok(())
    })?;
    take_lock(ctx, node, vmid, "destroyed")?;
    let upid = tasks::spawn(
        ctx.sim,
        node,
        "vzdestroy",
        &vmid.to_string(),
        ctx.authid,
        move |t| async move {
            if let Err(e) = t.step().await {
                release(&t, vmid);
                return Err(e);
            }
            t.log(format!(
                "  Logical volume \"vm-{vmid}-disk-0\" successfully removed."
            ));
            let _ = t.sim.change(|m| {
                m.guests.remove(&vmid);
                Ok::<(), ()>(())
            });
            // Whatever ran inside the container goes with it.
            t.sim.shell_state.remove(vmid);
            Ok(())
        },
    );
    Ok(Reply::string(&upid))
}

/// `POST .../clone`: the new CT exists (locked `create`) as soon as the task starts.
pub fn clone(ctx: &Ctx, node: &str, vmid: u32) -> ApiResult {
    let p = Params(ctx.params);
    let newid = p.req_vmid("newid")?;
    let hostname = p.str("hostname").map(str::to_string);
    let description = p.str("description").map(str::to_string);
    let target = p.str("target").unwrap_or(node).to_string();
    let snapname = p.str("snapname").map(str::to_string);
    let storage = p.str("storage").map(str::to_string);
    ctx.sim.change(|m| {
        m.node(&target)?;
        let src = m.guest(node, GuestKind::Lxc, vmid)?;
        let mut config = match &snapname {
            Some(s) => src
                .snapshots
                .iter()
                .find(|x| &x.name == s)
                .map(|x| x.config.clone())
                .ok_or_else(|| ApiError::die(format!("snapshot '{s}' does not exist")))?,
            None => src.config.clone(),
        };
        m.check_vmid_unused(newid)?;
        config.remove("template");
        if let Some(h) = &hostname {
            config.insert(
                "hostname".into(),
                super::lxc_config::config_value("hostname", h)
                    .map_err(|e| ApiError::param("hostname", e))?,
            );
        }
        if let Some(d) = &description {
            config.insert("description".into(), json!(d));
        }
        if let Some(root) = config.get("rootfs").and_then(Value::as_str) {
            let (vol, opts) = root.split_once(',').unwrap_or((root, ""));
            let store = storage
                .clone()
                .unwrap_or_else(|| vol.split(':').next().unwrap_or("local-lvm").to_string());
            let new_root = if opts.is_empty() {
                format!("{store}:vm-{newid}-disk-0")
            } else {
                format!("{store}:vm-{newid}-disk-0,{opts}")
            };
            config.insert("rootfs".into(), json!(new_root));
        }
        for (i, (_, v)) in config
            .iter_mut()
            .filter(|(k, _)| k.starts_with("net"))
            .enumerate()
        {
            if let Some(s) = v.as_str() {
                let fresh: Vec<String> = s
                    .split(',')
                    .map(|kv| {
                        if kv.starts_with("hwaddr=") {
                            format!("hwaddr={}", new_hwaddr(newid, i as u64))
                        } else {
                            kv.to_string()
                        }
                    })
                    .collect();
                *v = json!(fresh.join(","));
            }
        }
        let mut guest = src.clone();
        guest.vmid = newid;
        guest.node = target.clone();
        guest.running = false;
        guest.started_at = None;
        guest.frozen = false;
        guest.lock = Some("create".into());
        guest.config = config;
        guest.snapshots = Vec::new();
        guest.ha = false;
        m.guests.insert(newid, guest);
        Ok(())
    })?;
    let upid = tasks::spawn(
        ctx.sim,
        node,
        "vzclone",
        &vmid.to_string(),
        ctx.authid,
        move |t| async move {
            t.log(format!(
                "create full clone of mountpoint rootfs (vm-{vmid}-disk-0)"
            ));
            t.log(format!("  Logical volume \"vm-{newid}-disk-0\" created."));
            let r = async {
            t.step().await?;
            t.log("Creating filesystem with 2097152 4k blocks and 524288 inodes");
            t.step().await?;
            t.log("Number of files: 28,137 (reg: 21,984, dir: 2,377, link: 3,746, dev: 2, special: 28)");
            Ok::<(), String>(())
        }
        .await;
            match &r {
                Ok(()) => {
                    release(&t, newid);
                    // A full clone copies the root filesystem, and with it what ran inside.
                    let store = &t.sim.shell_state;
                    store.remove(newid);
                    let _ = std::fs::copy(store.path(vmid), store.path(newid));
                }
                Err(_) => {
                    let _ = t.sim.change(|m| {
                        m.guests.remove(&newid);
                        Ok::<(), ()>(())
                    });
                }
            }
            r
        },
    );
    Ok(Reply::string(&upid))
}
