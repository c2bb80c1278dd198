//! `Engine`: the one application core every front end drives (the TUI, the CLI, a test with
//! no terminal; later SSH sessions and MCP). It owns the connections to hosts and their
//! refreshers, the jobs, the consoles and the host flows, applies the same checks for every
//! caller, and publishes what happens as `EngineEvent`s. Its methods never wait on the network:
//! work that does runs as a job or a spawned read, so a slow or dead host delays nobody.
//! Must be used inside a tokio runtime.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};

use super::ConnSpec;
use super::console::{ConsoleEvent, Consoles};
use super::events::{EngineEvent, InventoryResult};
use super::jobs::{Caller, JobCtx, JobId, JobInfo, JobKind, JobRegistry, JobState, JobTarget};
use super::ops::PowerOp;
use super::refresh::{self, HostLink};
use super::settings::{self, RecordingSwitch};
use super::target::GuestRef;
use crate::inventory::GuestKind;
use crate::pve::ConsoleTarget;
use crate::store::{HostConfig, Store};

/// Events buffered for a subscriber that falls behind; past that it is told it lagged and
/// re-reads the state it needs (`jobs()`, `latest()`).
const EVENT_CAPACITY: usize = 4096;
/// Proxmox's own UI polls every few seconds.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(5);

/// How an engine is set up.
#[derive(Clone)]
pub struct EngineConfig {
    pub store: Option<Store>,
    /// Where console recordings go (`None`: never recorded).
    pub state_dir: Option<PathBuf>,
    /// Who drives this engine (recorded on its jobs).
    pub caller: Caller,
    /// Background refresh of every connected host; `None` for one-shot callers (the CLI
    /// fetches when it needs to).
    pub refresh: Option<Duration>,
}

