//! The engine: the one application core every caller (the TUI, the CLI, a test with no
//! terminal; later SSH sessions and MCP) drives the same way, with the same checks. No
//! terminal crates here.
//!
//! - [`Engine`] (`service`): connections and refreshers per host, jobs, consoles, host flows;
//!   it publishes [`EngineEvent`]s that front ends draw from.
//! - `jobs`: typed, identified, cancellable jobs with steps, progress and logs, journaled in
//!   the store when they change Proxmox.
//! - `fleet`: every host at once (one request each, concurrently) and TARGET across hosts.
//! - `ops`, `target`, `connection`, `apps`: the operations and resolutions underneath.

pub mod alerts;
mod alerts_checks;
mod alerts_notify;
mod alerts_reload;
pub mod app_lifecycle;
pub mod apps;
pub mod backup_schedule;
pub mod backups;
pub mod connection;
pub mod console;
mod demo;
mod deploy_api;
mod detail;
pub mod events;
pub mod fleet;
pub(crate) mod guest_jobs;
mod host_flows;
pub mod hosts;
mod inventory_answer;
pub mod jobs;
pub mod last_backups;
pub mod metrics;
mod metrics_api;
pub mod metrics_series;
pub mod ops;
pub mod recording;
pub mod refresh;
pub mod service;
pub mod settings;
pub mod snapshots;
pub mod target;

pub use connection::{ConnAuth, ConnError, ConnSpec};
pub use console::ConsoleEvent;
pub use demo::start_sim as start_demo_sim;
pub use events::{EngineEvent, HostEntry, HostFailure};
pub use fleet::{FleetError, FleetHost, HostResult};
pub use hosts::{HostDraft, SecretString};
pub use jobs::{Caller, JobCtx, JobEvent, JobId, JobInfo, JobKind, JobState};

/// How many finished jobs and deployments the journals keep (`Engine::prune_journals`).
pub const JOURNAL_KEEP: usize = 200;
pub use ops::{EngineError, PowerOp};
pub use service::{DEFAULT_REFRESH, Engine, EngineConfig, Refusal};
pub use target::{GuestRef, HostDown, ResolvedGuest, TargetError, resolve_target};
