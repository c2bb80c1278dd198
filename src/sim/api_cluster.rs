//! Cluster and node level endpoints: `/version`, `/nodes`, `/nodes/{n}/status|version`,
//! `/cluster/status`, `/cluster/resources` (serialized directly; it must stay fast with 10,000
//! guests) and `/cluster/nextid` (a JSON *string*, like Perl stringifies it).

use serde::Serialize;
use serde_json::{Value, json};

use super::clock;
use super::http::{ApiError, ApiResult, Params, Reply};
use super::model::{GuestKind, Model, STORAGES};
use super::state::Ctx;
use super::usage;

pub const PVE_VERSION: &str = "9.1.3";
pub const PVE_RELEASE: &str = "9.1";
pub const PVE_REPOID: &str = "bb4e8b5c4d8f27a1";

pub fn version(node_level: bool) -> ApiResult {
    let mut v = json!({"version": PVE_VERSION, "release": PVE_RELEASE, "repoid": PVE_REPOID});
    if !node_level {
        v["console"] = json!("xtermjs");
    }
    Ok(Reply::json(&v))
}

/// Fake SHA-256 fingerprint of a node's own certificate (stable per node name).
fn node_fingerprint(name: &str) -> String {
    let mut out = Vec::with_capacity(32);
    let mut z = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    while out.len() < 32 {
        z = clock::mix64(z.wrapping_add(1));
        out.extend_from_slice(&z.to_be_bytes());
    }
    out.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub fn nodes(ctx: &Ctx) -> ApiResult {
    let t = clock::now_epoch_f64();
    ctx.sim.with(|m| {
        let list: Vec<Value> = m
            .nodes
            .iter()
            .map(|n| {
                let u = usage::node(n, m.seed, t);
                json!({
                    "node": n.name, "status": if n.online { "online" } else { "offline" },
                    "cpu": u.cpu, "maxcpu": n.maxcpu, "mem": u.mem, "maxmem": n.maxmem,
                    "disk": u.disk, "maxdisk": n.maxdisk,
                    "uptime": (t as u64).saturating_sub(n.boot_epoch), "level": "",
                    "id": format!("node/{}", n.name), "type": "node",
                    "ssl_fingerprint": node_fingerprint(&n.name),
                })
            })
            .collect();
        Ok(Reply::ser(&list))
    })
}

pub fn node_status(ctx: &Ctx, node: &str) -> ApiResult {
    let t = clock::now_epoch_f64();
    ctx.sim.with(|m| {
        let n = m.node(node)?;
        let u = usage::node(n, m.seed, t);
        let uptime = (t as u64).saturating_sub(n.boot_epoch);
        let swap_total: u64 = 8 << 30;
        Ok(Reply::json(&json!({
            "uptime": uptime,
            "idle": 0,
            // loadavg entries are strings on the wire.
            "loadavg": u.loadavg.iter().map(|l| format!("{l:.2}")).collect::<Vec<_>>(),
            "kversion": "Linux 6.14.11-2-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.11-2 (2025-09-12T09:46Z)",
            "current-kernel": {"sysname": "Linux", "release": "6.14.11-2-pve",
                "version": "#1 SMP PREEMPT_DYNAMIC PMX 6.14.11-2 (2025-09-12T09:46Z)", "machine": "x86_64"},
            "boot-info": {"mode": "efi", "secureboot": 0},
            "cpuinfo": {"model": "AMD EPYC 7302P 16-Core Processor", "vendor": "AuthenticAMD",
                "family": "23", "sockets": 1, "cores": n.maxcpu / 2, "cpus": n.maxcpu,
                "mhz": "3000.000", "flags": "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr sse sse2 svm",
                "hvm": "1", "user_hz": 100},
            "cpu": u.cpu,
            "wait": u.iowait,
            "memory": {"total": n.maxmem, "used": u.mem, "free": n.maxmem - u.mem,
                "available": n.maxmem - u.mem},
            "swap": {"total": swap_total, "used": 0, "free": swap_total},
            "ksm": {"shared": 0},
            "rootfs": {"total": n.maxdisk, "avail": n.maxdisk - u.disk, "used": u.disk,
                "free": n.maxdisk - u.disk},
            "pveversion": format!("pve-manager/{PVE_VERSION}/{PVE_REPOID}"),
        })))
    })
}

pub fn cluster_status(ctx: &Ctx) -> ApiResult {
    ctx.sim.with(|m| {
        let mut out = Vec::new();
        if let Some(name) = &m.cluster_name {
            out.push(
                json!({"type": "cluster", "id": "cluster", "name": name, "nodes": m.nodes.len(),
                "quorate": 1, "version": m.nodes.len() + 2}),
            );
        }
        for (i, n) in m.nodes.iter().enumerate() {
            out.push(
                json!({"type": "node", "id": format!("node/{}", n.name), "name": n.name,
                "ip": n.ip, "local": i32::from(i == 0), "nodeid": n.nodeid,
                "online": i32::from(n.online), "level": ""}),
            );
        }
        Ok(Reply::ser(&out))
    })
}

/// One `/cluster/resources` entry; absent fields are skipped like Perl's missing hash keys.
#[derive(Serialize)]
struct Resource<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vmid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uptime: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maxcpu: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpu: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maxmem: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mem: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memhost: Option<u64>,
    maxdisk: u64,
    disk: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    netin: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    netout: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diskread: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diskwrite: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lock: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hastate: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<&'a str>,
    #[serde(rename = "cgroup-mode", skip_serializing_if = "Option::is_none")]
    cgroup_mode: Option<u8>,
    #[serde(rename = "host-arch", skip_serializing_if = "Option::is_none")]
    host_arch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plugintype: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shared: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
}

