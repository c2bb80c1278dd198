//! Alerts, pure: the rules (`rules`: what counts as a breach, from an inventory snapshot,
//! backup facts or health-check results), the user's thresholds (`config`: `alerts.toml`
//! and the settings screen), and the state machine (`state`: pending -> firing -> resolved,
//! with each rule's "for" duration, one alert per (rule, target)). No IO and no clock:
//! callers pass the time in, so tests never sleep. The engine runs it (`engine::alerts`).

pub mod config;
pub mod notify;
pub mod rules;
pub mod state;

pub use config::{AlertConfig, AlertScope, ConfigIssue, RawThresholds, Thresholds};
pub use rules::{BackupFacts, Breach, HealthResult};
pub use state::{Evaluator, Transition};

use serde::{Deserialize, Serialize};

/// One kind of alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Cpu,
    Memory,
    Disk,
    NodeOffline,
    BackupFailed,
    BackupMissing,
    Health,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::Cpu,
        Rule::Memory,
        Rule::Disk,
        Rule::NodeOffline,
        Rule::BackupFailed,
        Rule::BackupMissing,
        Rule::Health,
    ];

    /// The rule as written in `alerts.toml`, the JSON output and webhooks.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Cpu => "cpu",
            Rule::Memory => "memory",
            Rule::Disk => "disk",
            Rule::NodeOffline => "node_offline",
            Rule::BackupFailed => "backup_failed",
            Rule::BackupMissing => "backup_missing",
            Rule::Health => "health",
        }
    }

    pub fn from_name(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == s)
    }

    /// What a person reads in a list.
    pub fn label(self) -> &'static str {
        match self {
            Rule::Cpu => "CPU",
            Rule::Memory => "memory",
            Rule::Disk => "disk",
            Rule::NodeOffline => "offline",
            Rule::BackupFailed => "backup failed",
            Rule::BackupMissing => "no backup",
            Rule::Health => "health check",
        }
    }

    /// Something is down or lost (critical), or heading there (warning).
    pub fn severity(self) -> Severity {
        match self {
            Rule::NodeOffline | Rule::BackupFailed | Rule::Health => Severity::Critical,
            Rule::Cpu | Rule::Memory | Rule::Disk | Rule::BackupMissing => Severity::Warning,
        }
    }

    /// Which observation decides the rule: each source's evaluation clears only its own
    /// rules' alerts.
    pub fn source(self) -> Source {
        match self {
            Rule::Cpu | Rule::Memory | Rule::Disk | Rule::NodeOffline => Source::Inventory,
            Rule::BackupFailed | Rule::BackupMissing => Source::Backups,
            Rule::Health => Source::Health,
        }
    }
}

/// Where the facts of a rule come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// `/cluster/resources`, every refresh.
    Inventory,
    /// `/cluster/tasks` and storage content `backup`, every few minutes.
    Backups,
    /// The app health checks, on their interval.
    Health,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// What an alert is about: a host (unreachable), a node, or a guest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Target {
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<u32>,
}

impl Target {
    pub fn host(host: &str) -> Target {
        Target {
            host: host.to_string(),
            node: None,
            vmid: None,
        }
    }

    pub fn node(host: &str, node: &str) -> Target {
        Target {
            host: host.to_string(),
            node: Some(node.to_string()),
            vmid: None,
        }
    }

    pub fn guest(host: &str, node: Option<&str>, vmid: u32) -> Target {
        Target {
            host: host.to_string(),
            node: node.map(str::to_string),
            vmid: Some(vmid),
        }
    }
}

impl std::fmt::Display for Target {
    /// `lab`, `lab/pve1` or `lab:101` (as TARGETs are written on the command line).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.vmid, &self.node) {
            (Some(vmid), _) => write!(f, "{}:{vmid}", self.host),
            (None, Some(node)) => write!(f, "{}/{node}", self.host),
            (None, None) => f.write_str(&self.host),
        }
    }
}

/// Alerts are deduplicated by (rule, target): one alert per pair at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertKey {
    pub rule: Rule,
    pub target: Target,
}

/// One alert, as lists, the store's history, the CLI and webhooks carry it. Times are Unix
/// milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub rule: Rule,
    pub severity: Severity,
    pub target: Target,
    /// The guest's or node's name (`web`, `pve1`); the host for host-wide alerts.
    pub name: String,
    /// One line for a person: `CPU 97% > 90% for 5m`. Cleaned of control characters.
    pub message: String,
    /// The measured value where there is one (a fraction for cpu/memory/disk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// When the condition was first seen.
    pub since_ms: u64,
    /// When it became an alert (after the rule's "for" duration).
    pub fired_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared_ms: Option<u64>,
}

impl Alert {
    pub fn key(&self) -> AlertKey {
        AlertKey {
            rule: self.rule,
            target: self.target.clone(),
        }
    }

    /// The store key of this alert's history entry: sorts by time, unique per firing.
    pub fn history_key(&self) -> String {
        format!("{:016}-{}-{}", self.fired_ms, self.rule.name(), self.target)
    }
}

/// `5m`, `90s`, `2h`, `7d`: the largest unit that divides the duration.
pub fn format_duration_s(secs: u64) -> String {
    match secs {
        0 => "0s".into(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_targets_print_like_cli_targets() {
        for r in Rule::ALL {
            assert_eq!(Rule::from_name(r.name()), Some(r));
        }
        assert_eq!(Target::host("lab").to_string(), "lab");
        assert_eq!(Target::node("lab", "pve1").to_string(), "lab/pve1");
        assert_eq!(
            Target::guest("lab", Some("pve1"), 101).to_string(),
            "lab:101"
        );
        assert_eq!(format_duration_s(300), "5m");
        assert_eq!(format_duration_s(7 * 86_400), "7d");
        assert_eq!(format_duration_s(90), "90s");
    }
}
