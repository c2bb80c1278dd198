//! `rrddata` for nodes and guests: buckets at the PVE 9 resolutions (hour 60 s x 60, day
//! 60 s x 1440, week 30 min x 336, month 30 min x 1440, year 6 h x 1440, decade 1 week x 570),
//! values sampled from the same usage functions as the live answers.

use serde_json::{Value, json};

use super::clock;
use super::http::{ApiError, ApiResult, Params, Reply};
use super::model::GuestKind;
use super::state::Ctx;
use super::usage;

fn frame(ctx: &Ctx, allow_decade: bool) -> Result<(u64, u64), ApiError> {
    let p = Params(ctx.params);
    let tf = p.req_str("timeframe")?;
    if let Some(cf) = p.str("cf")
        && cf != "AVERAGE"
        && cf != "MAX"
    {
        return Err(ApiError::param(
            "cf",
            format!("value '{cf}' does not have a value in the enumeration 'AVERAGE, MAX'"),
        ));
    }
    Ok(match tf {
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
    })
}

/// Bucket start times, oldest first; the current (incomplete) bucket is dropped like rrdtool does.
fn times(step: u64, points: u64) -> impl Iterator<Item = u64> {
    let last = clock::now_epoch() / step * step;
    (1..=points)
        .rev()
        .map(move |i| last.saturating_sub(i * step))
}

pub fn node(ctx: &Ctx, node: &str) -> ApiResult {
    let (step, points) = frame(ctx, true)?;
    ctx.sim.with(|m| {
        let n = m.node(node)?;
        let rows: Vec<Value> = times(step, points)
            .filter(|&t| t >= n.boot_epoch)
            .map(|t| {
                let u = usage::node(n, m.seed, t as f64);
                json!({
                    "time": t, "cpu": u.cpu, "maxcpu": n.maxcpu, "iowait": u.iowait,
                    "loadavg": u.loadavg[0], "memtotal": n.maxmem, "memused": u.mem,
                    "memavailable": n.maxmem - u.mem, "arcsize": 0,
                    "swaptotal": 8u64 << 30, "swapused": 0,
                    "roottotal": n.maxdisk, "rootused": u.disk,
                    "netin": u.netin as f64 / (t - n.boot_epoch).max(1) as f64,
                    "netout": u.netout as f64 / (t - n.boot_epoch).max(1) as f64,
                    "pressurecpusome": u.cpu * 0.05, "pressureiosome": u.iowait,
                    "pressureiofull": u.iowait / 2.0, "pressurememorysome": 0.0, "pressurememoryfull": 0.0,
                })
            })
            .collect();
        Ok(Reply::ser(&rows))
    })
}

pub fn guest(ctx: &Ctx, node: &str, kind: GuestKind, vmid: u32) -> ApiResult {
    let (step, points) = frame(ctx, false)?;
    ctx.sim.with(|m| {
        let g = m.guest(node, kind, vmid)?;
        let rows: Vec<Value> = times(step, points)
            .map(|t| {
                let tf = t as f64;
                let up = g.running && g.started_at.is_some_and(|s| s <= t);
                let mut row = json!({"time": t, "maxcpu": g.cpus(), "maxmem": g.maxmem(), "maxdisk": g.maxdisk()});
                if up {
                    let u = usage::guest(g, m.seed, tf);
                    let prev = usage::guest(g, m.seed, tf - step as f64);
                    let rate = |a: u64, b: u64| a.saturating_sub(b) as f64 / step as f64;
                    row["cpu"] = json!(u.cpu);
                    row["mem"] = json!(u.mem);
                    row["disk"] = json!(u.disk);
                    row["netin"] = json!(rate(u.netin, prev.netin));
                    row["netout"] = json!(rate(u.netout, prev.netout));
                    row["diskread"] = json!(rate(u.diskread, prev.diskread));
                    row["diskwrite"] = json!(rate(u.diskwrite, prev.diskwrite));
                    if kind == GuestKind::Qemu {
                        row["memhost"] = json!(u.memhost);
                    }
                }
                row
            })
            .collect();
        Ok(Reply::ser(&rows))
    })
}
