//! Backups beyond `vzdump`: one volume's notes and protection (`PUT`/`DELETE
//! /nodes/{n}/storage/{s}/content/{volume}`) and the scheduled backup jobs of
//! `/cluster/backup` (jobs.cfg). Numbers and booleans are read leniently: real servers send
//! retention counts and flags as strings or numbers depending on how jobs.cfg was written.

use serde::{Deserialize, Deserializer, Serialize};

use super::client::{PveClient, seg};
use super::error::Result;
use super::params::Params;
use super::storage::StorageContent;
use super::upid::Upid;

/// A backup archive found on a storage, with where it lives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackupVolume {
    pub node: String,
    pub storage: String,
    /// `local:backup/vzdump-lxc-100-2025_01_15-10_30_00.tar.zst`
    pub volid: String,
    pub vmid: Option<u32>,
    /// `lxc` or `qemu`.
    pub subtype: Option<String>,
    /// `tar.zst`, `vma.zst`...
    pub format: String,
    pub size: u64,
    /// Creation time (epoch seconds; from the file name).
    pub ctime: Option<u64>,
    pub notes: Option<String>,
    pub protected: bool,
}

impl BackupVolume {
    /// A `content=backup` entry of `storage` on `node` (other content yields `None`).
    pub fn from_content(node: &str, storage: &str, c: StorageContent) -> Option<BackupVolume> {
        (c.content == "backup").then(|| BackupVolume {
            node: node.to_string(),
            storage: storage.to_string(),
            vmid: c.vmid.or_else(|| vmid_from_volid(&c.volid)),
            volid: c.volid,
            subtype: c.subtype,
            format: c.format,
            size: c.size,
            ctime: c.ctime,
            notes: c.notes.filter(|n| !n.is_empty()),
            protected: c.protected.unwrap_or(false),
        })
    }
}

/// The vmid in a vzdump file name (`vzdump-lxc-100-...`), for servers that omit `vmid`.
pub fn vmid_from_volid(volid: &str) -> Option<u32> {
    let file = volid.rsplit('/').next()?;
    let rest = file.strip_prefix("vzdump-")?;
    let (_, rest) = rest.split_once('-')?;
    rest.split('-').next()?.parse().ok()
}

/// Retention of a backup job (`prune-backups`): how many to keep per period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub keep_last: Option<u32>,
    pub keep_hourly: Option<u32>,
    pub keep_daily: Option<u32>,
    pub keep_weekly: Option<u32>,
    pub keep_monthly: Option<u32>,
    pub keep_yearly: Option<u32>,
    pub keep_all: bool,
}

impl Retention {
    /// `keep-daily=7,keep-weekly=4`, the wire form (empty when nothing is set).
    pub fn to_wire(&self) -> String {
        let mut out = Vec::new();
        if self.keep_all {
            out.push("keep-all=1".to_string());
        }
        for (k, v) in [
            ("keep-last", self.keep_last),
            ("keep-hourly", self.keep_hourly),
            ("keep-daily", self.keep_daily),
            ("keep-weekly", self.keep_weekly),
            ("keep-monthly", self.keep_monthly),
            ("keep-yearly", self.keep_yearly),
        ] {
            if let Some(v) = v {
                out.push(format!("{k}={v}"));
            }
        }
        out.join(",")
    }

    /// Parse `keep-daily=7,keep-last=3` (the form users type and jobs.cfg stores).
    pub fn parse(s: &str) -> std::result::Result<Retention, String> {
        let mut r = Retention::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("'{part}' is not KEY=N (e.g. keep-daily=7)"))?;
            let n: u32 = v
                .trim()
                .parse()
                .map_err(|_| format!("'{v}' in '{part}' is not a whole number"))?;
            r.set(k.trim(), n)?;
        }
        Ok(r)
    }

    fn set(&mut self, key: &str, n: u32) -> std::result::Result<(), String> {
        let slot = match key {
            "keep-all" => {
                self.keep_all = n > 0;
                return Ok(());
            }
            "keep-last" => &mut self.keep_last,
            "keep-hourly" => &mut self.keep_hourly,
            "keep-daily" => &mut self.keep_daily,
            "keep-weekly" => &mut self.keep_weekly,
            "keep-monthly" => &mut self.keep_monthly,
            "keep-yearly" => &mut self.keep_yearly,
            other => {
                return Err(format!(
                    "unknown retention '{other}' (keep-last, keep-hourly, keep-daily, keep-weekly, keep-monthly, keep-yearly, keep-all)"
                ));
            }
        };
        *slot = Some(n);
        Ok(())
    }
}

