//! The emulator's own model of a Proxmox cluster: nodes, guests (with their config as Proxmox
//! stores it), storage volumes and the task archive. It is plain data (serde) so `--state` can
//! persist it; behaviour lives in the `api_*` and `tasks` modules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::http::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub seed: u64,
    /// `Some` when more than one node (a standalone node is not a cluster).
    pub cluster_name: Option<String>,
    pub nodes: Vec<Node>,
    pub guests: BTreeMap<u32, Guest>,
    pub volumes: Vec<Volume>,
    pub tasks: Vec<Task>,
    /// Next fake worker pid (UPIDs must be unique).
    pub next_pid: u32,
    /// Hex HMAC key for tickets and CSRF tokens; persisted so tickets survive a restart.
    pub auth_key: String,
    /// Generated credentials, kept so a restarted emulator accepts them again.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    /// Scheduled backup jobs (`/etc/pve/jobs.cfg`, served at `/cluster/backup`).
    #[serde(default)]
    pub backup_jobs: Vec<BackupJob>,
}

/// One `vzdump:` section of jobs.cfg, with its options as Proxmox stores them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupJob {
    pub id: String,
    pub schedule: String,
    pub enabled: bool,
    /// The other options (`storage`, `vmid`, `mode`, `compress`, `prune-backups`,
    /// `notes-template`, ...) as their wire strings.
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    pub online: bool,
    pub boot_epoch: u64,
    pub maxcpu: u32,
    pub maxmem: u64,
    pub maxdisk: u64,
    pub ip: String,
    pub nodeid: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuestKind {
    Lxc,
    Qemu,
}

impl GuestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GuestKind::Lxc => "lxc",
            GuestKind::Qemu => "qemu",
        }
    }

    /// `CT` or `VM`, as error messages name guests.
    pub fn label(self) -> &'static str {
        match self {
            GuestKind::Lxc => "CT",
            GuestKind::Qemu => "VM",
        }
    }

    /// Config directory under `nodes/<node>/` in pmxcfs.
    pub fn conf_dir(self) -> &'static str {
        match self {
            GuestKind::Lxc => "lxc",
            GuestKind::Qemu => "qemu-server",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Guest {
    pub vmid: u32,
    pub node: String,
    pub kind: GuestKind,
    pub running: bool,
    /// Epoch the guest started (uptime and counters derive from it).
    pub started_at: Option<u64>,
    /// `suspend` freezes a CT; it still reports `running`.
    #[serde(default)]
    pub frozen: bool,
    pub lock: Option<String>,
    /// Config keys as Proxmox returns them: numbers, 0/1 booleans, strings.
    pub config: BTreeMap<String, Value>,
    #[serde(default)]
    pub snapshots: Vec<Snapshot>,
    #[serde(default)]
    pub ha: bool,
    /// The snapshot the current state descends from (the config's `parent` key).
    #[serde(default)]
    pub snap_parent: Option<String>,
    /// A load spike forced by a test knob (`proximity sim --spike`, `SimHandle::spike`).
    #[serde(default)]
    pub spike: Option<Spike>,
}

/// A forced load: CPU and memory at least these fractions from `since` (epoch seconds) on,
/// in every answer that reports usage (resources, status, rrddata).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    pub cpu: f64,
    pub mem: f64,
    pub since: u64,
}

impl Guest {
    pub fn cfg_str(&self, key: &str) -> Option<&str> {
        self.config.get(key).and_then(Value::as_str)
    }

    pub fn cfg_u64(&self, key: &str) -> Option<u64> {
        self.config
            .get(key)
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
    }

    pub fn name(&self) -> String {
        let key = if self.kind == GuestKind::Lxc {
            "hostname"
        } else {
            "name"
        };
        match self.cfg_str(key) {
            Some(n) => n.to_string(),
            None if self.kind == GuestKind::Lxc => format!("CT{}", self.vmid),
            None => format!("VM{}", self.vmid),
        }
    }

