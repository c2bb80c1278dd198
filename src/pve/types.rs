//! Response types for the cluster- and node-level endpoints, as Proxmox sends them
//! (`WIRE.md` §3). Fields Proxmox may omit are `Option` or `#[serde(default)]`; numbers that
//! are sometimes strings and 0/1 booleans go through `lenient`. Unknown fields are ignored so a
//! newer Proxmox does not break decoding.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// One entry of `GET /cluster/resources` (guest, node, storage, pool or sdn), as kept between
/// refreshes (decoded from and written as [`ResourceWire`], its fields). The fields most
/// entries lack are boxed in [`extra`](ClusterResource::extra): a big cluster's list is held
/// for a whole refresh interval, and at 10,000 guests their 8 empty slots were 1.6 MB.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "ResourceWire", into = "ResourceWire")]
pub struct ClusterResource {
    pub id: CompactString,
    /// The wire's `type`.
    pub kind: CompactString,
    pub node: Option<CompactString>,
    pub vmid: Option<u32>,
    pub name: Option<CompactString>,
    pub status: Option<CompactString>,
    pub cpu: Option<f64>,
    pub maxcpu: Option<f64>,
    pub mem: Option<u64>,
    pub maxmem: Option<u64>,
    pub disk: Option<u64>,
    pub maxdisk: Option<u64>,
    pub uptime: Option<u64>,
    pub netin: Option<u64>,
    pub netout: Option<u64>,
    pub diskread: Option<u64>,
    pub diskwrite: Option<u64>,
    /// `;`-joined tag list.
    pub tags: Option<CompactString>,
    /// 0/1 on the wire.
    pub template: Option<u8>,
    /// `None` when every field of it is.
    pub extra: Option<Box<ResourceExtra>>,
}

/// The fields of a resource that most entries lack: a guest's lock, pool and HA state (while
/// it has them), a node's subscription level, a storage's fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceExtra {
    pub lock: Option<CompactString>,
    pub pool: Option<CompactString>,
    pub hastate: Option<CompactString>,
    /// Node subscription level ("" if none).
    pub level: Option<CompactString>,
    pub storage: Option<CompactString>,
    pub plugintype: Option<CompactString>,
    pub content: Option<CompactString>,
    /// 0/1 on the wire.
    pub shared: Option<u8>,
}

impl ResourceExtra {
    fn is_empty(&self) -> bool {
        *self == ResourceExtra::default()
    }
}

impl From<ResourceWire> for ClusterResource {
    fn from(w: ResourceWire) -> ClusterResource {
        let extra = ResourceExtra {
            lock: w.lock,
            pool: w.pool,
            hastate: w.hastate,
            level: w.level,
            storage: w.storage,
            plugintype: w.plugintype,
            content: w.content,
            shared: w.shared,
        };
        ClusterResource {
            id: w.id,
            kind: w.kind,
            node: w.node,
            vmid: w.vmid,
            name: w.name,
            status: w.status,
            cpu: w.cpu,
            maxcpu: w.maxcpu,
            mem: w.mem,
            maxmem: w.maxmem,
            disk: w.disk,
            maxdisk: w.maxdisk,
            uptime: w.uptime,
            netin: w.netin,
            netout: w.netout,
            diskread: w.diskread,
            diskwrite: w.diskwrite,
            tags: w.tags,
            template: w.template,
            extra: (!extra.is_empty()).then(|| Box::new(extra)),
        }
    }
}

impl From<ClusterResource> for ResourceWire {
    fn from(r: ClusterResource) -> ResourceWire {
        let extra = r.extra.map(|b| *b).unwrap_or_default();
        ResourceWire {
            id: r.id,
            kind: r.kind,
            node: r.node,
            vmid: r.vmid,
            name: r.name,
            status: r.status,
            cpu: r.cpu,
            maxcpu: r.maxcpu,
            mem: r.mem,
            maxmem: r.maxmem,
            disk: r.disk,
            maxdisk: r.maxdisk,
            uptime: r.uptime,
            netin: r.netin,
            netout: r.netout,
            diskread: r.diskread,
            diskwrite: r.diskwrite,
            tags: r.tags,
            lock: extra.lock,
            template: r.template,
            pool: extra.pool,
            hastate: extra.hastate,
            level: extra.level,
            storage: extra.storage,
            plugintype: extra.plugintype,
            content: extra.content,
            shared: extra.shared,
        }
    }
}

