//! Response types as Proxmox sends them (`WIRE.md`). Fields Proxmox may omit are `Option` or
//! `#[serde(default)]`; numbers that are sometimes strings are tolerated where seen.

use serde::{Deserialize, Serialize};

/// One entry of `GET /cluster/resources` (guest, node, storage, pool or sdn).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterResource {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub vmid: Option<u32>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub cpu: Option<f64>,
    #[serde(default)]
    pub maxcpu: Option<f64>,
    #[serde(default)]
    pub mem: Option<u64>,
    #[serde(default)]
    pub maxmem: Option<u64>,
    #[serde(default)]
    pub disk: Option<u64>,
    #[serde(default)]
    pub maxdisk: Option<u64>,
    #[serde(default)]
    pub uptime: Option<u64>,
    #[serde(default)]
    pub netin: Option<u64>,
    #[serde(default)]
    pub netout: Option<u64>,
    #[serde(default)]
    pub diskread: Option<u64>,
    #[serde(default)]
    pub diskwrite: Option<u64>,
    /// `;`-joined tag list.
    #[serde(default)]
    pub tags: Option<String>,
    #[serde(default)]
    pub lock: Option<String>,
    /// 0/1 on the wire.
    #[serde(default)]
    pub template: Option<u8>,
    #[serde(default)]
    pub pool: Option<String>,
    #[serde(default)]
    pub hastate: Option<String>,
    /// Node subscription level ("" if none).
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub storage: Option<String>,
    #[serde(default)]
    pub plugintype: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub shared: Option<u8>,
}
