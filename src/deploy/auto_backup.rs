//! Automatic backups of deployed apps: one Proxmox backup job per host and schedule that
//! Proximity owns (`proximity-daily`, ...), created or reused, with guests added and
//! removed. The job lives in Proxmox (`/cluster/backup`), so it runs whether Proximity runs
//! or not. Client-level, so the deployment's last step and the engine share it.

use crate::pve::{BackupJob, BackupJobSpec, PveClient, Retention, StorageEntry};

/// The schedule of automatic backups unless told otherwise.
pub const DEFAULT_SCHEDULE: &str = "daily";

/// A week of dailies and a month of weeklies.
pub fn default_retention() -> Retention {
    Retention {
        keep_daily: Some(7),
        keep_weekly: Some(4),
        ..Retention::default()
    }
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// What the schedules Proximity manages look like (said when one is refused).
pub const SCHEDULE_FORMS: &str =
    "daily, hourly, HH:MM, */N minutes, or weekdays and a time like sun 02:00 or mon..fri 02:00";

fn time_of_day(s: &str) -> bool {
    let Some((h, m)) = s.split_once(':') else {
        return false;
    };
    let digits = |x: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&x.len()) && x.chars().all(|c| c.is_ascii_digit())
    };
    digits(h, 1..=2)
        && digits(m, 2..=2)
        && h.parse::<u32>().is_ok_and(|h| h < 24)
        && m.parse::<u32>().is_ok_and(|m| m < 60)
}

fn weekdays(s: &str) -> bool {
    let day = |d: &str| WEEKDAYS.contains(&d);
    !s.is_empty()
        && s.split(',').all(|part| match part.split_once("..") {
            Some((a, b)) => day(a) && day(b),
            None => day(part),
        })
}

/// Whether `schedule` is a Proxmox calendar event of the forms Proximity manages
/// (`SCHEDULE_FORMS`); the reason when not.
pub fn check_schedule(schedule: &str) -> Result<(), String> {
    let s = schedule.trim();
    let ok = match s {
        "daily" | "hourly" => true,
        _ if s.starts_with("*/") => s[2..].parse::<u32>().is_ok_and(|n| (1..=59).contains(&n)),
        _ => match s.split_once(' ') {
            Some((days, time)) => weekdays(days) && time_of_day(time.trim()),
            None => time_of_day(s),
        },
    };
    if ok {
        Ok(())
    } else if s.is_empty() {
        Err(format!("give a schedule ({SCHEDULE_FORMS})"))
    } else {
        Err(format!(
            "schedule '{schedule}' is not one Proximity manages ({SCHEDULE_FORMS})"
        ))
    }
}

/// The id of Proximity's job for `schedule`: `proximity-daily`, `proximity-0230`,
/// `proximity-every-15m`, `proximity-sun-0200`, `proximity-mon-to-fri-0200` (a pve-configid:
/// letters, digits, `-`). The schedule is checked first (`check_schedule`).
pub fn job_id(schedule: &str) -> Result<String, String> {
    check_schedule(schedule)?;
    let s = schedule.trim();
    let tail = if let Some(n) = s.strip_prefix("*/") {
        format!("every-{n}m")
    } else {
        s.replace("..", "-to-")
            .replace([',', ' '], "-")
            .replace(':', "")
    };
    if tail.len() > 40 {
        return Err(format!("schedule '{schedule}' is too long for a job id"));
    }
    Ok(format!("proximity-{tail}"))
}

/// Jobs Proximity owns: their ids start with `proximity-`.
pub fn is_ours(job: &BackupJob) -> bool {
    job.id.starts_with("proximity-")
}

/// `7.8 GiB`: sizes in reasons and logs.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The backup storage `vzdump` should use on a node: the active one with the most free
/// space; the reason says why (shown in logs).
pub fn pick_backup_storage(stores: &[StorageEntry]) -> Option<(String, String)> {
    let usable: Vec<&StorageEntry> = stores
        .iter()
        .filter(|s| s.supports("backup") && s.active && s.enabled)
        .collect();
    let best = usable
        .iter()
        .max_by_key(|s| (s.avail.unwrap_or(0), std::cmp::Reverse(s.storage.clone())))?;
    let free = human_bytes(best.avail.unwrap_or(0));
    let reason = if usable.len() == 1 {
        format!("{}: the only backup storage ({free} free)", best.storage)
    } else {
        format!(
            "{}: most free space ({free}) of {} backup storages",
            best.storage,
            usable.len()
        )
    };
    Some((best.storage.clone(), reason))
}

