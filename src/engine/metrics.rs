//! Metrics of a node or a guest from Proxmox's `rrddata`, as typed series (`metrics_series`),
//! and the cluster-wide top lists (busiest guests by CPU, memory, disk and network) from the
//! inventories the engine already holds: no request per guest.
//!
//! Proxmox 8 and 9 answer with different data sources: 9 adds `memhost` and `pressure*` for
//! guests and `memfree`, `arcsize` and `pressure*` for nodes (pve-manager RRDModels.js). A
//! series is offered when its source is present; the core ones (CPU, memory, network, disk)
//! always are, as gaps when unknown. Pressure arrives in percent (0-100, the PSI `avg10`
//! figures, charted with the web UI's `unit: 'percent'`) and is stored here as a fraction
//! like every other percent.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::metrics_series::{Point, Series, Unit, resolution};
use crate::inventory::GuestKind;
use crate::inventory::{Guest, Nodes};
use crate::pve::types::RrdPoint;
use crate::pve::{PveClient, Timeframe};

/// How long one rrddata request may take before the caller is told it timed out.
pub const METRICS_DEADLINE: Duration = Duration::from_secs(15);

/// Whose metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum MetricsTarget {
    Node {
        host: String,
        node: String,
    },
    Guest {
        host: String,
        node: String,
        vmid: u32,
        #[serde(serialize_with = "kind_name")]
        kind: GuestKind,
    },
}

fn kind_name<S: serde::Serializer>(k: &GuestKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.api_name())
}

impl MetricsTarget {
    pub fn host(&self) -> &str {
        match self {
            MetricsTarget::Node { host, .. } | MetricsTarget::Guest { host, .. } => host,
        }
    }

    pub fn node(&self) -> &str {
        match self {
            MetricsTarget::Node { node, .. } | MetricsTarget::Guest { node, .. } => node,
        }
    }

    /// `node pve1 on lab`, `CT 101 on lab/pve1` (sanitized).
    pub fn title(&self) -> String {
        let clean = crate::text::clean_string;
        match self {
            MetricsTarget::Node { host, node } => {
                format!("node {} on {}", clean(node), clean(host))
            }
            MetricsTarget::Guest {
                host,
                node,
                vmid,
                kind,
            } => format!("{} {vmid} on {}/{}", kind.short(), clean(host), clean(node)),
        }
    }
}

/// A target's series over one time frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsReport {
    pub target: MetricsTarget,
    #[serde(serialize_with = "timeframe_name")]
    pub timeframe: Timeframe,
    /// Seconds per point.
    pub step_s: u64,
    pub series: Vec<Series>,
}

