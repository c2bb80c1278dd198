//! Storage endpoints: `/nodes/{n}/storage` (with usage), `/storage/{s}/content` (templates,
//! backups and the guests' disk images, sorted by volid) and backups (`POST /nodes/{n}/vzdump`).

use serde_json::{Value, json};

use super::api_cluster::storage_used;
use super::clock;
use super::http::{ApiError, ApiResult, Params, Reply};
use super::model::{GuestKind, STORAGES, storage_def};
use super::seed::backup_volume;
use super::state::Ctx;
use super::tasks;

pub fn list(ctx: &Ctx, node: &str) -> ApiResult {
    let p = Params(ctx.params);
    let content = p.str("content").map(str::to_string);
    let only = p.str("storage").map(str::to_string);
    ctx.sim.with(|m| {
        m.node(node)?;
        let rows: Vec<Value> = STORAGES
            .iter()
            .filter(|s| {
                content
                    .as_deref()
                    .is_none_or(|c| c.split(',').any(|c| s.supports(c)))
            })
            .filter(|s| only.as_deref().is_none_or(|o| o == s.name))
            .map(|s| {
                let used = storage_used(m, node, s.name).min(s.total);
                json!({
                    "storage": s.name, "type": s.plugintype, "content": s.content,
                    "active": 1, "enabled": 1, "shared": 0,
                    "total": s.total, "used": used, "avail": s.total - used,
                    "used_fraction": used as f64 / s.total as f64,
                })
            })
            .collect();
        Ok(Reply::ser(&rows))
    })
}

pub fn content(ctx: &Ctx, node: &str, storage: &str) -> ApiResult {
    let p = Params(ctx.params);
    let filter = p.str("content").map(str::to_string);
    let vmid = p.vmid("vmid")?;
    ctx.sim.with(|m| {
        m.node(node)?;
        let def = storage_def(storage)
            .ok_or_else(|| ApiError::die(format!("storage '{storage}' does not exist")))?;
        let wants = |c: &str| filter.as_deref().is_none_or(|f| f == c);
        let mut rows: Vec<(String, Value)> = Vec::new();
        for v in m
            .volumes
            .iter()
            .filter(|v| v.node == node && v.storage == storage)
        {
            if !wants(&v.content) || vmid.is_some_and(|id| v.vmid != Some(id)) {
                continue;
            }
            let mut o =
                json!({"volid": v.volid, "content": v.content, "format": v.format, "size": v.size});
            o["ctime"] = json!(v.ctime);
            if let Some(id) = v.vmid {
                o["vmid"] = json!(id);
            }
            if let Some(s) = &v.subtype {
                o["subtype"] = json!(s);
            }
            if let Some(n) = &v.notes {
                o["notes"] = json!(n);
            }
            if v.protected {
                o["protected"] = json!(1);
            }
            rows.push((v.volid.to_lowercase(), o));
        }
        if def.supports("rootdir") || def.supports("images") {
            for g in m.guests.values().filter(|g| g.node == node) {
                if vmid.is_some_and(|id| id != g.vmid) {
                    continue;
                }
                let (key, content, format) = match g.kind {
                    GuestKind::Lxc => ("rootfs", "rootdir", "raw"),
                    GuestKind::Qemu => ("scsi0", "images", "raw"),
                };
                if !wants(content) {
                    continue;
                }
                let Some(volid) = g.cfg_str(key).and_then(|s| s.split(',').next()) else {
                    continue;
                };
                if !volid.starts_with(&format!("{storage}:")) {
                    continue;
                }
                let o = json!({"volid": volid, "content": content, "format": format,
                    "size": g.maxdisk(), "vmid": g.vmid, "used": g.maxdisk() / 3});
                rows.push((volid.to_lowercase(), o));
            }
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Reply::ser(
            &rows.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        ))
    })
}

