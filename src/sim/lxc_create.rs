//! `POST /nodes/{n}/lxc`: create from a template or restore from a backup (`restore=1`).
//! Like `create_vm`, the vmid is claimed synchronously (config written with `lock: create`)
//! and a `vzcreate`/`vzrestore` task extracts, configures and optionally starts it.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::api_lxc::new_hwaddr;
use super::clock;
use super::deploy_sim::DeployStep;
use super::http::{ApiError, ApiResult, Params, Reply};
use super::lxc_config::{config_value, is_config_key};
use super::model::{Guest, GuestKind, storage_def};
use super::state::Ctx;
use super::tasks;

/// Create-only parameters that are not config keys.
const CREATE_ONLY: [&str; 13] = [
    "node",
    "vmid",
    "ostemplate",
    "password",
    "ssh-public-keys",
    "start",
    "storage",
    "force",
    "restore",
    "unique",
    "ignore-unpack-errors",
    "bwlimit",
    "pool",
];

/// `rootfs` as given (`local-lvm:8`, bare `8`, or a volume) -> (storage, stored property string).
fn rootfs_spec(
    raw: Option<&str>,
    default_storage: &str,
    vmid: u32,
) -> Result<(String, String), ApiError> {
    let raw = raw
        .map(str::to_string)
        .unwrap_or_else(|| format!("{default_storage}:4"));
    let (vol, opts) = raw.split_once(',').unwrap_or((&raw, ""));
    let vol = vol.strip_prefix("volume=").unwrap_or(vol);
    let (storage, size) = match vol.split_once(':') {
        Some((s, size)) => (s.to_string(), size.to_string()),
        None => (default_storage.to_string(), vol.to_string()),
    };
    let gib: f64 = size.parse().map_err(|_| {
        ApiError::param(
            "rootfs",
            format!("invalid format - unable to parse volume '{vol}'"),
        )
    })?;
    let mut stored = format!("{storage}:vm-{vmid}-disk-0,size={}G", gib.max(0.1));
    let rest: Vec<&str> = opts
        .split(',')
        .filter(|o| !o.is_empty() && !o.starts_with("size="))
        .collect();
    if !rest.is_empty() {
        stored = format!("{stored},{}", rest.join(","));
    }
    Ok((storage, stored))
}

fn ostype_of(template: &str) -> &'static str {
    let file = template.rsplit('/').next().unwrap_or(template);
    for os in [
        "debian",
        "ubuntu",
        "alpine",
        "centos",
        "fedora",
        "archlinux",
        "rockylinux",
        "opensuse",
    ] {
        if file.starts_with(os) {
            return if os == "rockylinux" { "centos" } else { os };
        }
    }
    "unmanaged"
}