/// `prune-backups` as an object (`{"keep-daily":"7"}` or numbers) or as its string form.
fn retention_lenient<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Retention>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    let mut r = Retention::default();
    match v {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::String(s)) => {
            return Retention::parse(&s)
                .map(Some)
                .map_err(serde::de::Error::custom);
        }
        Some(serde_json::Value::Object(map)) => {
            for (k, v) in map {
                let n = match &v {
                    serde_json::Value::Number(n) => n.as_u64(),
                    serde_json::Value::String(s) => s.trim().parse().ok(),
                    serde_json::Value::Bool(b) => Some(u64::from(*b)),
                    _ => None,
                };
                // Unknown keys from newer servers are skipped, not fatal.
                if let Some(n) = n {
                    let _ = r.set(&k, u32::try_from(n).unwrap_or(u32::MAX));
                }
            }
        }
        Some(_) => return Ok(None),
    }
    Ok(Some(r))
}

/// One scheduled backup job of `GET /cluster/backup`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackupJob {
    pub id: String,
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub storage: Option<String>,
    /// Comma list of vmids (`pve-vmid-list`).
    #[serde(default)]
    pub vmid: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub all: Option<bool>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub compress: Option<String>,
    /// Missing means enabled (Proxmox's default).
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub enabled: Option<bool>,
    #[serde(
        default,
        rename = "prune-backups",
        deserialize_with = "retention_lenient"
    )]
    pub prune_backups: Option<Retention>,
    #[serde(default, rename = "notes-template")]
    pub notes_template: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub node: Option<String>,
    #[serde(
        default,
        rename = "next-run",
        deserialize_with = "super::lenient::opt_u64"
    )]
    pub next_run: Option<u64>,
}

impl BackupJob {
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }

    /// The vmids the job lists (unparsable parts skipped).
    pub fn vmids(&self) -> Vec<u32> {
        self.vmid
            .as_deref()
            .unwrap_or("")
            .split([',', ';', ' '])
            .filter_map(|s| s.trim().parse().ok())
            .collect()
    }
}

/// What to set on a backup job (create or update); `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupJobSpec {
    pub schedule: Option<String>,
    pub storage: Option<String>,
    pub vmids: Option<Vec<u32>>,
    pub mode: Option<String>,
    pub compress: Option<String>,
    pub enabled: Option<bool>,
    pub retention: Option<Retention>,
    pub notes_template: Option<String>,
    pub comment: Option<String>,
}

impl BackupJobSpec {
    fn params(&self) -> Params {
        let vmids = self
            .vmids
            .as_ref()
            .map(|ids| ids.iter().map(u32::to_string).collect::<Vec<_>>().join(","));
        Params::new()
            .opt("schedule", self.schedule.as_deref())
            .opt("storage", self.storage.as_deref())
            .opt("vmid", vmids)
            .opt("mode", self.mode.as_deref())
            .opt("compress", self.compress.as_deref())
            .opt_flag("enabled", self.enabled)
            .opt(
                "prune-backups",
                self.retention.as_ref().map(Retention::to_wire),
            )
            .opt("notes-template", self.notes_template.as_deref())
            .opt("comment", self.comment.as_deref())
    }
}

impl PveClient {
    /// Every backup on `storage` of `node` (`content=backup`).
    pub async fn backup_volumes(&self, node: &str, storage: &str) -> Result<Vec<BackupVolume>> {
        let content = self
            .storage_content(node, storage, Some("backup"), None)
            .await?;
        Ok(content
            .into_iter()
            .filter_map(|c| BackupVolume::from_content(node, storage, c))
            .collect())
    }

