//! Table and JSON output of `proximity ls`, `nodes` and `tasks`. The JSON shapes are a
//! documented contract (README, "JSON output"): add fields, never rename them. Tables print
//! server text, so every such cell is sanitized; JSON escapes control characters itself.

use serde::Serialize;

use crate::pve::TaskListEntry;
use crate::pve::types::ClusterResource;
use crate::text::clean_string;

/// One guest row of `proximity ls --json`.
#[derive(Debug, Serialize, PartialEq)]
pub struct GuestRow {
    pub host: String,
    pub node: String,
    pub vmid: u32,
    pub name: String,
    /// `lxc` or `qemu`.
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    /// CPU use as a fraction of `maxcpu` cores (0.0..=maxcpu).
    pub cpu: f64,
    /// Cores, an integer as Proxmox sends it.
    pub maxcpu: u32,
    pub mem: u64,
    pub maxmem: u64,
    pub uptime: u64,
    pub tags: Vec<String>,
    pub lock: Option<String>,
}

/// Proxmox sends `maxcpu` as an integer; the typed decoder keeps it as a float (some
/// versions send `4.0`), so it is turned back into a count for output.
fn cores(maxcpu: Option<f64>) -> u32 {
    maxcpu.map(|c| c.round().max(0.0) as u32).unwrap_or(0)
}

/// One node row of `proximity nodes --json`.
#[derive(Debug, Serialize, PartialEq)]
pub struct NodeRow {
    pub host: String,
    pub node: String,
    pub status: String,
    pub cpu: f64,
    pub maxcpu: u32,
    pub mem: u64,
    pub maxmem: u64,
    pub disk: u64,
    pub maxdisk: u64,
    pub uptime: u64,
}

/// One task row of `proximity tasks --json`.
#[derive(Debug, Serialize, PartialEq)]
pub struct TaskRow {
    pub host: String,
    pub node: String,
    pub upid: String,
    /// Proxmox's task type (`vzstart`, `vzdump`, `qmstop`...).
    #[serde(rename = "type")]
    pub kind: String,
    /// What the task works on, usually a vmid (may be empty).
    pub id: String,
    pub user: String,
    /// `running`, else the exit status (`OK`, `WARNINGS: n`, or the error).
    pub status: String,
    pub running: bool,
    /// Epoch seconds.
    pub starttime: u64,
    pub endtime: Option<u64>,
    /// Seconds from start to end (to now while running).
    pub duration: u64,
}

pub fn guest_rows(host: &str, resources: &[ClusterResource]) -> Vec<GuestRow> {
    let mut rows: Vec<GuestRow> = resources
        .iter()
        .filter_map(|r| {
            // A kind this version does not know is left out, never shown as a container.
            let kind = crate::inventory::GuestKind::from_api_name(&r.kind)?;
            Some(GuestRow {
                host: host.to_string(),
                node: r.node.as_deref().map(String::from)?,
                vmid: r.vmid?,
                name: r.name.as_deref().map(String::from).unwrap_or_default(),
                kind: kind.api_name().to_string(),
                status: r
                    .status
                    .as_deref()
                    .map(String::from)
                    .unwrap_or_else(|| "unknown".into()),
                cpu: r.cpu.unwrap_or(0.0),
                maxcpu: cores(r.maxcpu),
                mem: r.mem.unwrap_or(0),
                maxmem: r.maxmem.unwrap_or(0),
                uptime: r.uptime.unwrap_or(0),
                tags: split_tags(r.tags.as_deref()),
                lock: r
                    .extra()
                    .lock
                    .as_deref()
                    .map(String::from)
                    .filter(|l| !l.is_empty()),
            })
        })
        .collect();
    rows.sort_by_key(|r| r.vmid);
    rows
}

pub fn node_rows(host: &str, resources: &[ClusterResource]) -> Vec<NodeRow> {
    let mut rows: Vec<NodeRow> = resources
        .iter()
        .filter(|r| r.kind == "node")
        .filter_map(|r| {
            Some(NodeRow {
                host: host.to_string(),
                node: r.node.as_deref().map(String::from)?,
                status: r
                    .status
                    .as_deref()
                    .map(String::from)
                    .unwrap_or_else(|| "unknown".into()),
                cpu: r.cpu.unwrap_or(0.0),
                maxcpu: cores(r.maxcpu),
                mem: r.mem.unwrap_or(0),
                maxmem: r.maxmem.unwrap_or(0),
                disk: r.disk.unwrap_or(0),
                maxdisk: r.maxdisk.unwrap_or(0),
                uptime: r.uptime.unwrap_or(0),
            })
        })
        .collect();
    rows.sort_by(|a, b| crate::text::natural_cmp(&a.node, &b.node));
    rows
}

/// `/cluster/tasks` entries as rows. A running task has no `endtime`; Proxmox gives it no
/// `status` or `RUNNING` depending on where the list came from.
pub fn task_rows(host: &str, entries: &[TaskListEntry], now: u64) -> Vec<TaskRow> {
    entries
        .iter()
        .map(|t| {
            let running = t.endtime.is_none()
                || t.status
                    .as_deref()
                    .is_none_or(|s| s.is_empty() || s == "RUNNING");
            TaskRow {
                host: host.to_string(),
                node: t.node.clone(),
                upid: t.upid.clone(),
                kind: t.kind.clone(),
                id: t.id.clone(),
                user: t.user.clone(),
                status: if running {
                    "running".into()
                } else {
                    t.status.clone().unwrap_or_default()
                },
                running,
                starttime: t.starttime,
                endtime: t.endtime,
                duration: t.endtime.unwrap_or(now).saturating_sub(t.starttime),
            }
        })
        .collect()
}

