//! The deployment job: the steps from a request to a running, answering app, each journaled
//! before and after it runs; cancel and failure roll back (stop and destroy the container)
//! unless keep-on-failure was asked; a resumed deployment re-runs the step under way, and
//! every step first looks at what is already there, so running one twice is harmless.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

use super::exec::{ExecOutput, Executor};
use super::executors::SharedExecutors;
use super::place::{self, NodeCandidate};
use super::record::{AppOrigin, AppRecord, DeployStep, DeploymentRecord, DeploymentStatus};
use super::request::validate_name;
use super::{rollback, scripts};
use crate::catalog::AppSpec;
use crate::engine::JobCtx;
use crate::engine::apps::{AppMeta, app_description, parse_app_meta};
use crate::engine::jobs::now_ms;
use crate::pve::types::ClusterResource;
use crate::pve::{LxcCreate, PveClient, Upid};
use crate::store::Store;

/// How long things may take, and how often to look. Realistic by default; tests go fast.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployTuning {
    /// How often a Proxmox task or the container's address is polled.
    pub poll: Duration,
    pub address_timeout: Duration,
    pub install_timeout: Duration,
    pub pull_timeout: Duration,
    pub command_timeout: Duration,
    pub health_timeout: Duration,
    pub health_interval: Duration,
}

impl Default for DeployTuning {
    fn default() -> Self {
        DeployTuning {
            poll: Duration::from_millis(500),
            address_timeout: Duration::from_secs(120),
            install_timeout: Duration::from_secs(900),
            pull_timeout: Duration::from_secs(1800),
            command_timeout: Duration::from_secs(300),
            health_timeout: Duration::from_secs(180),
            health_interval: Duration::from_secs(2),
        }
    }
}

impl DeployTuning {
    /// For tests against the emulator with fast timings.
    pub fn fast() -> DeployTuning {
        DeployTuning {
            poll: Duration::from_millis(50),
            address_timeout: Duration::from_secs(20),
            install_timeout: Duration::from_secs(60),
            pull_timeout: Duration::from_secs(60),
            command_timeout: Duration::from_secs(30),
            health_timeout: Duration::from_secs(4),
            health_interval: Duration::from_millis(100),
        }
    }
}

/// A connected host a deployment may use.
#[derive(Clone)]
pub struct HostAccess {
    pub name: String,
    pub client: PveClient,
}

/// Everything a deployment job needs besides its record.
#[derive(Clone)]
pub struct Deployer {
    pub hosts: Vec<HostAccess>,
    pub executors: SharedExecutors,
    pub store: Option<Store>,
    pub tuning: DeployTuning,
    /// Container ids this process's deployments hold between allocating and creating:
    /// `nextid` answers every concurrent caller the same id, so 50 deployments at once
    /// would otherwise all chase the same few ids.
    pub reserved_vmids: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<u32>>>,
}

