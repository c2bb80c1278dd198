//! Deterministic rrddata for tests and benchmarks: a node's or a guest's points over a time
//! frame ending at `end` (unix seconds), with a daily rhythm, noise, a spike, and gaps (time-
//! only points, as Proxmox sends unknown buckets) at the start and in one stretch.

use crate::engine::metrics_series::resolution;
use crate::pve::Timeframe;
use crate::pve::types::RrdPoint;

fn noise(i: u64, salt: u64) -> f64 {
    let mut z = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether bucket `i` of `n` is unknown: the first 3%, and 2.5% a fifth of the way in.
fn gap(i: u64, n: u64) -> bool {
    i < n * 3 / 100 || (n / 5..n / 5 + n / 40).contains(&i)
}

fn shape(t: u64, i: u64, salt: u64) -> f64 {
    let day = (t % 86_400) as f64 / 86_400.0;
    let rhythm = 0.5 - 0.5 * (std::f64::consts::TAU * (day - 0.1)).cos();
    (0.15 + 0.5 * rhythm + 0.2 * noise(i, salt)).clamp(0.0, 1.0)
}

/// A Proxmox 9 node's points (pressure included) for `tf` ending at `end`.
pub fn node_points(tf: Timeframe, end: u64) -> Vec<RrdPoint> {
    let (step, n) = resolution(tf);
    let gib = (1u64 << 30) as f64;
    (0..n)
        .map(|i| {
            let time = end - (n - i) * step;
            if gap(i, n) {
                return serde_json::from_value(serde_json::json!({ "time": time }))
                    .unwrap_or_default();
            }
            let cpu = if i == n * 2 / 3 {
                0.97
            } else {
                shape(time, i, 1) * 0.6
            };
            let mem = 64.0 * gib * (0.4 + 0.3 * shape(time, i, 2) + 0.1 * i as f64 / n as f64);
            let net = 4.0 * 1024.0 * 1024.0 * shape(time, i, 3);
            serde_json::from_value(serde_json::json!({
                "time": time, "cpu": cpu, "maxcpu": 32, "iowait": cpu * 0.05,
                "loadavg": cpu * 32.0, "memtotal": 128.0 * gib, "memused": mem,
                "memfree": 128.0 * gib - mem, "arcsize": mem * 0.2,
                "swaptotal": 8.0 * gib, "swapused": 0.1 * gib * shape(time, i, 4),
                "roottotal": 100.0 * gib, "rootused": 30.0 * gib + i as f64 * 1.0e6,
                "netin": net, "netout": net * 0.4,
                "pressurecpusome": cpu * 10.0, "pressureiosome": 2.0 * shape(time, i, 5),
                "pressureiofull": shape(time, i, 6), "pressurememorysome": 0.5,
                "pressurememoryfull": 0.0,
            }))
            .unwrap_or_default()
        })
        .collect()
}

/// A Proxmox 9 container's points for `tf` ending at `end`.
pub fn guest_points(tf: Timeframe, end: u64) -> Vec<RrdPoint> {
    let (step, n) = resolution(tf);
    let mib = (1u64 << 20) as f64;
    (0..n)
        .map(|i| {
            let time = end - (n - i) * step;
            let limits = serde_json::json!({
                "time": time, "maxcpu": 2, "maxmem": 2048.0 * mib, "maxdisk": 8192.0 * mib,
            });
            if gap(i, n) {
                return serde_json::from_value(limits).unwrap_or_default();
            }
            let cpu = shape(time, i, 7) * 0.5;
            let mut v = limits;
            let rate = 512.0 * 1024.0 * shape(time, i, 8);
            for (k, x) in [
                ("cpu", cpu),
                ("mem", 1024.0 * mib * (0.5 + 0.4 * shape(time, i, 9))),
                ("disk", 3000.0 * mib),
                ("netin", rate),
                ("netout", rate * 0.3),
                ("diskread", rate * 0.2),
                ("diskwrite", rate * 0.1),
                ("pressurecpusome", cpu * 8.0),
                ("pressurecpufull", cpu * 2.0),
                ("pressureiosome", 1.0),
                ("pressureiofull", 0.2),
                ("pressurememorysome", 0.0),
                ("pressurememoryfull", 0.0),
            ] {
                v[k] = serde_json::json!(x);
            }
            serde_json::from_value(v).unwrap_or_default()
        })
        .collect()
}
