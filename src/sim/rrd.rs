//! `rrddata` for nodes and guests as Proxmox VE 9 answers it: buckets at the PVE 9
//! resolutions (hour 60 s x 60, day 60 s x 1440, week 30 min x 336, month 30 min x 1440, year
//! 6 h x 1440, decade 1 week x 570), PVE 9's data sources (nodes: `memfree`, `arcsize`,
//! `pressure*` in percent; guests: `memhost` for VMs, `pressure*` with `pressurecpufull`),
//! and unknown periods as rows holding only `time` (before the RRD file existed, while a
//! node was down), like rrdtool's undefined values.
//!
//! Values come from the same usage functions as the live answers; a bucket of 30 minutes is
//! the mean (or, with `cf=MAX`, the maximum) of several samples inside it, as rrdtool's
//! consolidation is, so short waves average out and the daily rhythm shows.

use serde_json::{Map, Value, json};

use super::clock::{self, unit_of};
use super::http::{ApiError, ApiResult, Params, Reply};
use super::model::{Guest, GuestKind, Node};
use super::rhythm;
use super::state::Ctx;
use super::usage;

const DAY: u64 = 86_400;
/// How long a node took to come back at its last boot: a gap in its history.
const REBOOT_GAP_S: u64 = 300;
/// The RRD files were created this long before a node's last boot (an older install would
/// show no gap in a month; a younger one shows where its history starts).
const NODE_HISTORY_S: u64 = 12 * DAY;
/// A guest's history starts this long before it was last started.
const GUEST_HISTORY_S: u64 = 9 * DAY;

struct Frame {
    step: u64,
    points: u64,
    max: bool,
}

fn frame(ctx: &Ctx, allow_decade: bool) -> Result<Frame, ApiError> {
    let p = Params(ctx.params);
    let tf = p.req_str("timeframe")?;
    let max = match p.str("cf") {
        None | Some("AVERAGE") => false,
        Some("MAX") => true,
        Some(cf) => {
            return Err(ApiError::param(
                "cf",
                format!("value '{cf}' does not have a value in the enumeration 'AVERAGE, MAX'"),
            ));
        }
    };
    let (step, points) = match tf {
        "hour" => (60, 60),
        "day" => (60, 1440),
        "week" => (1800, 336),
        "month" => (1800, 1440),
        "year" => (21_600, 1440),
        "decade" if allow_decade => (604_800, 570),
        other => {
            let allowed = if allow_decade {
                "hour, day, week, month, year, decade"
            } else {
                "hour, day, week, month, year"
            };
            return Err(ApiError::param(
                "timeframe",
                format!("value '{other}' does not have a value in the enumeration '{allowed}'"),
            ));
        }
    };
    Ok(Frame { step, points, max })
}

/// Bucket start times, oldest first; the current (incomplete) bucket is dropped like rrdtool does.
fn times(step: u64, points: u64) -> impl Iterator<Item = u64> {
    let last = clock::now_epoch() / step * step;
    (1..=points)
        .rev()
        .map(move |i| last.saturating_sub(i * step))
}

/// Sample times inside the bucket starting at `t`: one for a minute, six for longer.
fn samples(t: u64, step: u64) -> impl Iterator<Item = f64> {
    let n = if step <= 60 { 1 } else { 6 };
    (0..n).map(move |i| t as f64 + (i as f64 + 0.5) * step as f64 / n as f64)
}