    pub fn is_template(&self) -> bool {
        self.cfg_u64("template") == Some(1)
    }

    pub fn maxmem(&self) -> u64 {
        self.cfg_u64("memory").unwrap_or(512) * 1024 * 1024
    }

    pub fn maxswap(&self) -> u64 {
        self.cfg_u64("swap").unwrap_or(512) * 1024 * 1024
    }

    pub fn cpus(&self) -> u64 {
        let cores = self.cfg_u64("cores").unwrap_or(1);
        match self.kind {
            GuestKind::Lxc => cores,
            GuestKind::Qemu => cores * self.cfg_u64("sockets").unwrap_or(1),
        }
    }

    /// The root disk's size in bytes (`size=8G` in `rootfs`/`scsi0`), default 4 GiB.
    pub fn maxdisk(&self) -> u64 {
        let key = if self.kind == GuestKind::Lxc {
            "rootfs"
        } else {
            "scsi0"
        };
        self.cfg_str(key)
            .and_then(disk_size_bytes)
            .unwrap_or(4 << 30)
    }

    pub fn uptime(&self, now: u64) -> u64 {
        match (self.running, self.started_at) {
            (true, Some(t)) => now.saturating_sub(t).max(1),
            _ => 0,
        }
    }

    pub fn tags(&self) -> Option<&str> {
        self.cfg_str("tags").filter(|t| !t.is_empty())
    }
}

/// `size=8G` inside a volume property string, in bytes.
pub fn disk_size_bytes(prop: &str) -> Option<u64> {
    let size = prop.split(',').find_map(|p| p.strip_prefix("size="))?;
    let (num, unit) = size.split_at(size.find(|c: char| !c.is_ascii_digit() && c != '.')?);
    let n: f64 = num.parse().ok()?;
    let mul = match unit {
        "K" => 1u64 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    Some((n * mul as f64) as u64)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub name: String,
    pub description: String,
    pub snaptime: u64,
    pub parent: Option<String>,
    pub config: BTreeMap<String, Value>,
    pub running: bool,
}

/// A file on a directory storage (template, backup, ISO).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Volume {
    pub node: String,
    pub storage: String,
    pub volid: String,
    pub content: String,
    pub format: String,
    pub size: u64,
    pub ctime: u64,
    pub vmid: Option<u32>,
    pub subtype: Option<String>,
    pub notes: Option<String>,
    #[serde(default)]
    pub protected: bool,
    /// For backups: the guest config at backup time (restore recreates it).
    pub config: Option<BTreeMap<String, Value>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    pub upid: String,
    pub node: String,
    pub pid: u32,
    pub pstart: u32,
    pub starttime: u64,
    pub ttype: String,
    pub id: String,
    /// Authid (`root@pam` or `root@pam!tok`).
    pub user: String,
    pub log: Vec<String>,
    pub endtime: Option<u64>,
    /// Exit status (`OK`, `WARNINGS: n`, or the error) once stopped.
    pub exitstatus: Option<String>,
}

/// Static storage definitions every node has (`local` dir, `local-lvm` lvmthin).
pub struct StorageDef {
    pub name: &'static str,
    pub plugintype: &'static str,
    pub content: &'static str,
    pub total: u64,
}

pub const STORAGES: [StorageDef; 2] = [
    StorageDef {
        name: "local",
        plugintype: "dir",
        content: "iso,vztmpl,backup",
        total: 100 << 30,
    },
    StorageDef {
        name: "local-lvm",
        plugintype: "lvmthin",
        content: "rootdir,images",
        total: 800 << 30,
    },
];

pub fn storage_def(name: &str) -> Option<&'static StorageDef> {
    STORAGES.iter().find(|s| s.name == name)
}

impl StorageDef {
    pub fn supports(&self, content: &str) -> bool {
        self.content.split(',').any(|c| c == content)
    }
}

