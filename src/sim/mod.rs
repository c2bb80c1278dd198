//! `sim`: a faithful Proxmox VE emulator (HTTPS REST + termproxy websocket over real PTYs).
//!
//! It is a second implementation of the wire (`WIRE.md`), never a mirror of the client: answers
//! are built from the emulator's own model, not from `crate::pve` structs.
//!
//! Contract used by the CLI, `proximity demo` and the tests:
//! `sim::start(SimConfig) -> SimHandle`, whose `info` is the one JSON line `proximity sim` prints.

pub mod console;
pub mod schema;
pub mod shell;

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything `proximity sim` can be told on its command line.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub listen: SocketAddr,
    pub nodes: usize,
    pub guests: usize,
    pub seed: u64,
    pub state_dir: Option<PathBuf>,
    pub tls: bool,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Full token `user@realm!id=secret`.
    pub token: Option<String>,
    pub fail_rate: f64,
    pub latency_ms: u64,
    pub ticket_lifetime_s: u64,
    pub drop_console_after_s: Option<u64>,
    pub console_cmd: Option<String>,
    /// Real Proxmox delays 401s by ~3 s; tests set 0.
    pub auth_failure_delay_ms: u64,
    /// Program that runs the simulated shells in PTYs (`proximity __sim-shell`); None = current exe.
    pub shell_exe: Option<PathBuf>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            nodes: 3,
            guests: 30,
            seed: 1,
            state_dir: None,
            tls: true,
            user: None,
            password: None,
            token: None,
            fail_rate: 0.0,
            latency_ms: 0,
            ticket_lifetime_s: 7200,
            drop_console_after_s: None,
            console_cmd: None,
            auth_failure_delay_ms: 0,
            shell_exe: None,
        }
    }
}

/// How to connect: printed by `proximity sim` as one JSON line.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SimInfo {
    pub url: String,
    /// SHA-256 of the certificate, colon hex (absent for plain HTTP).
    pub fingerprint: Option<String>,
    pub user: String,
    pub password: String,
    pub token: String,
}