impl Deployer {
    fn reserved(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<u32>> {
        // A set of ids: a panic elsewhere cannot leave it half-changed.
        self.reserved_vmids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// Why a deployment stopped before the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Cancelled,
    Failed(String),
}

pub(super) type StepResult<T = ()> = Result<T, Stop>;

pub(super) fn failed(what: impl Display) -> Stop {
    Stop::Failed(crate::text::clean_string(&what.to_string()))
}

/// The journal key of a deployment: zero-padded so keys sort by id.
pub fn journal_key(id: u64) -> String {
    format!("{id:020}")
}

/// Write `rec` to the journal (flushed). A journal that cannot be written is logged: the
/// deployment goes on, as a job without a store does.
pub fn journal(store: Option<&Store>, rec: &mut DeploymentRecord) {
    rec.updated_ms = now_ms();
    rec.owner_pid = Some(std::process::id());
    if let Some(store) = store
        && let Err(e) = store.deployments().put(&journal_key(rec.id), rec)
    {
        tracing::warn!("journaling deployment {}: {e}", rec.id);
    }
}

/// Run a deployment from `from` to its end, then record the outcome: the app on success;
/// otherwise a rollback (always on cancel; on failure unless keep-on-failure).
pub async fn deploy(
    ctx: JobCtx,
    deployer: Deployer,
    rec: DeploymentRecord,
    app: AppSpec,
    env: BTreeMap<String, String>,
    from: DeployStep,
) {
    let mut run = Run {
        ctx: &ctx,
        d: &deployer,
        rec,
        app: &app,
        env: &env,
        exec: None,
        inventories: HashMap::new(),
        resumed: from != DeployStep::Validate,
    };
    let result = run.steps(from).await;
    if let Some(exec) = run.exec.take() {
        exec.close().await;
    }
    let mut rec = run.rec;
    // Created or given up: either way `nextid` no longer needs steering around it.
    if let Some(vmid) = rec.vmid {
        deployer.reserved().remove(&vmid);
    }
    let store = deployer.store.as_ref();
    match result {
        Ok(()) => {
            // The last step: the app joins the automatic backups (a failure is a warning;
            // the app itself is up).
            if rec.backups
                && let (Some(host), Some(vmid)) =
                    (deployer.hosts.iter().find(|h| h.name == rec.host), rec.vmid)
            {
                ctx.step("joining the automatic backups", Some(0.99));
                super::auto_backup::join_after_deploy(&host.client, &rec.node, vmid, &|l| {
                    ctx.log(l)
                })
                .await;
            }
            rec.status = DeploymentStatus::Succeeded;
            rec.step = DeployStep::Done;
            rec.step_done = true;
            journal(store, &mut rec);
            save_app(store, &rec, &app);
            ctx.succeed();
        }
        Err(Stop::Cancelled) => {
            ctx.log("cancelled: rolling back");
            let status = match undo(&ctx, &deployer, &rec).await {
                Ok(()) => DeploymentStatus::Cancelled,
                Err(e) => DeploymentStatus::RollbackFailed(e),
            };
            rec.status = status;
            journal(store, &mut rec);
            ctx.cancelled();
        }
        Err(Stop::Failed(reason)) if rec.keep_on_failure => {
            ctx.log("keep-on-failure: the container is left as it is");
            rec.status = DeploymentStatus::FailedKept(reason.clone());
            journal(store, &mut rec);
            ctx.fail(reason);
        }
        Err(Stop::Failed(reason)) => {
            ctx.log(&format!("{reason}: rolling back"));
            rec.status = match undo(&ctx, &deployer, &rec).await {
                Ok(()) => DeploymentStatus::RolledBack(reason.clone()),
                Err(e) => DeploymentStatus::RollbackFailed(format!("{reason}; rollback: {e}")),
            };
            journal(store, &mut rec);
            ctx.fail(reason);
        }
    }
}

/// Roll a deployment back: its container (only if it is provably its own) is stopped and
/// destroyed. Never cancellable: it is what cancel runs.
pub async fn undo(ctx: &JobCtx, d: &Deployer, rec: &DeploymentRecord) -> Result<(), String> {
    let Some(host) = d.hosts.iter().find(|h| h.name == rec.host) else {
        return match rec.vmid {
            None => Ok(()),
            Some(_) => Err(format!("host {} is not connected", rec.host)),
        };
    };
    rollback::destroy_own_container(&host.client, rec, d.tuning.poll, &|line| ctx.log(line)).await
}

fn save_app(store: Option<&Store>, rec: &DeploymentRecord, app: &AppSpec) {
    let (Some(store), Some(vmid)) = (store, rec.vmid) else {
        return;
    };
    let record = AppRecord {
        name: rec.name.clone(),
        app: app.id.clone(),
        version: Some(app.version.clone()),
        host: rec.host.clone(),
        node: rec.node.clone(),
        vmid,
        url: rec.url.clone(),
        port: app.web.as_ref().map(|w| w.port),
        deployed_ms: Some(rec.updated_ms),
        origin: AppOrigin::Deployed { deployment: rec.id },
        missing: false,
    };
    if let Err(e) = store.apps().put(&rec.name, &record) {
        tracing::warn!("saving app {}: {e}", rec.name);
    }
}

struct Run<'a> {
    ctx: &'a JobCtx,
    d: &'a Deployer,
    rec: DeploymentRecord,
    app: &'a AppSpec,
    env: &'a BTreeMap<String, String>,
    exec: Option<Box<dyn Executor>>,
    /// Fresh inventories fetched by `validate`, by host.
    inventories: HashMap<String, Vec<ClusterResource>>,
    resumed: bool,
}

impl Run<'_> {
    async fn steps(&mut self, from: DeployStep) -> StepResult {
        let mut step = from;
        while step != DeployStep::Done {
            if self.ctx.is_cancelled() {
                return Err(Stop::Cancelled);
            }
            self.rec.step = step;
            self.rec.step_done = false;
            journal(self.d.store.as_ref(), &mut self.rec);
            self.ctx.step(step.label(), Some(step.fraction()));
            self.step(step).await?;
            self.rec.step_done = true;
            journal(self.d.store.as_ref(), &mut self.rec);
            step = step.next();
        }
        Ok(())
    }

