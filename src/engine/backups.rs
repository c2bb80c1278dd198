//! Backups as engine operations: back up a guest now (a job whose progress is read from the
//! vzdump log), list every backup across hosts, restore (a job, containers and VMs; over an existing guest
//! only when confirmed, never over a running one), delete (protected ones refused with the
//! reason), protect/unprotect and notes. The scheduled side (`ensure_backup_job`) lives in
//! `backup_schedule`, each guest's newest backup in `last_backups`.

use std::collections::{BTreeSet, HashMap};

use futures_util::future::join_all;

use super::guest_jobs::{Followed, follow_task_with};
use super::jobs::{JobCtx, JobId, JobKind, JobTarget};
use super::refresh::HostLink;
use super::service::{Engine, Refusal};
use super::target::GuestRef;
pub use crate::deploy::auto_backup::pick_backup_storage;
use crate::pve::{BackupMode, BackupVolume, LxcCreate, PveClient, Vzdump};

/// How to back a guest up; defaults: the best backup storage, snapshot mode, zstd.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupOpts {
    pub storage: Option<String>,
    pub mode: Option<BackupMode>,
    /// Notes template (`{{guestname}}` by default).
    pub notes: Option<String>,
    pub protected: bool,
}

/// One backup with the host it lives on and its guest's current name (when it still exists).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BackupRow {
    pub host: String,
    #[serde(flatten)]
    pub volume: BackupVolume,
    pub guest_name: Option<String>,
}

/// Which backups `backups` returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupFilter {
    pub host: Option<String>,
    pub vmid: Option<u32>,
}

/// Every backup found, newest first, and the hosts that did not answer.
#[derive(Debug, Clone, Default)]
pub struct BackupList {
    pub rows: Vec<BackupRow>,
    pub failures: Vec<(String, String)>,
}

/// Where a backup is: enough to act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRef {
    pub host: String,
    pub node: String,
    pub storage: String,
    pub volid: String,
}

impl BackupRow {
    pub fn reference(&self) -> BackupRef {
        BackupRef {
            host: self.host.clone(),
            node: self.volume.node.clone(),
            storage: self.volume.storage.clone(),
            volid: self.volume.volid.clone(),
        }
    }
}

/// Progress of a backup from one vzdump log line: (step, fraction).
pub fn vzdump_progress(line: &str) -> Option<(&'static str, f32)> {
    let line = line.trim_start();
    let rest = line.strip_prefix("INFO: ")?;
    if rest.starts_with("starting new backup job") {
        Some(("starting", 0.02))
    } else if rest.starts_with("Starting Backup of VM") {
        Some(("preparing", 0.1))
    } else if rest.starts_with("creating vzdump archive") {
        Some(("archiving", 0.3))
    } else if rest.starts_with("Total bytes written") {
        Some(("archived", 0.8))
    } else if rest.starts_with("prune older backups") {
        Some(("pruning", 0.9))
    } else if rest.starts_with("Finished Backup of VM") {
        Some(("finishing", 0.95))
    } else if rest.starts_with("Backup job finished successfully") {
        Some(("done", 1.0))
    } else {
        None
    }
}

impl Engine {
    /// Back `guest` up now, as a job (the storage picked when none is given; the reason is
    /// logged).
    pub fn backup(&self, guest: &GuestRef, opts: BackupOpts) -> Result<JobId, Refusal> {
        let link = self.link(&guest.host)?;
        let ctx = self.begin(JobKind::Backup, guest_target(guest));
        let id = ctx.id();
        let (engine, guest) = (self.clone(), guest.clone());
        tokio::spawn(async move {
            run_backup(ctx, link, guest.clone(), opts).await;
            engine.publish_last_backups(&guest.host).await;
        });
        Ok(id)
    }

