//! `POST /nodes/{n}/qemu` with `archive`: restore a VM from a vzdump backup (`qmrestore`).
//! Like qemu-server's `create_vm`, the checks run before the task: the vmid must be free, or
//! an existing VM of this node replaced with `force` (never a running one); the archive must
//! be a VM backup on this node. The task recreates the backed-up config with the disks named
//! for the new vmid and the VM stopped. Creating a VM from scratch (no `archive`) is not
//! emulated: Proximity only restores VMs.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::http::{ApiError, ApiResult, Params, Reply};
use super::model::{Guest, GuestKind, storage_def};
use super::state::Ctx;
use super::tasks;

/// Parameters of a restore that are not VM config keys.
const RESTORE_PARAMS: [&str; 10] = [
    "node",
    "vmid",
    "archive",
    "storage",
    "force",
    "unique",
    "start",
    "pool",
    "bwlimit",
    "live-restore",
];

/// The backed-up config for `vmid`: disks renamed `vm-<old>-` -> `vm-<vmid>-`.
fn config_for(backup: &BTreeMap<String, Value>, from: u32, vmid: u32) -> BTreeMap<String, Value> {
    let old = format!("vm-{from}-disk-");
    let new = format!("vm-{vmid}-disk-");
    backup
        .iter()
        .map(|(k, v)| {
            let v = match v.as_str() {
                Some(s) if s.contains(&old) => json!(s.replace(&old, &new)),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

pub fn create(ctx: &Ctx, node: &str) -> ApiResult {
    let p = Params(ctx.params);
    let vmid = p.req_vmid("vmid")?;
    let force = p.flag("force")?;
    let start = p.flag("start")?;
    let unique = p.flag("unique")?;
    // `force` and `unique` without `archive` are refused by the schema check (`requires`).
    let Some(archive) = p.str("archive").map(str::to_string) else {
        return Err(ApiError::status(
            501,
            "the emulator creates VMs only by restoring a backup (archive)",
        ));
    };
    if archive.len() > 255 {
        return Err(ApiError::param(
            "archive",
            "value may only be 255 characters long",
        ));
    }
    let others: Vec<&str> = ctx
        .params
        .keys()
        .map(String::as_str)
        .filter(|k| !RESTORE_PARAMS.contains(k))
        .collect();
    if !others.is_empty() {
        return Err(ApiError::param(
            "archive",
            format!("option conflicts with other options ({})", others.join(" ")),
        ));
    }
    let (vol_storage, _) = archive
        .split_once(':')
        .ok_or_else(|| ApiError::die(format!("unable to parse volume ID '{archive}'")))?;
    if storage_def(vol_storage).is_none() {
        return Err(ApiError::die(format!(
            "storage '{vol_storage}' does not exist"
        )));
    }
    let emsg = format!("unable to restore VM {vmid} -");
    let node_s = node.to_string();
    let from = ctx.sim.change(|m| {
        m.node(node)?;
        match m.guests.get(&vmid) {
            Some(g) if g.node == node && g.kind == GuestKind::Qemu => {
                if !force {
                    return Err(ApiError::die(format!("{emsg} config file already exists")));
                }
                if g.running {
                    return Err(ApiError::die(format!("{emsg} vm is running")));
                }
                super::model::check_lock(g)?;
            }
            Some(_) => m.check_vmid_unused(vmid)?,
            None => {}
        }
        let volume = m
            .volumes
            .iter()
            .find(|v| v.node == node && v.volid == archive)
            .ok_or_else(|| ApiError::die(format!("volume '{archive}' does not exist")))?;
        if volume.subtype.as_deref() != Some("qemu") {
            return Err(ApiError::die(format!(
                "{emsg} '{archive}' is not a VM backup (vma)"
            )));
        }
        let from = volume.vmid.unwrap_or(vmid);
        let size = volume.size;
        let mut config = config_for(&volume.config.clone().unwrap_or_default(), from, vmid);
        if unique {
            for (i, (_, v)) in config
                .iter_mut()
                .filter(|(k, _)| k.starts_with("net"))
                .enumerate()
            {
                if let Some(s) = v.as_str() {
                    let mac = super::api_lxc::new_hwaddr(vmid, i as u64);
                    let rest: Vec<&str> = s.split(',').skip(1).collect();
                    let model = s.split('=').next().unwrap_or("virtio");
                    *v = json!(format!("{model}={mac},{}", rest.join(",")));
                }
            }
        }
        m.guests.insert(
            vmid,
            Guest {
                vmid,
                node: node_s.clone(),
                kind: GuestKind::Qemu,
                running: false,
                started_at: None,
                frozen: false,
                lock: Some("create".into()),
                config,
                snapshots: Vec::new(),
                ha: false,
                snap_parent: None,
                spike: None,
            },
        );
        Ok((from, size))
    })?;
    let (_, archive_size) = from;
    let upid = tasks::spawn(
        ctx.sim,
        node,
        "qmrestore",
        &vmid.to_string(),
        ctx.authid,
        move |t| async move {
            let work = async {
                let file = archive.rsplit('/').next().unwrap_or_default().to_string();
                t.log(format!(
                "restore vma archive: zstd -q -d -c /var/lib/vz/dump/{file} | vma extract -v -r /var/tmp/vzdumptmp{vmid}.fifo - /var/tmp/vzdumptmp{vmid}"
            ));
                t.log("CFG: size: 540 name: qemu-server.conf");
                // The disk holds about twice the compressed archive.
                let disk = archive_size.saturating_mul(2).max(1 << 30);
                t.log(format!("DEV: dev_id=1 size: {disk} devname: drive-scsi0"));
                t.log(format!("  Logical volume \"vm-{vmid}-disk-0\" created."));
                t.log(format!("new volume ID is 'local-lvm:vm-{vmid}-disk-0'"));
                t.step().await?;
                for pct in [25u64, 50, 75, 100] {
                    t.log(format!(
                        "progress {pct}% (read {} bytes, duration {} sec)",
                        disk / 100 * pct,
                        pct / 25
                    ));
                    t.step().await?;
                }
                t.log(format!(
                    "total bytes read {disk}, sparse bytes {} (40%)",
                    disk / 10 * 4
                ));
                t.log("rescan volumes...");
                Ok::<(), String>(())
            };
            let r = work.await;
            let _ = t.sim.change(|m| {
                match &r {
                    Ok(()) => {
                        if let Some(g) = m.guests.get_mut(&vmid) {
                            g.lock = None;
                            if start {
                                g.running = true;
                                g.started_at = Some(super::clock::now_epoch());
                            }
                        }
                    }
                    // A restore that did not finish leaves no half-restored VM behind.
                    Err(_) => {
                        m.guests.remove(&vmid);
                    }
                }
                Ok::<(), ()>(())
            });
            r
        },
    );
    Ok(Reply::string(&upid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disks_take_the_new_vmid() {
        let mut c = BTreeMap::new();
        c.insert(
            "scsi0".to_string(),
            json!("local-lvm:vm-100-disk-0,iothread=1,size=32G"),
        );
        c.insert("cores".to_string(), json!(2));
        let out = config_for(&c, 100, 120);
        assert_eq!(out["scsi0"], "local-lvm:vm-120-disk-0,iothread=1,size=32G");
        assert_eq!(out["cores"], 2);
    }
}
