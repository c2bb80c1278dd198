//! `pve`: a typed Proxmox VE API client (reqwest + rustls/ring, tokio).
//!
//! * [`PveClient`] (cheap to clone, `Send + Sync`) built from an [`EndpointConfig`]: API
//!   token or ticket auth (CSRF on writes, renewal every 15 min, one re-login on a 401,
//!   TOTP via [`PveClient::login`] + [`PveClient::complete_tfa`]).
//! * TLS verified by default, SHA-256 pinning for self-signed nodes, explicit insecure
//!   ([`tls`]), trust-on-first-use with [`tls::fetch_fingerprint`].
//! * Typed errors ([`PveError`]) whose `Display` is Proxmox's own message.
//! * GETs retried with backoff + jitter on transient failures; writes never retried.
//! * Endpoints: cluster/nodes, LXC (and QEMU list/status), storage, templates, backups,
//!   tasks ([`Upid`], log follow stream, `wait_task`), RRD, and the termproxy console
//!   ([`TermproxyStream`]).
//!
//! ```no_run
//! # async fn demo() -> proximity::pve::Result<()> {
//! use proximity::pve::{Auth, EndpointConfig, PveClient, TlsPolicy};
//! let fp = "AB:".repeat(31) + "AB";
//! let cfg = EndpointConfig::new(
//!     "https://pve.lan:8006",
//!     Auth::Token { token_id: "root@pam!proximity".into(), secret: "uuid".into() },
//! )
//! .with_tls(TlsPolicy::Pinned(fp.parse()?));
//! let client = PveClient::new(cfg)?;
//! let upid = client.lxc_start("pve", 100).await?;
//! client.wait_task(&upid, std::time::Duration::from_secs(1)).await?;
//! # Ok(()) }
//! ```

mod auth;
mod backups;
mod client;
mod cluster;
mod config;
mod console;
mod error;
mod guest_types;
pub mod lenient;
mod lxc;
mod params;
mod resources;
mod storage;
mod tasks;
pub mod tls;
pub mod types;
mod upid;

pub use auth::LoginOutcome;
pub use backups::{BackupJob, BackupJobSpec, BackupVolume, Retention, vmid_from_volid};
pub use client::PveClient;
pub use config::{Auth, EndpointConfig, RetryPolicy};
pub use console::{
    ConsoleOptions, ConsoleTarget, KEEPALIVE, TermproxyReader, TermproxyStream, TermproxyTicket,
    TermproxyWriter, auth_line, encode_input, encode_resize,
};
pub use error::{PveError, Result};
pub use guest_types::{GuestStatus, HaStatus, IpAddress, LxcConfig, LxcInterface, Snapshot};
pub use lxc::{CloneOptions, DeleteOptions, LxcCreate, PowerAction};
pub use params::Params;
pub use resources::{for_each_resource, parse_resources};
pub use storage::{Appliance, BackupMode, StorageContent, StorageEntry, Vzdump};
pub use tasks::{TaskFilter, TaskListEntry, TaskLogLine, TaskLogPage, TaskStatus, exit_ok};
pub use tls::{Fingerprint, TlsPolicy};
pub use types::{
    BootInfo, Cf, ClusterResource, ClusterStatusEntry, CpuInfo, DiskUsage, MemoryUsage, NodeEntry,
    NodeStatus, ResourceFilter, RrdPoint, Timeframe, Version,
};
pub use upid::Upid;