fn timeframe_name<S: serde::Serializer>(t: &Timeframe, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

impl MetricsReport {
    pub fn series(&self, id: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.id == id)
    }

    /// The first and last point times (for axis labels).
    pub fn span(&self) -> Option<(u64, u64)> {
        let points = &self.series.first()?.points;
        Some((points.first()?.time, points.last()?.time))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricsError {
    #[error("no answer within {0} s")]
    Timeout(u64),
    #[error("{0}")]
    Pve(String),
}

/// Fetch and type one target's rrddata, bounded by `METRICS_DEADLINE`.
pub async fn fetch(
    client: &PveClient,
    target: &MetricsTarget,
    timeframe: Timeframe,
) -> Result<MetricsReport, MetricsError> {
    let request = async {
        match target {
            MetricsTarget::Node { node, .. } => client.node_rrddata(node, timeframe, None).await,
            MetricsTarget::Guest {
                node,
                vmid,
                kind: GuestKind::Container,
                ..
            } => client.lxc_rrddata(node, *vmid, timeframe, None).await,
            MetricsTarget::Guest {
                node,
                vmid,
                kind: GuestKind::Vm,
                ..
            } => client.qemu_rrddata(node, *vmid, timeframe, None).await,
        }
    };
    let points = tokio::time::timeout(METRICS_DEADLINE, request)
        .await
        .map_err(|_| MetricsError::Timeout(METRICS_DEADLINE.as_secs()))?
        .map_err(|e| MetricsError::Pve(crate::text::clean_string(&e.to_string())))?;
    Ok(report(target.clone(), timeframe, &points))
}

/// Type the points of one answer (pure: the tests and the benchmark feed it directly).
pub fn report(target: MetricsTarget, timeframe: Timeframe, points: &[RrdPoint]) -> MetricsReport {
    let mut points: Vec<&RrdPoint> = points.iter().collect();
    // Proxmox sends them in order; a server that does not must not draw lines backwards.
    points.sort_by_key(|p| p.time);
    let series = match &target {
        MetricsTarget::Node { .. } => node_series(&points),
        MetricsTarget::Guest { kind, .. } => guest_series(&points, *kind),
    };
    MetricsReport {
        target,
        timeframe,
        step_s: resolution(timeframe).0,
        series,
    }
}

/// One data source of a point, by its wire name; non-finite values are unknown.
fn source(p: &RrdPoint, name: &str) -> Option<f64> {
    let v = match name {
        "cpu" => p.cpu,
        "maxcpu" => p.maxcpu,
        "mem" => p.mem,
        "maxmem" => p.maxmem,
        "memused" => p.memused,
        "memtotal" => p.memtotal,
        "disk" => p.disk,
        "maxdisk" => p.maxdisk,
        "netin" => p.netin,
        "netout" => p.netout,
        "diskread" => p.diskread,
        "diskwrite" => p.diskwrite,
        "loadavg" => p.loadavg,
        "iowait" => p.iowait,
        "rootused" => p.rootused,
        "roottotal" => p.roottotal,
        "swapused" => p.swapused,
        "swaptotal" => p.swaptotal,
        other => p.other.get(other).and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }),
    };
    v.filter(|v| v.is_finite())
}

/// What to build a series from.
struct Spec {
    id: &'static str,
    label: &'static str,
    unit: Unit,
    wire: &'static str,
    /// The wire name of its capacity (`memtotal` for `memused`).
    capacity: Option<&'static str>,
    /// Multiply each value (pressure: percent to fraction).
    scale: f64,
    /// Offered even when no point has it (as a gap).
    core: bool,
}

const fn spec(id: &'static str, label: &'static str, unit: Unit, wire: &'static str) -> Spec {
    Spec {
        id,
        label,
        unit,
        wire,
        capacity: None,
        scale: 1.0,
        core: true,
    }
}

const fn optional(mut s: Spec) -> Spec {
    s.core = false;
    s
}

const fn of(mut s: Spec, capacity: &'static str) -> Spec {
    s.capacity = Some(capacity);
    s
}

const fn pressure(id: &'static str, label: &'static str, wire: &'static str) -> Spec {
    let mut s = optional(spec(id, label, Unit::Percent, wire));
    s.scale = 0.01;
    s
}

const NODE: &[Spec] = &[
    spec("cpu", "CPU", Unit::Percent, "cpu"),
    optional(spec("iowait", "IO wait", Unit::Percent, "iowait")),
    optional(spec("loadavg", "load average", Unit::Number, "loadavg")),
    of(
        spec("mem", "memory used", Unit::Bytes, "memused"),
        "memtotal",
    ),
    optional(of(
        spec("arcsize", "ZFS ARC", Unit::Bytes, "arcsize"),
        "memtotal",
    )),
    optional(of(
        spec("swap", "swap used", Unit::Bytes, "swapused"),
        "swaptotal",
    )),
    of(
        spec("root", "root disk used", Unit::Bytes, "rootused"),
        "roottotal",
    ),
    spec("netin", "network in", Unit::BytesPerSec, "netin"),
    spec("netout", "network out", Unit::BytesPerSec, "netout"),
    pressure("pressure_cpu_some", "CPU some", "pressurecpusome"),
    pressure("pressure_io_some", "IO some", "pressureiosome"),
    pressure("pressure_io_full", "IO full", "pressureiofull"),
    pressure("pressure_memory_some", "memory some", "pressurememorysome"),
    pressure("pressure_memory_full", "memory full", "pressurememoryfull"),
];

