//! Automatic placement: which host and node a new app goes to, with the reason said in
//! words ("pve2: most free memory, template cached"). Pure: the engine gathers the
//! candidates (inventory and template caches) and this picks.

use crate::catalog::Resources;

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;
/// A cached template saves a download: worth this much free memory in the ranking.
const TEMPLATE_BONUS_BYTES: u64 = GIB;

/// One node that could take the container.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeCandidate {
    pub host: String,
    pub node: String,
    pub online: bool,
    pub mem_free_bytes: u64,
    pub disk_free_bytes: u64,
    pub cores: u32,
    pub template_cached: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub host: String,
    pub node: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("no node {0}")]
    UnknownNode(String),
    #[error("node {0} is offline")]
    Offline(String),
    #[error("{node}: {reason}")]
    TooSmall { node: String, reason: String },
    #[error("no online node has room: {0}")]
    NoRoom(String),
}

/// Does `c` have room for `need`? `Err` says what is short.
fn fits(c: &NodeCandidate, need: &Resources) -> Result<(), String> {
    let mem = need.memory_mb * MIB;
    let disk = need.disk_gb * GIB;
    if c.mem_free_bytes < mem {
        return Err(format!(
            "{} MiB free memory, {} MiB needed",
            c.mem_free_bytes / MIB,
            need.memory_mb
        ));
    }
    if c.disk_free_bytes < disk {
        return Err(format!(
            "{} GiB free disk, {} GiB needed",
            c.disk_free_bytes / GIB,
            need.disk_gb
        ));
    }
    if c.cores > 0 && c.cores < need.cores {
        return Err(format!("{} cores, {} needed", c.cores, need.cores));
    }
    Ok(())
}

/// Pick a node. With `host`/`node` given, that choice is checked, not second-guessed.
pub fn place(
    candidates: &[NodeCandidate],
    need: &Resources,
    host: Option<&str>,
    node: Option<&str>,
) -> Result<Placement, PlaceError> {
    let pool: Vec<&NodeCandidate> = candidates
        .iter()
        .filter(|c| host.is_none_or(|h| c.host == h))
        .collect();
    if let Some(node) = node {
        let c = pool
            .iter()
            .find(|c| c.node == node)
            .ok_or_else(|| PlaceError::UnknownNode(node.to_string()))?;
        if !c.online {
            return Err(PlaceError::Offline(node.to_string()));
        }
        fits(c, need).map_err(|reason| PlaceError::TooSmall {
            node: node.to_string(),
            reason,
        })?;
        return Ok(Placement {
            host: c.host.clone(),
            node: c.node.clone(),
            reason: format!("{}: chosen", c.node),
        });
    }
    let mut shortages = Vec::new();
    let mut best: Option<&NodeCandidate> = None;
    let score = |c: &NodeCandidate| {
        c.mem_free_bytes
            .saturating_add(if c.template_cached { TEMPLATE_BONUS_BYTES } else { 0 })
    };
    for c in pool.iter().filter(|c| c.online) {
        match fits(c, need) {
            Ok(()) => {
                // Ties go to the first in name order: the same inputs place the same way.
                if best.is_none_or(|b| score(c) > score(b)) {
                    best = Some(c);
                }
            }
            Err(reason) => shortages.push(format!("{} {reason}", c.node)),
        }
    }
    let Some(chosen) = best else {
        return Err(PlaceError::NoRoom(if shortages.is_empty() {
            "no node is online".into()
        } else {
            shortages.join("; ")
        }));
    };
    let most_memory = pool
        .iter()
        .filter(|c| c.online && fits(c, need).is_ok())
        .all(|c| c.mem_free_bytes <= chosen.mem_free_bytes);
    let mut why = Vec::new();
    if most_memory {
        why.push(format!(
            "most free memory ({:.1} GiB)",
            chosen.mem_free_bytes as f64 / GIB as f64
        ));
    } else {
        why.push(format!(
            "{:.1} GiB free memory",
            chosen.mem_free_bytes as f64 / GIB as f64
        ));
    }
    if chosen.template_cached {
        why.push("template cached".into());
    }
    Ok(Placement {
        host: chosen.host.clone(),
        node: chosen.node.clone(),
        reason: format!("{}: {}", chosen.node, why.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, mem_gib: u64, cached: bool) -> NodeCandidate {
        NodeCandidate {
            host: "lab".into(),
            node: name.into(),
            online: true,
            mem_free_bytes: mem_gib * GIB,
            disk_free_bytes: 100 * GIB,
            cores: 8,
            template_cached: cached,
        }
    }

    fn need(mem_mb: u64) -> Resources {
        Resources {
            cores: 1,
            memory_mb: mem_mb,
            disk_gb: 4,
        }
    }

    #[test]
    fn the_most_free_memory_wins_and_the_reason_says_so() {
        let c = [node("pve1", 4, false), node("pve2", 12, true), node("pve3", 8, false)];
        let p = place(&c, &need(512), None, None).unwrap();
        assert_eq!(p.node, "pve2");
        assert_eq!(p.reason, "pve2: most free memory (12.0 GiB), template cached");
    }

    #[test]
    fn a_cached_template_breaks_a_near_tie() {
        let c = [node("pve1", 8, false), node("pve2", 8, true)];
        let p = place(&c, &need(512), None, None).unwrap();
        assert_eq!(p.node, "pve2");
        assert!(p.reason.contains("template cached"), "{}", p.reason);
    }

    #[test]
    fn offline_and_full_nodes_are_skipped_and_named_when_nothing_fits() {
        let mut off = node("pve1", 64, true);
        off.online = false;
        let c = [off.clone(), node("pve2", 1, false)];
        let err = place(&c, &need(2048), None, None).unwrap_err().to_string();
        assert_eq!(
            err,
            "no online node has room: pve2 1024 MiB free memory, 2048 MiB needed"
        );
        assert_eq!(
            place(&[off], &need(1), None, Some("pve1")).unwrap_err(),
            PlaceError::Offline("pve1".into())
        );
    }

    #[test]
    fn a_chosen_node_is_checked_not_second_guessed() {
        let c = [node("pve1", 2, false), node("pve2", 12, true)];
        let p = place(&c, &need(512), None, Some("pve1")).unwrap();
        assert_eq!((p.node.as_str(), p.reason.as_str()), ("pve1", "pve1: chosen"));
        assert!(matches!(
            place(&c, &need(4096), None, Some("pve1")),
            Err(PlaceError::TooSmall { .. })
        ));
        assert_eq!(
            place(&c, &need(1), None, Some("pve9")).unwrap_err(),
            PlaceError::UnknownNode("pve9".into())
        );
        assert_eq!(
            place(&c, &need(1), Some("other"), None).unwrap_err(),
            PlaceError::NoRoom("no node is online".into())
        );
    }
}
