//! The rules: which conditions are true now, from one source's facts. Each function returns
//! the breaches of one host; the state machine (`state`) turns them into alerts.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::config::{AlertConfig, Thresholds};
use super::{AlertKey, Rule, Target, format_duration_s};
use crate::inventory::{Guest, Node};
use crate::pve::TaskListEntry;

/// A condition that is true now.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    pub key: AlertKey,
    pub name: String,
    pub message: String,
    pub value: Option<f64>,
    /// How long it must hold before it is an alert.
    pub for_ms: u64,
}

fn pct(f: f64) -> String {
    format!("{:.0}%", f * 100.0)
}

fn fraction(used: u64, max: u64) -> Option<f64> {
    match (used, max) {
        (u, m) if m > 0 => Some(u as f64 / m as f64),
        _ => None,
    }
}

/// CPU, memory and disk of one node or running guest, as fractions (`None`: no maximum).
struct Usage {
    cpu: Option<f64>,
    mem: Option<f64>,
    disk: Option<f64>,
}

impl Usage {
    fn of_node(n: &Node) -> Usage {
        Usage {
            cpu: Some(n.cpu),
            mem: fraction(n.mem, n.maxmem),
            disk: fraction(n.disk, n.maxdisk),
        }
    }

    fn of_guest(g: &Guest) -> Usage {
        Usage {
            cpu: Some(g.cpu),
            mem: fraction(g.mem, g.maxmem),
            disk: fraction(g.disk, g.maxdisk),
        }
    }
}

/// CPU, memory and disk of one node or running guest.
fn usage_breaches(
    out: &mut Vec<Breach>,
    target: &Target,
    name: &str,
    usage: Usage,
    t: &Thresholds,
) {
    let for_text = |s: u64| {
        if s == 0 {
            String::new()
        } else {
            format!(" for {}", format_duration_s(s))
        }
    };
    let checks = [
        (Rule::Cpu, usage.cpu, t.cpu_percent, t.cpu_for_s),
        (Rule::Memory, usage.mem, t.memory_percent, t.memory_for_s),
        (Rule::Disk, usage.disk, t.disk_percent, t.disk_for_s),
    ];
    for (rule, value, limit, for_s) in checks {
        let Some(v) = value.filter(|v| v.is_finite()) else {
            continue;
        };
        if !t.is_on(rule) || v * 100.0 <= limit {
            continue;
        }
        out.push(Breach {
            key: AlertKey {
                rule,
                target: target.clone(),
            },
            name: name.to_string(),
            message: format!("{} {} > {limit}%{}", rule.label(), pct(v), for_text(for_s)),
            value: Some(v),
            for_ms: t.for_ms(rule),
        });
    }
}

/// The breaches of one host's inventory: nodes offline, and CPU, memory and disk of online
/// nodes and running guests. `app_names` maps a vmid to its managed app's name (for
/// `[app.NAME]` thresholds).
pub fn inventory_breaches(
    host: &str,
    nodes: &[Node],
    cfg: &AlertConfig,
    app_names: &HashMap<u32, String>,
) -> Vec<Breach> {
    let host_t = cfg.for_host(host);
    let mut out = Vec::new();
    for node in nodes {
        let target = Target::node(host, &node.name);
        if node.listed_offline {
            if host_t.is_on(Rule::NodeOffline) {
                out.push(Breach {
                    key: AlertKey {
                        rule: Rule::NodeOffline,
                        target,
                    },
                    name: node.name.clone(),
                    message: format!("node {} is offline", node.name),
                    value: None,
                    for_ms: host_t.for_ms(Rule::NodeOffline),
                });
            }
        } else {
            usage_breaches(&mut out, &target, &node.name, Usage::of_node(node), &host_t);
        }
        for g in node.guests.iter().filter(|g| g.running && !g.template) {
            let app_name = app_names.get(&g.vmid).map(String::as_str);
            let t = cfg.for_guest(&host_t, app_name, g.app.as_deref());
            let target = Target::guest(host, Some(&node.name), g.vmid);
            usage_breaches(&mut out, &target, &g.name, Usage::of_guest(g), &t);
        }
    }
    out
}

/// A host whose refresh fails: the whole host is offline (after the rule's duration).
pub fn host_unreachable_breach(host: &str, reason: &str, cfg: &AlertConfig) -> Option<Breach> {
    let t = cfg.for_host(host);
    t.is_on(Rule::NodeOffline).then(|| Breach {
        key: AlertKey {
            rule: Rule::NodeOffline,
            target: Target::host(host),
        },
        name: host.to_string(),
        message: format!(
            "host {host} does not answer: {}",
            crate::text::clean_string(reason)
        ),
        value: None,
        for_ms: t.for_ms(Rule::NodeOffline),
    })
}

