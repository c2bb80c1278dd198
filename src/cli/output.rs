//! Table and JSON output of `proximity ls` and `proximity nodes`. The JSON shapes are a
//! documented contract (README, "JSON output"): add fields, never rename them.

use serde::Serialize;

use crate::pve::types::ClusterResource;

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
    pub maxcpu: f64,
    pub mem: u64,
    pub maxmem: u64,
    pub uptime: u64,
    pub tags: Vec<String>,
    pub lock: Option<String>,
}

/// One node row of `proximity nodes --json`.
#[derive(Debug, Serialize, PartialEq)]
pub struct NodeRow {
    pub host: String,
    pub node: String,
    pub status: String,
    pub cpu: f64,
    pub maxcpu: f64,
    pub mem: u64,
    pub maxmem: u64,
    pub disk: u64,
    pub maxdisk: u64,
    pub uptime: u64,
}

pub fn guest_rows(host: &str, resources: &[ClusterResource]) -> Vec<GuestRow> {
    let mut rows: Vec<GuestRow> = resources
        .iter()
        .filter(|r| r.kind == "lxc" || r.kind == "qemu")
        .filter_map(|r| {
            Some(GuestRow {
                host: host.to_string(),
                node: r.node.clone()?,
                vmid: r.vmid?,
                name: r.name.clone().unwrap_or_default(),
                kind: r.kind.clone(),
                status: r.status.clone().unwrap_or_else(|| "unknown".into()),
                cpu: r.cpu.unwrap_or(0.0),
                maxcpu: r.maxcpu.unwrap_or(0.0),
                mem: r.mem.unwrap_or(0),
                maxmem: r.maxmem.unwrap_or(0),
                uptime: r.uptime.unwrap_or(0),
                tags: split_tags(r.tags.as_deref()),
                lock: r.lock.clone().filter(|l| !l.is_empty()),
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
                node: r.node.clone()?,
                status: r.status.clone().unwrap_or_else(|| "unknown".into()),
                cpu: r.cpu.unwrap_or(0.0),
                maxcpu: r.maxcpu.unwrap_or(0.0),
                mem: r.mem.unwrap_or(0),
                maxmem: r.maxmem.unwrap_or(0),
                disk: r.disk.unwrap_or(0),
                maxdisk: r.maxdisk.unwrap_or(0),
                uptime: r.uptime.unwrap_or(0),
            })
        })
        .collect();
    rows.sort_by(|a, b| a.node.cmp(&b.node));
    rows
}

/// Proxmox returns tags `;`-joined (input may also use `,` or spaces).
pub fn split_tags(tags: Option<&str>) -> Vec<String> {
    tags.unwrap_or("")
        .split([';', ',', ' '])
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
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
                r.vmid.to_string(),
                crate::term::sanitize_line(&r.name),
                if r.kind == "lxc" {
                    "CT".into()
                } else {
                    "VM".into()
                },
                r.status.clone(),
                r.node.clone(),
                format!("{:.0}%", r.cpu * 100.0),
                format!("{}/{}", human_bytes(r.mem), human_bytes(r.maxmem)),
                human_uptime(r.uptime),
                crate::term::sanitize_line(&r.tags.join(",")),
            ]
        })
        .collect();
    render_table(
        &[
            "VMID", "NAME", "TYPE", "STATUS", "NODE", "CPU", "MEM", "UPTIME", "TAGS",
        ],
        &body,
    )
}

pub fn nodes_table(rows: &[NodeRow]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.node.clone(),
                r.status.clone(),
                format!("{:.0}% of {}", r.cpu * 100.0, r.maxcpu),
                format!("{}/{}", human_bytes(r.mem), human_bytes(r.maxmem)),
                format!("{}/{}", human_bytes(r.disk), human_bytes(r.maxdisk)),
                human_uptime(r.uptime),
            ]
        })
        .collect();
    render_table(&["NODE", "STATUS", "CPU", "MEM", "DISK", "UPTIME"], &body)
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
    fn tags_split_on_all_separators() {
        assert_eq!(split_tags(Some("a;b,c d")), vec!["a", "b", "c", "d"]);
        assert!(split_tags(None).is_empty());
    }
}