impl<'a> Resource<'a> {
    fn new(id: String, kind: &'a str) -> Self {
        Resource {
            id,
            kind,
            vmid: None,
            node: None,
            storage: None,
            name: None,
            status: None,
            uptime: None,
            template: None,
            maxcpu: None,
            cpu: None,
            maxmem: None,
            mem: None,
            memhost: None,
            maxdisk: 0,
            disk: 0,
            netin: None,
            netout: None,
            diskread: None,
            diskwrite: None,
            tags: None,
            lock: None,
            hastate: None,
            level: None,
            cgroup_mode: None,
            host_arch: None,
            plugintype: None,
            shared: None,
            content: None,
        }
    }
}

/// Bytes used on a node's storage: vztmpl/backup files on `local`, guest disks on `local-lvm`.
pub fn storage_used(m: &Model, node: &str, storage: &str) -> u64 {
    if storage == "local-lvm" {
        m.guests
            .values()
            .filter(|g| g.node == node)
            .map(|g| g.maxdisk() / 3)
            .sum()
    } else {
        m.volumes
            .iter()
            .filter(|v| v.node == node && v.storage == storage)
            .map(|v| v.size)
            .sum::<u64>()
            + (3 << 30)
    }
}

pub fn resources(ctx: &Ctx) -> ApiResult {
    let ty = Params(ctx.params).str("type").map(str::to_string);
    if let Some(t) = &ty
        && !matches!(t.as_str(), "vm" | "storage" | "node" | "sdn")
    {
        return Err(ApiError::param(
            "type",
            format!(
                "value '{t}' does not have a value in the enumeration 'vm, storage, node, sdn'"
            ),
        ));
    }
    let want = |k: &str| ty.as_deref().is_none_or(|t| t == k);
    let t = clock::now_epoch_f64();
    let now = t as u64;
    ctx.sim.with(|m| {
        let mut out: Vec<Resource> = Vec::with_capacity(m.guests.len() + m.nodes.len() * 3);
        if want("vm") {
            for g in m.guests.values() {
                // A node that is offline reports nothing: its guests' status is unknown and
                // their usage absent (what pvestatd's missing data gives the real cluster).
                let node_down = m.nodes.iter().any(|n| n.name == g.node && !n.online);
                let u = if node_down {
                    usage::GuestUsage::default()
                } else {
                    usage::guest(g, m.seed, t)
                };
                let mut r =
                    Resource::new(format!("{}/{}", g.kind.as_str(), g.vmid), g.kind.as_str());
                r.vmid = Some(g.vmid);
                r.node = Some(&g.node);
                r.name = Some(g.name());
                r.status = Some(match (node_down, g.running) {
                    (true, _) => "unknown",
                    (false, true) => "running",
                    (false, false) => "stopped",
                });
                r.uptime = Some(if node_down { 0 } else { g.uptime(now) });
                r.template = Some(u8::from(g.is_template()));
                r.maxcpu = Some(g.cpus());
                r.cpu = Some(u.cpu);
                r.maxmem = Some(g.maxmem());
                r.mem = Some(u.mem);
                if g.kind == GuestKind::Qemu {
                    r.memhost = Some(u.memhost);
                }
                r.maxdisk = g.maxdisk();
                r.disk = u.disk;
                r.netin = Some(u.netin);
                r.netout = Some(u.netout);
                r.diskread = Some(u.diskread);
                r.diskwrite = Some(u.diskwrite);
                r.tags = g.tags();
                r.lock = g.lock.as_deref();
                r.hastate =
                    g.ha.then_some(if g.running { "started" } else { "stopped" });
                out.push(r);
            }
        }
        if want("node") {
            for n in &m.nodes {
                let u = if n.online {
                    usage::node(n, m.seed, t)
                } else {
                    usage::NodeUsage::default()
                };
                let mut r = Resource::new(format!("node/{}", n.name), "node");
                r.node = Some(&n.name);
                r.status = Some(if n.online { "online" } else { "offline" });
                r.level = Some("");
                r.uptime = Some(if n.online {
                    now.saturating_sub(n.boot_epoch)
                } else {
                    0
                });
                r.cpu = Some(u.cpu);
                r.maxcpu = Some(u64::from(n.maxcpu));
                r.mem = Some(u.mem);
                r.maxmem = Some(n.maxmem);
                r.disk = u.disk;
                r.maxdisk = n.maxdisk;
                r.cgroup_mode = Some(2);
                r.host_arch = Some("x86_64");
                out.push(r);
            }
        }
        if want("storage") {
            for n in &m.nodes {
                for s in &STORAGES {
                    let mut r = Resource::new(format!("storage/{}/{}", n.name, s.name), "storage");
                    r.storage = Some(s.name);
                    r.node = Some(&n.name);
                    r.plugintype = Some(s.plugintype);
                    r.status = Some("available");
                    r.shared = Some(0);
                    r.content = Some(s.content);
                    r.disk = storage_used(m, &n.name, s.name).min(s.total);
                    r.maxdisk = s.total;
                    out.push(r);
                }
            }
        }
        Ok(Reply::ser(&out))
    })
}

/// `GET /cluster/nextid[?vmid=N]`: the answer is a JSON string.
pub fn nextid(ctx: &Ctx) -> ApiResult {
    let wanted = Params(ctx.params).vmid("vmid")?;
    ctx.sim.with(|m| match wanted {
        Some(id) if m.guests.contains_key(&id) => {
            Err(ApiError::param("vmid", format!("VM {id} already exists")))
        }
        Some(id) => Ok(Reply::string(&id.to_string())),
        None => Ok(Reply::string(&m.next_free_vmid().to_string())),
    })
}
