//! Response types for guests (LXC containers and QEMU VMs): lists, current status, LXC
//! config, network interfaces and snapshots. 0/1 flags and stringly numbers go through
//! `lenient`; config keys not modelled here are kept in `other`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// HA state of a guest (`{managed:0}` or `{managed:1,state}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HaStatus {
    #[serde(default, deserialize_with = "super::lenient::bool_or_false")]
    pub managed: bool,
    #[serde(default)]
    pub state: Option<String>,
}

/// One guest from `GET /nodes/{node}/lxc` or `/qemu`, or its `status/current`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GuestStatus {
    /// Old LXC lists sent the vmid as a string.
    #[serde(deserialize_with = "super::lenient::u32_required")]
    pub vmid: u32,
    #[serde(default)]
    pub name: Option<String>,
    /// `running`, `stopped` (QEMU also `paused` via `qmpstatus`).
    #[serde(default)]
    pub status: String,
    /// QEMU: the QMP status (`running`, `paused`, `prelaunch`...).
    #[serde(default)]
    pub qmpstatus: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub cpu: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub cpus: Option<f64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub mem: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub maxmem: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub swap: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub maxswap: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub disk: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub maxdisk: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub uptime: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub netin: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub netout: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub diskread: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub diskwrite: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub pid: Option<u64>,
    #[serde(default)]
    pub lock: Option<String>,
    /// `;`-joined tags.
    #[serde(default)]
    pub tags: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub template: Option<bool>,
    #[serde(default)]
    pub ha: Option<HaStatus>,
    /// `lxc` or `qemu` (status/current only).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

impl GuestStatus {
    /// True when `status` is `running`.
    pub fn is_running(&self) -> bool {
        self.status == "running"
    }
}

/// `GET /nodes/{node}/lxc/{vmid}/config`: the common keys typed, everything else (`net0`,
/// `mp0`, `lxc.*`...) in `other` as the raw JSON value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LxcConfig {
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub ostype: Option<String>,
    #[serde(default)]
    pub arch: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub memory: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub swap: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub cores: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub cpulimit: Option<f64>,
    /// `local-lvm:vm-100-disk-0,size=8G`
    #[serde(default)]
    pub rootfs: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub onboot: Option<bool>,
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub unprivileged: Option<bool>,
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub protection: Option<bool>,
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub template: Option<bool>,
    /// `nesting=1,keyctl=1`
    #[serde(default)]
    pub features: Option<String>,
    #[serde(default)]
    pub tags: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub nameserver: Option<String>,
    #[serde(default)]
    pub searchdomain: Option<String>,
    #[serde(default)]
    pub startup: Option<String>,
    #[serde(default)]
    pub lock: Option<String>,
    /// SHA1 of the config file; pass back to `PUT config` to refuse concurrent edits.
    #[serde(default)]
    pub digest: Option<String>,
    /// Every other key, e.g. `net0` -> `"name=eth0,bridge=vmbr0,ip=dhcp"`.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl LxcConfig {
    /// The `netN` entries in index order, as `(N, property string)`.
    pub fn nets(&self) -> Vec<(u32, &str)> {
        let mut nets: Vec<(u32, &str)> = self
            .other
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix("net")?.parse().ok()?;
                Some((n, v.as_str()?))
            })
            .collect();
        nets.sort_by_key(|(n, _)| *n);
        nets
    }
}

/// An address of a container interface.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpAddress {
    #[serde(rename = "ip-address", default)]
    pub ip_address: String,
    /// `inet` or `inet6`.
    #[serde(rename = "ip-address-type", default)]
    pub ip_address_type: String,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub prefix: Option<u64>,
}

/// One entry of `GET /nodes/{node}/lxc/{vmid}/interfaces` (running containers only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LxcInterface {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub hwaddr: Option<String>,
    /// Same MAC, newer key name.
    #[serde(rename = "hardware-address", default)]
    pub hardware_address: Option<String>,
    /// `10.0.0.5/24`
    #[serde(default)]
    pub inet: Option<String>,
    #[serde(default)]
    pub inet6: Option<String>,
    #[serde(rename = "ip-addresses", default)]
    pub ip_addresses: Vec<IpAddress>,
}

/// One entry of `GET .../snapshot`. The list always contains a `current` pseudo-entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub snaptime: Option<u64>,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub running: Option<bool>,
}

impl Snapshot {
    /// True for the `current` pseudo-snapshot (the live state).
    pub fn is_current(&self) -> bool {
        self.name == "current"
    }
}