/// A backup task whose newest run for its guest (or its node, for a multi-guest job) failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedBackup {
    pub vmid: Option<u32>,
    pub node: String,
    pub upid: String,
    pub status: String,
    pub endtime: u64,
}

/// What a host's backups look like now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackupFacts {
    pub failed: Vec<FailedBackup>,
    /// Newest backup time (`ctime`, Unix seconds) per vmid, across every backup storage.
    pub newest: HashMap<u32, u64>,
}

/// Of `/cluster/tasks`, the `vzdump` runs whose newest finished run per guest (per node for
/// jobs without one guest) ended in error. `WARNINGS: n` is a success with warnings.
pub fn failed_backups(tasks: &[TaskListEntry]) -> Vec<FailedBackup> {
    let mut newest: HashMap<(Option<u32>, &str), &TaskListEntry> = HashMap::new();
    for t in tasks {
        let finished = t.endtime.is_some() && t.status.as_deref().is_some_and(|s| s != "RUNNING");
        if t.kind != "vzdump" || !finished {
            continue;
        }
        let vmid = t.id.parse::<u32>().ok();
        let node = if vmid.is_some() { "" } else { t.node.as_str() };
        let slot = newest.entry((vmid, node)).or_insert(t);
        if (t.endtime, t.starttime) > (slot.endtime, slot.starttime) {
            *slot = t;
        }
    }
    let mut out: Vec<FailedBackup> = newest
        .into_values()
        .filter(|t| {
            let s = t.status.as_deref().unwrap_or("");
            s != "OK" && !s.starts_with("WARNINGS")
        })
        .map(|t| FailedBackup {
            vmid: t.id.parse().ok(),
            node: t.node.clone(),
            upid: t.upid.clone(),
            status: crate::text::clean_string(t.status.as_deref().unwrap_or("")),
            endtime: t.endtime.unwrap_or(0),
        })
        .collect();
    out.sort_by(|a, b| (a.vmid, &a.node).cmp(&(b.vmid, &b.node)));
    out
}

/// Backup breaches of one host: failed runs, and guests whose newest backup is older than
/// `backup_max_age`. "No backup" is checked for managed apps (they join a backup job when
/// deployed) and for guests that were backed up before (their backups stopped); a guest
/// never backed up that is no app is the user's choice, not an alarm. An app with no backup
/// at all counts from its uptime, so a fresh deployment is not an alert before its first
/// nightly run.
pub fn backup_breaches(
    host: &str,
    facts: &BackupFacts,
    nodes: &[Node],
    cfg: &AlertConfig,
    app_names: &HashMap<u32, String>,
    now_s: u64,
) -> Vec<Breach> {
    let host_t = cfg.for_host(host);
    let mut out = Vec::new();
    let guests = || {
        nodes
            .iter()
            .flat_map(|n| n.guests.iter().map(move |g| (n, g)))
    };
    let guest = |vmid: u32| guests().find(|(_, g)| g.vmid == vmid);
    for f in &facts.failed {
        let (target, name, t) = match f.vmid {
            Some(vmid) => {
                let r = guest(vmid);
                let t = cfg.for_guest(
                    &host_t,
                    app_names.get(&vmid).map(String::as_str),
                    r.and_then(|(_, g)| g.app.as_deref()),
                );
                let name = r
                    .map(|(_, g)| g.name.to_string())
                    .unwrap_or_else(|| vmid.to_string());
                let node = r.map(|(n, _)| n.name.as_str()).unwrap_or(&f.node);
                (Target::guest(host, Some(node), vmid), name, t)
            }
            None => (Target::node(host, &f.node), f.node.clone(), host_t),
        };
        if !t.is_on(Rule::BackupFailed) {
            continue;
        }
        out.push(Breach {
            key: AlertKey {
                rule: Rule::BackupFailed,
                target,
            },
            name,
            message: format!("backup failed: {}", f.status),
            value: None,
            for_ms: 0,
        });
    }
    for (node, g) in guests() {
        let vmid = g.vmid;
        if g.template {
            continue;
        }
        let app_id = g.app.as_deref();
        let app_name = app_names.get(&vmid).map(String::as_str);
        let newest = facts.newest.get(&vmid).copied();
        let is_app = app_id.is_some() || app_name.is_some();
        if newest.is_none() && !is_app {
            continue;
        }
        let t = cfg.for_guest(&host_t, app_name, app_id);
        if !t.is_on(Rule::BackupMissing) {
            continue;
        }
        let max = t.backup_max_age_s;
        let message = match newest {
            Some(at) if now_s.saturating_sub(at) > max => format!(
                "no backup for {} (newest {})",
                format_duration_s(max),
                crate::civil::utc_time(at)
            ),
            None if g.uptime_s > max => {
                format!(
                    "no backup at all, up for more than {}",
                    format_duration_s(max)
                )
            }
            _ => continue,
        };
        let name = g.name.to_string();
        out.push(Breach {
            key: AlertKey {
                rule: Rule::BackupMissing,
                target: Target::guest(host, Some(&node.name), vmid),
            },
            name,
            message,
            value: None,
            for_ms: 0,
        });
    }
    out
}

