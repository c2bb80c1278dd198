//! Container snapshots: the list as a tree (parents first, the `current` state marked where
//! it hangs), and create, roll back and delete as jobs following their Proxmox tasks.

use std::collections::HashMap;

use super::guest_jobs::{Followed, follow_task_with};
use super::jobs::{JobId, JobKind, JobTarget};
use super::service::{Engine, Refusal};
use super::target::GuestRef;
use crate::inventory::GuestKind;
use crate::pve::{PveClient, Snapshot, Upid};

/// One line of the snapshot tree, in drawing order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotLine {
    pub name: String,
    pub description: String,
    pub snaptime: Option<u64>,
    /// Nesting below the root (0 = no parent).
    pub depth: usize,
    /// The `current` pseudo-entry: "you are here".
    pub current: bool,
}

/// Order Proxmox's flat list as a tree: each snapshot under its parent (oldest first among
/// siblings, ties in Proxmox's order), `current` last among its parent's children. A parent that is missing (a
/// half-deleted chain) makes its child a root rather than hiding it.
pub fn snapshot_tree(list: &[Snapshot]) -> Vec<SnapshotLine> {
    let names: std::collections::HashSet<&str> = list.iter().map(|s| s.name.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<&Snapshot>> = HashMap::new();
    for s in list {
        let parent = s
            .parent
            .as_deref()
            .filter(|p| names.contains(p) && *p != s.name);
        children.entry(parent).or_default().push(s);
    }
    // Stable: snapshots taken in the same second keep Proxmox's order (creation order).
    for kids in children.values_mut() {
        kids.sort_by_key(|s| (s.is_current(), s.snaptime.unwrap_or(0)));
    }
    let mut out = Vec::new();
    let mut stack: Vec<(&Snapshot, usize)> = children
        .get(&None)
        .map(|k| k.iter().rev().map(|s| (*s, 0)).collect())
        .unwrap_or_default();
    // Cycles in bad data cannot loop forever: each snapshot is drawn once.
    let mut drawn = std::collections::HashSet::new();
    while let Some((s, depth)) = stack.pop() {
        if !drawn.insert(s.name.as_str()) {
            continue;
        }
        out.push(SnapshotLine {
            name: s.name.clone(),
            description: s.description.clone().unwrap_or_default().trim().to_string(),
            snaptime: s.snaptime,
            depth,
            current: s.is_current(),
        });
        if let Some(kids) = children.get(&Some(s.name.as_str())) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out
}

/// A snapshot name as Proxmox takes it (pve-configid: a letter, then letters, digits, `-`,
/// `_`; at most 40), or why not.
pub fn check_snapname(name: &str) -> Result<(), Refusal> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name.len() <= 40
        && name != "current";
    if ok {
        Ok(())
    } else {
        Err(Refusal::Invalid(format!(
            "snapshot name '{name}': a letter first, then letters, digits, '-' or '_', at most 40, not 'current'"
        )))
    }
}

fn containers_only(guest: &GuestRef, what: &'static str) -> Result<(), Refusal> {
    if guest.kind == GuestKind::Vm {
        return Err(Refusal::ContainersOnly {
            vmid: guest.vmid,
            what,
        });
    }
    Ok(())
}

/// What a snapshot job asks Proxmox to do.
enum SnapshotOp {
    Create {
        name: String,
        description: Option<String>,
    },
    Rollback(String),
    Delete(String),
}

impl Engine {
    /// The guest's snapshots as a tree.
    pub async fn snapshots(&self, guest: &GuestRef) -> Result<Vec<SnapshotLine>, Refusal> {
        containers_only(guest, "snapshots")?;
        let client = self.link(&guest.host)?.client;
        let list = client
            .lxc_snapshots(&guest.node, guest.vmid)
            .await
            .map_err(|e| Refusal::Host(e.to_string()))?;
        Ok(snapshot_tree(&list))
    }

    /// Take a snapshot, as a job.
    pub fn snapshot_create(
        &self,
        guest: &GuestRef,
        name: &str,
        description: Option<&str>,
    ) -> Result<JobId, Refusal> {
        containers_only(guest, "snapshots")?;
        check_snapname(name)?;
        let op = SnapshotOp::Create {
            name: name.to_string(),
            description: description.map(str::to_string),
        };
        self.snapshot_job(guest, JobKind::Snapshot, op)
    }

    /// Roll back to a snapshot, as a job (the caller has the user's confirmation: the
    /// current state is lost).
    pub fn snapshot_rollback(&self, guest: &GuestRef, name: &str) -> Result<JobId, Refusal> {
        containers_only(guest, "snapshots")?;
        check_snapname(name)?;
        self.snapshot_job(
            guest,
            JobKind::SnapshotRollback,
            SnapshotOp::Rollback(name.to_string()),
        )
    }

    /// Delete a snapshot, as a job.
    pub fn snapshot_delete(&self, guest: &GuestRef, name: &str) -> Result<JobId, Refusal> {
        containers_only(guest, "snapshots")?;
        check_snapname(name)?;
        self.snapshot_job(
            guest,
            JobKind::SnapshotDelete,
            SnapshotOp::Delete(name.to_string()),
        )
    }

    fn snapshot_job(
        &self,
        guest: &GuestRef,
        kind: JobKind,
        op: SnapshotOp,
    ) -> Result<JobId, Refusal> {
        let link = self.link(&guest.host)?;
        let ctx = self.begin(
            kind,
            JobTarget {
                host: guest.host.clone(),
                node: Some(guest.node.clone()),
                vmid: Some(guest.vmid),
            },
        );
        let id = ctx.id();
        let guest = guest.clone();
        tokio::spawn(async move {
            ctx.step(kind.label(), Some(0.1));
            let started = tokio::select! {
                r = start(&link.client, &guest, &op) => r,
                _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
            };
            let upid = match started {
                Ok(u) => u,
                Err(e) => return ctx.fail(e.to_string()),
            };
            match follow_task_with(&ctx, &link.client, &upid, |_| {}).await {
                Followed::Ok => ctx.succeed(),
                Followed::Failed(reason) => ctx.fail(reason),
                Followed::Cancelled => ctx.cancelled(),
            }
            link.refresh.notify_one();
        });
        Ok(id)
    }
}

async fn start(client: &PveClient, guest: &GuestRef, op: &SnapshotOp) -> crate::pve::Result<Upid> {
    match op {
        SnapshotOp::Create { name, description } => {
            client
                .lxc_snapshot_create(&guest.node, guest.vmid, name, description.as_deref())
                .await
        }
        SnapshotOp::Rollback(name) => {
            client
                .lxc_snapshot_rollback(&guest.node, guest.vmid, name, false)
                .await
        }
        SnapshotOp::Delete(name) => {
            client
                .lxc_snapshot_delete(&guest.node, guest.vmid, name, false)
                .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(name: &str, parent: Option<&str>, t: u64) -> Snapshot {
        Snapshot {
            name: name.into(),
            description: Some(format!("{name} desc")),
            snaptime: (name != "current").then_some(t),
            parent: parent.map(str::to_string),
            running: None,
        }
    }

    #[test]
    fn tree_nests_children_and_marks_current() {
        let list = vec![
            snap("a", None, 1),
            snap("b", Some("a"), 2),
            snap("c", Some("a"), 3),
            snap("d", Some("b"), 4),
            snap("current", Some("c"), 0),
        ];
        let tree = snapshot_tree(&list);
        let shape: Vec<(String, usize, bool)> = tree
            .iter()
            .map(|l| (l.name.clone(), l.depth, l.current))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("a".into(), 0, false),
                ("b".into(), 1, false),
                ("d".into(), 2, false),
                ("c".into(), 1, false),
                ("current".into(), 2, true),
            ]
        );
        assert!(check_snapname("before-update").is_ok());
        assert!(check_snapname("1st").is_err());
        assert!(check_snapname("current").is_err());
    }
}
