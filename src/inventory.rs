//! The inventory: what the rack draws. Hosts -> nodes -> guests, snapshots built from
//! `/cluster/resources` (or the offline cache).
//!
//! A host's nodes and guests ([`Nodes`]) are built once per changed answer by the engine and
//! shared, read-only, by its checks, its alert monitor and every front end: at 10,000 guests
//! one copy is about 1.5 MB where the decoded answer is 3.4 MB, and holding the answer as well
//! (or a copy per caller) put the open rack over its memory budget.
//!
//! Pure data and pure functions only (no terminal, no IO): the UI replaces a host's snapshot
//! when a refresh arrives and keeps the last one (marked stale) when the host goes away.
//! The filter language (`name`, vmid, `tag:`, `status:`, `node:`, `host:`) lives here too so
//! the CLI and the TUI match guests the same way.

use std::sync::Arc;
use std::time::SystemTime;

use compact_str::CompactString;

use crate::pve::types::ClusterResource;

mod build;
pub use build::{NodesBuilder, nodes_from_resources};

/// Tag that marks a container as managed by Proximity: `px-app-<id>`.
const APP_TAG_PREFIX: &str = "px-app-";

/// LXC container or QEMU virtual machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GuestKind {
    Container,
    Vm,
}

impl GuestKind {
    /// Proxmox's own word for the kind, as in `/cluster/resources` `type` and API paths.
    pub fn api_name(self) -> &'static str {
        match self {
            GuestKind::Container => "lxc",
            GuestKind::Vm => "qemu",
        }
    }

    /// The kind from Proxmox's `type` (`lxc` or `qemu`); anything else (a node, a storage,
    /// a kind this version does not know) is `None`, never a guess.
    pub fn from_api_name(name: &str) -> Option<GuestKind> {
        match name {
            "lxc" => Some(GuestKind::Container),
            "qemu" => Some(GuestKind::Vm),
            _ => None,
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            GuestKind::Container => "CT",
            GuestKind::Vm => "VM",
        }
    }
}

/// What the LED shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GuestStatus {
    Running,
    Stopped,
    Paused,
    /// A lock is held (backup, migrate, create...) or a task is running on it.
    Busy,
    Error,
    Unknown,
}

impl GuestStatus {
    pub const ALL: [GuestStatus; 6] = [
        GuestStatus::Running,
        GuestStatus::Stopped,
        GuestStatus::Paused,
        GuestStatus::Busy,
        GuestStatus::Error,
        GuestStatus::Unknown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GuestStatus::Running => "running",
            GuestStatus::Stopped => "stopped",
            GuestStatus::Paused => "paused",
            GuestStatus::Busy => "busy",
            GuestStatus::Error => "error",
            GuestStatus::Unknown => "unknown",
        }
    }

    /// Proxmox reports `status` plus an optional `lock`; a lock wins because the guest
    /// cannot be acted on while it is held. `suspended` (hibernate) and `paused` both mean
    /// "not running, memory kept"; `internal-error` / `io-error` are QEMU error states.
    fn from_wire(status: Option<&str>, lock: Option<&str>) -> GuestStatus {
        if lock.is_some_and(|l| !l.is_empty()) {
            return GuestStatus::Busy;
        }
        match status.unwrap_or("") {
            "running" => GuestStatus::Running,
            "stopped" => GuestStatus::Stopped,
            "paused" | "suspended" | "prelaunch" => GuestStatus::Paused,
            s if s.contains("error") => GuestStatus::Error,
            _ => GuestStatus::Unknown,
        }
    }
}

/// One guest as of the last snapshot. Its strings are `CompactString`s (inline up to 24
/// bytes): the rack holds 10,000 of these on a big cluster, and a heap block per name and
/// tag was a third of their memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Guest {
    pub vmid: u32,
    pub name: CompactString,
    pub kind: GuestKind,
    pub status: GuestStatus,
    pub lock: Option<CompactString>,
    /// CPU use as a fraction of the guest's cores (0.0..=1.0).
    pub cpu: f64,
    pub maxcpu: f64,
    pub mem: u64,
    pub maxmem: u64,
    pub disk: u64,
    pub maxdisk: u64,
    pub uptime_s: u64,
    pub tags: Box<[CompactString]>,
    /// Catalog id when the guest carries a `px-app-<id>` tag.
    pub app: Option<CompactString>,
    pub template: bool,
    /// Proxmox says `running` (a lock shows as `Busy` in `status` and hides this).
    pub running: bool,
    /// Bytes read and written since the guest started (`diskread` + `diskwrite`), and sent
    /// and received (`netin` + `netout`): the top screen's rates come from two of these.
    pub disk_io: Option<u64>,
    pub net_io: Option<u64>,
}