/// Why joining a backup job did not work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutoBackupError {
    #[error("{0}")]
    Invalid(String),
    #[error("no storage on node {node} takes backups")]
    NoStorage { node: String },
    #[error("{0}")]
    Host(String),
}

fn host_error(e: crate::pve::PveError) -> AutoBackupError {
    AutoBackupError::Host(e.to_string())
}

/// Put `vmid` (on `node`) in Proximity's job for `schedule`, created with the best backup
/// storage of the node when missing, with `retention`; the guest leaves Proximity's other
/// jobs. Returns the job's id.
pub async fn ensure_job(
    client: &PveClient,
    node: &str,
    vmid: u32,
    schedule: &str,
    retention: &Retention,
) -> Result<String, AutoBackupError> {
    let id = job_id(schedule).map_err(AutoBackupError::Invalid)?;
    let jobs = client.backup_jobs().await.map_err(host_error)?;
    for other in jobs.iter().filter(|j| is_ours(j) && j.id != id) {
        drop_vmid(client, other, vmid).await?;
    }
    match jobs.iter().find(|j| j.id == id) {
        Some(job) => {
            let mut vmids = job.vmids();
            if !vmids.contains(&vmid) {
                vmids.push(vmid);
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
                .storage_list(node, Some("backup"))
                .await
                .map_err(host_error)?;
            let (storage, _) =
                pick_backup_storage(&stores).ok_or_else(|| AutoBackupError::NoStorage {
                    node: node.to_string(),
                })?;
            let spec = BackupJobSpec {
                schedule: Some(schedule.to_string()),
                storage: Some(storage),
                vmids: Some(vec![vmid]),
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

/// A deployed app's last step: join the default job, saying so (or why not) in the log.
pub async fn join_after_deploy(
    client: &PveClient,
    node: &str,
    vmid: u32,
    log: &(dyn Fn(&str) + Sync),
) {
    let retention = default_retention();
    match ensure_job(client, node, vmid, DEFAULT_SCHEDULE, &retention).await {
        Ok(id) => log(&format!(
            "automatic backups: CT {vmid} is in backup job {id} ({DEFAULT_SCHEDULE}, {})",
            retention.to_wire()
        )),
        Err(e) => log(&format!(
            "warning: automatic backups are not set up for CT {vmid}: {e}"
        )),
    }
}

/// Take `vmid` out of every Proximity backup job of the host.
pub async fn leave_jobs(client: &PveClient, vmid: u32) -> Result<(), AutoBackupError> {
    let jobs = client.backup_jobs().await.map_err(host_error)?;
    for job in jobs.iter().filter(|j| is_ours(j)) {
        drop_vmid(client, job, vmid).await?;
    }
    Ok(())
}

/// Remove `vmid` from `job`; a job left empty is deleted (Proxmox needs a list or `all`).
async fn drop_vmid(client: &PveClient, job: &BackupJob, vmid: u32) -> Result<(), AutoBackupError> {
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

    fn store(name: &str, content: &str, avail: u64) -> StorageEntry {
        StorageEntry {
            storage: name.into(),
            content: content.into(),
            active: true,
            enabled: true,
            avail: Some(avail),
            ..StorageEntry::default()
        }
    }

    #[test]
    fn picks_the_backup_storage_with_most_room() {
        let stores = vec![
            store("local", "iso,vztmpl,backup", 50 << 30),
            store("nfs", "backup", 900 << 30),
            store("local-lvm", "rootdir,images", 2000 << 30),
        ];
        let (name, reason) = pick_backup_storage(&stores).unwrap();
        assert_eq!(name, "nfs");
        assert!(
            reason.contains("most free space") && reason.contains("2 backup storages"),
            "{reason}"
        );
        assert!(pick_backup_storage(&stores[2..]).is_none());
    }

    #[test]
    fn job_ids_follow_the_schedule() {
        assert_eq!(job_id("daily").unwrap(), "proximity-daily");
        assert_eq!(job_id("02:30").unwrap(), "proximity-0230");
        assert_eq!(job_id("*/15").unwrap(), "proximity-every-15m");
        assert_eq!(job_id("sun 02:00").unwrap(), "proximity-sun-0200");
        assert_eq!(
            job_id("mon..fri 02:00").unwrap(),
            "proximity-mon-to-fri-0200"
        );
        assert_eq!(job_id("sat,sun 3:30").unwrap(), "proximity-sat-sun-330");
        for bad in [
            "tomorrow",
            "mon..fri",
            "25:00",
            "2:5",
            "*/0",
            "sunday 02:00",
            "",
        ] {
            let e = job_id(bad).unwrap_err();
            assert!(e.contains("daily, hourly, HH:MM"), "{bad}: {e}");
        }
    }
}