/// `POST /nodes/{n}/vzdump`: back up the listed local guests to a `backup` storage.
pub fn vzdump(ctx: &Ctx, node: &str) -> ApiResult {
    let p = Params(ctx.params);
    let storage = p.str("storage").unwrap_or("local").to_string();
    let mode = p.str("mode").unwrap_or("snapshot").to_string();
    if !matches!(mode.as_str(), "snapshot" | "suspend" | "stop") {
        return Err(ApiError::param(
            "mode",
            format!(
                "value '{mode}' does not have a value in the enumeration 'snapshot, suspend, stop'"
            ),
        ));
    }
    let all = p.flag("all")?;
    let mut ids: Vec<u32> = Vec::new();
    for part in p
        .str("vmid")
        .unwrap_or("")
        .split([',', ';', ' '])
        .filter(|s| !s.is_empty())
    {
        let id: u32 = part.parse().map_err(|_| {
            ApiError::param(
                "vmid",
                "invalid format - value does not look like a valid VM ID",
            )
        })?;
        ids.push(id);
    }
    let def = storage_def(&storage)
        .ok_or_else(|| ApiError::die(format!("storage '{storage}' does not exist")))?;
    if !def.supports("backup") {
        return Err(ApiError::die(format!(
            "storage '{storage}' does not support backups"
        )));
    }
    let guests: Vec<u32> = ctx.sim.with(|m| {
        m.node(node)?;
        if all {
            return Ok(m
                .guests
                .values()
                .filter(|g| g.node == node)
                .map(|g| g.vmid)
                .collect());
        }
        if ids.is_empty() {
            return Err(ApiError::param(
                "vmid",
                "property is missing and it is not optional",
            ));
        }
        // Only guests on this node are backed up here (others belong to their own node's job).
        Ok(ids
            .iter()
            .copied()
            .filter(|id| m.guests.get(id).is_some_and(|g| g.node == node))
            .collect())
    })?;
    let task_id = if guests.len() == 1 {
        guests[0].to_string()
    } else {
        String::new()
    };
    let node_s = node.to_string();
    let upid = tasks::spawn(
        ctx.sim,
        node,
        "vzdump",
        &task_id,
        ctx.authid,
        move |t| async move {
            let list = guests
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(" ");
            t.log(format!("INFO: starting new backup job: vzdump {list} --storage {storage} --mode {mode} --compress zstd --node {node_s}"));
            let mut failed = Vec::new();
            for id in &guests {
                let locked = t.sim.change(|m| {
                    let g = m
                        .guests
                        .get_mut(id)
                        .filter(|g| g.node == node_s)
                        .ok_or(())?;
                    if g.lock.is_some() {
                        return Err(());
                    }
                    g.lock = Some("backup".into());
                    Ok(g.kind)
                });
                let Ok(kind) = locked else {
                    t.log(format!("ERROR: Backup of VM {id} failed - CT is locked"));
                    failed.push(*id);
                    continue;
                };
                t.log(format!(
                    "INFO: Starting Backup of VM {id} ({})",
                    kind.as_str()
                ));
                let started = clock::now_epoch();
                t.log(format!(
                    "INFO: Backup started at {}",
                    clock::vzdump_stamp(started).replace('_', "-")
                ));
                t.log(format!("INFO: backup mode: {mode}"));
                let step = t.step().await;
                let vol = t.sim.change(|m| {
                    let g = m.guests.get_mut(id).ok_or(())?;
                    g.lock = None;
                    let mut v = backup_volume(g, clock::now_epoch());
                    v.storage = storage.clone();
                    v.volid = v.volid.replacen("local:", &format!("{storage}:"), 1);
                    if kind == GuestKind::Qemu {
                        v.volid = v.volid.replace("vzdump-lxc-", "vzdump-qemu-");
                        v.subtype = Some("qemu".into());
                    }
                    if step.is_ok() {
                        m.volumes.push(v.clone());
                    }
                    Ok::<_, ()>(v)
                });
                step?;
                if let Ok(v) = vol {
                    let file = v
                        .volid
                        .split('/')
                        .next_back()
                        .unwrap_or_default()
                        .to_string();
                    t.log(format!(
                        "INFO: creating vzdump archive '/var/lib/vz/dump/{file}'"
                    ));
                    t.step().await?;
                    t.log(format!(
                        "INFO: Total bytes written: {} ({:.1}GiB, 180.0MiB/s)",
                        v.size,
                        v.size as f64 / 1_073_741_824.0
                    ));
                    t.log(format!(
                        "INFO: archive file size: {:.2}GB",
                        v.size as f64 / 1e9
                    ));
                    t.log(format!(
                        "INFO: Finished Backup of VM {id} (00:00:{:02})",
                        clock::now_epoch().saturating_sub(started)
                    ));
                }
            }
            if failed.is_empty() {
                t.log("INFO: Backup job finished successfully");
                Ok(())
            } else {
                let ids = failed
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                Err(format!("job errors: backup of {ids} failed"))
            }
        },
    );
    Ok(Reply::string(&upid))
}