    /// `PUT /nodes/{n}/storage/{s}/content/{volid}`: notes and/or protection. Synchronous.
    pub async fn backup_volume_update(
        &self,
        node: &str,
        storage: &str,
        volid: &str,
        notes: Option<&str>,
        protected: Option<bool>,
    ) -> Result<()> {
        let params = Params::new()
            .opt("notes", notes)
            .opt_flag("protected", protected);
        let _: Option<serde_json::Value> = self
            .put(&volume_path(node, storage, volid), &params)
            .await?;
        Ok(())
    }

    /// `DELETE /nodes/{n}/storage/{s}/content/{volid}`: the `imgdel` task (a protected
    /// backup makes the task fail, not the request).
    pub async fn backup_volume_delete(
        &self,
        node: &str,
        storage: &str,
        volid: &str,
    ) -> Result<Upid> {
        self.delete(&volume_path(node, storage, volid), &Params::new())
            .await
    }

    /// `GET /cluster/backup`.
    pub async fn backup_jobs(&self) -> Result<Vec<BackupJob>> {
        self.get("/cluster/backup", &Params::new()).await
    }

    /// `GET /cluster/backup/{id}`.
    pub async fn backup_job(&self, id: &str) -> Result<BackupJob> {
        self.get(&format!("/cluster/backup/{}", seg(id)), &Params::new())
            .await
    }

    /// `POST /cluster/backup` with `id` (Proxmox generates one when absent).
    pub async fn backup_job_create(&self, id: Option<&str>, spec: &BackupJobSpec) -> Result<()> {
        let params = Params::new().opt("id", id).extend(&spec.params());
        let _: Option<serde_json::Value> = self.post("/cluster/backup", &params).await?;
        Ok(())
    }

    /// `PUT /cluster/backup/{id}`; `delete` names options to remove.
    pub async fn backup_job_update(
        &self,
        id: &str,
        spec: &BackupJobSpec,
        delete: &[&str],
    ) -> Result<()> {
        let mut params = spec.params();
        if !delete.is_empty() {
            params = params.set("delete", delete.join(","));
        }
        let _: Option<serde_json::Value> = self
            .put(&format!("/cluster/backup/{}", seg(id)), &params)
            .await?;
        Ok(())
    }

    /// `DELETE /cluster/backup/{id}`.
    pub async fn backup_job_delete(&self, id: &str) -> Result<()> {
        let _: Option<serde_json::Value> = self
            .delete(&format!("/cluster/backup/{}", seg(id)), &Params::new())
            .await?;
        Ok(())
    }
}

fn volume_path(node: &str, storage: &str, volid: &str) -> String {
    format!(
        "/nodes/{}/storage/{}/content/{}",
        seg(node),
        seg(storage),
        seg(volid)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_parse_stringly_numbers_and_object_retention() {
        let job: BackupJob = serde_json::from_str(
            r#"{"id":"proximity-daily","enabled":"1","prune-backups":{"keep-daily":"7","keep-weekly":4},"next-run":"1700000000","vmid":"100,101"}"#,
        )
        .unwrap();
        assert!(job.is_enabled());
        let r = job.prune_backups.clone().unwrap();
        assert_eq!((r.keep_daily, r.keep_weekly), (Some(7), Some(4)));
        assert_eq!(job.next_run, Some(1_700_000_000));
        assert_eq!(job.vmids(), vec![100, 101]);
        let s: BackupJob =
            serde_json::from_str(r#"{"id":"x","prune-backups":"keep-last=3"}"#).unwrap();
        assert_eq!(s.prune_backups.unwrap().keep_last, Some(3));
    }

    #[test]
    fn retention_round_trips_and_names_bad_keys() {
        let r = Retention::parse("keep-daily=7, keep-weekly=4").unwrap();
        assert_eq!(r.to_wire(), "keep-daily=7,keep-weekly=4");
        assert!(
            Retention::parse("keep-often=3")
                .unwrap_err()
                .contains("keep-often")
        );
        assert!(
            Retention::parse("keep-daily=x")
                .unwrap_err()
                .contains("'x'")
        );
        assert_eq!(
            vmid_from_volid("local:backup/vzdump-lxc-104-2025_01_15-10_30_00.tar.zst"),
            Some(104)
        );
    }
}