/// Why the engine would not do something, in typed form (every caller gets the same).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("host {0} is not connected")]
    NotConnected(String),
    #[error("CT {vmid} is running: stop it first")]
    Running { vmid: u32 },
    /// As `Running`, seen live by a one-shot delete that can stop it (`--force`).
    #[error("CT {vmid} is running: stop it first or use --force")]
    RunningUnlessForced { vmid: u32 },
    #[error("{vmid} is a VM: deleting VMs is not supported yet")]
    VmDelete { vmid: u32 },
    #[error("no guest {vmid} on host {host}")]
    NoGuest { host: String, vmid: u32 },
    #[error("{0}")]
    Host(String),
    #[error(transparent)]
    Deploy(#[from] crate::deploy::DeployRefusal),
    #[error("no storage of host {host} on node {node} takes backups")]
    NoBackupStorage { host: String, node: String },
    #[error("backup {volid} is protected: unprotect it first")]
    Protected { volid: String },
    #[error("no backup {volid} on host {host}")]
    NoBackup { host: String, volid: String },
    /// `guest`: `CT` or `VM`.
    #[error("{guest} {vmid} is running: stop it before restoring over it")]
    RestoreRunning { guest: &'static str, vmid: u32 },
    #[error("restoring over {guest} {vmid} replaces it and its data: confirm to go on")]
    ConfirmOverwrite { guest: &'static str, vmid: u32 },
    #[error("{vmid} is a VM: {what} is for containers only")]
    ContainersOnly { vmid: u32, what: &'static str },
    #[error("{0}")]
    Invalid(String),
}

/// The engine: cheap to clone, shared by every task of a front end.
#[derive(Clone)]
pub struct Engine {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    config: EngineConfig,
    pub(super) events: broadcast::Sender<EngineEvent>,
    jobs: JobRegistry,
    links: Mutex<HashMap<String, HostLink>>,
    consoles: Mutex<Consoles>,
    /// Hosts waiting for the user to trust their fingerprint, by new name, with the name of
    /// the host they replace when the form was an edit.
    pub(super) pending_hosts: Mutex<HashMap<String, (HostConfig, Option<String>)>>,
    demo: Mutex<Option<(crate::sim::SimHandle, tempfile::TempDir)>>,
    /// How deployments run commands in containers (`None`: the termproxy console).
    pub(super) executors: Mutex<Option<crate::deploy::SharedExecutors>>,
    pub(super) deploy_tuning: Mutex<crate::deploy::DeployTuning>,
    /// Names of deployments this engine is running: taken until they end, so two deploys
    /// started at once never pick the same name.
    pub(super) deploying: Mutex<std::collections::HashSet<String>>,
    /// Container ids held by this engine's deployments between allocate and create.
    pub(super) reserved_vmids: Arc<Mutex<std::collections::HashSet<u32>>>,
    /// The inventories the top lists measure disk and network rates between.
    pub(super) top_rates: Mutex<super::metrics::RateMemory>,
    /// The alert monitor, once started (`engine::alerts`).
    pub(super) alerts: Mutex<Option<Arc<super::alerts::MonitorShared>>>,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here is a map operation: a panic elsewhere leaves it whole.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Engine {
    pub fn new(config: EngineConfig) -> Engine {
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let jobs = JobRegistry::new(config.store.clone(), events.clone());
        let consoles = Consoles::new(config.store.clone(), config.state_dir.clone());
        Engine {
            inner: Arc::new(Inner {
                config,
                events,
                jobs,
                links: Mutex::new(HashMap::new()),
                consoles: Mutex::new(consoles),
                pending_hosts: Mutex::new(HashMap::new()),
                demo: Mutex::new(None),
                executors: Mutex::new(None),
                deploy_tuning: Mutex::new(crate::deploy::DeployTuning::default()),
                deploying: Mutex::new(std::collections::HashSet::new()),
                reserved_vmids: Arc::new(Mutex::new(std::collections::HashSet::new())),
                top_rates: Mutex::new(Default::default()),
                alerts: Mutex::new(None),
            }),
        }
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    pub(super) fn publish(&self, event: EngineEvent) {
        let _ = self.inner.events.send(event);
    }

    pub(super) fn notice(&self, text: impl Into<String>, error: bool) {
        let text = crate::text::clean_string(&text.into());
        self.publish(EngineEvent::Notice { text, error });
    }

    pub fn store(&self) -> Option<&Store> {
        self.inner.config.store.as_ref()
    }

    // ---- connections -------------------------------------------------------------------

    /// Connect to `spec` (replacing a connection of the same name) and, when the engine
    /// refreshes in the background, start its refresher.
    pub fn connect(&self, spec: &ConnSpec) -> Result<(), Refusal> {
        let link = HostLink::new(spec)
            .map_err(|e| Refusal::Host(crate::text::clean_string(&e.to_string())))?;
        if let Some(interval) = self.inner.config.refresh {
            refresh::spawn_refresher(
                spec.name.clone(),
                link.clone(),
                self.inner.events.clone(),
                self.inner.config.store.clone(),
                interval,
            );
        }
        if let Some(old) = lock(&self.inner.links).insert(spec.name.clone(), link) {
            old.stop.notify_one();
        }
        // Loud on every insecure connect, in every front end (the CLI prints it itself).
        if let Some(warning) = super::connection::insecure_warning(spec) {
            tracing::warn!("{warning}");
            self.notice(warning, true);
        }
        Ok(())
    }

    /// Use a client the caller already logged in (the CLI asks for TOTP codes itself) as
    /// host `name`; no refresher.
    pub fn attach(&self, name: &str, client: crate::pve::PveClient) {
        let link = HostLink::with_client(client);
        if let Some(old) = lock(&self.inner.links).insert(name.to_string(), link) {
            old.stop.notify_one();
        }
    }

    /// Stop refreshing `host` and forget its connection.
    pub fn disconnect(&self, host: &str) {
        if let Some(link) = lock(&self.inner.links).remove(host) {
            link.stop.notify_one();
        }
    }

    /// The connected hosts' names, sorted.
    pub fn connected(&self) -> Vec<String> {
        let mut names: Vec<String> = lock(&self.inner.links).keys().cloned().collect();
        names.sort();
        names
    }

    pub(super) fn link(&self, host: &str) -> Result<HostLink, Refusal> {
        lock(&self.inner.links)
            .get(host)
            .cloned()
            .ok_or_else(|| Refusal::NotConnected(host.to_string()))
    }

    /// The client of a connected host (for reads a caller makes itself).
    pub fn client(&self, host: &str) -> Result<crate::pve::PveClient, Refusal> {
        Ok(self.link(host)?.client)
    }

    /// Publish each connected host's cached inventory (offline start: drawn at once,
    /// marked stale, while the first refresh runs).
    pub fn publish_cached(&self) {
        let Some(store) = self.store() else { return };
        for host in self.connected() {
            if let Some((list, at)) = refresh::cached(store, &host) {
                self.publish(EngineEvent::Cached {
                    host,
                    nodes: list,
                    at,
                });
            }
        }
    }

    /// Ask for a refresh of `host` now.
    pub fn refresh(&self, host: &str) {
        if let Ok(link) = self.link(host) {
            link.refresh.notify_one();
        }
    }

    pub fn refresh_all(&self) {
        for link in lock(&self.inner.links).values() {
            link.refresh.notify_one();
        }
    }

    /// Fetch `host`'s whole `/cluster/resources` answer now (one-shot callers that show
    /// every field); its nodes are also kept as the latest.
    pub async fn fetch_inventory(
        &self,
        host: &str,
    ) -> Result<Arc<Vec<crate::pve::types::ClusterResource>>, super::events::HostFailure> {
        let link = self
            .link(host)
            .map_err(|e| super::events::HostFailure::Unreachable(e.to_string()))?;
        link.fetch_list().await
    }

    /// Fetch `host`'s nodes and guests now, kept as its latest (an unchanged answer brings
    /// the same `Arc` as the last).
    pub async fn fetch_nodes(&self, host: &str) -> InventoryResult {
        let link = self
            .link(host)
            .map_err(|e| super::events::HostFailure::Unreachable(e.to_string()))?;
        link.fetch().await
    }

    /// The last nodes and guests of `host` the engine saw, if any.
    pub fn latest(&self, host: &str) -> Option<crate::inventory::Nodes> {
        self.link(host).ok()?.latest()
    }

    // ---- jobs --------------------------------------------------------------------------

    pub fn jobs(&self) -> Vec<JobInfo> {
        self.inner.jobs.list()
    }

    pub fn job(&self, id: JobId) -> Option<JobInfo> {
        self.inner.jobs.get(id)
    }

    /// Jobs still running (the quit confirmation asks when there are some).
    pub fn running_jobs(&self) -> usize {
        self.inner.jobs.running()
    }

    /// Wait for a job's end; its final snapshot.
    pub async fn wait(&self, id: JobId) -> Option<JobInfo> {
        self.inner.jobs.wait(id).await
    }

    /// Ask a running job to stop.
    pub fn cancel(&self, id: JobId) -> bool {
        self.inner.jobs.cancel(id)
    }

    /// Jobs of earlier processes that the journal says were still running when they died.
    pub fn interrupted_jobs(&self) -> Vec<JobInfo> {
        let Some(store) = self.store() else {
            return Vec::new();
        };
        let records = match store.jobs().list::<JobInfo>() {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("reading the job journal: {e}");
                return Vec::new();
            }
        };
        let mine: Vec<JobId> = self.jobs().iter().map(|j| j.id).collect();
        records
            .into_iter()
            .filter_map(|r| r.ok())
            .filter(|j| !j.state.is_finished() && !mine.contains(&j.id))
            .map(|mut j| {
                j.state = JobState::Interrupted;
                j
            })
            .collect()
    }

    /// A job from this process or the journal (the CLI's `logs JOB`).
    pub fn find_job(&self, id: JobId) -> Option<JobInfo> {
        self.job(id).or_else(|| {
            self.store()
                .and_then(|s| s.jobs().get::<JobInfo>(id.0).ok().flatten())
        })
    }

    pub(super) fn begin(&self, kind: JobKind, target: JobTarget) -> JobCtx {
        self.inner
            .jobs
            .begin(kind, self.inner.config.caller, target)
    }

    /// The guest's status as the latest inventory has it, for the checks (`None`: not seen).
    fn latest_status(link: &HostLink, guest: &GuestRef) -> Option<String> {
        let nodes = link.latest()?;
        let g = nodes
            .iter()
            .flat_map(|n| n.guests.iter())
            .find(|g| g.vmid == guest.vmid && g.kind == guest.kind)?;
        Some(g.wire_status().to_string())
    }

    fn job_target(guest: &GuestRef) -> JobTarget {
        JobTarget {
            host: guest.host.clone(),
            node: Some(guest.node.clone()),
            vmid: Some(guest.vmid),
        }
    }

    /// Start, stop, shut down or reboot a guest, as a job.
    pub fn power(&self, guest: &GuestRef, op: PowerOp) -> Result<JobId, Refusal> {
        let link = self.link(&guest.host)?;
        let kind = match op {
            PowerOp::Start => JobKind::Start,
            PowerOp::Stop => JobKind::Stop,
            PowerOp::Shutdown => JobKind::Shutdown,
            PowerOp::Reboot => JobKind::Reboot,
        };
        let ctx = self.begin(kind, Self::job_target(guest));
        let id = ctx.id();
        tokio::spawn(super::guest_jobs::power(ctx, link, guest.clone(), op));
        Ok(id)
    }

    /// Delete a container, as a job. A running one is refused unless `force` (which stops
    /// it first): the same check for the CLI and the TUI, from the latest inventory.
    pub fn delete(&self, guest: &GuestRef, force: bool) -> Result<JobId, Refusal> {
        let link = self.link(&guest.host)?;
        let status = Self::latest_status(&link, guest).unwrap_or_default();
        self.delete_with_status(guest, &status, force)
    }

    /// `delete` for a caller that resolved the guest itself (the CLI's TARGET) and knows
    /// the status it saw. The job checks the live status again before it deletes.
    pub fn delete_with_status(
        &self,
        guest: &GuestRef,
        status: &str,
        force: bool,
    ) -> Result<JobId, Refusal> {
        let link = self.link(&guest.host)?;
        if guest.kind == GuestKind::Vm {
            return Err(Refusal::VmDelete { vmid: guest.vmid });
        }
        if status == "running" && !force {
            return Err(Refusal::Running { vmid: guest.vmid });
        }
        let ctx = self.begin(JobKind::Delete, Self::job_target(guest));
        let id = ctx.id();
        tokio::spawn(super::guest_jobs::delete(ctx, link, guest.clone(), force));
        Ok(id)
    }

    // ---- reads for the detail panel and logs --------------------------------------------

    /// Config, addresses and an hour of metrics of a guest, published as they arrive.
    pub fn load_detail(&self, host: &str, node: &str, vmid: u32) {
        let Ok(link) = self.link(host) else { return };
        let target = super::metrics::MetricsTarget::Guest {
            host: host.to_string(),
            node: node.to_string(),
            vmid,
            kind: self.guest_kind(host, vmid),
        };
        tokio::spawn(super::detail::load(
            link.client,
            target,
            self.inner.events.clone(),
        ));
    }

    /// Every connected host's recent Proxmox tasks, published per host as they arrive.
    pub fn refresh_tasks(&self) {
        let links: Vec<(String, HostLink)> = lock(&self.inner.links)
            .iter()
            .map(|(n, l)| (n.clone(), l.clone()))
            .collect();
        for (host, link) in links {
            let events = self.inner.events.clone();
            tokio::spawn(async move {
                let result = link
                    .client
                    .cluster_tasks()
                    .await
                    .map_err(|e| refresh::failure(&e));
                let at = std::time::SystemTime::now();
                let _ = events.send(EngineEvent::ProxmoxTasks { host, result, at });
            });
        }
    }

    /// Ask Proxmox to stop a task (what the web UI's Stop button does).
    pub fn stop_task(&self, host: &str, upid: &str) -> Result<(), Refusal> {
        let link = self.link(host)?;
        let upid: crate::pve::Upid = upid
            .parse()
            .map_err(|e: crate::pve::PveError| Refusal::Host(e.to_string()))?;
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(e) = link.client.task_stop(&upid).await {
                engine.notice(format!("stopping {upid}: {e}"), true);
            }
        });
        Ok(())
    }

    // ---- consoles ----------------------------------------------------------------------

    /// Open (or reopen, same `session`) a console; what happens goes into `sink`.
    pub fn open_console<E: From<ConsoleEvent> + Send + 'static>(
        &self,
        session: u64,
        host: &str,
        target: ConsoleTarget,
        size: (u16, u16),
        sink: mpsc::Sender<E>,
    ) {
        match self.link(host) {
            Ok(link) => {
                lock(&self.inner.consoles).open(session, host, link.client, target, size, sink)
            }
            Err(e) => {
                let closed = ConsoleEvent::Closed {
                    session,
                    reason: e.to_string(),
                    dropped: false,
                };
                // The sink is the caller's inbox: never wait on it from here.
                let _ = sink.try_send(E::from(closed));
            }
        }
    }

    pub fn console_input(&self, session: u64, bytes: Vec<u8>) {
        lock(&self.inner.consoles).input(session, bytes);
    }

    pub fn console_resize(&self, session: u64, cols: u16, rows: u16) {
        lock(&self.inner.consoles).resize(session, cols, rows);
    }

    pub fn close_console(&self, session: u64) {
        lock(&self.inner.consoles).close(session);
    }

    // ---- settings ----------------------------------------------------------------------

    pub fn save_theme(&self, theme: &str) {
        let Some(store) = self.store() else { return };
        if let Err(e) = store
            .settings()
            .update(|s| s.theme = Some(theme.to_string()))
        {
            self.notice(format!("saving settings: {e}"), true);
        }
    }

    /// Persist a recording switch and publish what the store now holds; on failure a notice
    /// and the switches that still stand, so no screen claims a recording that will not be
    /// made.
    pub fn save_recording(&self, switch: &RecordingSwitch, on: bool) {
        let state = match settings::save_recording(self.store(), switch, on) {
            Ok(written) => written,
            Err(e) => {
                tracing::warn!("{e}");
                self.notice(e, true);
                settings::current(self.store())
            }
        };
        self.publish(EngineEvent::Recording(state));
    }

    pub fn recording(&self) -> settings::RecordingSwitches {
        settings::current(self.store())
    }

    // ---- the demo ----------------------------------------------------------------------

    /// Start the embedded emulator and connect to it as host `demo` (onboarding's "try it").
    pub fn start_demo(&self) {
        if self.link("demo").is_ok() {
            return;
        }
        let engine = self.clone();
        tokio::spawn(async move {
            let dir = match tempfile::tempdir() {
                Ok(d) => d,
                Err(e) => return engine.notice(format!("demo: {e}"), true),
            };
            match super::demo::start_sim(3, 30, 1, dir.path()).await {
                Ok((spec, sim)) => {
                    if let Err(e) = engine.connect(&spec) {
                        engine.notice(format!("demo: {e}"), true);
                    }
                    *lock(&engine.inner.demo) = Some((sim, dir));
                    engine.publish_hosts();
                }
                Err(e) => engine.notice(e, true),
            }
        });
    }

    /// Stop refreshers, consoles and the demo emulator; write each host's offline cache if
    /// its inventory changed since the last write.
    pub async fn shutdown(&self) {
        self.stop_alerts();
        if let Some(store) = self.store().cloned() {
            let links: Vec<(String, HostLink)> = lock(&self.inner.links)
                .iter()
                .map(|(name, link)| (name.clone(), link.clone()))
                .collect();
            let saved = tokio::task::spawn_blocking(move || {
                for (name, link) in links {
                    link.save_cache(&store, &name, true);
                }
            })
            .await;
            if let Err(e) = saved {
                tracing::warn!("writing the inventory cache at exit: {e}");
            }
        }
        let names = self.connected();
        for name in names {
            self.disconnect(&name);
        }
        let demo = lock(&self.inner.demo).take();
        if let Some((sim, _dir)) = demo {
            sim.shutdown().await;
        }
    }
}
