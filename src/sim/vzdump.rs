//! `vzdump`: the backup worker behind `POST /nodes/{n}/vzdump` and the scheduled jobs of
//! `/cluster/backup`. It logs what PVE's vzdump prints for containers (PVE/VZDump.pm and
//! VZDump/LXC.pm), writes the archive into the storage's content with notes from the notes
//! template, and prunes older backups by the job's retention (protected ones are kept).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::clock;
use super::http::{ApiError, Params};
use super::model::{GuestKind, Model, Volume, storage_def};
use super::seed::backup_volume;
use super::state::Sim;
use super::tasks;

/// The options of one backup run, from the request or from a job's config.
#[derive(Debug, Clone)]
pub struct VzdumpOpts {
    pub storage: String,
    pub mode: String,
    pub compress: String,
    pub notes_template: Option<String>,
    pub protected: bool,
    /// `keep-daily=7,keep-last=3`; prune after the backup when set (`remove` defaults on).
    pub prune: Option<String>,
}

impl VzdumpOpts {
    pub fn parse(p: &Params) -> Result<Self, ApiError> {
        let mode = p.str("mode").unwrap_or("snapshot").to_string();
        if !matches!(mode.as_str(), "snapshot" | "suspend" | "stop") {
            return Err(ApiError::param(
                "mode",
                format!(
                    "value '{mode}' does not have a value in the enumeration 'snapshot, suspend, stop'"
                ),
            ));
        }
        let notes_template = p.str("notes-template").map(str::to_string);
        if notes_template.is_some() && p.str("storage").is_none() {
            return Err(ApiError::param(
                "notes-template",
                "missing property - 'storage' is required by 'notes-template'",
            ));
        }
        let prune = match p.str("prune-backups") {
            Some(s) => Some(parse_retention(s).map_err(|e| ApiError::param("prune-backups", e))?),
            None => None,
        };
        Ok(VzdumpOpts {
            storage: p.str("storage").unwrap_or("local").to_string(),
            mode,
            compress: p.str("compress").unwrap_or("0").to_string(),
            notes_template,
            protected: p.flag("protected")?,
            prune: prune.filter(|_| p.bool("remove").ok().flatten() != Some(false)),
        })
    }

    /// The storage must exist and take backups (checked before any task starts).
    pub fn check_storage(&self) -> Result<(), ApiError> {
        let def = storage_def(&self.storage)
            .ok_or_else(|| ApiError::die(format!("storage '{}' does not exist", self.storage)))?;
        if def.supports("backup") {
            Ok(())
        } else {
            Err(ApiError::die(format!(
                "storage '{}' does not support backups",
                self.storage
            )))
        }
    }

    fn command_line(&self, ids: &[u32], node: &str) -> String {
        let list: Vec<String> = ids.iter().map(u32::to_string).collect();
        let mut s = format!(
            "vzdump {} --mode {} --storage {} --node {node}",
            list.join(" "),
            self.mode,
            self.storage
        );
        if self.compress != "0" {
            s.push_str(&format!(" --compress {}", self.compress));
        }
        if let Some(t) = &self.notes_template {
            s.push_str(&format!(" --notes-template '{t}'"));
        }
        if let Some(r) = &self.prune {
            s.push_str(&format!(" --prune-backups '{r}'"));
        }
        s
    }
}

/// Retention options PVE knows, in the order it applies them.
const KEEP_KEYS: [&str; 6] = [
    "keep-last",
    "keep-hourly",
    "keep-daily",
    "keep-weekly",
    "keep-monthly",
    "keep-yearly",
];

/// `keep-daily=7,keep-last=3` (or `keep-all=1`), checked and normalized.
pub fn parse_retention(s: &str) -> Result<String, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("invalid format - missing '=' in '{part}'"))?;
        if k != "keep-all" && !KEEP_KEYS.contains(&k) {
            return Err(format!("invalid format - unknown key '{k}'"));
        }
        v.parse::<u32>().map_err(|_| {
            format!("invalid format - {k}: type check ('integer') failed - got '{v}'")
        })?;
        out.push(format!("{k}={v}"));
    }
    Ok(out.join(","))
}