const GUEST: &[Spec] = &[
    spec("cpu", "CPU", Unit::Percent, "cpu"),
    of(spec("mem", "memory used", Unit::Bytes, "mem"), "maxmem"),
    optional(of(
        spec("memhost", "memory on host", Unit::Bytes, "memhost"),
        "maxmem",
    )),
    of(spec("disk", "disk used", Unit::Bytes, "disk"), "maxdisk"),
    spec("diskread", "disk read", Unit::BytesPerSec, "diskread"),
    spec("diskwrite", "disk write", Unit::BytesPerSec, "diskwrite"),
    spec("netin", "network in", Unit::BytesPerSec, "netin"),
    spec("netout", "network out", Unit::BytesPerSec, "netout"),
    pressure("pressure_cpu_some", "CPU some", "pressurecpusome"),
    pressure("pressure_cpu_full", "CPU full", "pressurecpufull"),
    pressure("pressure_io_some", "IO some", "pressureiosome"),
    pressure("pressure_io_full", "IO full", "pressureiofull"),
    pressure("pressure_memory_some", "memory some", "pressurememorysome"),
    pressure("pressure_memory_full", "memory full", "pressurememoryfull"),
];

fn build(specs: &[Spec], points: &[&RrdPoint], skip: &[&str]) -> Vec<Series> {
    specs
        .iter()
        .filter(|s| !skip.contains(&s.id))
        .filter_map(|s| {
            let values: Vec<Point> = points
                .iter()
                .map(|p| Point {
                    time: p.time,
                    value: source(p, s.wire).map(|v| v * s.scale),
                })
                .collect();
            let series = Series {
                id: s.id,
                label: s.label,
                unit: s.unit,
                // The newest known capacity: memory can be resized while the graph runs.
                capacity: s
                    .capacity
                    .and_then(|c| points.iter().rev().find_map(|p| source(p, c)))
                    .filter(|c| *c > 0.0),
                points: values,
            };
            (s.core || series.has_data()).then_some(series)
        })
        .collect()
}

fn node_series(points: &[&RrdPoint]) -> Vec<Series> {
    build(NODE, points, &[])
}

fn guest_series(points: &[&RrdPoint], kind: GuestKind) -> Vec<Series> {
    // Proxmox never measures a VM's disk usage (no guest agent query): always 0, not data.
    let skip: &[&str] = match kind {
        GuestKind::Vm => &["disk"],
        GuestKind::Container => &[],
    };
    build(GUEST, points, skip)
}

// ---- top lists --------------------------------------------------------------------------

/// What a top list ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TopBy {
    /// Share of the guest's own cores, as Proxmox shows it.
    Cpu,
    /// Bytes used.
    Memory,
    /// Disk read + write, bytes/s.
    Disk,
    /// Network in + out, bytes/s.
    Network,
}

impl TopBy {
    pub const ALL: [TopBy; 4] = [TopBy::Cpu, TopBy::Memory, TopBy::Disk, TopBy::Network];

    pub fn label(self) -> &'static str {
        match self {
            TopBy::Cpu => "CPU",
            TopBy::Memory => "memory",
            TopBy::Disk => "disk I/O",
            TopBy::Network => "network",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            TopBy::Cpu => Unit::Percent,
            TopBy::Memory => Unit::Bytes,
            TopBy::Disk | TopBy::Network => Unit::BytesPerSec,
        }
    }
}

/// One guest of a top list. `name` is server text, already sanitized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopEntry {
    pub host: String,
    pub node: String,
    pub vmid: u32,
    #[serde(serialize_with = "kind_name")]
    pub kind: GuestKind,
    pub name: String,
    pub value: f64,
    /// The value's limit when it has one (memory: maxmem; CPU: cores).
    pub of: Option<f64>,
    /// Rates measured between two refreshes (`false`: the average since the guest started,
    /// until a second refresh is seen).
    pub measured: bool,
}

/// The inventories the rates of disk and network are measured between: for each host the
/// previous and the current list with when each was first seen.
#[derive(Default)]
pub struct RateMemory {
    hosts: HashMap<String, Snapshots>,
}

#[derive(Clone)]
struct Seen {
    nodes: Nodes,
    at: Instant,
}

/// The two counters the rates come from, per guest: all the previous inventory is kept
/// for (a whole inventory of 10,000 guests would be held twice otherwise).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Counters {
    disk: Option<u64>,
    net: Option<u64>,
}