    async fn step(&mut self, step: DeployStep) -> StepResult {
        match step {
            DeployStep::Validate => self.validate().await,
            DeployStep::Place => self.place().await,
            DeployStep::Template => self.template().await,
            DeployStep::Allocate => self.allocate().await,
            DeployStep::Create => self.create().await,
            DeployStep::Start => self.start().await,
            DeployStep::Address => self.address().await,
            DeployStep::Docker => self.docker().await,
            DeployStep::Compose => self.compose().await,
            DeployStep::Pull => {
                let cmd = scripts::compose(&self.rec.name, "pull");
                self.sh_ok(&cmd, self.d.tuning.pull_timeout, "pulling images")
                    .await
            }
            DeployStep::Up => {
                let cmd = scripts::compose(&self.rec.name, "up -d");
                self.sh_ok(&cmd, self.d.tuning.command_timeout, "starting the app")
                    .await
            }
            DeployStep::Health => self.health().await,
            DeployStep::Done => Ok(()),
        }
    }

    /// Await `fut` unless the job is cancelled first.
    async fn or_cancel<T, E: Display>(
        &self,
        fut: impl Future<Output = Result<T, E>>,
    ) -> StepResult<T> {
        tokio::select! {
            r = fut => r.map_err(failed),
            _ = self.ctx.cancel_token().cancelled() => Err(Stop::Cancelled),
        }
    }