    /// Every backup on every connected host (or the filter's), newest first.
    pub async fn backups(&self, filter: &BackupFilter) -> BackupList {
        let hosts: Vec<String> = self
            .connected()
            .into_iter()
            .filter(|h| filter.host.as_ref().is_none_or(|f| f == h))
            .collect();
        let answers = join_all(hosts.iter().map(|h| async move {
            let link = self.link(h).map_err(|e| e.to_string())?;
            tokio::time::timeout(super::fleet::HOST_DEADLINE, host_backups(&link.client, h))
                .await
                .map_err(|_| "no answer in 15 s".to_string())?
        }))
        .await;
        let mut list = BackupList::default();
        for (host, answer) in hosts.into_iter().zip(answers) {
            match answer {
                Ok(rows) => list.rows.extend(rows),
                Err(e) => list.failures.push((host, e)),
            }
        }
        list.rows
            .retain(|r| filter.vmid.is_none_or(|v| r.volume.vmid == Some(v)));
        list.rows.sort_by(|a, b| {
            b.volume
                .ctime
                .cmp(&a.volume.ctime)
                .then_with(|| a.volume.volid.cmp(&b.volume.volid))
        });
        list
    }

    /// Restore `backup` into container `to` (default: the vmid it was taken from), as a job.
    /// Over an existing container only with `overwrite_confirmed`; never over a running one.
    pub async fn restore(
        &self,
        backup: &BackupRef,
        to: Option<u32>,
        overwrite_confirmed: bool,
    ) -> Result<JobId, Refusal> {
        let link = self.link(&backup.host)?;
        let volume = find_volume(&link.client, backup).await?;
        let vm = volume.subtype.as_deref() == Some("qemu");
        let guest = if vm { "VM" } else { "CT" };
        let vmid = to
            .or(volume.vmid)
            .ok_or_else(|| Refusal::Invalid(format!("{} names no vmid: give one", backup.volid)))?;
        // The live state decides, not the rack's last refresh.
        let status = if vm {
            link.client.qemu_status(&backup.node, vmid).await
        } else {
            link.client.lxc_status(&backup.node, vmid).await
        };
        let existing = match status {
            Ok(s) => Some(s),
            Err(e) if e.to_string().contains("does not exist") => None,
            Err(e) => return Err(Refusal::Host(e.to_string())),
        };
        if existing.is_none()
            && let Ok(false) = link.client.vmid_is_free(vmid).await
        {
            return Err(Refusal::Invalid(format!(
                "vmid {vmid} is taken on another node of host {}: restore to a free vmid",
                backup.host
            )));
        }
        if let Some(status) = &existing {
            if status.is_running() {
                return Err(Refusal::RestoreRunning { guest, vmid });
            }
            if !overwrite_confirmed {
                return Err(Refusal::ConfirmOverwrite { guest, vmid });
            }
        }
        let target = JobTarget {
            host: backup.host.clone(),
            node: Some(backup.node.clone()),
            vmid: Some(vmid),
        };
        let ctx = self.begin(JobKind::Restore, target);
        let id = ctx.id();
        if vm {
            tokio::spawn(run_vm_restore(
                ctx,
                link,
                backup.clone(),
                vmid,
                existing.is_some(),
            ));
        } else {
            tokio::spawn(run_restore(
                ctx,
                link,
                backup.clone(),
                vmid,
                existing.is_some(),
            ));
        }
        Ok(id)
    }

    /// Delete a backup archive, as a job; a protected one is refused with the reason.
    pub async fn delete_backup(&self, backup: &BackupRef) -> Result<JobId, Refusal> {
        let link = self.link(&backup.host)?;
        let volume = find_volume(&link.client, backup).await?;
        if volume.protected {
            return Err(Refusal::Protected {
                volid: backup.volid.clone(),
            });
        }
        let target = JobTarget {
            host: backup.host.clone(),
            node: Some(backup.node.clone()),
            vmid: volume.vmid,
        };
        let ctx = self.begin(JobKind::BackupDelete, target);
        let id = ctx.id();
        let (backup, engine) = (backup.clone(), self.clone());
        tokio::spawn(async move {
            ctx.step("delete", None);
            let started = link
                .client
                .backup_volume_delete(&backup.node, &backup.storage, &backup.volid)
                .await;
            match started {
                Ok(upid) => {
                    let followed = follow_task_with(&ctx, &link.client, &upid, |_| {}).await;
                    finish(ctx, followed);
                }
                Err(e) => ctx.fail(e.to_string()),
            }
            engine.publish_last_backups(&backup.host).await;
        });
        Ok(id)
    }

