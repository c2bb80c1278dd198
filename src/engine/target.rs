//! Guest identity (`GuestRef`: host, node, vmid, kind) and matching a command-line TARGET
//! against guests: a vmid, a name, or either qualified by a host (`HOST:VMID`, `HOST:NAME`).
//! Pure functions over `/cluster/resources` snapshots; fetching lives in `fleet` and `ops`.

use std::fmt;

use crate::inventory::GuestKind;
use crate::pve::types::ClusterResource;

/// Identifies one guest across hosts: the same type the UI marks and targets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GuestRef {
    /// The configured host's name (`env` for a `PROXIMITY_URL` connection).
    pub host: String,
    pub node: String,
    pub vmid: u32,
    pub kind: GuestKind,
}

/// A guest a TARGET resolved to, with what the snapshot said about it. `name` and `status`
/// are server text: sanitize before printing.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedGuest {
    pub guest: GuestRef,
    pub name: String,
    pub status: String,
}

impl ResolvedGuest {
    /// `host:vmid (name)`, sanitized: how candidates are listed in errors.
    pub fn qualified(&self) -> String {
        format!(
            "{}:{} ({})",
            self.guest.host,
            self.guest.vmid,
            crate::text::clean_string(&self.name)
        )
    }
}

/// Guests listed in an error (`lab:100 (web), prod:100 (web)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidates(pub Vec<ResolvedGuest>);

impl fmt::Display for Candidates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(ResolvedGuest::qualified).collect();
        f.write_str(&list.join(", "))
    }
}

/// A host that could not be asked, and why (one line).
#[derive(Debug, Clone, PartialEq)]
pub struct HostDown {
    pub host: String,
    pub reason: String,
}

/// Hosts listed in an error (`b (connection refused), c (timed out)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Failures(pub Vec<HostDown>);

impl fmt::Display for Failures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self
            .0
            .iter()
            .map(|h| format!("{} ({})", h.host, crate::text::clean_string(&h.reason)))
            .collect();
        f.write_str(&list.join(", "))
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TargetError {
    #[error("no guest with vmid {0}")]
    NoVmid(u32),
    #[error("no guest named '{0}'")]
    NoName(String),
    #[error("no host named '{0}' (see `proximity hosts ls`)")]
    NoHost(String),
    #[error("no guest '{target}' on host {host}")]
    NotOnHost { host: String, target: String },
    #[error("host {host}: {reason}")]
    HostUnreachable { host: String, reason: String },
    /// Two or more guests match: never guessed, the user picks one.
    #[error("'{target}' matches {} guests: {candidates}; use HOST:VMID", candidates.0.len())]
    Ambiguous {
        target: String,
        candidates: Candidates,
    },
    /// One guest matches, but a host that could also hold one did not answer.
    #[error(
        "'{target}' is {found}, but {unreachable} could not be asked and may hold another; use HOST:VMID"
    )]
    Unchecked {
        target: String,
        found: Candidates,
        unreachable: Failures,
    },
    #[error("no guest '{target}' on the hosts that answered; could not ask {unreachable}")]
    NotFoundUnchecked {
        target: String,
        unreachable: Failures,
    },
    #[error("target is empty: give a vmid, a guest name, HOST:VMID or HOST:NAME")]
    Empty,
}

/// What a TARGET asks for, host aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestSelector {
    Vmid(u32),
    Name(String),
}

/// A parsed TARGET: `HOST:` narrows the search to one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    pub host: Option<String>,
    pub selector: GuestSelector,
}

/// Parse `VMID`, `NAME`, `HOST:VMID` or `HOST:NAME`. Neither host names (store validation)
/// nor Proxmox guest names (DNS names) hold a `:`, so the first one splits unambiguously.
pub fn parse_target(target: &str) -> Result<TargetSpec, TargetError> {
    let target = target.trim();
    let (host, rest) = match target.split_once(':') {
        Some((host, rest)) => (Some(host.trim().to_string()), rest.trim()),
        None => (None, target),
    };
    if rest.is_empty() || host.as_deref() == Some("") {
        return Err(TargetError::Empty);
    }
    let selector = match rest.parse::<u32>() {
        Ok(vmid) => GuestSelector::Vmid(vmid),
        Err(_) => GuestSelector::Name(rest.to_string()),
    };
    Ok(TargetSpec { host, selector })
}

/// The guests of one host's `/cluster/resources`. Entries of other types, and guests of a
/// kind this version does not know, are skipped: a kind is never guessed.
pub fn guests_of<'a>(
    host: &'a str,
    resources: &'a [ClusterResource],
) -> impl Iterator<Item = ResolvedGuest> + 'a {
    resources.iter().filter_map(move |r| {
        let kind = GuestKind::from_api_name(&r.kind)?;
        Some(ResolvedGuest {
            guest: GuestRef {
                host: host.to_string(),
                node: r.node.as_deref().map(String::from)?,
                vmid: r.vmid?,
                kind,
            },
            name: r.name.as_deref().map(String::from).unwrap_or_default(),
            status: r
                .status
                .as_deref()
                .map(String::from)
                .unwrap_or_else(|| "unknown".into()),
        })
    })
}