    async fn sleep(&self, d: Duration) -> StepResult {
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = self.ctx.cancel_token().cancelled() => Err(Stop::Cancelled),
        }
    }

    fn client(&self) -> StepResult<PveClient> {
        self.d
            .hosts
            .iter()
            .find(|h| h.name == self.rec.host)
            .map(|h| h.client.clone())
            .ok_or_else(|| failed(format!("host {} is not connected", self.rec.host)))
    }

    fn vmid(&self) -> StepResult<u32> {
        self.rec
            .vmid
            .ok_or_else(|| failed("no container id allocated"))
    }

    /// Follow a Proxmox task to its end, its log streamed into the job's.
    async fn follow(&self, client: &PveClient, upid: &Upid) -> StepResult {
        use crate::engine::guest_jobs::{Followed, follow_task};
        match follow_task(self.ctx, client, upid).await {
            Followed::Ok => Ok(()),
            Followed::Failed(reason) => Err(failed(reason)),
            Followed::Cancelled => Err(Stop::Cancelled),
        }
    }

    async fn validate(&mut self) -> StepResult {
        validate_name(&self.rec.name).map_err(failed)?;
        for host in &self.d.hosts {
            if !self.rec.host.is_empty() && host.name != self.rec.host {
                continue;
            }
            match self.or_cancel(host.client.cluster_resources(None)).await {
                Ok(list) => {
                    self.inventories.insert(host.name.clone(), list);
                }
                Err(Stop::Cancelled) => return Err(Stop::Cancelled),
                Err(Stop::Failed(e)) if !self.rec.host.is_empty() => {
                    return Err(failed(format!("host {}: {e}", host.name)));
                }
                Err(Stop::Failed(e)) => self.ctx.log(&format!("host {} skipped: {e}", host.name)),
            }
        }
        for (host, list) in &self.inventories {
            let clash = list.iter().find(|r| {
                r.vmid.is_some()
                    && r.name.as_deref() == Some(self.rec.name.as_str())
                    && !(*host == self.rec.host && r.vmid == self.rec.vmid)
            });
            if let Some(r) = clash {
                return Err(failed(format!(
                    "name {} is already used by {} on host {host}",
                    self.rec.name,
                    r.vmid.unwrap_or(0)
                )));
            }
        }
        Ok(())
    }

    async fn place(&mut self) -> StepResult {
        if !self.rec.node.is_empty() && self.resumed {
            self.ctx.log(&format!(
                "placed earlier on {}/{}",
                self.rec.host, self.rec.node
            ));
            return Ok(());
        }
        let prefix = scripts::template_prefix(self.app.os);
        let mut candidates = Vec::new();
        for (host, list) in &self.inventories {
            let Some(access) = self.d.hosts.iter().find(|h| &h.name == host) else {
                continue;
            };
            for r in list.iter().filter(|r| r.kind == "node") {
                let Some(node) = r.node.as_deref().map(String::from) else {
                    continue;
                };
                let online = r.status.as_deref() == Some("online");
                let template_cached = online
                    && cached_template(&access.client, &node, prefix)
                        .await
                        .ok()
                        .flatten()
                        .is_some();
                let free = |max: Option<u64>, used: Option<u64>| {
                    max.unwrap_or(0).saturating_sub(used.unwrap_or(0))
                };
                candidates.push(NodeCandidate {
                    host: host.clone(),
                    node,
                    online,
                    mem_free_bytes: free(r.maxmem, r.mem),
                    disk_free_bytes: free(r.maxdisk, r.disk),
                    cores: r.maxcpu.map(|c| c as u32).unwrap_or(0),
                    template_cached,
                });
            }
        }
        candidates.sort_by(|a, b| (&a.host, &a.node).cmp(&(&b.host, &b.node)));
        let want_host = (!self.rec.host.is_empty()).then_some(self.rec.host.as_str());
        let want_node = (!self.rec.node.is_empty()).then_some(self.rec.node.as_str());
        let chosen =
            place::place(&candidates, &self.rec.resources, want_host, want_node).map_err(failed)?;
        self.ctx.log(&format!(
            "placed on {}/{}: {}",
            chosen.host, chosen.node, chosen.reason
        ));
        self.rec.host = chosen.host;
        self.rec.node = chosen.node;
        self.rec.placement_reason = chosen.reason;
        Ok(())
    }

    async fn template(&mut self) -> StepResult {
        let client = self.client()?;
        let node = self.rec.node.clone();
        let prefix = scripts::template_prefix(self.app.os);
        if self.rec.rootfs_storage.is_none() {
            let storages = self
                .or_cancel(client.storage_list(&node, Some("rootdir")))
                .await?;
            let rootfs = pick_storage(&storages, "local-lvm")
                .ok_or_else(|| failed(format!("no storage on {node} holds containers")))?;
            self.rec.rootfs_storage = Some(rootfs);
        }
        if let Some(volid) = self
            .or_cancel(cached_template(&client, &node, prefix))
            .await?
        {
            self.ctx
                .log(&format!("template {volid} is cached on {node}"));
            self.rec.template = Some(volid);
            return Ok(());
        }
        let storages = self
            .or_cancel(client.storage_list(&node, Some("vztmpl")))
            .await?;
        let storage = pick_storage(&storages, "local")
            .ok_or_else(|| failed(format!("no storage on {node} holds templates")))?;
        let index = self.or_cancel(client.aplinfo(&node)).await?;
        let template = index
            .iter()
            .map(|a| a.template.as_str())
            .filter(|t| t.starts_with(prefix))
            .max()
            .ok_or_else(|| failed(format!("no {prefix}* template in {node}'s appliance index")))?
            .to_string();
        self.ctx
            .log(&format!("downloading {template} to {storage}"));
        let upid = self
            .or_cancel(client.download_template(&node, &storage, &template))
            .await?;
        self.follow(&client, &upid).await?;
        self.rec.template = Some(format!("{storage}:vztmpl/{template}"));
        Ok(())
    }

    async fn allocate(&mut self) -> StepResult {
        if let Some(vmid) = self.rec.vmid {
            self.ctx.log(&format!("id {vmid} allocated earlier"));
            self.d.reserved().insert(vmid);
            return Ok(());
        }
        let client = self.client()?;
        let vmid = self.free_id(&client, None).await?;
        self.ctx.log(&format!("id {vmid}"));
        self.rec.vmid = Some(vmid);
        Ok(())
    }

    /// A free id no other deployment of this process holds: `nextid`, then upwards past
    /// the reserved ones (and past `after`, an id just found taken), each checked free.
    async fn free_id(&self, client: &PveClient, after: Option<u32>) -> StepResult<u32> {
        let first = self.or_cancel(client.next_id()).await?;
        let mut candidate = after.map_or(first, |a| first.max(a.saturating_add(1)));
        loop {
            let claimed = self.d.reserved().insert(candidate);
            if claimed {
                if candidate == first || self.or_cancel(client.vmid_is_free(candidate)).await? {
                    return Ok(candidate);
                }
                self.d.reserved().remove(&candidate);
            }
            candidate = candidate
                .checked_add(1)
                .ok_or_else(|| failed("no free container id"))?;
        }
    }

    /// Is container `vmid` this deployment's own (its description says so)?
    async fn owns(&self, client: &PveClient, vmid: u32) -> bool {
        match client.lxc_config(&self.rec.node, vmid).await {
            Ok(config) => {
                config
                    .description
                    .as_deref()
                    .and_then(parse_app_meta)
                    .and_then(|m| m.deployment)
                    == Some(self.rec.id)
            }
            Err(_) => false,
        }
    }

    async fn reallocate(&mut self, client: &PveClient, vmid: u32) -> StepResult {
        self.ctx.log(&format!(
            "id {vmid} was taken by someone else: allocating another"
        ));
        self.d.reserved().remove(&vmid);
        let next = self.free_id(client, Some(vmid)).await?;
        self.rec.vmid = Some(next);
        journal(self.d.store.as_ref(), &mut self.rec);
        Ok(())
    }

    async fn create(&mut self) -> StepResult {
        const ATTEMPTS: usize = 5;
        let client = self.client()?;
        for _ in 0..ATTEMPTS {
            let vmid = self.vmid()?;
            let free = self.or_cancel(client.vmid_is_free(vmid)).await?;
            if !free {
                if self.owns(&client, vmid).await {
                    self.ctx.log(&format!("CT {vmid} was created earlier"));
                    return Ok(());
                }
                self.reallocate(&client, vmid).await?;
                continue;
            }
            let create = self.create_params(vmid)?;
            let outcome = match self
                .or_cancel(client.lxc_create(&self.rec.node, &create))
                .await
            {
                Ok(upid) => self.follow(&client, &upid).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(()) => return Ok(()),
                Err(Stop::Cancelled) => return Err(Stop::Cancelled),
                Err(Stop::Failed(reason)) => {
                    // Another client may have taken the id between nextid and create.
                    let taken = !client.vmid_is_free(vmid).await.unwrap_or(true);
                    if taken && !self.owns(&client, vmid).await {
                        self.reallocate(&client, vmid).await?;
                        continue;
                    }
                    return Err(Stop::Failed(reason));
                }
            }
        }
        Err(failed(format!(
            "no free container id after {ATTEMPTS} tries"
        )))
    }

    fn create_params(&self, vmid: u32) -> StepResult<LxcCreate> {
        let template = self
            .rec
            .template
            .clone()
            .ok_or_else(|| failed("no template chosen"))?;
        let storage = self
            .rec
            .rootfs_storage
            .clone()
            .ok_or_else(|| failed("no storage chosen"))?;
        let r = self.rec.resources;
        let meta = AppMeta {
            app: self.app.id.clone(),
            version: Some(self.app.version.clone()),
            port: self.app.web.as_ref().map(|w| w.port),
            ports: published_ports(self.app),
            deployed: Some(now_ms() / 1000),
            name: Some(self.rec.name.clone()),
            deployment: Some(self.rec.id),
        };
        let human = format!("{}, deployed by Proximity.", self.app.name);
        Ok(LxcCreate::new(vmid, &template)
            .hostname(&self.rec.name)
            .storage(&storage)
            .rootfs(&format!("{storage}:{}", r.disk_gb))
            .memory_mib(r.memory_mb)
            .swap_mib(512)
            .cores(r.cores)
            .net(0, "name=eth0,bridge=vmbr0,ip=dhcp")
            .unprivileged(true)
            .features("nesting=1,keyctl=1")
            .onboot(true)
            .tags(&format!("proximity;px-app-{}", self.app.id))
            .description(&app_description(&human, &meta))
            .extra("cmode", "shell"))
    }

    async fn start(&mut self) -> StepResult {
        let client = self.client()?;
        let vmid = self.vmid()?;
        let status = self
            .or_cancel(client.lxc_status(&self.rec.node, vmid))
            .await?;
        if status.is_running() {
            self.ctx.log(&format!("CT {vmid} is running"));
            return Ok(());
        }
        let upid = self
            .or_cancel(client.lxc_start(&self.rec.node, vmid))
            .await?;
        self.follow(&client, &upid).await
    }

    /// Wait until the container reports an IPv4 address (read from Proxmox; never dialed).
    async fn address(&mut self) -> StepResult {
        let client = self.client()?;
        let vmid = self.vmid()?;
        let deadline = Instant::now() + self.d.tuning.address_timeout;
        loop {
            let ifaces = self
                .or_cancel(client.lxc_interfaces(&self.rec.node, vmid))
                .await?;
            if let Some(addr) = super::scripts::first_address(&ifaces) {
                self.ctx.log(&format!("address {addr}"));
                self.rec.address = Some(addr);
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(failed(format!(
                    "CT {vmid} got no address within {}s",
                    self.d.tuning.address_timeout.as_secs()
                )));
            }
            self.sleep(self.d.tuning.poll).await?;
        }
    }

    async fn executor(&mut self) -> StepResult<&dyn Executor> {
        if self.exec.is_none() {
            let client = self.client()?;
            let vmid = self.vmid()?;
            let node = self.rec.node.clone();
            let exec = self
                .or_cancel(self.d.executors.open(&client, &node, vmid))
                .await?;
            self.exec = Some(exec);
        }
        self.exec
            .as_deref()
            .ok_or_else(|| failed("no shell in the container"))
    }

    /// Run one command in the container, its output streamed to the job's log.
    async fn sh(&mut self, cmd: &str, timeout: Duration) -> StepResult<ExecOutput> {
        let ctx = self.ctx;
        let exec = self.executor().await?;
        run_logged(ctx, exec, cmd, timeout).await
    }

    async fn sh_ok(&mut self, cmd: &str, timeout: Duration, what: &str) -> StepResult {
        let ctx = self.ctx;
        let exec = self.executor().await?;
        run_ok(ctx, exec, cmd, timeout, what).await
    }

    async fn docker(&mut self) -> StepResult {
        let os = self.app.os;
        let t = self.d.tuning.clone();
        if self
            .sh(scripts::DOCKER_PRESENT, t.command_timeout)
            .await?
            .code
            == 0
        {
            self.ctx.log("Docker is installed");
        } else {
            self.sh_ok(
                scripts::install_docker(os),
                t.install_timeout,
                "installing Docker",
            )
            .await?;
        }
        self.sh_ok(
            scripts::start_docker(os),
            t.command_timeout,
            "starting Docker",
        )
        .await?;
        let deadline = Instant::now() + t.command_timeout;
        while self
            .sh(scripts::DOCKER_READY, t.command_timeout)
            .await?
            .code
            != 0
        {
            if Instant::now() >= deadline {
                return Err(failed("the Docker daemon did not come up"));
            }
            self.sleep(t.poll).await?;
        }
        Ok(())
    }

    async fn compose(&mut self) -> StepResult {
        let name = self.rec.name.clone();
        let t = self.d.tuning.command_timeout;
        if self.resumed && self.sh(&scripts::compose_exists(&name), t).await?.code == 0 {
            // Its generated secrets are only there: keep it.
            self.ctx.log("the compose file was written earlier: kept");
            return Ok(());
        }
        let text = crate::catalog::compose::compose_file(self.app, self.env).map_err(failed)?;
        let path = scripts::compose_path(&name);
        self.ctx.log(&format!("writing {path}"));
        let ctx = self.ctx;
        let exec = self.executor().await?;
        let write = exec.write_file(&path, text.as_bytes(), 0o600);
        tokio::select! {
            r = write => r.map_err(failed),
            _ = ctx.cancel_token().cancelled() => Err(Stop::Cancelled),
        }
    }

    async fn health(&mut self) -> StepResult {
        let t = self.d.tuning.clone();
        let ctx = self.ctx;
        let check = self.app.health.clone();
        let exec = self.executor().await?;
        wait_healthy(ctx, exec, &check, &t).await?;
        if let Some(addr) = self.rec.address.clone() {
            self.rec.url = scripts::app_url(self.app, &addr);
        }
        match &self.rec.url {
            Some(url) => self.ctx.log(&format!("{} is up: {url}", self.rec.name)),
            None => self.ctx.log(&format!("{} is up", self.rec.name)),
        }
        Ok(())
    }
}

