//! The offline cache's answer, written from the shared nodes: the engine keeps a host's nodes
//! and guests, not the decoded `/cluster/resources` answer (see [`crate::inventory`]), so the
//! cache is written in the answer's shape from them, and read back with the live decoder.
//!
//! It holds what the nodes keep (nodes, guests with their status, lock, usage, tags and I/O
//! totals, the nodes' storages), not pools or HA states: the cache only draws the last known
//! rack while the first refresh runs. An I/O total is written as its first counter with the
//! second at 0 (the sum is what is kept). Streamed entry by entry: no second copy of a 10,000-guest answer in memory.

use serde::ser::{Serialize, SerializeSeq, SerializeStruct, Serializer};

use crate::inventory::{Guest, Node, NodeStorage};

/// `{"data":[...]}` for these nodes.
pub struct NodesAnswer<'a>(pub &'a [Node]);

impl Serialize for NodesAnswer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut answer = s.serialize_struct("Answer", 1)?;
        answer.serialize_field("data", &Entries(self.0))?;
        answer.end()
    }
}

struct Entries<'a>(&'a [Node]);

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let len = self
            .0
            .iter()
            .map(|n| 1 + n.guests.len() + n.storages.len())
            .sum();
        let mut seq = s.serialize_seq(Some(len))?;
        for node in self.0 {
            seq.serialize_element(&NodeEntry(node))?;
            for guest in &node.guests {
                seq.serialize_element(&GuestEntry { node, guest })?;
            }
            for storage in &node.storages {
                seq.serialize_element(&StorageEntry { node, storage })?;
            }
        }
        seq.end()
    }
}

struct NodeEntry<'a>(&'a Node);

impl Serialize for NodeEntry<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        let mut e = s.serialize_struct("Node", 10)?;
        e.serialize_field("id", &format!("node/{}", n.name))?;
        e.serialize_field("type", "node")?;
        e.serialize_field("node", &n.name)?;
        // A node with no status (an old member, or only named by its guests) stays without.
        if n.online {
            e.serialize_field("status", "online")?;
        } else if n.listed_offline {
            e.serialize_field("status", "offline")?;
        } else {
            e.skip_field("status")?;
        }
        e.serialize_field("cpu", &n.cpu)?;
        e.serialize_field("maxcpu", &n.maxcpu)?;
        e.serialize_field("mem", &n.mem)?;
        e.serialize_field("maxmem", &n.maxmem)?;
        e.serialize_field("disk", &n.disk)?;
        e.serialize_field("maxdisk", &n.maxdisk)?;
        e.serialize_field("uptime", &n.uptime_s)?;
        e.end()
    }
}

struct GuestEntry<'a> {
    node: &'a Node,
    guest: &'a Guest,
}

impl Serialize for GuestEntry<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let g = self.guest;
        let kind = g.kind.api_name();
        let mut e = s.serialize_struct("Guest", 16)?;
        e.serialize_field("id", &format!("{kind}/{}", g.vmid))?;
        e.serialize_field("type", kind)?;
        e.serialize_field("node", &self.node.name)?;
        e.serialize_field("vmid", &g.vmid)?;
        e.serialize_field("name", g.name.as_str())?;
        e.serialize_field("status", g.wire_status())?;
        match &g.lock {
            Some(lock) => e.serialize_field("lock", lock.as_str())?,
            None => e.skip_field("lock")?,
        }
        e.serialize_field("cpu", &g.cpu)?;
        e.serialize_field("maxcpu", &g.maxcpu)?;
        e.serialize_field("mem", &g.mem)?;
        e.serialize_field("maxmem", &g.maxmem)?;
        e.serialize_field("disk", &g.disk)?;
        e.serialize_field("maxdisk", &g.maxdisk)?;
        e.serialize_field("uptime", &g.uptime_s)?;
        if g.tags.is_empty() {
            e.skip_field("tags")?;
        } else {
            let tags: Vec<&str> = g.tags.iter().map(|t| t.as_str()).collect();
            e.serialize_field("tags", &tags.join(";"))?;
        }
        e.serialize_field("template", &u8::from(g.template))?;
        for (first, second, total) in [
            ("diskread", "diskwrite", g.disk_io),
            ("netin", "netout", g.net_io),
        ] {
            match total {
                Some(total) => {
                    e.serialize_field(first, &total)?;
                    e.serialize_field(second, &0u64)?;
                }
                None => {
                    e.skip_field(first)?;
                    e.skip_field(second)?;
                }
            }
        }
        e.end()
    }
}