impl Guest {
    pub fn mem_fraction(&self) -> f64 {
        fraction(self.mem, self.maxmem)
    }

    /// A Proxmox status word that reads back as this guest's status: a lock (`Busy` here)
    /// hides whether it runs, so that is said from `running`.
    pub fn wire_status(&self) -> &'static str {
        match self.status {
            GuestStatus::Busy if self.running => "running",
            GuestStatus::Busy => "stopped",
            GuestStatus::Error => "io-error",
            other => other.name(),
        }
    }
}

/// One node (a rack) of a host.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub online: bool,
    /// Proxmox listed the node as `offline` (not online covers that, a node entry without
    /// a status, and a node only named by its guests).
    pub listed_offline: bool,
    pub cpu: f64,
    pub maxcpu: f64,
    pub mem: u64,
    pub maxmem: u64,
    pub disk: u64,
    pub maxdisk: u64,
    pub uptime_s: u64,
    /// Sorted by vmid.
    pub guests: Vec<Guest>,
    /// The storages the answer lists on this node (the backup listings read them).
    pub storages: Vec<NodeStorage>,
}

/// A storage as `/cluster/resources` lists it on one node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeStorage {
    pub name: CompactString,
    /// Comma-separated content types (`backup,iso,vztmpl`).
    pub content: CompactString,
    /// Proxmox says `available`.
    pub available: bool,
    /// One storage seen from every node (list it once).
    pub shared: bool,
}

impl NodeStorage {
    pub fn holds_backups(&self) -> bool {
        self.content.split(',').any(|c| c == "backup")
    }
}

impl Node {
    pub fn mem_fraction(&self) -> f64 {
        fraction(self.mem, self.maxmem)
    }
    pub fn disk_fraction(&self) -> f64 {
        fraction(self.disk, self.maxdisk)
    }
}

/// Whether a host's snapshot is live.
#[derive(Debug, Clone, PartialEq)]
pub enum HostState {
    /// Configured, nothing heard yet.
    Connecting,
    Online,
    AuthFailed,
    Unreachable(String),
    /// Drawn from the cache or an old refresh; `since` is when the data was fetched.
    Stale {
        since: SystemTime,
    },
}

/// One configured Proxmox endpoint (a cluster or a single node).
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub name: String,
    pub state: HostState,
    pub fetched_at: Option<SystemTime>,
    /// Sorted by name; shared with the engine (see [`Nodes`]).
    pub nodes: Nodes,
}

/// A host's nodes (sorted by name) with their guests (sorted by vmid), as one answer had them:
/// shared (a clone is a reference count), read-only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Nodes(Arc<Vec<Node>>);

impl Nodes {
    /// Whether both are the very same snapshot (an unchanged answer is sent again as such).
    pub fn same(&self, other: &Nodes) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for Nodes {
    type Target = [Node];
    fn deref(&self) -> &[Node] {
        &self.0
    }
}

impl From<Vec<Node>> for Nodes {
    fn from(nodes: Vec<Node>) -> Nodes {
        Nodes(Arc::new(nodes))
    }
}

/// The nodes of a whole answer (see [`nodes_from_resources`]).
impl From<Vec<ClusterResource>> for Nodes {
    fn from(resources: Vec<ClusterResource>) -> Nodes {
        nodes_from_resources(&resources).into()
    }
}

impl From<&[ClusterResource]> for Nodes {
    fn from(resources: &[ClusterResource]) -> Nodes {
        nodes_from_resources(resources).into()
    }
}

impl Host {
    pub fn new(name: &str) -> Host {
        Host {
            name: name.to_string(),
            state: HostState::Connecting,
            fetched_at: None,
            nodes: Nodes::default(),
        }
    }
    pub fn guest_count(&self) -> usize {
        self.nodes.iter().map(|n| n.guests.len()).sum()
    }
}

/// Hosts in the order they were configured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    pub hosts: Vec<Host>,
}

/// Totals for the header line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub hosts: usize,
    pub nodes: usize,
    pub guests: usize,
    pub running: usize,
}

