//! Nodes and guests from `/cluster/resources` entries, one entry at a time: the engine feeds
//! the decoder's entries straight in, so a 10,000-guest answer is never held as a list of
//! decoded entries (3.4 MB) beside the nodes being built and the ones still shown.

use std::collections::HashMap;

use compact_str::CompactString;

use super::{APP_TAG_PREFIX, Guest, GuestKind, GuestStatus, Node, NodeStorage, split_tags};
use crate::pve::types::ClusterResource;

/// The nodes and guests of one `/cluster/resources` answer. Pool and sdn entries are
/// ignored; guests whose node has no `node` entry get one (offline) so they are never lost.
pub fn nodes_from_resources(resources: &[ClusterResource]) -> Vec<Node> {
    let mut b = NodesBuilder::default();
    for r in resources {
        b.push(r);
    }
    b.finish()
}

/// Takes entries in any order (a guest may come before its node's entry).
#[derive(Default)]
pub struct NodesBuilder {
    nodes: Vec<Node>,
    /// Each node's index by name (a map: 10,000 guests on 50 nodes made a linear search per
    /// guest); a node listed twice keeps its guests on the first.
    index: HashMap<CompactString, usize>,
    /// Nodes only named by a guest so far (filled in if their entry comes).
    placeholder: Vec<bool>,
    /// Guests in arrival order with their node's index: moved into per-node lists of the
    /// exact size at the end (no list regrows, none is shrunk by a copy).
    guests: Vec<(usize, Guest)>,
    storages: Vec<(CompactString, NodeStorage)>,
}

impl NodesBuilder {
    /// A builder with room for about `entries` guests up front: growing the list by
    /// doubling held the old and the new copy at once (4 MB at 10,000 guests), while room
    /// reserved and never written costs no memory (the allocator maps big blocks lazily).
    pub fn with_capacity(entries: usize) -> NodesBuilder {
        NodesBuilder {
            guests: Vec::with_capacity(entries),
            ..NodesBuilder::default()
        }
    }

    pub fn push(&mut self, r: &ClusterResource) {
        match r.kind.as_str() {
            "node" => self.node(r),
            "lxc" => self.guest(r, GuestKind::Container),
            "qemu" => self.guest(r, GuestKind::Vm),
            "storage" => self.storage(r),
            _ => {}
        }
    }

    fn node(&mut self, r: &ClusterResource) {
        let Some(name) = r.node.as_deref() else {
            return;
        };
        let node = Node {
            name: name.to_string(),
            // Proxmox says "online"/"offline"; a node entry without status is from an old
            // cluster member we cannot reach.
            online: r.status.as_deref() == Some("online"),
            listed_offline: r.status.as_deref() == Some("offline"),
            cpu: r.cpu.unwrap_or(0.0).clamp(0.0, 1.0),
            maxcpu: r.maxcpu.unwrap_or(0.0),
            mem: r.mem.unwrap_or(0),
            maxmem: r.maxmem.unwrap_or(0),
            disk: r.disk.unwrap_or(0),
            maxdisk: r.maxdisk.unwrap_or(0),
            uptime_s: r.uptime.unwrap_or(0),
            guests: Vec::new(),
            storages: Vec::new(),
        };
        match self.index.get(name) {
            Some(&i) if self.placeholder[i] => {
                self.nodes[i] = node;
                self.placeholder[i] = false;
            }
            Some(_) => self.add(node, false),
            None => {
                self.index.insert(name.into(), self.nodes.len());
                self.add(node, false);
            }
        }
    }

    fn add(&mut self, node: Node, placeholder: bool) {
        self.nodes.push(node);
        self.placeholder.push(placeholder);
    }

    /// The node called `name`, made (offline, empty) when no entry named it yet.
    fn node_index(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.nodes.len();
        self.index.insert(name.into(), i);
        self.add(
            Node {
                name: name.to_string(),
                online: false,
                listed_offline: false,
                cpu: 0.0,
                maxcpu: 0.0,
                mem: 0,
                maxmem: 0,
                disk: 0,
                maxdisk: 0,
                uptime_s: 0,
                guests: Vec::new(),
                storages: Vec::new(),
            },
            true,
        );
        i
    }

    fn guest(&mut self, r: &ClusterResource, kind: GuestKind) {
        let (Some(vmid), Some(node_name)) = (r.vmid, r.node.as_deref()) else {
            return;
        };
        let tags: Vec<CompactString> = split_tags(r.tags.as_deref().unwrap_or(""));
        let app = tags
            .iter()
            .find_map(|t| t.strip_prefix(APP_TAG_PREFIX))
            .filter(|id| !id.is_empty())
            .map(CompactString::from);
        let guest = Guest {
            vmid,
            name: r.name.clone().unwrap_or_else(|| {
                compact_str::format_compact!("{}-{vmid}", kind.short().to_lowercase())
            }),
            kind,
            status: GuestStatus::from_wire(r.status.as_deref(), r.extra().lock.as_deref()),
            lock: r.extra().lock.clone().filter(|l| !l.is_empty()),
            cpu: r.cpu.unwrap_or(0.0).clamp(0.0, 1.0),
            maxcpu: r.maxcpu.unwrap_or(0.0),
            mem: r.mem.unwrap_or(0),
            maxmem: r.maxmem.unwrap_or(0),
            disk: r.disk.unwrap_or(0),
            maxdisk: r.maxdisk.unwrap_or(0),
            uptime_s: r.uptime.unwrap_or(0),
            tags: tags.into_boxed_slice(),
            app,
            template: r.template == Some(1),
            running: r.status.as_deref() == Some("running"),
            disk_io: r
                .diskread
                .zip(r.diskwrite)
                .map(|(a, b)| a.saturating_add(b)),
            net_io: r.netin.zip(r.netout).map(|(a, b)| a.saturating_add(b)),
        };
        let idx = self.node_index(node_name);
        self.guests.push((idx, guest));
    }

    fn storage(&mut self, r: &ClusterResource) {
        let extra = r.extra();
        let (Some(node), Some(name)) = (r.node.as_deref(), extra.storage.as_ref()) else {
            return;
        };
        self.storages.push((
            node.into(),
            NodeStorage {
                name: name.clone(),
                content: extra.content.clone().unwrap_or_default(),
                available: r.status.as_deref() == Some("available"),
                shared: extra.shared == Some(1),
            },
        ));
    }

    /// The nodes sorted by name (naturally: pve2 before pve10), guests by vmid. A storage
    /// on a node that has neither an entry nor guests is dropped.
    pub fn finish(self) -> Vec<Node> {
        let NodesBuilder {
            mut nodes,
            index,
            guests,
            storages,
            ..
        } = self;
        let mut counts = vec![0usize; nodes.len()];
        for (i, _) in &guests {
            counts[*i] += 1;
        }
        for (node, count) in nodes.iter_mut().zip(counts) {
            node.guests.reserve_exact(count);
        }
        for (i, guest) in guests {
            nodes[i].guests.push(guest);
        }
        for (node, storage) in storages {
            if let Some(&i) = index.get(&node) {
                nodes[i].storages.push(storage);
            }
        }
        nodes.sort_by(|a, b| crate::text::natural_cmp(&a.name, &b.name));
        for n in &mut nodes {
            n.guests.sort_by_key(|g| g.vmid);
        }
        nodes
    }
}