/// The volids pruning removes among `backups` (ctime, volid, protected), PVE's
/// `prune_mark_backup_group`: each option keeps the newest backup of each of its first N
/// buckets not already covered; protected backups always stay.
pub fn prune_selection(retention: &str, backups: &[(u64, String, bool)]) -> Vec<String> {
    let opts: BTreeMap<&str, u32> = retention
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
        .collect();
    if opts.get("keep-all").is_some_and(|v| *v > 0) || opts.values().all(|v| *v == 0) {
        return Vec::new();
    }
    let mut sorted: Vec<&(u64, String, bool)> = backups.iter().collect();
    sorted.sort_by_key(|b| std::cmp::Reverse(b.0));
    let mut keep: HashSet<&str> = HashSet::new();
    for key in KEEP_KEYS {
        let Some(&n) = opts.get(key) else { continue };
        let bucket = |t: u64| -> u64 {
            let (y, m, ..) = clock::civil(t);
            match key {
                "keep-last" => t,
                "keep-hourly" => t / 3600,
                "keep-daily" => t / 86_400,
                // Weeks start on Monday (day 0 of the epoch was a Thursday).
                "keep-weekly" => (t / 86_400 + 3) / 7,
                "keep-monthly" => y as u64 * 12 + u64::from(m),
                _ => y as u64,
            }
        };
        let mut covered: HashSet<u64> = sorted
            .iter()
            .filter(|b| keep.contains(b.1.as_str()))
            .map(|b| bucket(b.0))
            .collect();
        let mut taken = 0;
        for b in &sorted {
            if taken >= n {
                break;
            }
            if keep.contains(b.1.as_str()) || !covered.insert(bucket(b.0)) {
                continue;
            }
            keep.insert(b.1.as_str());
            taken += 1;
        }
    }
    sorted
        .iter()
        .filter(|b| !b.2 && !keep.contains(b.1.as_str()))
        .map(|b| b.1.clone())
        .collect()
}

/// `{{guestname}}`, `{{vmid}}`, `{{node}}`, `{{cluster}}` in a notes template.
fn render_notes(template: &str, name: &str, vmid: u32, node: &str, cluster: &str) -> String {
    template
        .replace("{{guestname}}", name)
        .replace("{{vmid}}", &vmid.to_string())
        .replace("{{node}}", node)
        .replace("{{cluster}}", cluster)
        .replace("\\n", "\n")
}

/// The guests of `node` a request or job names (`all` = every guest on the node).
pub fn guests_on_node(m: &Model, node: &str, ids: &[u32], all: bool, exclude: &[u32]) -> Vec<u32> {
    m.guests
        .values()
        .filter(|g| g.node == node && !g.is_template())
        .filter(|g| {
            if all {
                !exclude.contains(&g.vmid)
            } else {
                ids.contains(&g.vmid)
            }
        })
        .map(|g| g.vmid)
        .collect()
}

/// Start the `vzdump` task on `node` for `guests`; returns its UPID.
pub fn start(sim: &Arc<Sim>, node: &str, guests: Vec<u32>, opts: VzdumpOpts, user: &str) -> String {
    let task_id = match guests.as_slice() {
        [one] => one.to_string(),
        _ => String::new(),
    };
    let node_s = node.to_string();
    tasks::spawn(sim, node, "vzdump", &task_id, user, move |t| async move {
        t.log(format!(
            "INFO: starting new backup job: {}",
            opts.command_line(&guests, &node_s)
        ));
        let mut failed = Vec::new();
        for id in &guests {
            match backup_one(&t, *id, &node_s, &opts).await {
                Ok(()) => {}
                Err(e) if e == "received interrupt" => return Err(e),
                Err(e) => {
                    t.log(format!("ERROR: Backup of VM {id} failed - {e}"));
                    failed.push(id.to_string());
                }
            }
        }
        if failed.is_empty() {
            t.log("INFO: Backup job finished successfully");
            Ok(())
        } else {
            Err(format!(
                "job errors: backup of {} failed",
                failed.join(", ")
            ))
        }
    })
}

