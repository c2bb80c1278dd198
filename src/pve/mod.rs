//! `pve`: a typed Proxmox VE API client (reqwest + rustls, tokio): ticket and token auth,
//! TLS fingerprint pinning, typed errors from the real envelope, retries for idempotent reads,
//! tasks (UPID) and the termproxy console stream.

pub mod types;