/// Consolidate named values over a bucket's samples: mean or max per name.
fn consolidate(
    t: u64,
    step: u64,
    max: bool,
    mut sample: impl FnMut(f64) -> Vec<(&'static str, f64)>,
) -> Map<String, Value> {
    let mut acc: Vec<(&'static str, f64)> = Vec::new();
    let mut n = 0.0;
    for s in samples(t, step) {
        n += 1.0;
        for (i, (k, v)) in sample(s).into_iter().enumerate() {
            match acc.get_mut(i) {
                Some((_, a)) if max => *a = a.max(v),
                Some((_, a)) => *a += v,
                None => acc.push((k, v)),
            }
        }
    }
    let mut row = Map::new();
    row.insert("time".into(), json!(t));
    for (k, v) in acc {
        let v = if max { v } else { v / n };
        row.insert(k.into(), json!(v));
    }
    row
}

/// Node values at one instant (pressure in percent, as Proxmox stores PSI `avg10`).
fn node_sample(n: &Node, seed: u64, s: f64) -> Vec<(&'static str, f64)> {
    let key = seed ^ (u64::from(n.nodeid) << 32);
    let u = usage::node(n, seed, s);
    let memtotal = n.maxmem as f64;
    let mem = u.mem as f64;
    // Half the nodes run ZFS: its ARC is part of `memused` and gives memory back on demand.
    let arc = if unit_of(key ^ 0x2F5) < 0.5 {
        mem * (0.15 + 0.05 * rhythm::noise(key ^ 0xA4C, s, 3600.0))
    } else {
        0.0
    };
    // The counters' long-run rate, shaped by the day's rhythm and some noise.
    let before = usage::node(n, seed, s - 60.0);
    let busy = rhythm::daily(key, s) * (1.0 + 0.3 * rhythm::noise(key ^ 0x4E7, s, 60.0));
    let rate = |a: u64, b: u64| a.saturating_sub(b) as f64 / 60.0 * busy;
    let io = u.iowait * 100.0;
    vec![
        ("cpu", u.cpu),
        ("maxcpu", f64::from(n.maxcpu)),
        ("iowait", u.iowait),
        ("loadavg", u.loadavg[0]),
        ("memtotal", memtotal),
        ("memused", mem),
        ("memfree", (memtotal - mem) * 0.8),
        ("arcsize", arc),
        ("swaptotal", (8u64 << 30) as f64),
        ("swapused", (64u64 << 20) as f64 * rhythm::drift(key, s)),
        ("roottotal", n.maxdisk as f64),
        // The root disk fills slowly (logs, images) and is cleaned now and then.
        (
            "rootused",
            u.disk as f64 * (1.0 + 0.1 * rhythm::drift(key ^ 0xD15C, s)),
        ),
        ("netin", rate(u.netin, before.netin)),
        ("netout", rate(u.netout, before.netout)),
        (
            "pressurecpusome",
            ((u.cpu - 0.2).max(0.0) * 30.0).min(100.0),
        ),
        ("pressureiosome", io * 0.8),
        ("pressureiofull", io * 0.3),
        (
            "pressurememorysome",
            ((mem / memtotal - 0.6).max(0.0) * 10.0).min(100.0),
        ),
        ("pressurememoryfull", 0.0),
    ]
}

pub fn node(ctx: &Ctx, node: &str) -> ApiResult {
    let f = frame(ctx, true)?;
    ctx.sim.with(|m| {
        let n = m.node(node)?;
        let created = n.boot_epoch.saturating_sub(NODE_HISTORY_S);
        let down = n.boot_epoch.saturating_sub(REBOOT_GAP_S)..n.boot_epoch;
        let rows: Vec<Value> = times(f.step, f.points)
            .map(|t| {
                let end = t + f.step;
                // A bucket that lies wholly before the history, or in the reboot, is unknown.
                if end <= created || (down.contains(&t) && end <= n.boot_epoch) {
                    return json!({ "time": t });
                }
                Value::Object(consolidate(t, f.step, f.max, |s| node_sample(n, m.seed, s)))
            })
            .collect();
        Ok(Reply::ser(&rows))
    })
}

/// Guest values at one instant while it runs.
fn guest_sample(g: &Guest, seed: u64, s: f64) -> Vec<(&'static str, f64)> {
    let key = seed.wrapping_mul(1_000_003) ^ u64::from(g.vmid);
    let u = usage::guest(g, seed, s);
    let before = usage::guest(g, seed, s - 60.0);
    let busy = rhythm::daily(key, s) * (1.0 + 0.4 * rhythm::noise(key ^ 0x4E7, s, 60.0));
    // The counters' long-run rate, shaped by the day's rhythm (a minute's delta of the
    // counters is that rate: they grow linearly).
    let rate = |a: u64, b: u64| a.saturating_sub(b) as f64 / 60.0 * busy;
    // Disks have their own bursts (backups, compactions), not the network's.
    let disk_busy = rhythm::daily(key, s) * (1.0 + 0.6 * rhythm::noise(key ^ 0xD1, s, 300.0));
    let disk_rate = |a: u64, b: u64| a.saturating_sub(b) as f64 / 60.0 * disk_busy.max(0.0);
    let mut out = vec![
        ("cpu", u.cpu),
        ("mem", u.mem as f64),
        // Files come and go: a container's disk use drifts by a few percent.
        (
            "disk",
            u.disk as f64 * (1.0 + 0.08 * rhythm::drift(key ^ 0xD15C, s)),
        ),
        ("netin", rate(u.netin, before.netin)),
        ("netout", rate(u.netout, before.netout)),
        ("diskread", disk_rate(u.diskread, before.diskread)),
        ("diskwrite", disk_rate(u.diskwrite, before.diskwrite)),
        (
            "pressurecpusome",
            ((u.cpu - 0.3).max(0.0) * 40.0).min(100.0),
        ),
        (
            "pressurecpufull",
            ((u.cpu - 0.6).max(0.0) * 20.0).min(100.0),
        ),
        ("pressureiosome", 0.5 * busy.max(0.0)),
        ("pressureiofull", 0.1 * busy.max(0.0)),
        (
            "pressurememorysome",
            ((u.mem as f64 / g.maxmem().max(1) as f64 - 0.7).max(0.0) * 20.0).min(100.0),
        ),
        ("pressurememoryfull", 0.0),
    ];
    if g.kind == GuestKind::Qemu {
        out.push(("memhost", u.memhost as f64));
    }
    out
}

pub fn guest(ctx: &Ctx, node: &str, kind: GuestKind, vmid: u32) -> ApiResult {
    let f = frame(ctx, false)?;
    ctx.sim.with(|m| {
        let g = m.guest(node, kind, vmid)?;
        let started = g.started_at.filter(|_| g.running);
        let created = started
            .unwrap_or_else(clock::now_epoch)
            .saturating_sub(GUEST_HISTORY_S);
        let rows: Vec<Value> = times(f.step, f.points)
            .map(|t| {
                if t + f.step <= created {
                    return json!({ "time": t });
                }
                // Known but not running: Proxmox records only the limits (pvestatd).
                let mut row = json!({
                    "time": t, "maxcpu": g.cpus(), "maxmem": g.maxmem(), "maxdisk": g.maxdisk(),
                });
                let up = started.is_some_and(|s| s <= t) && !g.frozen;
                if up && let Value::Object(map) = &mut row {
                    map.extend(consolidate(t, f.step, f.max, |s| {
                        guest_sample(g, m.seed, s)
                    }));
                }
                row
            })
            .collect();
        Ok(Reply::ser(&rows))
    })
}
