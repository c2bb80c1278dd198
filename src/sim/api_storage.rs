//! Storage endpoints: `/nodes/{n}/storage` (with usage), `/storage/{s}/content` (templates,
//! backups and the guests' disk images, sorted by volid), one volume's attributes (notes,
//! protection) and deletion, and backups (`POST /nodes/{n}/vzdump`, worker in `vzdump`).

use serde_json::{Value, json};

use super::api_cluster::storage_used;
use super::http::{ApiError, ApiResult, Params, Reply};
use super::model::{GuestKind, STORAGES, storage_def};
use super::seed::disk_used;
use super::state::Ctx;
use super::tasks;
use super::vzdump::{self, VzdumpOpts};

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
                    "size": g.maxdisk(), "vmid": g.vmid, "used": disk_used(g)});
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
    let opts = VzdumpOpts::parse(&p)?;
    let all = p.flag("all")?;
    let ids = vmid_list(p.str("vmid"), "vmid")?;
    let exclude = vmid_list(p.str("exclude"), "exclude")?;
    opts.check_storage()?;
    let guests: Vec<u32> = ctx.sim.with(|m| {
        m.node(node)?;
        if !all && ids.is_empty() {
            return Err(ApiError::param(
                "vmid",
                "property is missing and it is not optional",
            ));
        }
        // Only guests on this node are backed up here (others belong to their own node's job).
        Ok(vzdump::guests_on_node(m, node, &ids, all, &exclude))
    })?;
    let upid = vzdump::start(ctx.sim, node, guests, opts, ctx.authid);
    Ok(Reply::string(&upid))
}

/// A `pve-vmid-list` (`100,101` or `100 101`).
pub fn vmid_list(raw: Option<&str>, name: &str) -> Result<Vec<u32>, ApiError> {
    raw.unwrap_or("")
        .split([',', ';', ' '])
        .filter(|s| !s.is_empty())
        .map(|part| {
            part.parse().map_err(|_| {
                ApiError::param(
                    name,
                    "invalid format - value does not look like a valid VM ID",
                )
            })
        })
        .collect()
}

/// A volume named in the path: `local:backup/x.tar.zst`, or `backup/x.tar.zst` on `storage`.
fn volid_in(storage: &str, volume: &str) -> Result<String, ApiError> {
    if storage_def(storage).is_none() {
        return Err(ApiError::die(format!("storage '{storage}' does not exist")));
    }
    match volume.split_once(':') {
        Some((s, _)) if s != storage => Err(ApiError::die(format!(
            "storage ID mismatch ({s} != {storage})"
        ))),
        Some(_) => Ok(volume.to_string()),
        None => Ok(format!("{storage}:{volume}")),
    }
}

fn no_volume(volid: &str) -> ApiError {
    ApiError::die(format!("volume '{volid}' does not exist"))
}

/// `GET /nodes/{n}/storage/{s}/content/{volume}`: the volume's attributes.
pub fn volume_get(ctx: &Ctx, node: &str, storage: &str, volume: &str) -> ApiResult {
    let volid = volid_in(storage, volume)?;
    ctx.sim.with(|m| {
        m.node(node)?;
        let v = m
            .volumes
            .iter()
            .find(|v| v.node == node && v.volid == volid)
            .ok_or_else(|| no_volume(&volid))?;
        let file = volid.split_once(':').map_or(volid.as_str(), |(_, f)| f);
        let dir = if v.content == "backup" {
            "dump"
        } else {
            "template/cache"
        };
        let name = file.rsplit('/').next().unwrap_or(file);
        let mut o = json!({"path": format!("/var/lib/vz/{dir}/{name}"), "size": v.size,
            "used": v.size, "format": v.format});
        if v.content == "backup" {
            o["notes"] = json!(v.notes.clone().unwrap_or_default());
            o["protected"] = json!(i32::from(v.protected));
        }
        Ok(Reply::json(&o))
    })
}

/// `PUT /nodes/{n}/storage/{s}/content/{volume}`: notes and protection (backups only).
pub fn volume_put(ctx: &Ctx, node: &str, storage: &str, volume: &str) -> ApiResult {
    let p = Params(ctx.params);
    let volid = volid_in(storage, volume)?;
    let notes = p.str("notes").map(str::to_string);
    let protected = p.bool("protected")?;
    ctx.sim.change(|m| {
        m.node(node)?;
        let v = m
            .volumes
            .iter_mut()
            .find(|v| v.node == node && v.volid == volid)
            .ok_or_else(|| no_volume(&volid))?;
        if v.content != "backup" && (notes.is_some() || protected.is_some()) {
            return Err(ApiError::die(format!(
                "volume attributes are only supported for backups ('{volid}')"
            )));
        }
        if let Some(n) = notes {
            v.notes = (!n.is_empty()).then_some(n);
        }
        if let Some(p) = protected {
            v.protected = p;
        }
        Ok(Reply::null())
    })
}

/// `DELETE /nodes/{n}/storage/{s}/content/{volume}`: an `imgdel` task; a protected backup
/// makes the task fail (the check lives in the storage plugin's `free_image`).
pub fn volume_delete(ctx: &Ctx, node: &str, storage: &str, volume: &str) -> ApiResult {
    let volid = volid_in(storage, volume)?;
    let owner = ctx.sim.with(|m| {
        m.node(node)?;
        m.volumes
            .iter()
            .find(|v| v.node == node && v.volid == volid)
            .map(|v| v.vmid)
            .ok_or_else(|| no_volume(&volid))
    })?;
    let task_id = match owner {
        Some(id) => format!("{id}@{storage}"),
        None => storage.to_string(),
    };
    let node_s = node.to_string();
    let storage_s = storage.to_string();
    let upid = tasks::spawn(
        ctx.sim,
        node,
        "imgdel",
        &task_id,
        ctx.authid,
        move |t| async move {
            t.step().await?;
            let volname = volid
                .split_once(':')
                .map_or(volid.as_str(), |(_, f)| f)
                .to_string();
            t.sim.change(|m| {
                let idx = m
                    .volumes
                    .iter()
                    .position(|v| v.node == node_s && v.volid == volid)
                    .ok_or_else(|| format!("volume '{volid}' does not exist"))?;
                if m.volumes[idx].protected {
                    return Err(format!(
                        "cannot remove protected volume '{volname}' on '{storage_s}'"
                    ));
                }
                m.volumes.remove(idx);
                Ok(())
            })?;
            t.log(format!("Removed volume '{volid}'"));
            Ok(())
        },
    );
    Ok(Reply::string(&upid))
}