/// `2026-12-07 01:59:12` (UTC): no time zone database needed, and sortable.
pub use crate::civil::utc_time;

/// Proxmox returns tags `;`-joined (input may also use `,` or spaces).
pub fn split_tags(tags: Option<&str>) -> Vec<String> {
    crate::inventory::split_tags(tags.unwrap_or(""))
}

/// Human-readable binary size: `512M`, `7.8G`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "K", "M", "G", "T", "P"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value >= 100.0 {
        format!("{value:.0}{}", UNITS[unit])
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

/// `3d 04h`, `5h 12m`, `42s`.
pub fn human_uptime(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    match (d, h, m) {
        (0, 0, 0) if secs == 0 => "-".into(),
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m:02}m"),
        (d, h, _) => format!("{d}d {h:02}h"),
    }
}

/// Plain aligned table: no colors (pipes and scripts read it), widths from the data.
pub fn render_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                text.push_str(cell);
                text.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

pub fn guests_table(rows: &[GuestRow]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.host.clone(),
                r.vmid.to_string(),
                clean_string(&r.name),
                if r.kind == "lxc" {
                    "CT".into()
                } else {
                    "VM".into()
                },
                clean_string(&r.status),
                clean_string(&r.node),
                format!("{:.0}%", r.cpu * 100.0),
                format!("{}/{}", human_bytes(r.mem), human_bytes(r.maxmem)),
                human_uptime(r.uptime),
                clean_string(&r.tags.join(",")),
            ]
        })
        .collect();
    render_table(
        &[
            "HOST", "VMID", "NAME", "TYPE", "STATUS", "NODE", "CPU", "MEM", "UPTIME", "TAGS",
        ],
        &body,
    )
}

pub fn nodes_table(rows: &[NodeRow]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.host.clone(),
                clean_string(&r.node),
                clean_string(&r.status),
                format!("{:.0}% of {}", r.cpu * 100.0, r.maxcpu),
                format!("{}/{}", human_bytes(r.mem), human_bytes(r.maxmem)),
                format!("{}/{}", human_bytes(r.disk), human_bytes(r.maxdisk)),
                human_uptime(r.uptime),
            ]
        })
        .collect();
    render_table(
        &["HOST", "NODE", "STATUS", "CPU", "MEM", "DISK", "UPTIME"],
        &body,
    )
}

pub fn tasks_table(rows: &[TaskRow]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.host.clone(),
                clean_string(&r.node),
                clean_string(&r.upid),
                clean_string(&r.kind),
                clean_string(&r.id),
                clean_string(&r.user),
                clean_string(&r.status),
                utc_time(r.starttime),
                human_uptime(r.duration),
            ]
        })
        .collect();
    render_table(
        &[
            "HOST", "NODE", "UPID", "TYPE", "ID", "USER", "STATUS", "START", "DURATION",
        ],
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_uptimes() {
        assert_eq!(human_bytes(512 * 1024 * 1024), "512M");
        assert_eq!(human_bytes(8_000_000_000), "7.5G");
        assert_eq!(human_bytes(0), "0B");
        assert_eq!(human_uptime(0), "-");
        assert_eq!(human_uptime(42), "42s");
        assert_eq!(human_uptime(3 * 86_400 + 4 * 3600), "3d 04h");
        assert_eq!(human_uptime(5 * 3600 + 12 * 60), "5h 12m");
    }

    #[test]
    fn table_aligns_columns() {
        let t = render_table(&["A", "BB"], &[vec!["long".into(), "x".into()]]);
        assert_eq!(t, "A     BB\nlong  x\n");
    }

    #[test]
    fn utc_times() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc_time(1_796_608_752), "2026-12-07 01:59:12");
    }

    #[test]
    fn task_rows_tell_running_from_ended_and_tables_sanitize() {
        let entries = vec![
            TaskListEntry {
                upid: "UPID:a".into(),
                node: "pve\u{1b}[31m1".into(),
                kind: "vzstart".into(),
                starttime: 100,
                ..Default::default()
            },
            TaskListEntry {
                upid: "UPID:b".into(),
                node: "pve1".into(),
                starttime: 100,
                endtime: Some(130),
                status: Some("OK".into()),
                ..Default::default()
            },
        ];
        let rows = task_rows("lab", &entries, 160);
        assert_eq!((rows[0].running, rows[0].duration), (true, 60));
        assert_eq!(rows[0].status, "running");
        assert_eq!((rows[1].running, rows[1].duration), (false, 30));
        assert_eq!(rows[1].status, "OK");
        let table = tasks_table(&rows);
        assert!(
            !table.contains('\u{1b}') && table.contains("pve1"),
            "{table}"
        );
        let guests = guest_rows(
            "lab",
            &[ClusterResource {
                id: "x/1".into(),
                kind: "openvz".into(),
                node: Some("pve1".into()),
                vmid: Some(1),
                ..Default::default()
            }],
        );
        assert!(
            guests.is_empty(),
            "an unknown kind is not listed as a container"
        );
    }

    #[test]
    fn tags_split_on_all_separators() {
        assert_eq!(split_tags(Some("a;b,c d")), vec!["a", "b", "c", "d"]);
        assert!(split_tags(None).is_empty());
    }
}
