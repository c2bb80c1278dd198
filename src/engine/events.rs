//! What the engine publishes. Every front end subscribes (`Engine::subscribe`) and draws from
//! these; none of them reaches into the engine's state. Lists travel in `Arc`s: a refresh of
//! 10,000 guests is shared by every subscriber, never copied.

use std::sync::Arc;
use std::time::SystemTime;

use super::jobs::JobEvent;
use super::settings::RecordingSwitches;
use crate::inventory::Nodes;

/// Why a host's refresh failed, typed so callers match instead of parsing text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostFailure {
    /// The server refused the credentials (401): re-entering them is the fix.
    AuthFailed(String),
    /// Anything else: network, TLS, a server error. The text is sanitized.
    Unreachable(String),
}

impl std::fmt::Display for HostFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostFailure::AuthFailed(m) => write!(f, "authentication failed: {m}"),
            HostFailure::Unreachable(m) => f.write_str(m),
        }
    }
}

/// One configured or connected endpoint, as lists show it (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEntry {
    pub name: String,
    pub url: String,
    /// The token id, or the user for password logins.
    pub token_id: String,
    pub fingerprint: Option<String>,
}

/// A refresh's answer: the cluster's nodes and guests (shared, built once per changed answer;
/// an unchanged answer brings the same `Arc` again), or why there are none.
pub type InventoryResult = Result<Nodes, HostFailure>;

/// Every variant is kept small (big ones boxed): the broadcast ring holds
/// `EVENT_CAPACITY` slots of the largest, allocated and written up front.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// A refresh of one host.
    Inventory {
        host: String,
        result: InventoryResult,
        at: SystemTime,
    },
    /// A host's last inventory from the offline cache, drawn at once and marked stale.
    Cached {
        host: String,
        nodes: Nodes,
        at: SystemTime,
    },
    /// The hosts the engine knows (configured or connected) changed.
    Hosts(Vec<HostEntry>),
    Job(JobEvent),
    /// Ports of a managed app, read once from its description.
    AppPorts {
        host: String,
        vmid: u32,
        ports: Vec<u16>,
    },
    /// First contact with a self-signed host: the user must trust what it presented
    /// (answer with `Engine::trust_fingerprint`).
    FingerprintPrompt {
        host: String,
        url: String,
        fingerprint: String,
    },
    HostTestResult {
        name: String,
        result: Result<String, String>,
    },
    /// The console recording switches as the store holds them.
    Recording(RecordingSwitches),
    /// A message for the user (saved, failed, recorded...). Sanitized.
    Notice {
        text: String,
        error: bool,
    },
    /// Config lines and addresses of a guest (sanitized).
    GuestDetail {
        host: String,
        vmid: u32,
        ips: Vec<String>,
        config: Vec<(String, String)>,
    },
    /// A target's metrics over a time frame (`Engine::load_metrics`, and an hour of them
    /// when the detail panel opens), or why not (sanitized).
    MetricsReport {
        target: super::metrics::MetricsTarget,
        timeframe: crate::pve::Timeframe,
        result: Result<Arc<super::metrics::MetricsReport>, String>,
    },
    /// The top lists (`Engine::top_lists`), for the TUI's top screen.
    TopGuests(Arc<Vec<(super::metrics::TopBy, Vec<super::metrics::TopEntry>)>>),
    /// The recent Proxmox tasks of one host (`/cluster/tasks`), or why not. Server text:
    /// sanitize before drawing.
    ProxmoxTasks {
        host: String,
        result: Result<Vec<crate::pve::TaskListEntry>, HostFailure>,
        at: SystemTime,
    },
    /// An alert began (`raised`) or ended. Its text is cleaned.
    Alert {
        alert: Box<crate::alerts::Alert>,
        raised: bool,
    },
    /// The alert thresholds in use changed (`alerts.toml` reloaded or saved).
    AlertConfig(Box<crate::alerts::AlertConfig>),
    /// A managed app's health check ran (see `engine::alerts`).
    AppHealth(Box<crate::alerts::HealthResult>),
    /// The newest backup time (Unix seconds) of each guest of a host, by vmid, as the alert
    /// monitor's backup check read it (`last_backups::newest_backups`): the rack's ages.
    LastBackups {
        host: String,
        newest: Arc<std::collections::HashMap<u32, u64>>,
    },
}

#[cfg(test)]
mod tests {
    /// The ring's memory is its slot size times its capacity (4096): keep the largest
    /// variant small.
    #[test]
    fn events_stay_small() {
        let size = std::mem::size_of::<super::EngineEvent>();
        assert!(size <= 96, "EngineEvent is {size} bytes");
    }
}