async fn backup_one(
    t: &tasks::TaskCtx,
    id: u32,
    node: &str,
    opts: &VzdumpOpts,
) -> Result<(), String> {
    let (kind, name, running) = t.sim.change(|m| {
        let g = m
            .guests
            .get_mut(&id)
            .filter(|g| g.node == node)
            .ok_or_else(|| format!("unable to find VM {id}"))?;
        if let Some(lock) = &g.lock {
            return Err(format!("{} {id} is locked ({lock})", g.kind.label()));
        }
        g.lock = Some("backup".into());
        Ok((g.kind, g.name(), g.running))
    })?;
    let started = clock::now_epoch();
    t.log(format!(
        "INFO: Starting Backup of VM {id} ({})",
        kind.as_str()
    ));
    t.log(format!(
        "INFO: Backup started at {}",
        clock::log_stamp(started)
    ));
    t.log(format!(
        "INFO: status = {}",
        if running { "running" } else { "stopped" }
    ));
    t.log(format!("INFO: CT Name: {name}"));
    t.log("INFO: including mount point rootfs ('/') in backup");
    // A stopped guest has nothing to snapshot: vzdump falls back to stop mode.
    let mode = if running { opts.mode.as_str() } else { "stop" };
    t.log(format!("INFO: backup mode: {mode}"));
    t.log("INFO: ionice priority: 7");
    if mode == "snapshot" {
        t.log("INFO: create storage snapshot 'vzdump'");
    }
    let step = t.step().await;
    let made = t.sim.change(|m| {
        let cluster = m.cluster_name.clone().unwrap_or_default();
        let g = m.guests.get_mut(&id).ok_or(())?;
        g.lock = None;
        let mut ctime = started;
        let mut v = archive_volume(g, ctime, &opts.storage, kind);
        // Two backups of one guest in the same second would share a file name.
        while m.volumes.iter().any(|x| x.volid == v.volid) {
            ctime += 1;
            let g = m.guests.get(&id).ok_or(())?;
            v = archive_volume(g, ctime, &opts.storage, kind);
        }
        v.notes = opts
            .notes_template
            .as_ref()
            .map(|tpl| render_notes(tpl, &name, id, node, &cluster));
        v.protected = opts.protected;
        if step.is_ok() {
            m.volumes.push(v.clone());
        }
        Ok::<_, ()>(v)
    });
    step?;
    let v = made.map_err(|()| format!("unable to find VM {id}"))?;
    let file = v.volid.rsplit('/').next().unwrap_or_default().to_string();
    t.log(format!(
        "INFO: creating vzdump archive '/var/lib/vz/dump/{file}'"
    ));
    t.step().await?;
    let raw = v.size * 100 / 45;
    // vzdump's throughput on a local disk; the duration follows from it.
    let seconds = (raw / (180 << 20)).max(1);
    t.log(format!(
        "INFO: Total bytes written: {raw} ({:.1}GiB, 180MiB/s)",
        raw as f64 / 1_073_741_824.0
    ));
    t.log(format!("INFO: archive file size: {}", human_size(v.size)));
    if v.notes.is_some() {
        t.log("INFO: adding notes to backup");
    }
    if v.protected {
        t.log("INFO: marking backup as protected");
    }
    if let Some(retention) = &opts.prune {
        prune(t, id, node, &opts.storage, retention);
    }
    if mode == "snapshot" {
        t.log("INFO: cleanup temporary 'vzdump' snapshot");
    }
    t.log(format!(
        "INFO: Finished Backup of VM {id} ({:02}:{:02}:{:02})",
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    ));
    t.log(format!(
        "INFO: Backup finished at {}",
        clock::log_stamp(started + seconds)
    ));
    Ok(())
}

fn archive_volume(g: &super::model::Guest, ctime: u64, storage: &str, kind: GuestKind) -> Volume {
    let mut v = backup_volume(g, ctime);
    v.storage = storage.to_string();
    v.volid = v.volid.replacen("local:", &format!("{storage}:"), 1);
    if kind == GuestKind::Qemu {
        v.volid = v
            .volid
            .replace("vzdump-lxc-", "vzdump-qemu-")
            .replace(".tar.zst", ".vma.zst");
        v.format = "vma.zst".into();
        v.subtype = Some("qemu".into());
    }
    v.notes = None;
    v
}

fn prune(t: &tasks::TaskCtx, id: u32, node: &str, storage: &str, retention: &str) {
    t.log(format!(
        "INFO: prune older backups with retention: {}",
        retention.replace(',', ", ")
    ));
    let removed = t.sim.with(|m| {
        let group: Vec<(u64, String, bool)> = m
            .volumes
            .iter()
            .filter(|v| v.node == node && v.storage == storage && v.content == "backup")
            .filter(|v| v.vmid == Some(id))
            .map(|v| (v.ctime, v.volid.clone(), v.protected))
            .collect();
        let gone = prune_selection(retention, &group);
        m.volumes.retain(|v| !gone.contains(&v.volid));
        gone
    });
    t.sim.dirty.notify_one();
    for volid in &removed {
        t.log(format!("INFO: removing backup '{volid}'"));
    }
    t.log(format!(
        "INFO: pruned {} backup(s) not covered by keep-retention policy",
        removed.len()
    ));
}

/// `412MB`, as vzdump prints archive sizes (decimal units).
fn human_size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2}GB", b / 1e9)
    } else {
        format!("{:.0}MB", (b / 1e6).max(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_parses_and_refuses_unknown_keys() {
        assert_eq!(
            parse_retention("keep-daily=7, keep-last=2").unwrap(),
            "keep-daily=7,keep-last=2"
        );
        assert!(
            parse_retention("keep-forever=1")
                .unwrap_err()
                .contains("keep-forever")
        );
        assert!(parse_retention("keep-daily=x").is_err());
    }

    #[test]
    fn prune_keeps_one_per_day_and_every_protected() {
        let day = 86_400;
        let b = |t: u64, n: &str, p: bool| (t, n.to_string(), p);
        let backups = vec![
            b(10 * day + 100, "d10-late", false),
            b(10 * day + 50, "d10-early", false),
            b(9 * day, "d9", false),
            b(8 * day, "d8", true),
            b(7 * day, "d7", false),
        ];
        let mut gone = prune_selection("keep-daily=2", &backups);
        gone.sort();
        assert_eq!(gone, vec!["d10-early", "d7"]);
        assert_eq!(prune_selection("keep-last=1", &backups).len(), 3);
        assert!(prune_selection("keep-all=1", &backups).is_empty());
    }
}
