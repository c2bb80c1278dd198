//! `sim`: a faithful Proxmox VE emulator (HTTPS REST + termproxy websocket over real PTYs).
//!
//! It is a second implementation of the wire (`WIRE.md`), never a mirror of the client: answers
//! are built from the emulator's own model, not from `crate::pve` structs.
//!
//! Contract used by the CLI, `proximity demo` and the tests:
//! `sim::start(SimConfig) -> SimHandle`, whose `info` is the one JSON line `proximity sim` prints.
//!
//! Map: `server` (TLS, hyper, the request pipeline) -> `auth` (tickets, CSRF, tokens, TFA) ->
//! `routes` (the API tree) -> `api_*`, `lxc_*`, `aplinfo`, `rrd`, `tasks` (handlers) over
//! `state` (shared `Sim`) and `model` (plain data, seeded by `seed`, persisted by `persist`);
//! `usage` makes metrics move; `schema_check` validates against the real API schema.

pub mod console;
pub mod schema;
pub mod shell;

mod api_cluster;
mod api_console;
mod api_guest;
mod api_lxc;
mod api_storage;
mod aplinfo;
mod auth;
mod backup_jobs;
mod cli;
mod clock;
mod control;
mod deploy_sim;
mod http;
mod lxc_config;
mod lxc_create;
mod model;
mod persist;
mod qemu_restore;
mod rhythm;
mod routes;
mod rrd;
mod schema_check;
mod seed;
mod server;
mod state;
mod tasks;
mod usage;
mod vzdump;

pub use cli::{SimArgs, run_cli};
pub use deploy_sim::{DeployStep, DeployTiming};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use state::Sim;

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
    /// Probability (0..1) that a worker task fails (`TASK ERROR`) without changing anything.
    pub fail_task_rate: f64,
    pub latency_ms: u64,
    pub ticket_lifetime_s: u64,
    pub drop_console_after_s: Option<u64>,
    pub console_cmd: Option<String>,
    /// Real Proxmox delays 401s by ~3 s; tests set 0.
    pub auth_failure_delay_ms: u64,
    /// Program that runs the simulated shells in PTYs (`proximity __sim-shell`); None = current exe.
    pub shell_exe: Option<PathBuf>,
    /// Base32 TOTP secret of `user`: logins then need the second factor (`NeedTFA`).
    pub totp_secret: Option<String>,
    /// Pause between the steps of a worker task (tests make it small).
    pub task_step_ms: u64,
    /// Check every successful answer against the API schema's `returns` (tests turn it on).
    pub check_returns: bool,
    /// Deployment step to break (`--fail-step`): API tasks or commands in the container.
    pub fail_step: Option<DeployStep>,
    /// How long simulated work inside containers takes (`--deploy-timing`).
    pub deploy_timing: DeployTiming,
    /// Speed of the backup-job scheduler's clock (`--time-scale`; 1.0 = real time).
    pub time_scale: f64,
    /// Nodes that are offline from the start (`--offline-node`), for alert tests.
    pub offline_nodes: Vec<String>,
    /// Guests whose CPU and memory spike from the start (`--spike`), for alert tests.
    pub spikes: Vec<SpikeSpec>,
}

/// A guest forced to at least `cpu` and `mem` (fractions of its limits).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeSpec {
    pub vmid: u32,
    pub cpu: f64,
    pub mem: f64,
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
            fail_task_rate: 0.0,
            latency_ms: 0,
            ticket_lifetime_s: 7200,
            drop_console_after_s: None,
            console_cmd: None,
            auth_failure_delay_ms: 0,
            shell_exe: None,
            totp_secret: None,
            task_step_ms: 300,
            check_returns: false,
            fail_step: None,
            deploy_timing: DeployTiming::Fast,
            time_scale: 1.0,
            offline_nodes: Vec::new(),
            spikes: Vec::new(),
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

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("state file {}: {source}", path.display())]
    State {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("state file {} is not a valid emulator state: {message}", path.display())]
    StateFormat { path: PathBuf, message: String },
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A running emulator.
pub struct SimHandle {
    pub info: SimInfo,
    addr: SocketAddr,
    sim: Arc<Sim>,
    cancel: CancellationToken,
    server: JoinHandle<()>,
    saver: Option<JoinHandle<()>>,
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Schema violations recorded so far (only with `check_returns`).
    pub fn schema_violations(&self) -> Vec<String> {
        self.sim.violations()
    }