impl Counters {
    fn of(g: &Guest) -> Counters {
        Counters {
            disk: g.disk_io,
            net: g.net_io,
        }
    }

    fn get(self, by: TopBy) -> Option<u64> {
        match by {
            TopBy::Disk => self.disk,
            TopBy::Network => self.net,
            TopBy::Cpu | TopBy::Memory => None,
        }
    }
}

/// Each guest's counters in one inventory, and when it was seen.
type CountersAt = (HashMap<(GuestKind, u32), Counters>, Instant);

#[derive(Default)]
struct Snapshots {
    previous: Option<CountersAt>,
    current: Option<Seen>,
}

impl RateMemory {
    /// Note `nodes` as `host`'s latest at `now` (the same `Arc` again changes nothing).
    pub fn observe(&mut self, host: &str, nodes: &Nodes, now: Instant) {
        let s = self.hosts.entry(host.to_string()).or_default();
        if s.current.as_ref().is_some_and(|c| c.nodes.same(nodes)) {
            return;
        }
        s.previous = s.current.take().map(|c| {
            let counters = c
                .nodes
                .iter()
                .flat_map(|n| n.guests.iter())
                .map(|g| ((g.kind, g.vmid), Counters::of(g)))
                .collect();
            (counters, c.at)
        });
        s.current = Some(Seen {
            nodes: nodes.clone(),
            at: now,
        });
    }

    /// Forget hosts that are gone.
    pub fn retain(&mut self, hosts: &[String]) {
        self.hosts.retain(|h, _| hosts.contains(h));
    }

    /// The guests of every observed host, ranked by `by`, the first `limit`.
    pub fn top(&self, by: TopBy, limit: usize) -> Vec<TopEntry> {
        let mut out = Vec::new();
        let mut hosts: Vec<&String> = self.hosts.keys().collect();
        hosts.sort();
        for host in hosts {
            let snaps = &self.hosts[host];
            let Some(cur) = &snaps.current else { continue };
            let prev = snaps.previous.as_ref().map(|(counters, at)| {
                (
                    counters,
                    cur.at.saturating_duration_since(*at).as_secs_f64(),
                )
            });
            for node in cur.nodes.iter() {
                for g in node.guests.iter().filter(|g| g.running && !g.template) {
                    let before = prev
                        .as_ref()
                        .and_then(|(m, dt)| m.get(&(g.kind, g.vmid)).map(|c| (*c, *dt)));
                    let Some((value, of, measured)) = rank_value(g, by, before) else {
                        continue;
                    };
                    out.push(TopEntry {
                        host: host.clone(),
                        node: crate::text::clean_string(&node.name),
                        vmid: g.vmid,
                        kind: g.kind,
                        name: crate::text::clean_string(&g.name),
                        value,
                        of,
                        measured,
                    });
                }
            }
        }
        out.sort_by(|a, b| {
            b.value
                .total_cmp(&a.value)
                .then_with(|| a.host.cmp(&b.host))
                .then_with(|| a.vmid.cmp(&b.vmid))
        });
        out.truncate(limit);
        out
    }
}

/// A guest's value for `by`; disk and network are rates between `before` (its counters with
/// the seconds between the two inventories) and now, else the counters over the uptime.
fn rank_value(
    g: &Guest,
    by: TopBy,
    before: Option<(Counters, f64)>,
) -> Option<(f64, Option<f64>, bool)> {
    match by {
        TopBy::Cpu => Some((g.cpu, (g.maxcpu > 0.0).then_some(g.maxcpu), true)),
        TopBy::Memory => Some((
            g.mem as f64,
            (g.maxmem > 0).then_some(g.maxmem as f64),
            true,
        )),
        TopBy::Disk | TopBy::Network => {
            let now = Counters::of(g).get(by)?;
            let measured = before.and_then(|(b, dt)| {
                let then = b.get(by)?;
                // A counter that went back (a restart) or no time between: no rate.
                (dt > 0.0 && now >= then).then(|| (now - then) as f64 / dt)
            });
            match measured {
                Some(rate) => Some((rate, None, true)),
                None => {
                    let up = (g.uptime_s > 0).then_some(g.uptime_s)? as f64;
                    Some((now as f64 / up, None, false))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
