//! Resource usage that moves over time: cpu, memory, network and disk counters are pure
//! functions of (seed, guest, time), so answering `/cluster/resources` for 10,000 guests costs a
//! few float operations each and RRD history is consistent with the live values.

use super::clock::unit_of;
use super::model::{Guest, GuestKind, Node};
use super::rhythm;

/// Live usage of a guest at time `t` (epoch seconds, fractional for smooth motion).
#[derive(Debug, Clone, Copy, Default)]
pub struct GuestUsage {
    pub cpu: f64,
    pub mem: u64,
    pub swap: u64,
    pub disk: u64,
    pub netin: u64,
    pub netout: u64,
    pub diskread: u64,
    pub diskwrite: u64,
    pub memhost: u64,
}

fn wave(seed: u64, salt: u64, t: f64, period: f64) -> f64 {
    let phase = unit_of(seed ^ salt) * std::f64::consts::TAU;
    ((t / period) * std::f64::consts::TAU + phase).sin() * 0.5 + 0.5
}

pub fn guest(g: &Guest, seed: u64, t: f64) -> GuestUsage {
    let key = seed.wrapping_mul(1_000_003) ^ u64::from(g.vmid);
    // Proxmox measures a CT's disk usage only while it runs (statfs of the mounted rootfs),
    // and never a VM's (no guest agent query): both report 0 otherwise.
    if !g.running || g.frozen {
        return GuestUsage::default();
    }
    let disk = match g.kind {
        GuestKind::Lxc => (g.maxdisk() as f64 * (0.1 + 0.5 * unit_of(key ^ 0xD15C))) as u64,
        GuestKind::Qemu => 0,
    };
    let busy = unit_of(key ^ 0xC0);
    let cores = g.cpus().max(1) as f64;
    let cpu = ((0.02 + 0.5 * busy * wave(key, 1, t, 300.0) + 0.05 * wave(key, 2, t, 17.0))
        / cores.sqrt()
        * rhythm::daily(key, t)
        + 0.02 * rhythm::noise(key, t, 60.0))
    .clamp(0.0, 1.0);
    let mut mem_frac = 0.15
        + 0.45 * unit_of(key ^ 0x3E3)
        + 0.1 * wave(key, 3, t, 900.0)
        + 0.15 * rhythm::drift(key, t);
    let mut cpu = cpu;
    // A test's spike holds from its start; a little motion on top so it still looks alive.
    if let Some(s) = g.spike.filter(|s| t >= s.since as f64) {
        let jitter = 0.02 * wave(key, 4, t, 7.0);
        cpu = cpu.max((s.cpu - jitter).clamp(0.0, 1.0));
        mem_frac = mem_frac.max((s.mem - jitter).clamp(0.0, 0.999));
    }
    let mem = (g.maxmem() as f64 * mem_frac.clamp(0.0, 0.98)) as u64;
    let up = g.started_at.map(|s| (t - s as f64).max(1.0)).unwrap_or(1.0);
    let rate = 2_000.0 + 200_000.0 * unit_of(key ^ 0x4E7);
    GuestUsage {
        cpu,
        mem,
        swap: 0,
        disk,
        netin: (up * rate) as u64,
        netout: (up * rate * 0.3) as u64,
        diskread: (up * rate * 0.1) as u64 + 50_000_000,
        diskwrite: (up * rate * 0.05) as u64,
        memhost: mem + mem / 20,
    }
}

/// Live usage of a node at time `t`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeUsage {
    pub cpu: f64,
    pub mem: u64,
    pub disk: u64,
    pub iowait: f64,
    pub loadavg: [f64; 3],
    pub netin: u64,
    pub netout: u64,
}

pub fn node(n: &Node, seed: u64, t: f64) -> NodeUsage {
    let key = seed ^ (u64::from(n.nodeid) << 32);
    let cpu = ((0.05 + 0.3 * wave(key, 11, t, 600.0) + 0.05 * wave(key, 12, t, 23.0))
        * rhythm::daily(key, t)
        + 0.03 * rhythm::noise(key, t, 120.0))
    .clamp(0.0, 1.0);
    let load = cpu * f64::from(n.maxcpu);
    let up = (t - n.boot_epoch as f64).max(1.0);
    NodeUsage {
        cpu,
        mem: (n.maxmem as f64
            * (0.3 + 0.25 * wave(key, 13, t, 1800.0) + 0.15 * rhythm::drift(key, t)))
            as u64,
        disk: (n.maxdisk as f64 * (0.2 + 0.1 * unit_of(key ^ 0xD))) as u64,
        iowait: 0.01 * wave(key, 14, t, 120.0),
        loadavg: [load, load * 0.9, load * 0.8],
        netin: (up * 150_000.0) as u64,
        netout: (up * 60_000.0) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::seed;

    #[test]
    fn usage_moves_but_stays_in_bounds() {
        let m = seed::build(5, 1, 30, String::new());
        let g = m.guests.values().find(|g| g.running).unwrap();
        let now = crate::sim::clock::now_epoch() as f64;
        let a = guest(g, 5, now);
        let b = guest(g, 5, now + 100.0);
        assert!(a.cpu >= 0.0 && a.cpu <= 1.0);
        assert!(a.mem <= g.maxmem());
        assert!(b.netin > a.netin, "counters grow");
        assert_ne!(a.cpu, b.cpu);
        let stopped = m.guests.values().find(|g| !g.running).unwrap();
        let s = guest(stopped, 5, now);
        assert_eq!((s.cpu, s.mem, s.netin), (0.0, 0, 0));
    }
}
