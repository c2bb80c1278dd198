//! Automatic backups: one Proxmox backup job per host and schedule that Proximity owns
//! (`proximity-daily`, ...), created or reused, with guests added and removed. The job lives
//! in Proxmox (`/cluster/backup`), so it runs whether Proximity runs or not.

use super::backups::pick_backup_storage;
use super::service::{Engine, Refusal};
use super::target::GuestRef;
use crate::pve::{BackupJob, BackupJobSpec, PveClient, Retention};

/// The schedule and retention of automatic backups unless told otherwise.
pub const DEFAULT_SCHEDULE: &str = "daily";

pub fn default_retention() -> Retention {
    Retention {
        keep_daily: Some(7),
        keep_weekly: Some(4),
        ..Retention::default()
    }
}

/// The id of Proximity's job for `schedule`: `proximity-daily`, `proximity-0230`,
/// `proximity-every-15m` (a pve-configid: letters, digits, `-`).
pub fn job_id(schedule: &str) -> Result<String, Refusal> {
    let s = schedule.trim();
    let tail = if let Some(n) = s.strip_prefix("*/") {
        format!("every-{n}m")
    } else {
        s.replace(':', "")
    };
    let ok = !tail.is_empty()
        && tail.len() <= 30
        && tail.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !ok {
        return Err(Refusal::Invalid(format!(
            "schedule '{schedule}' is not one Proximity manages (daily, hourly, HH:MM or */N)"
        )));
    }
    Ok(format!("proximity-{tail}"))
}

/// Jobs Proximity owns: their ids start with `proximity-`.
pub fn is_ours(job: &BackupJob) -> bool {
    job.id.starts_with("proximity-")
}

fn host_error(e: crate::pve::PveError) -> Refusal {
    Refusal::Host(e.to_string())
}

impl Engine {
    /// Put `guest` in Proximity's backup job for `schedule` on its host (created with the
    /// best backup storage of the guest's node when missing), with `retention`; the guest
    /// leaves Proximity's other jobs. Returns the job's id.
    pub async fn ensure_backup_job(
        &self,
        guest: &GuestRef,
        schedule: &str,
        retention: &Retention,
    ) -> Result<String, Refusal> {
        let id = job_id(schedule)?;
        let client = self.link(&guest.host)?.client;
        let jobs = client.backup_jobs().await.map_err(host_error)?;
        for other in jobs.iter().filter(|j| is_ours(j) && j.id != id) {
            drop_vmid(&client, other, guest.vmid).await?;
        }
        match jobs.iter().find(|j| j.id == id) {
            Some(job) => {
                let mut vmids = job.vmids();
                if !vmids.contains(&guest.vmid) {
                    vmids.push(guest.vmid);
                }
                vmids.sort_unstable();
                let spec = BackupJobSpec {
                    vmids: Some(vmids),
                    retention: Some(retention.clone()),
                    enabled: Some(true),
                    ..BackupJobSpec::default()
                };
                client
                    .backup_job_update(&id, &spec, &[])
                    .await
                    .map_err(host_error)?;
            }
            None => {
                let stores = client
                    .storage_list(&guest.node, Some("backup"))
                    .await
                    .map_err(host_error)?;
                let (storage, _) =
                    pick_backup_storage(&stores).ok_or_else(|| Refusal::NoBackupStorage {
                        host: guest.host.clone(),
                        node: guest.node.clone(),
                    })?;
                let spec = BackupJobSpec {
                    schedule: Some(schedule.to_string()),
                    storage: Some(storage),
                    vmids: Some(vec![guest.vmid]),
                    mode: Some("snapshot".into()),
                    compress: Some("zstd".into()),
                    enabled: Some(true),
                    retention: Some(retention.clone()),
                    notes_template: Some("{{guestname}}".into()),
                    comment: Some("Proximity automatic backups".into()),
                };
                client
                    .backup_job_create(Some(&id), &spec)
                    .await
                    .map_err(host_error)?;
            }
        }
        Ok(id)
    }

    /// Take `guest` out of every Proximity backup job on its host (a job left empty is
    /// deleted: Proxmox needs a guest list or `all`).
    pub async fn remove_from_backup_jobs(&self, guest: &GuestRef) -> Result<(), Refusal> {
        let client = self.link(&guest.host)?.client;
        let jobs = client.backup_jobs().await.map_err(host_error)?;
        for job in jobs.iter().filter(|j| is_ours(j)) {
            drop_vmid(&client, job, guest.vmid).await?;
        }
        Ok(())
    }

    /// Proximity's backup jobs on `host` that name `vmid`.
    pub async fn backup_jobs_of(&self, host: &str, vmid: u32) -> Result<Vec<BackupJob>, Refusal> {
        let client = self.link(host)?.client;
        let jobs = client.backup_jobs().await.map_err(host_error)?;
        Ok(jobs
            .into_iter()
            .filter(|j| j.vmids().contains(&vmid))
            .collect())
    }
}

async fn drop_vmid(client: &PveClient, job: &BackupJob, vmid: u32) -> Result<(), Refusal> {
    let vmids = job.vmids();
    if !vmids.contains(&vmid) {
        return Ok(());
    }
    let rest: Vec<u32> = vmids.into_iter().filter(|v| *v != vmid).collect();
    if rest.is_empty() && job.all != Some(true) {
        return client.backup_job_delete(&job.id).await.map_err(host_error);
    }
    let spec = BackupJobSpec {
        vmids: Some(rest),
        ..BackupJobSpec::default()
    };
    client
        .backup_job_update(&job.id, &spec, &[])
        .await
        .map_err(host_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_follow_the_schedule() {
        assert_eq!(job_id("daily").unwrap(), "proximity-daily");
        assert_eq!(job_id("02:30").unwrap(), "proximity-0230");
        assert_eq!(job_id("*/15").unwrap(), "proximity-every-15m");
        assert!(job_id("mon..fri 02:00").is_err());
    }
}