/// One entry of `GET /cluster/resources` as it is on the wire: the one list of the fields the
/// client reads, decoded with serde (`resources::parse_resources`). Every string is server
/// text shown to the user, so each is cleaned (`crate::text`) as it is decoded and every
/// caller sees clean text. Kept as a [`ClusterResource`].
#[derive(Serialize, Deserialize)]
struct ResourceWire {
    #[serde(deserialize_with = "super::lenient::compact_clean")]
    id: CompactString,
    #[serde(rename = "type", deserialize_with = "super::lenient::compact_clean")]
    kind: CompactString,
    #[serde(default, deserialize_with = "super::lenient::opt_compact_clean")]
    node: Option<CompactString>,
    #[serde(default, deserialize_with = "super::lenient::opt_u32")]
    vmid: Option<u32>,
    #[serde(default, deserialize_with = "super::lenient::opt_compact_clean")]
    name: Option<CompactString>,
    #[serde(default, deserialize_with = "super::lenient::opt_compact_clean")]
    status: Option<CompactString>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    cpu: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    maxcpu: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    mem: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    maxmem: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    disk: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    maxdisk: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    uptime: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    netin: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    netout: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    diskread: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    diskwrite: Option<u64>,
    /// `;`-joined tag list.
    #[serde(default, deserialize_with = "super::lenient::opt_compact_clean")]
    tags: Option<CompactString>,
    #[serde(default, deserialize_with = "super::lenient::opt_compact_clean")]
    lock: Option<CompactString>,
    /// 0/1 on the wire.
    #[serde(default, deserialize_with = "super::lenient::opt_u8")]
    template: Option<u8>,
    #[serde(default, deserialize_with = "super::lenient::opt_compact_clean")]
    pool: Option<CompactString>,
    #[serde(default, deserialize_with = "super::lenient::opt_compact_clean")]
    hastate: Option<CompactString>,
    /// Node subscription level ("" if none).
    #[serde(default, deserialize_with = "super::lenient::opt_compact_clean")]
    level: Option<CompactString>,
    #[serde(default, deserialize_with = "super::lenient::opt_compact_clean")]
    storage: Option<CompactString>,
    #[serde(default, deserialize_with = "super::lenient::opt_compact_clean")]
    plugintype: Option<CompactString>,
    #[serde(default, deserialize_with = "super::lenient::opt_compact_clean")]
    content: Option<CompactString>,
    #[serde(default, deserialize_with = "super::lenient::opt_u8")]
    shared: Option<u8>,
}

impl ClusterResource {
    /// True for `lxc` and `qemu` entries.
    pub fn is_guest(&self) -> bool {
        self.kind == "lxc" || self.kind == "qemu"
    }

    /// True when a guest's `template` flag is set.
    pub fn is_template(&self) -> bool {
        self.template.unwrap_or(0) != 0
    }

    /// The boxed fields, empty when there are none.
    pub fn extra(&self) -> &ResourceExtra {
        static NONE: ResourceExtra = ResourceExtra {
            lock: None,
            pool: None,
            hastate: None,
            level: None,
            storage: None,
            plugintype: None,
            content: None,
            shared: None,
        };
        self.extra.as_deref().unwrap_or(&NONE)
    }

    /// Set the boxed fields (`None` again when all are empty).
    pub fn set_extra(&mut self, extra: ResourceExtra) {
        self.extra = (!extra.is_empty()).then(|| Box::new(extra));
    }
}

/// The `type` filter of `GET /cluster/resources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceFilter {
    /// `vm`: LXC and QEMU guests.
    Vm,
    /// `node`
    Node,
    /// `storage`
    Storage,
    /// `sdn`
    Sdn,
}

impl ResourceFilter {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceFilter::Vm => "vm",
            ResourceFilter::Node => "node",
            ResourceFilter::Storage => "storage",
            ResourceFilter::Sdn => "sdn",
        }
    }
}

/// `GET /version` (and `/nodes/{node}/version`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// e.g. `9.1.3`
    pub version: String,
    /// e.g. `9.1`
    #[serde(default)]
    pub release: String,
    #[serde(default)]
    pub repoid: String,
    /// Default console viewer, when configured.
    #[serde(default)]
    pub console: Option<String>,
}