impl Inventory {
    /// One host's snapshot from its `/cluster/resources` answer. Storage, pool and sdn
    /// entries are ignored; guests whose node has no `node` entry get one (offline) so
    /// they are never lost.
    pub fn from_resources(
        host: &str,
        resources: &[ClusterResource],
        fetched_at: SystemTime,
    ) -> Inventory {
        Inventory {
            hosts: vec![host_from_resources(host, resources, fetched_at)],
        }
    }

    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    fn host_mut(&mut self, name: &str) -> &mut Host {
        let idx = match self.hosts.iter().position(|h| h.name == name) {
            Some(i) => i,
            None => {
                self.hosts.push(Host::new(name));
                self.hosts.len() - 1
            }
        };
        &mut self.hosts[idx]
    }

    /// Replace a host's snapshot with a fresh one (host state becomes online).
    pub fn apply_resources(
        &mut self,
        host: &str,
        resources: &[ClusterResource],
        fetched_at: SystemTime,
    ) {
        *self.host_mut(host) = host_from_resources(host, resources, fetched_at);
    }

    /// Replace a host's nodes with ones the engine built (shared, not copied); the host
    /// becomes online.
    pub fn apply_nodes(&mut self, host: &str, nodes: Nodes, fetched_at: SystemTime) {
        let h = self.host_mut(host);
        h.nodes = nodes;
        h.state = HostState::Online;
        h.fetched_at = Some(fetched_at);
    }

    /// A refresh that brought the same answer as the last applied one: only the host's state
    /// and its fetch time change (the nodes and guests are already these).
    pub fn mark_refreshed(&mut self, host: &str, fetched_at: SystemTime) {
        let h = self.host_mut(host);
        h.state = HostState::Online;
        h.fetched_at = Some(fetched_at);
    }

    /// Load a cached snapshot: same as a refresh, but drawn as stale.
    pub fn apply_cached(&mut self, host: &str, nodes: Nodes, fetched_at: SystemTime) {
        let h = self.host_mut(host);
        h.nodes = nodes;
        h.state = HostState::Stale { since: fetched_at };
        h.fetched_at = Some(fetched_at);
    }

    /// A refresh failed or auth broke: keep the nodes (the last known picture) and record why.
    pub fn set_state(&mut self, host: &str, state: HostState) {
        self.host_mut(host).state = state;
    }

    pub fn ensure_host(&mut self, host: &str) {
        self.host_mut(host);
    }

    pub fn remove_host(&mut self, host: &str) {
        self.hosts.retain(|h| h.name != host);
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            hosts: self.hosts.len(),
            ..Counts::default()
        };
        for node in self.hosts.iter().flat_map(|h| h.nodes.iter()) {
            c.nodes += 1;
            c.guests += node.guests.len();
            c.running += node
                .guests
                .iter()
                .filter(|g| g.status == GuestStatus::Running)
                .count();
        }
        c
    }

    /// Find a guest by host and vmid.
    pub fn guest(&self, host: &str, vmid: u32) -> Option<(&Node, &Guest)> {
        let h = self.host(host)?;
        h.nodes
            .iter()
            .find_map(|n| n.guests.iter().find(|g| g.vmid == vmid).map(|g| (n, g)))
    }
}

fn fraction(used: u64, max: u64) -> f64 {
    if max == 0 {
        0.0
    } else {
        (used as f64 / max as f64).clamp(0.0, 1.0)
    }
}

fn host_from_resources(host: &str, resources: &[ClusterResource], fetched_at: SystemTime) -> Host {
    Host {
        name: host.to_string(),
        state: HostState::Online,
        fetched_at: Some(fetched_at),
        nodes: resources.into(),
    }
}

/// Proxmox joins tags with `;` (older releases also wrote `,` or spaces). Into any string
/// type (the rack keeps `CompactString`s: one allocation less per tag on every refresh).
pub fn split_tags<T: for<'a> From<&'a str>>(raw: &str) -> Vec<T> {
    raw.split([';', ',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(T::from)
        .collect()
}

/// One term of a filter. Terms are ANDed.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    /// Matches a name substring, or a vmid prefix when numeric.
    Text(String),
    Tag(String),
    Status(String),
    Node(String),
    Host(String),
}

/// A parsed live filter: `web tag:prod status:running node:pve1 host:lab 101`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    terms: Vec<Term>,
}