struct StorageEntry<'a> {
    node: &'a Node,
    storage: &'a NodeStorage,
}

impl Serialize for StorageEntry<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (n, st) = (self.node, self.storage);
        let mut e = s.serialize_struct("Storage", 7)?;
        e.serialize_field("id", &format!("storage/{}/{}", n.name, st.name))?;
        e.serialize_field("type", "storage")?;
        e.serialize_field("node", &n.name)?;
        e.serialize_field("storage", st.name.as_str())?;
        e.serialize_field("content", st.content.as_str())?;
        e.serialize_field("status", if st.available { "available" } else { "unknown" })?;
        e.serialize_field("shared", &u8::from(st.shared))?;
        e.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::GuestStatus;
    use crate::pve::types::ClusterResource;

    fn res(kind: &str, node: &str, vmid: Option<u32>, status: Option<&str>) -> ClusterResource {
        ClusterResource {
            id: match vmid {
                Some(v) => format!("{kind}/{v}").into(),
                None => format!("{kind}/{node}").into(),
            },
            kind: kind.into(),
            node: Some(node.into()),
            vmid,
            name: vmid.map(|v| format!("guest-{v}").into()),
            status: status.map(Into::into),
            cpu: Some(0.25),
            maxcpu: Some(4.0),
            mem: Some(1 << 30),
            maxmem: Some(4 << 30),
            disk: Some(5 << 30),
            maxdisk: Some(20 << 30),
            uptime: Some(3600),
            ..ClusterResource::default()
        }
    }

    /// Written from the nodes and read back with the live decoder, the rack is the same:
    /// statuses (a lock over a running guest too), tags, templates, a node without status
    /// and one only named by its guests.
    #[test]
    fn the_answer_decodes_back_to_the_same_nodes() {
        let mut locked = res("lxc", "pve1", Some(102), Some("running"));
        locked.extra = Some(Box::new(crate::pve::types::ResourceExtra {
            lock: Some("backup".into()),
            ..Default::default()
        }));
        let mut tagged = res("lxc", "pve1", Some(103), Some("stopped"));
        tagged.tags = Some("px-app-gitea;web".into());
        let mut template = res("qemu", "pve2", Some(9000), Some("stopped"));
        template.template = Some(1);
        let mut busy_io = res("qemu", "pve1", Some(101), Some("running"));
        (busy_io.netin, busy_io.netout) = (Some(1000), Some(24));
        (busy_io.diskread, busy_io.diskwrite) = (Some(7), Some(8));
        let storage = |node: &str, name: &str, status: &str, shared: u8| {
            let mut r = res("storage", node, None, Some(status));
            r.id = format!("storage/{node}/{name}").into();
            r.extra = Some(Box::new(crate::pve::types::ResourceExtra {
                storage: Some(name.into()),
                content: Some("backup,iso".into()),
                shared: Some(shared),
                ..Default::default()
            }));
            r
        };
        let list = vec![
            res("node", "pve1", None, Some("online")),
            res("node", "pve2", None, Some("offline")),
            res("node", "pve3", None, None),
            busy_io,
            locked,
            tagged,
            template,
            res("qemu", "pve2", Some(104), Some("paused")),
            res("qemu", "pve2", Some(105), Some("internal-error")),
            res("lxc", "gone", Some(106), Some("unknown")),
            storage("pve1", "local", "available", 0),
            storage("pve2", "nas", "unknown", 1),
        ];
        let nodes = crate::inventory::nodes_from_resources(&list);
        let json = serde_json::to_vec(&NodesAnswer(&nodes)).unwrap();
        let back = crate::pve::parse_resources(&json).unwrap();
        assert_eq!(crate::inventory::nodes_from_resources(&back), nodes);
        let node = |name: &str| nodes.iter().find(|n| n.name == name).unwrap();
        let (pve1, pve2) = (node("pve1"), node("pve2"));
        let busy = &pve1.guests[1];
        assert_eq!((busy.status, busy.running), (GuestStatus::Busy, true));
        let io = &pve1.guests[0];
        assert_eq!((io.net_io, io.disk_io), (Some(1024), Some(15)));
        assert_eq!(pve1.storages.len(), 1);
        assert!(pve1.storages[0].holds_backups() && pve1.storages[0].available);
        assert!(pve2.storages[0].shared && !pve2.storages[0].available);
    }
}