impl Model {
    pub fn node(&self, name: &str) -> Result<&Node, ApiError> {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| unknown_node(name))
    }

    /// A guest of `kind` whose config lives on `node` (Proxmox looks only at that node's dir).
    pub fn guest(&self, node: &str, kind: GuestKind, vmid: u32) -> Result<&Guest, ApiError> {
        self.node(node)?;
        match self.guests.get(&vmid) {
            Some(g) if g.node == node && g.kind == kind => Ok(g),
            _ => Err(missing_conf(node, kind, vmid)),
        }
    }

    pub fn guest_mut(
        &mut self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
    ) -> Result<&mut Guest, ApiError> {
        self.node(node)?;
        match self.guests.get_mut(&vmid) {
            Some(g) if g.node == node && g.kind == kind => Ok(g),
            _ => Err(missing_conf(node, kind, vmid)),
        }
    }

    /// `check_vmid_unused`.
    pub fn check_vmid_unused(&self, vmid: u32) -> Result<(), ApiError> {
        match self.guests.get(&vmid) {
            Some(g) => Err(ApiError::die(format!(
                "{} {} already exists on node '{}'",
                g.kind.label(),
                vmid,
                g.node
            ))),
            None => Ok(()),
        }
    }

    pub fn next_free_vmid(&self) -> u32 {
        let mut id = 100;
        for &used in self.guests.range(100..).map(|(k, _)| k) {
            if used != id {
                break;
            }
            id += 1;
        }
        id
    }

    pub fn task(&self, upid: &str) -> Option<&Task> {
        self.tasks.iter().rev().find(|t| t.upid == upid)
    }

    pub fn task_mut(&mut self, upid: &str) -> Option<&mut Task> {
        self.tasks.iter_mut().rev().find(|t| t.upid == upid)
    }
}

pub fn unknown_node(name: &str) -> ApiError {
    ApiError::die(format!(
        "hostname lookup '{name}' failed - failed to get address info for: {name}: Name or service not known"
    ))
}

pub fn missing_conf(node: &str, kind: GuestKind, vmid: u32) -> ApiError {
    ApiError::die(format!(
        "Configuration file 'nodes/{node}/{}/{vmid}.conf' does not exist",
        kind.conf_dir()
    ))
}

/// `check_lock`: `CT 100 is locked (backup)`.
pub fn check_lock(g: &Guest) -> Result<(), ApiError> {
    match &g.lock {
        Some(lock) => Err(ApiError::die(format!(
            "{} {} is locked ({lock})",
            g.kind.label(),
            g.vmid
        ))),
        None => Ok(()),
    }
}

/// pve-tag-list: split on `,` `;` or whitespace, each tag `[a-z0-9_][a-z0-9_+.-]*`
/// (Proxmox lower-cases nothing: upper-case input is rejected); stored `;`-joined.
pub fn normalize_tags(input: &str) -> Result<String, String> {
    let mut out = Vec::new();
    for tag in input
        .split([',', ';', ' ', '\t', '\n'])
        .filter(|t| !t.is_empty())
    {
        let mut chars = tag.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let rest_ok =
            chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_+.-".contains(c));
        if !first_ok || !rest_ok {
            return Err(format!(
                "invalid format - invalid characters in tag '{tag}'"
            ));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out.join(";"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_sizes_parse() {
        assert_eq!(
            disk_size_bytes("local-lvm:vm-100-disk-0,size=8G"),
            Some(8 << 30)
        );
        assert_eq!(
            disk_size_bytes("local-lvm:vm-100-disk-0,size=512M"),
            Some(512 << 20)
        );
        assert_eq!(disk_size_bytes("local-lvm:vm-100-disk-0"), None);
    }

    #[test]
    fn tags_normalize() {
        assert_eq!(
            normalize_tags("proximity, px-app-jellyfin").unwrap(),
            "proximity;px-app-jellyfin"
        );
        assert!(normalize_tags("Bad").is_err());
    }
}