/// Run `cmd` through `exec`, echoed and streamed into the job's log; cancel stops waiting.
pub(super) async fn run_logged(
    ctx: &JobCtx,
    exec: &dyn Executor,
    cmd: &str,
    timeout: Duration,
) -> StepResult<ExecOutput> {
    ctx.log(&format!("$ {cmd}"));
    let sink = |line: crate::deploy::exec::OutputLine<'_>| ctx.log_output(line);
    tokio::select! {
        r = exec.run(cmd, timeout, &sink) => r.map_err(failed),
        _ = ctx.cancel_token().cancelled() => Err(Stop::Cancelled),
    }
}

/// `run_logged`, and a non-zero exit is a failure: "{what} failed (exit N)".
pub(crate) async fn run_ok(
    ctx: &JobCtx,
    exec: &dyn Executor,
    cmd: &str,
    timeout: Duration,
    what: &str,
) -> StepResult {
    let out = run_logged(ctx, exec, cmd, timeout).await?;
    if out.code == 0 {
        Ok(())
    } else {
        Err(failed(format!("{what} failed (exit {})", out.code)))
    }
}

/// Probe the app from inside its container until it answers or `health_timeout` passes.
pub(super) async fn wait_healthy(
    ctx: &JobCtx,
    exec: &dyn Executor,
    check: &crate::catalog::HealthCheck,
    t: &DeployTuning,
) -> StepResult {
    let probe = scripts::health_probe(check);
    let deadline = Instant::now() + t.health_timeout;
    loop {
        if run_logged(ctx, exec, &probe, t.command_timeout).await?.code == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(failed(format!(
                "the app did not answer on port {} within {}s",
                check.port(),
                t.health_timeout.as_secs()
            )));
        }
        tokio::select! {
            _ = tokio::time::sleep(t.health_interval) => {}
            _ = ctx.cancel_token().cancelled() => return Err(Stop::Cancelled),
        }
    }
}