    /// TCP connections accepted so far.
    pub fn connections_accepted(&self) -> usize {
        self.sim
            .connections_accepted
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Take node `name` offline (or back online): `/cluster/resources` and `/nodes` say so,
    /// its guests turn `unknown`. False when there is no such node.
    pub fn set_node_online(&self, name: &str, online: bool) -> bool {
        control::set_node_online(&self.sim, name, online)
    }

    /// Spike guest `vmid`'s CPU and memory to at least these fractions from now on (`None`:
    /// back to its normal curve). False when there is no such guest.
    pub fn spike(&self, vmid: u32, load: Option<(f64, f64)>) -> bool {
        control::spike(&self.sim, vmid, load)
    }

    /// Stop serving, end open connections, and save the state one last time.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    /// `shutdown` for an owner that keeps the handle (a test reads its violations after);
    /// calling it again does nothing.
    pub async fn stop(&mut self) {
        self.cancel.cancel();
        if !self.server.is_finished() {
            let _ = (&mut self.server).await;
        }
        if let Some(saver) = self.saver.take() {
            let _ = saver.await;
        }
    }
}

/// Something random enough for keys and generated credentials of an emulator (no RNG crate
/// API to track: std's per-process random hasher keys mixed with the clock).
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    clock::mix64(h.finish())
}

/// `words` x 16 hex digits for generated passwords, token secrets and keys: from the OS
/// random generator (a guessable password would let anyone who reaches the port in); the
/// hash mix above only if the OS has no random source.
fn random_hex(words: usize) -> String {
    auth::os_random_hex(words * 8).unwrap_or_else(|| {
        (0..words)
            .map(|_| format!("{:016x}", random_u64()))
            .collect()
    })
}

/// Start the emulator: build or load the model, bind, and serve in the background.
pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    let loaded = match &config.state_dir {
        Some(dir) => persist::load(dir)?,
        None => None,
    };
    let shell_state = deploy_sim::ShellStateStore::new(config.state_dir.as_deref())?;
    let mut model = match loaded {
        Some(m) => m,
        None => {
            let model = seed::build(config.seed, config.nodes, config.guests, random_hex(4));
            shell_state.seed_apps(&model);
            model
        }
    };
    // Generated credentials are kept with the state so a restarted emulator accepts them again.
    let user = config
        .user
        .clone()
        .unwrap_or_else(|| "root@pam".to_string());
    let password = match (&config.password, &model.password) {
        (Some(p), _) => p.clone(),
        (None, Some(p)) => p.clone(),
        (None, None) => random_hex(1),
    };
    let token = match (&config.token, &model.token) {
        (Some(t), _) => t.clone(),
        (None, Some(t)) if t.starts_with(&format!("{user}!")) => t.clone(),
        _ => {
            let h = random_hex(2);
            format!(
                "{user}!proximity={}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            )
        }
    };
    model.password = Some(password.clone());
    model.token = Some(token.clone());
    let key = hex::decode(&model.auth_key).unwrap_or_else(|_| model.auth_key.as_bytes().to_vec());
    let auth = auth::Auth::new(
        key,
        user.clone(),
        password.clone(),
        &token,
        config.totp_secret.as_deref(),
        config.ticket_lifetime_s,
    )
    .map_err(SimError::Config)?;

    let (tls, fingerprint) = if config.tls {
        let (acceptor, fp) = server::make_tls()?;
        (Some(acceptor), Some(fp))
    } else {
        (None, None)
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr()?;

    let hub = console::ConsoleHub::new(console::ConsoleConfig {
        console_cmd: config.console_cmd.clone(),
        drop_after: config
            .drop_console_after_s
            .map(std::time::Duration::from_secs),
        shell_exe: config.shell_exe.clone(),
        shell_state_dir: Some(shell_state.dir().to_path_buf()),
        fail_step: config
            .fail_step
            .filter(|s| s.in_shell())
            .map(|s| s.as_str().to_string()),
        deploy_timing: Some(config.deploy_timing.as_str().to_string()),
    });
    control::apply_start_knobs(&mut model, &config)?;
    let state_dir = config.state_dir.clone();
    let scheme = if config.tls { "https" } else { "http" };
    let sim = Arc::new(Sim::new(config, model, auth, hub, shell_state));
    let cancel = CancellationToken::new();
    let saver = state_dir.map(|dir| {
        // Save once at start so the generated cluster and credentials exist on disk.
        sim.dirty.notify_one();
        tokio::spawn(persist::saver(sim.clone(), dir, cancel.clone()))
    });
    tokio::spawn(backup_jobs::scheduler(sim.clone(), cancel.clone()));
    let server = tokio::spawn(server::accept_loop(
        listener,
        tls,
        sim.clone(),
        cancel.clone(),
    ));
    let info = SimInfo {
        url: format!("{scheme}://{addr}"),
        fingerprint,
        user,
        password,
        token,
    };
    Ok(SimHandle {
        info,
        addr,
        sim,
        cancel,
        server,
        saver,
    })
}
