//! What a caller asks for, and the checks every caller gets before a deployment starts: the
//! name (a hostname, unique on the cluster), the variables, the resources.

use std::collections::BTreeMap;

use crate::catalog::{AppSpec, Resources};

/// A deploy as the wizard or `proximity deploy` asks for it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployRequest {
    pub app: AppSpec,
    /// The container's hostname and the app's name; `None`: the app id, made unique.
    pub name: Option<String>,
    /// `None`: placed automatically.
    pub host: Option<String>,
    pub node: Option<String>,
    /// Values the user set; the rest come from the catalog's defaults and generated secrets.
    pub env: BTreeMap<String, String>,
    /// `None`: the app's minimums.
    pub resources: Option<Resources>,
    pub keep_on_failure: bool,
    pub backups: bool,
}

impl DeployRequest {
    pub fn new(app: AppSpec) -> DeployRequest {
        DeployRequest {
            app,
            name: None,
            host: None,
            node: None,
            env: BTreeMap::new(),
            resources: None,
            keep_on_failure: false,
            backups: true,
        }
    }
}

/// Why a deployment was refused before it started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeployRefusal {
    #[error("name {name:?}: {reason}")]
    BadName { name: String, reason: String },
    #[error("name {0:?} is already used on the cluster")]
    NameTaken(String),
    #[error("variable {key}: {reason}")]
    Env { key: String, reason: String },
    #[error("{field}: {reason}")]
    Resources { field: &'static str, reason: String },
    #[error("no deployment {0} in the journal")]
    UnknownDeployment(String),
    #[error("deployment {id} is {state}: {what}")]
    WrongState {
        id: String,
        state: String,
        what: String,
    },
    #[error("no app named {0:?}")]
    UnknownApp(String),
}

/// Hostname rules Proxmox applies to a container's `hostname` (one DNS label here: the name
/// is also the app's name on the rack): 1 to 63 of `a-z 0-9 -`, not starting or ending
/// with `-`.
pub fn validate_name(name: &str) -> Result<(), DeployRefusal> {
    let bad = |reason: &str| DeployRefusal::BadName {
        name: crate::text::clean_string(name),
        reason: reason.into(),
    };
    if name.is_empty() {
        return Err(bad("must not be empty"));
    }
    if name.len() > 63 {
        return Err(bad("at most 63 characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(bad(&format!(
            "only lowercase letters, digits and '-' (found {c:?})"
        )));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(bad("must not start or end with '-'"));
    }
    Ok(())
}

/// The app id, then `id-2`, `id-3`...: the first not in `taken`.
pub fn default_name(app_id: &str, taken: &dyn Fn(&str) -> bool) -> String {
    if !taken(app_id) {
        return app_id.to_string();
    }
    (2..)
        .map(|n| format!("{app_id}-{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| app_id.to_string())
}

/// Resources asked for: at least the app's minimums, and sane.
pub fn check_resources(app: &AppSpec, asked: Resources) -> Result<(), DeployRefusal> {
    let min = app.resources;
    let low = |field: &'static str, got: u64, need: u64, unit: &str| DeployRefusal::Resources {
        field,
        reason: format!("{got}{unit} is below what {} needs ({need}{unit})", app.name),
    };
    if asked.cores < min.cores {
        return Err(low("cores", asked.cores.into(), min.cores.into(), ""));
    }
    if asked.memory_mb < min.memory_mb {
        return Err(low("memory", asked.memory_mb, min.memory_mb, " MiB"));
    }
    if asked.disk_gb < min.disk_gb {
        return Err(low("disk", asked.disk_gb, min.disk_gb, " GiB"));
    }
    if asked.cores > 512 || asked.memory_mb > 4 * 1024 * 1024 || asked.disk_gb > 64 * 1024 {
        return Err(DeployRefusal::Resources {
            field: "resources",
            reason: "larger than any Proxmox node".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_hostname_rules() {
        assert!(validate_name("jellyfin").is_ok());
        assert!(validate_name("my-app-2").is_ok());
        for (bad, why) in [
            ("", "empty"),
            ("-x", "start or end"),
            ("x-", "start or end"),
            ("Jelly", "lowercase"),
            ("a_b", "lowercase"),
            ("a.b", "lowercase"),
            ("a b", "lowercase"),
        ] {
            let err = validate_name(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        assert!(validate_name(&"a".repeat(64)).is_err());
        let err = validate_name("a\x1b[31m").unwrap_err().to_string();
        assert!(!err.contains('\x1b'), "the name is cleaned in the message");
    }

    #[test]
    fn default_names_count_up_past_the_taken_ones() {
        let taken = ["gitea", "gitea-2"];
        let f = |n: &str| taken.contains(&n);
        assert_eq!(default_name("gitea", &f), "gitea-3");
        assert_eq!(default_name("grafana", &f), "grafana");
    }
}