    /// Protect or unprotect a backup (a protected one survives pruning and deletion).
    pub async fn set_backup_protected(
        &self,
        backup: &BackupRef,
        protected: bool,
    ) -> Result<(), Refusal> {
        let link = self.link(&backup.host)?;
        link.client
            .backup_volume_update(
                &backup.node,
                &backup.storage,
                &backup.volid,
                None,
                Some(protected),
            )
            .await
            .map_err(|e| Refusal::Host(e.to_string()))
    }

    /// Replace a backup's notes (empty clears them).
    pub async fn set_backup_notes(&self, backup: &BackupRef, notes: &str) -> Result<(), Refusal> {
        if notes.contains('\n') {
            return Err(Refusal::Invalid("notes are one line".into()));
        }
        let link = self.link(&backup.host)?;
        link.client
            .backup_volume_update(
                &backup.node,
                &backup.storage,
                &backup.volid,
                Some(notes),
                None,
            )
            .await
            .map_err(|e| Refusal::Host(e.to_string()))
    }
}

fn guest_target(guest: &GuestRef) -> JobTarget {
    JobTarget {
        host: guest.host.clone(),
        node: Some(guest.node.clone()),
        vmid: Some(guest.vmid),
    }
}

fn finish(ctx: JobCtx, followed: Followed) {
    match followed {
        Followed::Ok => ctx.succeed(),
        Followed::Failed(reason) => ctx.fail(reason),
        Followed::Cancelled => ctx.cancelled(),
    }
}