/// One entry of `GET /nodes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeEntry {
    pub node: String,
    /// `online`, `offline` or `unknown`.
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub cpu: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub maxcpu: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub mem: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub maxmem: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub disk: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub maxdisk: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub uptime: Option<u64>,
    /// Subscription level (`""` if none).
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub ssl_fingerprint: Option<String>,
}

/// `GET /nodes/{node}/status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub uptime: u64,
    /// 1, 5, 15 minute load; Proxmox sends them as strings.
    #[serde(default, deserialize_with = "super::lenient::f64_list")]
    pub loadavg: Vec<f64>,
    #[serde(default)]
    pub kversion: Option<String>,
    /// CPU usage fraction (0..1).
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub cpu: Option<f64>,
    /// IO wait fraction.
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub wait: Option<f64>,
    #[serde(default)]
    pub cpuinfo: CpuInfo,
    #[serde(default)]
    pub memory: MemoryUsage,
    #[serde(default)]
    pub swap: MemoryUsage,
    #[serde(default)]
    pub rootfs: DiskUsage,
    /// `pve-manager/9.1.3/<repoid>`
    #[serde(default)]
    pub pveversion: Option<String>,
    #[serde(rename = "boot-info", default)]
    pub boot_info: Option<BootInfo>,
}

/// `cpuinfo` of node status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuInfo {
    #[serde(default)]
    pub model: String,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub sockets: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub cores: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub cpus: Option<u64>,
    /// Sent as a string (`"2400.000"`).
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub mhz: Option<f64>,
}

/// `memory` / `swap` of node status (bytes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryUsage {
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub total: u64,
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub used: u64,
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub free: u64,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub available: Option<u64>,
}

/// `rootfs` of node status (bytes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiskUsage {
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub total: u64,
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub used: u64,
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub avail: u64,
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub free: u64,
}

/// `boot-info` of node status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BootInfo {
    /// `efi` or `legacy-bios`.
    #[serde(default)]
    pub mode: String,
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub secureboot: Option<bool>,
}

/// One entry of `GET /cluster/status`: the cluster itself or a member node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterStatusEntry {
    /// `cluster` or `node`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// cluster: member count.
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub nodes: Option<u64>,
    /// cluster: quorum state.
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub quorate: Option<bool>,
    /// cluster: config version.
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub version: Option<u64>,
    /// node: address.
    #[serde(default)]
    pub ip: Option<String>,
    /// node: online flag.
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub online: Option<bool>,
    /// node: the node answering this request.
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub local: Option<bool>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub nodeid: Option<u64>,
    #[serde(default)]
    pub level: Option<String>,
}

/// RRD time frame (`timeframe` parameter). Guests accept up to `Year`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timeframe {
    Hour,
    Day,
    Week,
    Month,
    Year,
    Decade,
}

impl Timeframe {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Timeframe::Hour => "hour",
            Timeframe::Day => "day",
            Timeframe::Week => "week",
            Timeframe::Month => "month",
            Timeframe::Year => "year",
            Timeframe::Decade => "decade",
        }
    }
}

/// RRD consolidation function (`cf`); Proxmox defaults to `Average`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cf {
    Average,
    Max,
}

impl Cf {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Cf::Average => "AVERAGE",
            Cf::Max => "MAX",
        }
    }
}

/// One RRD sample (node or guest). Proxmox omits data sources with no value, so all are
/// optional; sources not listed here land in `other`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RrdPoint {
    /// Bucket start, unix seconds.
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub time: u64,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub cpu: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub maxcpu: Option<f64>,
    /// Guest memory.
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub mem: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub maxmem: Option<f64>,
    /// Node memory.
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub memused: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub memtotal: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub disk: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub maxdisk: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub netin: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub netout: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub diskread: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub diskwrite: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub loadavg: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub iowait: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub rootused: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub roottotal: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub swapused: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub swaptotal: Option<f64>,
    /// Any other data source (`pressure*`, `arcsize`, `memhost`...).
    #[serde(flatten)]
    pub other: std::collections::BTreeMap<String, serde_json::Value>,
}
