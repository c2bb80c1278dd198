//! Automatic backups as engine calls: a guest joins or leaves Proximity's backup job of its
//! host (the job logic is `deploy::auto_backup`, shared with the deployment's last step).

use super::service::{Engine, Refusal};
use super::target::GuestRef;
use crate::deploy::auto_backup::{self, AutoBackupError};
use crate::pve::{BackupJob, Retention};

fn refusal(guest: &GuestRef, e: AutoBackupError) -> Refusal {
    match e {
        AutoBackupError::Invalid(s) => Refusal::Invalid(s),
        AutoBackupError::NoStorage { node } => Refusal::NoBackupStorage {
            host: guest.host.clone(),
            node,
        },
        AutoBackupError::Host(s) => Refusal::Host(s),
    }
}

/// Where a guest stands in Proximity's backup jobs: what the schedule form starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestSchedule {
    /// The job's id (`proximity-daily`).
    pub job: String,
    pub schedule: String,
    /// The job's `prune-backups` (empty when it sets none: the storage's applies).
    pub retention: Retention,
    /// A job switched off in Proximity (`enabled=0`) backs nothing up.
    pub enabled: bool,
}

impl Engine {
    /// The Proximity backup job `guest` is in (the first by id when it is in several), or
    /// `None` when it is in none.
    pub async fn backup_schedule_of(
        &self,
        guest: &GuestRef,
    ) -> Result<Option<GuestSchedule>, Refusal> {
        let mut jobs: Vec<BackupJob> = self
            .backup_jobs_of(&guest.host, guest.vmid)
            .await?
            .into_iter()
            .filter(auto_backup::is_ours)
            .collect();
        jobs.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(jobs.into_iter().next().map(|job| GuestSchedule {
            schedule: job.schedule.clone().unwrap_or_default(),
            retention: job.prune_backups.clone().unwrap_or_default(),
            enabled: job.enabled.unwrap_or(true),
            job: job.id,
        }))
    }

    /// Put `guest` in Proximity's backup job for `schedule` on its host (created or reused,
    /// e.g. `proximity-daily`), with `retention`. Returns the job's id.
    pub async fn ensure_backup_job(
        &self,
        guest: &GuestRef,
        schedule: &str,
        retention: &Retention,
    ) -> Result<String, Refusal> {
        let client = self.link(&guest.host)?.client;
        auto_backup::ensure_job(&client, &guest.node, guest.vmid, schedule, retention)
            .await
            .map_err(|e| refusal(guest, e))
    }

    /// Take `guest` out of every Proximity backup job on its host (automatic backups off).
    pub async fn remove_from_backup_jobs(&self, guest: &GuestRef) -> Result<(), Refusal> {
        let client = self.link(&guest.host)?.client;
        auto_backup::leave_jobs(&client, guest.vmid)
            .await
            .map_err(|e| refusal(guest, e))
    }

    /// The backup jobs on `host` that name `vmid`.
    pub async fn backup_jobs_of(&self, host: &str, vmid: u32) -> Result<Vec<BackupJob>, Refusal> {
        let client = self.link(host)?.client;
        let jobs = client
            .backup_jobs()
            .await
            .map_err(|e| Refusal::Host(e.to_string()))?;
        Ok(jobs
            .into_iter()
            .filter(|j| j.vmids().contains(&vmid))
            .collect())
    }
}