impl Filter {
    pub fn parse(input: &str) -> Filter {
        let terms = input
            .split_whitespace()
            .map(|word| {
                let lower = word.to_lowercase();
                let (key, value) = lower.split_once(':').unwrap_or(("", &lower));
                let value = value.to_string();
                match key {
                    "tag" => Term::Tag(value),
                    "status" => Term::Status(value),
                    "node" => Term::Node(value),
                    "host" => Term::Host(value),
                    _ => Term::Text(lower.clone()),
                }
            })
            .collect();
        Filter { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether a guest passes every term.
    pub fn matches(&self, host: &str, node: &str, guest: &Guest) -> bool {
        self.terms.iter().all(|t| match t {
            Term::Text(s) => {
                contains_ci(&guest.name, s)
                    || (s.bytes().all(|b| b.is_ascii_digit())
                        && guest.vmid.to_string().starts_with(s.as_str()))
            }
            Term::Tag(s) => guest.tags.iter().any(|t| t.eq_ignore_ascii_case(s)),
            Term::Status(s) => guest.status.name().starts_with(s.as_str()),
            Term::Node(s) => contains_ci(node, s),
            Term::Host(s) => contains_ci(host, s),
        })
    }
}

fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle_lower.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle_lower.as_bytes());
        return h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle_lower)
}

/// The guests of `inventory` that pass `filter`, as `(host, node, guest)` index triples in
/// rack order. Pure: the UI caches the result and recomputes it only when the inventory or
/// the filter changes.
pub fn filter_guests(inventory: &Inventory, filter: &Filter) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for (hi, h) in inventory.hosts.iter().enumerate() {
        for (ni, n) in h.nodes.iter().enumerate() {
            for (gi, g) in n.guests.iter().enumerate() {
                if filter.matches(&h.name, &n.name, g) {
                    out.push((hi, ni, gi));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(kind: &str, node: &str, vmid: Option<u32>, name: &str, status: &str) -> ClusterResource {
        ClusterResource {
            id: format!(
                "{kind}/{}",
                vmid.map(|v| v.to_string()).unwrap_or(node.into())
            )
            .into(),
            kind: kind.into(),
            node: Some(node.into()),
            vmid,
            name: Some(name.into()),
            status: Some(status.into()),
            ..ClusterResource::default()
        }
    }

    #[test]
    fn builds_nodes_and_guests_sorted() {
        let mut web = res("lxc", "pve1", Some(105), "web", "running");
        web.tags = Some("prod;px-app-jellyfin".into());
        let mut locked = res("qemu", "pve1", Some(101), "db", "running");
        locked.set_extra(crate::pve::types::ResourceExtra {
            lock: Some("backup".into()),
            ..Default::default()
        });
        let list = vec![
            res("node", "pve1", None, "pve1", "online"),
            web,
            locked,
            res("lxc", "pve2", Some(200), "orphan", "stopped"),
            res("storage", "pve1", None, "local", "available"),
        ];
        let inv = Inventory::from_resources("lab", &list, SystemTime::UNIX_EPOCH);
        let h = &inv.hosts[0];
        assert_eq!(h.nodes.len(), 2);
        assert_eq!(
            h.nodes[0].guests.iter().map(|g| g.vmid).collect::<Vec<_>>(),
            vec![101, 105]
        );
        assert_eq!(h.nodes[0].guests[0].status, GuestStatus::Busy);
        assert_eq!(h.nodes[0].guests[1].app.as_deref(), Some("jellyfin"));
        assert_eq!(*h.nodes[0].guests[1].tags, ["prod", "px-app-jellyfin"]);
        assert!(
            !h.nodes[1].online,
            "node known only from a guest is drawn offline"
        );
        assert_eq!(
            inv.counts(),
            Counts {
                hosts: 1,
                nodes: 2,
                guests: 3,
                running: 1
            }
        );
    }

    #[test]
    fn filter_terms_and() {
        let mut g = res("lxc", "pve1", Some(1234), "Jellyfin", "running");
        g.tags = Some("media;prod".into());
        let list = vec![
            res("node", "pve1", None, "", "online"),
            g,
            res("lxc", "pve1", Some(99), "x", "stopped"),
        ];
        let inv = Inventory::from_resources("lab", &list, SystemTime::UNIX_EPOCH);
        let n = |q: &str| filter_guests(&inv, &Filter::parse(q)).len();
        assert_eq!(n(""), 2);
        assert_eq!(n("jelly"), 1);
        assert_eq!(n("123"), 1);
        assert_eq!(n("tag:media status:run"), 1);
        assert_eq!(n("tag:media status:stopped"), 0);
        assert_eq!(n("node:pve host:LAB"), 2);
        assert_eq!(n("host:other"), 0);
    }
}