/// The backups of one host: every backup storage of every online node (a shared storage
/// is listed once), with the guests' names from one resources read.
async fn host_backups(client: &PveClient, host: &str) -> Result<Vec<BackupRow>, String> {
    let nodes = client.nodes().await.map_err(|e| e.to_string())?;
    let names: HashMap<u32, String> = client
        .cluster_resources(Some(crate::pve::ResourceFilter::Vm))
        .await
        .map(|list| {
            list.into_iter()
                .filter_map(|r| Some((r.vmid?, r.name.as_deref()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let mut rows = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for node in nodes.iter().filter(|n| n.status == "online") {
        let stores = client
            .storage_list(&node.node, Some("backup"))
            .await
            .map_err(|e| e.to_string())?;
        for store in stores.iter().filter(|s| s.supports("backup") && s.active) {
            let volumes = client
                .backup_volumes(&node.node, &store.storage)
                .await
                .map_err(|e| e.to_string())?;
            for v in volumes {
                if store.shared && !seen.insert(v.volid.clone()) {
                    continue;
                }
                let guest_name = v.vmid.and_then(|id| names.get(&id).cloned());
                rows.push(BackupRow {
                    host: host.to_string(),
                    volume: v,
                    guest_name,
                });
            }
        }
    }
    Ok(rows)
}

/// The backup as the storage has it now (protection, vmid), or why it cannot be found.
async fn find_volume(client: &PveClient, backup: &BackupRef) -> Result<BackupVolume, Refusal> {
    let volumes = client
        .backup_volumes(&backup.node, &backup.storage)
        .await
        .map_err(|e| Refusal::Host(e.to_string()))?;
    volumes
        .into_iter()
        .find(|v| v.volid == backup.volid)
        .ok_or_else(|| Refusal::NoBackup {
            host: backup.host.clone(),
            volid: backup.volid.clone(),
        })
}

async fn run_backup(ctx: JobCtx, link: HostLink, guest: GuestRef, opts: BackupOpts) {
    ctx.step("storage", Some(0.0));
    let storage = match opts.storage.clone() {
        Some(s) => s,
        None => {
            let stores = tokio::select! {
                r = link.client.storage_list(&guest.node, Some("backup")) => r,
                _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
            };
            match stores.map(|s| pick_backup_storage(&s)) {
                Ok(Some((name, reason))) => {
                    ctx.log(&format!("storage {reason}"));
                    name
                }
                Ok(None) => {
                    return ctx.fail(
                        Refusal::NoBackupStorage {
                            host: guest.host.clone(),
                            node: guest.node.clone(),
                        }
                        .to_string(),
                    );
                }
                Err(e) => return ctx.fail(e.to_string()),
            }
        }
    };
    let request = Vzdump {
        vmids: vec![guest.vmid],
        storage: Some(storage),
        mode: Some(opts.mode.unwrap_or(BackupMode::Snapshot)),
        compress: Some("zstd".into()),
        remove: Some(false),
        notes_template: Some(opts.notes.unwrap_or_else(|| "{{guestname}}".into())),
        protected: opts.protected.then_some(true),
    };
    let started = tokio::select! {
        r = link.client.vzdump(&guest.node, &request) => r,
        _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
    };
    let upid = match started {
        Ok(u) => u,
        Err(e) => return ctx.fail(e.to_string()),
    };
    let followed = follow_task_with(&ctx, &link.client, &upid, |line| {
        if let Some((step, fraction)) = vzdump_progress(line) {
            ctx.step(step, Some(fraction));
        }
    })
    .await;
    finish(ctx, followed);
    link.refresh.notify_one();
}

async fn run_restore(ctx: JobCtx, link: HostLink, backup: BackupRef, vmid: u32, overwrite: bool) {
    ctx.step("storage", Some(0.0));
    // The root disk goes where the container's was, else to the node's first container storage.
    let storage = match root_storage(&link.client, &backup.node, vmid, overwrite).await {
        Ok(s) => s,
        Err(e) => return ctx.fail(e),
    };
    ctx.log(&format!("root disk on storage {storage}"));
    ctx.step("restore", Some(0.1));
    let create = LxcCreate::restore(vmid, &backup.volid)
        .storage(&storage)
        .force(overwrite);
    let started = tokio::select! {
        r = link.client.lxc_create(&backup.node, &create) => r,
        _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
    };
    match started {
        Ok(upid) => {
            let followed = follow_task_with(&ctx, &link.client, &upid, |line| {
                if line.starts_with("extracting archive") {
                    ctx.step("extracting", Some(0.4));
                } else if line.starts_with("Total bytes read") {
                    ctx.step("configuring", Some(0.8));
                }
            })
            .await;
            finish(ctx, followed);
        }
        Err(e) => ctx.fail(e.to_string()),
    }
    link.refresh.notify_one();
}

/// A VM's restore: one `qmrestore` task; its disks go where the backed-up config put them.
async fn run_vm_restore(
    ctx: JobCtx,
    link: HostLink,
    backup: BackupRef,
    vmid: u32,
    overwrite: bool,
) {
    ctx.step("restore", Some(0.1));
    let started = tokio::select! {
        r = link.client.qemu_restore(&backup.node, vmid, &backup.volid, overwrite) => r,
        _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
    };
    match started {
        Ok(upid) => {
            let followed = follow_task_with(&ctx, &link.client, &upid, |line| {
                if line.starts_with("restore vma archive") {
                    ctx.step("extracting", Some(0.2));
                } else if let Some(pct) = line
                    .strip_prefix("progress ")
                    .and_then(|l| l.split('%').next())
                    .and_then(|p| p.trim().parse::<f32>().ok())
                {
                    ctx.step("extracting", Some(0.2 + 0.7 * pct / 100.0));
                } else if line.starts_with("rescan volumes") {
                    ctx.step("configuring", Some(0.95));
                }
            })
            .await;
            finish(ctx, followed);
        }
        Err(e) => ctx.fail(e.to_string()),
    }
    link.refresh.notify_one();
}

async fn root_storage(
    client: &PveClient,
    node: &str,
    vmid: u32,
    existing: bool,
) -> Result<String, String> {
    if existing
        && let Ok(cfg) = client.lxc_config(node, vmid).await
        && let Some(store) = cfg.rootfs.as_deref().and_then(|r| r.split(':').next())
    {
        return Ok(store.to_string());
    }
    let stores = client
        .storage_list(node, Some("rootdir"))
        .await
        .map_err(|e| e.to_string())?;
    stores
        .iter()
        .filter(|s| s.supports("rootdir") && s.active)
        .max_by_key(|s| s.avail.unwrap_or(0))
        .map(|s| s.storage.clone())
        .ok_or_else(|| format!("no storage on node {node} holds containers"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_follows_the_vzdump_log() {
        assert_eq!(
            vzdump_progress("INFO: creating vzdump archive '/x'"),
            Some(("archiving", 0.3))
        );
        assert_eq!(
            vzdump_progress("INFO: Backup job finished successfully").map(|p| p.1),
            Some(1.0)
        );
        assert_eq!(vzdump_progress("INFO: status = running"), None);
        assert_eq!(vzdump_progress("ERROR: creating vzdump archive"), None);
    }
}