/// The last health check of one managed app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthResult {
    pub host: String,
    pub node: String,
    pub vmid: u32,
    /// The managed app's name.
    pub app: String,
    /// Its catalog id.
    pub app_id: String,
    pub healthy: bool,
    /// What the probe said (cleaned).
    pub detail: String,
    pub at_ms: u64,
}

/// Health breaches of one host's apps.
pub fn health_breaches<'a>(
    host: &str,
    results: impl IntoIterator<Item = &'a HealthResult>,
    cfg: &AlertConfig,
) -> Vec<Breach> {
    let host_t = cfg.for_host(host);
    results
        .into_iter()
        .filter(|h| h.host == host && !h.healthy)
        .filter_map(|h| {
            let t = cfg.for_guest(&host_t, Some(&h.app), Some(&h.app_id));
            t.is_on(Rule::Health).then(|| Breach {
                key: AlertKey {
                    rule: Rule::Health,
                    target: Target::guest(host, Some(&h.node), h.vmid),
                },
                name: h.app.clone(),
                message: format!("health check failing: {}", h.detail),
                value: None,
                for_ms: t.for_ms(Rule::Health),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::nodes_from_resources;

    fn res(json: serde_json::Value) -> crate::pve::types::ClusterResource {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn usage_offline_and_app_thresholds() {
        let list = vec![
            res(
                serde_json::json!({"id":"node/a","type":"node","node":"a","status":"online","cpu":0.95,"mem":10,"maxmem":100,"disk":90,"maxdisk":100}),
            ),
            res(serde_json::json!({"id":"node/b","type":"node","node":"b","status":"offline"})),
            res(
                serde_json::json!({"id":"lxc/101","type":"lxc","vmid":101,"node":"a","name":"web","status":"running","cpu":0.5,"mem":95,"maxmem":100}),
            ),
            res(
                serde_json::json!({"id":"lxc/102","type":"lxc","vmid":102,"node":"a","name":"git","status":"running","cpu":0.5,"mem":95,"maxmem":100,"tags":"proximity;px-app-gitea"}),
            ),
            res(
                serde_json::json!({"id":"lxc/103","type":"lxc","vmid":103,"node":"a","name":"off","status":"stopped","mem":99,"maxmem":100}),
            ),
        ];
        let cfg = AlertConfig::parse("a.toml", "[app.gitea]\nmemory_percent = 99\n").unwrap();
        let got: Vec<(Rule, String, String)> =
            inventory_breaches("lab", &nodes_from_resources(&list), &cfg, &HashMap::new())
                .into_iter()
                .map(|b| (b.key.rule, b.key.target.to_string(), b.message))
                .collect();
        assert_eq!(
            got,
            vec![
                (Rule::Cpu, "lab/a".into(), "CPU 95% > 90% for 5m".into()),
                (Rule::Disk, "lab/a".into(), "disk 90% > 85%".into()),
                (Rule::Memory, "lab:101".into(), "memory 95% > 90%".into()),
                (
                    Rule::NodeOffline,
                    "lab/b".into(),
                    "node b is offline".into()
                ),
            ]
        );
    }

    #[test]
    fn newest_backup_run_decides_and_warnings_are_success() {
        let task = |id: &str, end: u64, status: &str| TaskListEntry {
            upid: format!("UPID:a:{end}"),
            node: "a".into(),
            kind: "vzdump".into(),
            id: id.into(),
            user: "root@pam".into(),
            tokenid: None,
            starttime: end - 10,
            endtime: Some(end),
            status: Some(status.into()),
        };
        let tasks = vec![
            task("101", 100, "OK"),
            task("101", 200, "job errors"),
            task("102", 100, "job errors"),
            task("102", 200, "OK"),
            task("103", 100, "WARNINGS: 1"),
            task("", 50, "some error"),
        ];
        let failed = failed_backups(&tasks);
        let got: Vec<(Option<u32>, &str)> =
            failed.iter().map(|f| (f.vmid, f.status.as_str())).collect();
        assert_eq!(got, vec![(None, "some error"), (Some(101), "job errors")]);
    }
}
