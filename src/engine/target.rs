//! Resolving a command-line TARGET (a vmid or a guest name) against `/cluster/resources`.

use crate::pve::types::ClusterResource;

/// A guest found by `resolve_target`.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestRef {
    pub node: String,
    pub vmid: u32,
    /// `lxc` or `qemu`.
    pub kind: String,
    pub name: String,
    pub status: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TargetError {
    #[error("no guest with vmid {0}")]
    NoVmid(u32),
    #[error("no guest named '{0}'")]
    NoName(String),
    #[error("'{name}' is ambiguous: vmids {vmids}; use the vmid")]
    Ambiguous { name: String, vmids: String },
    #[error("target is empty: give a vmid or a guest name")]
    Empty,
}

fn guest_ref(r: &ClusterResource) -> Option<GuestRef> {
    if r.kind != "lxc" && r.kind != "qemu" {
        return None;
    }
    Some(GuestRef {
        node: r.node.clone()?,
        vmid: r.vmid?,
        kind: r.kind.clone(),
        name: r.name.clone().unwrap_or_default(),
        status: r.status.clone().unwrap_or_else(|| "unknown".into()),
    })
}

/// A TARGET that parses as a number is a vmid; anything else is matched against guest names
/// (exactly, then case-insensitively). Two guests with one name are refused, never guessed.
pub fn resolve_target(
    target: &str,
    resources: &[ClusterResource],
) -> Result<GuestRef, TargetError> {
    let target = target.trim();
    if target.is_empty() {
        return Err(TargetError::Empty);
    }
    let guests = resources.iter().filter_map(guest_ref);
    if let Ok(vmid) = target.parse::<u32>() {
        return guests
            .into_iter()
            .find(|g| g.vmid == vmid)
            .ok_or(TargetError::NoVmid(vmid));
    }
    let all: Vec<GuestRef> = guests.collect();
    let mut found: Vec<&GuestRef> = all.iter().filter(|g| g.name == target).collect();
    if found.is_empty() {
        found = all
            .iter()
            .filter(|g| g.name.eq_ignore_ascii_case(target))
            .collect();
    }
    match found.as_slice() {
        [] => Err(TargetError::NoName(target.to_string())),
        [one] => Ok((*one).clone()),
        many => Err(TargetError::Ambiguous {
            name: target.to_string(),
            vmids: many
                .iter()
                .map(|g| g.vmid.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(vmid: u32, name: &str, kind: &str) -> ClusterResource {
        ClusterResource {
            id: format!("{kind}/{vmid}"),
            kind: kind.into(),
            node: Some("pve1".into()),
            vmid: Some(vmid),
            name: Some(name.into()),
            status: Some("running".into()),
            ..Default::default()
        }
    }

    #[test]
    fn vmid_name_and_ambiguity() {
        let rs = vec![
            guest(100, "web", "lxc"),
            guest(101, "db", "qemu"),
            guest(102, "Dup", "lxc"),
            guest(103, "Dup", "lxc"),
            ClusterResource {
                id: "node/pve1".into(),
                kind: "node".into(),
                ..Default::default()
            },
        ];
        assert_eq!(resolve_target("100", &rs).map(|g| g.name), Ok("web".into()));
        assert_eq!(resolve_target("DB", &rs).map(|g| g.vmid), Ok(101));
        assert_eq!(resolve_target("999", &rs), Err(TargetError::NoVmid(999)));
        assert_eq!(
            resolve_target("nope", &rs),
            Err(TargetError::NoName("nope".into()))
        );
        assert_eq!(
            resolve_target("Dup", &rs).unwrap_err().to_string(),
            "'Dup' is ambiguous: vmids 102, 103; use the vmid"
        );
        assert_eq!(resolve_target(" ", &rs), Err(TargetError::Empty));
    }
}