/// Every host port the app's services publish.
fn published_ports(app: &AppSpec) -> Vec<u16> {
    let mut ports: Vec<u16> = app
        .services
        .iter()
        .flat_map(|s| s.ports.iter().map(|p| p.host))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// An active storage for `content` on a node, `preferred` first.
fn pick_storage(list: &[crate::pve::StorageEntry], preferred: &str) -> Option<String> {
    let usable: Vec<&crate::pve::StorageEntry> = list.iter().filter(|s| s.active).collect();
    usable
        .iter()
        .find(|s| s.storage == preferred)
        .or_else(|| usable.first())
        .map(|s| s.storage.clone())
}

/// The newest cached template with `prefix` on `node`, as a volid.
async fn cached_template(
    client: &PveClient,
    node: &str,
    prefix: &str,
) -> Result<Option<String>, crate::pve::PveError> {
    let mut best: Option<String> = None;
    for storage in client.storage_list(node, Some("vztmpl")).await? {
        if !storage.active {
            continue;
        }
        for item in client
            .storage_content(node, &storage.storage, Some("vztmpl"), None)
            .await?
        {
            let file = item.volid.rsplit('/').next().unwrap_or("");
            if file.starts_with(prefix) && best.as_ref().is_none_or(|b| item.volid > *b) {
                best = Some(item.volid.clone());
            }
        }
    }
    Ok(best)
}
