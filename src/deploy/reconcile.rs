//! Reconcile the store's apps with what a host really has: containers tagged `proximity`
//! that no record knows are adopted (from their description's metadata); records whose
//! container vanished are marked missing (and unmarked when it is back). A container a
//! running deployment is making is left to that deployment: never two records for one.

use crate::engine::apps::app_id_from_tags;
use crate::pve::types::ClusterResource;

use super::record::{AppRecord, DeploymentRecord, DeploymentStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconcileAction {
    /// Read this container's description and adopt it.
    Adopt {
        node: String,
        vmid: u32,
        hostname: String,
        app: String,
    },
    MarkMissing {
        name: String,
    },
    MarkFound {
        name: String,
    },
}

/// What to change for `host`, given its full inventory.
pub fn plan(
    host: &str,
    inventory: &[ClusterResource],
    apps: &[AppRecord],
    deployments: &[DeploymentRecord],
) -> Vec<ReconcileAction> {
    let mut actions = Vec::new();
    let containers: Vec<&ClusterResource> = inventory.iter().filter(|r| r.kind == "lxc").collect();
    for r in &containers {
        let (Some(vmid), Some(node)) = (r.vmid, r.node.as_deref()) else {
            continue;
        };
        let tags = r.tags.as_deref().unwrap_or("");
        if !tags.split([';', ',', ' ']).any(|t| t == "proximity") {
            continue;
        }
        let Some(app) = app_id_from_tags(tags) else {
            continue;
        };
        let known = apps.iter().any(|a| a.host == host && a.vmid == vmid);
        let in_flight = deployments.iter().any(|d| {
            d.host == host && d.vmid == Some(vmid) && d.status == DeploymentStatus::Running
        });
        if !known && !in_flight {
            actions.push(ReconcileAction::Adopt {
                node: node.to_string(),
                vmid,
                hostname: r
                    .name
                    .as_deref()
                    .map(String::from)
                    .unwrap_or_else(|| format!("ct{vmid}")),
                app: app.to_string(),
            });
        }
    }
    for a in apps.iter().filter(|a| a.host == host) {
        let present = containers.iter().any(|r| r.vmid == Some(a.vmid));
        if !present && !a.missing {
            actions.push(ReconcileAction::MarkMissing {
                name: a.name.clone(),
            });
        } else if present && a.missing {
            actions.push(ReconcileAction::MarkFound {
                name: a.name.clone(),
            });
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::record::AppOrigin;

    fn ct(vmid: u32, name: &str, tags: &str) -> ClusterResource {
        ClusterResource {
            id: format!("lxc/{vmid}").into(),
            kind: "lxc".into(),
            node: Some("pve1".into()),
            vmid: Some(vmid),
            name: Some(name.into()),
            tags: Some(tags.into()),
            ..Default::default()
        }
    }

    fn app(name: &str, vmid: u32, missing: bool) -> AppRecord {
        AppRecord {
            name: name.into(),
            app: "gitea".into(),
            version: None,
            host: "lab".into(),
            node: "pve1".into(),
            vmid,
            url: None,
            port: None,
            deployed_ms: None,
            origin: AppOrigin::Adopted,
            missing,
        }
    }

    #[test]
    fn unknown_tagged_containers_are_adopted_and_vanished_ones_marked() {
        let inv = [
            ct(100, "gitea", "proximity;px-app-gitea"),
            ct(101, "plain", "prod"),
            ct(102, "known", "proximity;px-app-gitea"),
            ct(104, "back", "proximity;px-app-gitea"),
        ];
        let apps = [
            app("known", 102, false),
            app("gone", 103, false),
            app("back", 104, true),
        ];
        let actions = plan("lab", &inv, &apps, &[]);
        assert_eq!(
            actions,
            vec![
                ReconcileAction::Adopt {
                    node: "pve1".into(),
                    vmid: 100,
                    hostname: "gitea".into(),
                    app: "gitea".into()
                },
                ReconcileAction::MarkMissing {
                    name: "gone".into()
                },
                ReconcileAction::MarkFound {
                    name: "back".into()
                },
            ]
        );
        // Another host's records are not this host's business.
        assert!(plan("other", &[], &apps, &[]).is_empty());
    }
}