/// The guests a selector matches: a vmid exactly; a name exactly, or case-insensitively
/// when nothing matches exactly (over every guest given, so one host's exact match is not
/// hidden behind another's case-insensitive one).
pub fn matching<'a>(
    selector: &GuestSelector,
    guests: &'a [ResolvedGuest],
) -> Vec<&'a ResolvedGuest> {
    match selector {
        GuestSelector::Vmid(vmid) => guests.iter().filter(|g| g.guest.vmid == *vmid).collect(),
        GuestSelector::Name(name) => {
            let exact: Vec<&ResolvedGuest> = guests.iter().filter(|g| &g.name == name).collect();
            if !exact.is_empty() {
                return exact;
            }
            guests
                .iter()
                .filter(|g| g.name.eq_ignore_ascii_case(name))
                .collect()
        }
    }
}

/// The error for a selector that matched nothing (on every host, or on `host`).
pub fn not_found(spec: &TargetSpec) -> TargetError {
    let shown = match &spec.selector {
        GuestSelector::Vmid(vmid) => vmid.to_string(),
        GuestSelector::Name(name) => name.clone(),
    };
    match (&spec.host, &spec.selector) {
        (Some(host), _) => TargetError::NotOnHost {
            host: host.clone(),
            target: shown,
        },
        (None, GuestSelector::Vmid(vmid)) => TargetError::NoVmid(*vmid),
        (None, GuestSelector::Name(name)) => TargetError::NoName(name.clone()),
    }
}

/// Exactly one match, or a typed refusal listing the candidates.
pub fn pick_one(
    target: &str,
    spec: &TargetSpec,
    found: Vec<&ResolvedGuest>,
) -> Result<ResolvedGuest, TargetError> {
    match found.as_slice() {
        [] => Err(not_found(spec)),
        [one] => Ok((*one).clone()),
        many => Err(TargetError::Ambiguous {
            target: target.trim().to_string(),
            candidates: Candidates(many.iter().map(|g| (*g).clone()).collect()),
        }),
    }
}

/// Resolve a TARGET against one host's resources (`host` is its name). A `HOST:` prefix
/// must name this host.
pub fn resolve_target(
    host: &str,
    target: &str,
    resources: &[ClusterResource],
) -> Result<ResolvedGuest, TargetError> {
    let spec = parse_target(target)?;
    if let Some(wanted) = &spec.host {
        if wanted != host {
            return Err(TargetError::NoHost(wanted.clone()));
        }
    }
    let guests: Vec<ResolvedGuest> = guests_of(host, resources).collect();
    pick_one(target, &spec, matching(&spec.selector, &guests))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn guest(vmid: u32, name: &str, kind: &str) -> ClusterResource {
        ClusterResource {
            id: format!("{kind}/{vmid}").into(),
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
        let web = resolve_target("lab", "100", &rs).unwrap();
        assert_eq!(web.name, "web");
        assert_eq!(
            web.guest,
            GuestRef {
                host: "lab".into(),
                node: "pve1".into(),
                vmid: 100,
                kind: GuestKind::Container
            }
        );
        let db = resolve_target("lab", "DB", &rs).unwrap();
        assert_eq!((db.guest.vmid, db.guest.kind), (101, GuestKind::Vm));
        assert_eq!(
            resolve_target("lab", "999", &rs),
            Err(TargetError::NoVmid(999))
        );
        assert_eq!(
            resolve_target("lab", "nope", &rs),
            Err(TargetError::NoName("nope".into()))
        );
        assert_eq!(
            resolve_target("lab", "Dup", &rs).unwrap_err().to_string(),
            "'Dup' matches 2 guests: lab:102 (Dup), lab:103 (Dup); use HOST:VMID"
        );
        assert_eq!(resolve_target("lab", " ", &rs), Err(TargetError::Empty));
        assert_eq!(
            resolve_target("lab", "lab:103", &rs).map(|g| g.guest.vmid),
            Ok(103)
        );
        assert_eq!(
            resolve_target("lab", "prod:103", &rs),
            Err(TargetError::NoHost("prod".into()))
        );
    }

    #[test]
    fn an_unknown_kind_is_skipped_never_taken_for_a_container() {
        let rs = vec![guest(100, "odd", "openvz"), guest(101, "ok", "lxc")];
        assert_eq!(
            resolve_target("lab", "100", &rs),
            Err(TargetError::NoVmid(100))
        );
        assert_eq!(GuestKind::from_api_name("openvz"), None);
        assert_eq!(GuestKind::Vm.api_name(), "qemu");
        assert_eq!(GuestKind::Container.api_name(), "lxc");
    }

    #[test]
    fn parse_forms() {
        assert_eq!(
            parse_target("lab:100"),
            Ok(TargetSpec {
                host: Some("lab".into()),
                selector: GuestSelector::Vmid(100)
            })
        );
        assert_eq!(
            parse_target("web"),
            Ok(TargetSpec {
                host: None,
                selector: GuestSelector::Name("web".into())
            })
        );
        assert_eq!(parse_target("lab:"), Err(TargetError::Empty));
        assert_eq!(parse_target(":100"), Err(TargetError::Empty));
    }

    #[test]
    fn candidate_names_are_sanitized_in_errors() {
        let rs = vec![
            guest(1, "x\u{1b}[2Jy", "lxc"),
            guest(2, "x\u{1b}[2Jy", "lxc"),
        ];
        let text = resolve_target("lab", "x\u{1b}[2Jy", &rs)
            .unwrap_err()
            .to_string();
        assert!(text.contains("lab:1 (xy), lab:2 (xy)"), "{text}");
    }
}