pub fn create(ctx: &Ctx, node: &str) -> ApiResult {
    let p = Params(ctx.params);
    let vmid = p.req_vmid("vmid")?;
    let ostemplate = p.req_str("ostemplate")?.to_string();
    if ostemplate.len() > 255 {
        return Err(ApiError::param(
            "ostemplate",
            "value may only be 255 characters long",
        ));
    }
    let restore = p.flag("restore")?;
    let force = p.flag("force")?;
    let start = p.flag("start")?;
    if p.flag("unique")? && !restore {
        return Err(ApiError::param("unique", "option requires 'restore'"));
    }
    if let Some(pw) = p.str("password")
        && pw.len() < 5
    {
        return Err(ApiError::param(
            "password",
            "value must be at least 5 characters long",
        ));
    }
    let storage = p.str("storage").unwrap_or("local").to_string();

    let mut config: BTreeMap<String, Value> = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for (k, raw) in ctx.params {
        if CREATE_ONLY.contains(&k.as_str()) || k == "rootfs" {
            continue;
        }
        if !is_config_key(k) || k == "lxc" {
            errors.insert(
                k.clone(),
                "property is not defined in schema and the schema does not allow additional properties".to_string(),
            );
            continue;
        }
        match config_value(k, raw) {
            Ok(v) => {
                config.insert(k.clone(), v);
            }
            Err(e) => {
                errors.insert(k.clone(), e);
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::params(errors));
    }

    // Like create_vm: the vmid check comes before any storage check.
    ctx.sim.with(|m| {
        m.node(node)?;
        match m.guests.get(&vmid) {
            Some(g) if restore && force && g.node == node && g.kind == GuestKind::Lxc => Ok(()),
            Some(_) => m.check_vmid_unused(vmid),
            None => Ok(()),
        }
    })?;
    let (root_storage, rootfs) = rootfs_spec(p.str("rootfs"), &storage, vmid)?;
    let def = storage_def(&root_storage)
        .ok_or_else(|| ApiError::die(format!("storage '{root_storage}' does not exist")))?;
    if !def.supports("rootdir") {
        return Err(ApiError::die(format!(
            "storage '{root_storage}' does not support container directories"
        )));
    }

    let node_s = node.to_string();
    let backup_config = ctx.sim.change(|m| {
        m.node(node)?;
        let (vol_storage, _) = ostemplate.split_once(':').ok_or_else(|| {
            ApiError::param(
                "ostemplate",
                format!("invalid format - unable to parse volume ID '{ostemplate}'"),
            )
        })?;
        if storage_def(vol_storage).is_none() {
            return Err(ApiError::die(format!(
                "storage '{vol_storage}' does not exist"
            )));
        }
        let volume = m
            .volumes
            .iter()
            .find(|v| v.node == node && v.volid == ostemplate)
            .ok_or_else(|| ApiError::die(format!("volume '{ostemplate}' does not exist")))?;
        let backup_config = if restore { volume.config.clone() } else { None };
        let archive_size = volume.size;
        match m.guests.get(&vmid) {
            Some(g) if restore && force && g.node == node && g.kind == GuestKind::Lxc => {
                if g.running {
                    return Err(ApiError::die(format!(
                        "unable to restore CT {vmid} - container is running"
                    )));
                }
                super::model::check_lock(g)?;
            }
            Some(_) => m.check_vmid_unused(vmid)?,
            None => {}
        }
        // Assemble the config Proxmox writes before forking the worker.
        let mut full = backup_config.clone().unwrap_or_default();
        if !restore {
            full.insert("arch".into(), json!("amd64"));
            full.insert("ostype".into(), json!(ostype_of(&ostemplate)));
            full.insert("unprivileged".into(), json!(1));
            full.entry("memory".to_string()).or_insert(json!(512));
            full.entry("swap".to_string()).or_insert(json!(512));
        }
        if !restore || p.str("rootfs").is_some() || !full.contains_key("rootfs") {
            full.insert("rootfs".into(), json!(rootfs));
        } else if let Some(old) = full.get("rootfs").and_then(Value::as_str) {
            let opts = old.split_once(',').map(|(_, o)| o).unwrap_or("size=4G");
            full.insert(
                "rootfs".into(),
                json!(format!("{root_storage}:vm-{vmid}-disk-0,{opts}")),
            );
        }
        for (k, v) in config {
            full.insert(k, v);
        }
        for (i, (_, v)) in full
            .iter_mut()
            .filter(|(k, _)| k.starts_with("net"))
            .enumerate()
        {
            if let Some(s) = v.as_str() {
                let mut parts: Vec<String> = s.split(',').map(str::to_string).collect();
                if restore && p.flag("unique").unwrap_or(false) {
                    parts.retain(|kv| !kv.starts_with("hwaddr="));
                }
                if !parts.iter().any(|kv| kv.starts_with("hwaddr=")) {
                    parts.push(format!("hwaddr={}", new_hwaddr(vmid, i as u64)));
                }
                if !parts.iter().any(|kv| kv.starts_with("type=")) {
                    parts.push("type=veth".into());
                }
                *v = json!(parts.join(","));
            }
        }
        m.guests.insert(
            vmid,
            Guest {
                vmid,
                node: node_s.clone(),
                kind: GuestKind::Lxc,
                running: false,
                started_at: None,
                frozen: false,
                lock: Some("create".into()),
                config: full,
                snapshots: Vec::new(),
                ha: false,
                snap_parent: None,
                spike: None,
            },
        );
        Ok((backup_config.is_some(), archive_size))
    })?;
    let (backup_config, archive_size) = backup_config;

    // A new root filesystem: nothing of an earlier container with this vmid survives.
    ctx.sim.shell_state.remove(vmid);
    let ttype = if restore { "vzrestore" } else { "vzcreate" };
    let upid = tasks::spawn(
        ctx.sim,
        node,
        ttype,
        &vmid.to_string(),
        ctx.authid,
        move |t| async move {
            let work = async {
                if restore {
                    if backup_config {
                        t.log(format!(
                            "recovering backed-up configuration from '{ostemplate}'"
                        ));
                    }
                    t.log(format!("  Logical volume \"vm-{vmid}-disk-0\" created."));
                    t.step().await?;
                    let file = ostemplate.rsplit('/').next().unwrap_or_default();
                    t.log(format!("restoring '{ostemplate}' now.."));
                    t.log(format!("extracting archive '/var/lib/vz/dump/{file}'"));
                    t.step().await?;
                    // The archive holds about twice its size once unpacked (zstd).
                    let raw = archive_size * 100 / 45;
                    t.log(format!(
                        "Total bytes read: {raw} ({}MiB, 241MiB/s)",
                        raw >> 20
                    ));
                } else {
                    t.log(format!("  Logical volume \"vm-{vmid}-disk-0\" created."));
                    t.step().await?;
                    let file = ostemplate.rsplit('/').next().unwrap_or_default();
                    t.log(format!(
                        "extracting archive '/var/lib/vz/template/cache/{file}'"
                    ));
                    t.step().await?;
                    if t.sim.fails(DeployStep::Create) {
                        return Err(format!(
                            "unable to create CT {vmid} - command 'lxc-usernsexec -m u:0:100000:65536 -m g:0:100000:65536 -- tar xpf - --zstd --totals --one-file-system -p --sparse --numeric-owner --acls --xattrs --xattrs-include=user.* --xattrs-include=security.capability --warning=no-file-ignored --warning=no-xattr-write -C /var/lib/lxc/{vmid}/rootfs --skip-old-files --anchored --exclude './dev/*'' failed: exit code 2"
                        ));
                    }
                    t.log("Total bytes read: 520468480 (497MiB, 166MiB/s)");
                    t.log("Detected container architecture: amd64");
                }
                t.log("Creating SSH host key 'ssh_host_ed25519_key' - this may take some time ...");
                t.step().await?;
                t.log("done: SHA256:Yq0Zg1f5Vd6qKkz3mV1oOyDk3qfUPbW5mCj2qzyKc2Q root@localhost");
                Ok::<(), String>(())
            };
            let r = work.await;
            // `start=1` with a failing start: the container stays, stopped, and the task fails.
            let start_failed = r.is_ok() && start && t.sim.fails(DeployStep::Start);
            if start_failed {
                t.log(format!(
                    "__lxc_start: 2034 Failed to initialize container \"{vmid}\""
                ));
            }
            let _ = t.sim.change(|m| {
                match &r {
                    Ok(()) => {
                        if let Some(g) = m.guests.get_mut(&vmid) {
                            g.lock = None;
                            if start && !start_failed {
                                g.running = true;
                                g.started_at = Some(clock::now_epoch());
                            }
                        }
                    }
                    // A failed create leaves nothing behind.
                    Err(_) => {
                        m.guests.remove(&vmid);
                    }
                }
                Ok::<(), ()>(())
            });
            if start_failed {
                return Err(format!("startup for container '{vmid}' failed"));
            }
            r
        },
    );
    Ok(Reply::string(&upid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rootfs_forms() {
        assert_eq!(
            rootfs_spec(Some("local-lvm:8"), "local", 100).unwrap().1,
            "local-lvm:vm-100-disk-0,size=8G"
        );
        assert_eq!(
            rootfs_spec(Some("8"), "local-lvm", 100).unwrap().0,
            "local-lvm"
        );
        assert_eq!(
            rootfs_spec(None, "local", 101).unwrap(),
            ("local".into(), "local:vm-101-disk-0,size=4G".into())
        );
        assert!(rootfs_spec(Some("local-lvm:big"), "local", 100).is_err());
        assert_eq!(
            ostype_of("local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz"),
            "alpine"
        );
    }
}
