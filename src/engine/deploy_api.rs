//! The engine's deployment operations: deploy, resume, roll back, and the managed apps.
//! The same checks for every caller run here before a job starts; the steps themselves are
//! `deploy::runner`'s.

use std::sync::Arc;

use super::jobs::{JobId, JobKind, JobState, JobTarget, now_ms};
use super::service::{Engine, Refusal, lock};
use crate::catalog::AppSpec;
use crate::deploy::env::resolve_env;
use crate::deploy::request::{check_resources, default_name, validate_name};
use crate::deploy::runner::{self, journal, journal_key};
use crate::deploy::{
    AppRecord, DeployRefusal, DeployRequest, DeployStep, DeployTuning, Deployer, DeploymentRecord,
    DeploymentStatus, HostAccess, SharedExecutors,
};

/// Is process `pid` alive on this machine? (`kill(pid, 0)`: EPERM means it exists.)
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for the process; nothing is sent.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

impl Engine {
    /// Use `executors` to run commands in containers (tests use a scripted fake).
    pub fn set_executors(&self, executors: SharedExecutors) {
        *lock(&self.inner.executors) = Some(executors);
    }

    pub fn set_deploy_tuning(&self, tuning: DeployTuning) {
        *lock(&self.inner.deploy_tuning) = tuning;
    }

    pub(super) fn deployer(&self) -> Result<Deployer, Refusal> {
        let executors = lock(&self.inner.executors)
            .clone()
            .unwrap_or_else(|| Arc::new(crate::deploy::executors::ConsoleExecutors));
        let hosts = self
            .connected()
            .into_iter()
            .filter_map(|name| {
                let client = self.client(&name).ok()?;
                Some(HostAccess { name, client })
            })
            .collect();
        Ok(Deployer {
            hosts,
            executors,
            store: self.store().cloned(),
            tuning: lock(&self.inner.deploy_tuning).clone(),
            reserved_vmids: self.inner.reserved_vmids.clone(),
        })
    }

    /// Is `name` a guest's name on any connected host (latest inventories) or a managed app?
    fn name_taken(&self, name: &str) -> bool {
        let on_cluster = self.connected().iter().any(|host| {
            self.latest(host).is_some_and(|nodes| {
                nodes
                    .iter()
                    .flat_map(|n| n.guests.iter())
                    .any(|g| g.name == name)
            })
        });
        on_cluster
            || self.apps().iter().any(|a| a.name == name)
            || lock(&self.inner.deploying).contains(name)
            || self.unfinished_deployments().iter().any(|d| d.name == name)
    }

    /// Start deploying `req.app`, as a job. Refused at once (typed) when the name, the
    /// variables, the resources or the host are wrong; what needs the network (placement,
    /// a fresh uniqueness check) is the job's first steps.
    pub fn deploy(&self, req: DeployRequest) -> Result<JobId, Refusal> {
        let app = req.app;
        let name = match req.name {
            Some(n) => {
                validate_name(&n)?;
                if self.name_taken(&n) {
                    return Err(DeployRefusal::NameTaken(n).into());
                }
                n
            }
            None => default_name(&app.id, &|n| self.name_taken(n)),
        };
        let resources = req.resources.unwrap_or(app.resources);
        check_resources(&app, resources)?;
        let env = resolve_env(&app, &req.env)?;
        if let Some(host) = &req.host {
            self.link(host)?;
        } else if self.connected().is_empty() {
            return Err(Refusal::Host("no host is connected".into()));
        }
        let deployer = self.deployer()?;
        // Reserved atomically: a deploy started at the same moment cannot take it too.
        if !lock(&self.inner.deploying).insert(name.clone()) {
            return Err(DeployRefusal::NameTaken(name).into());
        }
        let ctx = self.begin(
            JobKind::Deploy,
            JobTarget {
                host: req.host.clone().unwrap_or_default(),
                node: req.node.clone(),
                vmid: None,
            },
        );
        let now = now_ms();
        let mut rec = DeploymentRecord {
            id: ctx.id().0,
            jobs: vec![ctx.id().0],
            app: app.id.clone(),
            version: app.version.clone(),
            name,
            host: req.host.unwrap_or_default(),
            node: req.node.unwrap_or_default(),
            placement_reason: String::new(),
            resources,
            env_plain: env.plain,
            keep_on_failure: req.keep_on_failure,
            backups: req.backups,
            template: None,
            rootfs_storage: None,
            vmid: None,
            step: DeployStep::Validate,
            step_done: false,
            status: DeploymentStatus::Running,
            address: None,
            url: None,
            started_ms: now,
            updated_ms: now,
            owner_pid: None,
        };
        journal(deployer.store.as_ref(), &mut rec);
        let id = ctx.id();
        ctx.log(&format!("deploying {} as {}", app.name, rec.name));
        let engine = self.clone();
        let name = rec.name.clone();
        tokio::spawn(async move {
            runner::deploy(ctx, deployer, rec, app, env.all, DeployStep::Validate).await;
            lock(&engine.inner.deploying).remove(&name);
        });
        Ok(id)
    }

    /// Every deployment in the journal, oldest first.
    pub fn deployments(&self) -> Vec<DeploymentRecord> {
        let Some(store) = self.store() else {
            return Vec::new();
        };
        match store.deployments().list::<DeploymentRecord>() {
            Ok(list) => list
                .into_iter()
                .filter_map(|r| r.map_err(|e| tracing::warn!("{e}")).ok())
                .collect(),
            Err(e) => {
                tracing::warn!("reading the deploy journal: {e}");
                Vec::new()
            }
        }
    }

    /// Drop the oldest finished records of the job and deploy journals, keeping the newest
    /// `keep` of each (unfinished ones always stay: they can be resumed or rolled back).
    /// Without this both trees grew by a record per job for as long as the store lived.
    /// Returns how many records went.
    pub fn prune_journals(&self, keep: usize) -> usize {
        let Some(store) = self.store() else {
            return 0;
        };
        let mut removed = 0;
        let mut finished: Vec<u64> = self
            .deployments()
            .into_iter()
            .filter(|d| d.status != DeploymentStatus::Running)
            .map(|d| d.id)
            .collect();
        finished.sort_unstable();
        let excess = finished.len().saturating_sub(keep);
        for id in &finished[..excess] {
            match store.deployments().remove(&journal_key(*id)) {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!("pruning the deploy journal: {e}"),
            }
        }
        let mut jobs: Vec<u64> = match store.jobs().list::<super::jobs::JobInfo>() {
            Ok(list) => list
                .into_iter()
                .filter_map(Result::ok)
                .filter(|j| j.state.is_finished())
                .map(|j| j.id.0)
                .collect(),
            Err(e) => {
                tracing::warn!("reading the job journal: {e}");
                Vec::new()
            }
        };
        jobs.sort_unstable();
        let excess = jobs.len().saturating_sub(keep);
        for id in &jobs[..excess] {
            match store.jobs().remove(*id) {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!("pruning the job journal: {e}"),
            }
        }
        removed
    }

    /// One deployment, by its id (`job-N` or `N`).
    pub fn deployment(&self, id: u64) -> Option<DeploymentRecord> {
        self.store()?
            .deployments()
            .get::<DeploymentRecord>(&journal_key(id))
            .ok()
            .flatten()
    }

    /// Deployments the journal says are running that no job of this process runs: their
    /// process died. Each can be resumed or rolled back.
    pub fn unfinished_deployments(&self) -> Vec<DeploymentRecord> {
        let running: Vec<u64> = self
            .jobs()
            .iter()
            .filter(|j| j.state == JobState::Running)
            .map(|j| j.id.0)
            .collect();
        let me = std::process::id();
        self.deployments()
            .into_iter()
            .filter(|d| d.status == DeploymentStatus::Running)
            .filter(|d| !d.jobs.iter().any(|j| running.contains(j)))
            // Another live process (a CLI beside this TUI) is still running it.
            .filter(|d| {
                d.owner_pid
                    .is_none_or(|pid| pid == me || !process_alive(pid))
            })
            .collect()
    }

    fn unfinished(&self, id: u64) -> Result<DeploymentRecord, Refusal> {
        let rec = self
            .deployment(id)
            .ok_or_else(|| DeployRefusal::UnknownDeployment(format!("job-{id}")))?;
        if !self.unfinished_deployments().iter().any(|d| d.id == id) {
            return Err(DeployRefusal::WrongState {
                id: format!("job-{id}"),
                state: if rec.status == DeploymentStatus::Running {
                    "running in this process".into()
                } else {
                    rec.status.name().into()
                },
                what: "only an interrupted deployment can be resumed or rolled back".into(),
            }
            .into());
        }
        Ok(rec)
    }

    /// Resume an interrupted deployment where it stopped. `app` is its catalog entry;
    /// secrets not yet written to the container are generated again.
    pub fn resume_deployment(&self, id: u64, app: AppSpec) -> Result<JobId, Refusal> {
        let mut rec = self.unfinished(id)?;
        if app.id != rec.app {
            return Err(DeployRefusal::UnknownApp(rec.app).into());
        }
        if !rec.host.is_empty() {
            self.link(&rec.host)?;
        }
        let env = resolve_env(&app, &rec.env_plain)?;
        let deployer = self.deployer()?;
        let ctx = self.begin(
            JobKind::Deploy,
            JobTarget {
                host: rec.host.clone(),
                node: (!rec.node.is_empty()).then(|| rec.node.clone()),
                vmid: rec.vmid,
            },
        );
        rec.jobs.push(ctx.id().0);
        let from = rec.resume_step();
        journal(deployer.store.as_ref(), &mut rec);
        ctx.log(&format!("resuming job-{id} at {}", from.name()));
        let job = ctx.id();
        tokio::spawn(runner::deploy(ctx, deployer, rec, app, env.all, from));
        Ok(job)
    }

    /// Roll an interrupted deployment back: its own container (if any) is destroyed.
    pub fn rollback_deployment(&self, id: u64) -> Result<JobId, Refusal> {
        let mut rec = self.unfinished(id)?;
        if rec.vmid.is_some() {
            self.link(&rec.host)?;
        }
        let deployer = self.deployer()?;
        let ctx = self.begin(
            JobKind::Rollback,
            JobTarget {
                host: rec.host.clone(),
                node: (!rec.node.is_empty()).then(|| rec.node.clone()),
                vmid: rec.vmid,
            },
        );
        rec.jobs.push(ctx.id().0);
        journal(deployer.store.as_ref(), &mut rec);
        let job = ctx.id();
        tokio::spawn(async move {
            ctx.step(format!("rolling back job-{}", rec.id), Some(0.0));
            match runner::undo(&ctx, &deployer, &rec).await {
                Ok(()) => {
                    rec.status =
                        DeploymentStatus::RolledBack("rolled back after an interruption".into());
                    journal(deployer.store.as_ref(), &mut rec);
                    ctx.succeed();
                }
                Err(e) => {
                    rec.status = DeploymentStatus::RollbackFailed(e.clone());
                    journal(deployer.store.as_ref(), &mut rec);
                    ctx.fail(e);
                }
            }
        });
        Ok(job)
    }

    /// The managed apps this store knows, by name.
    pub fn apps(&self) -> Vec<AppRecord> {
        let Some(store) = self.store() else {
            return Vec::new();
        };
        match store.apps().list::<AppRecord>() {
            Ok(list) => list
                .into_iter()
                .filter_map(|r| r.map_err(|e| tracing::warn!("{e}")).ok())
                .collect(),
            Err(e) => {
                tracing::warn!("reading the apps: {e}");
                Vec::new()
            }
        }
    }
}

impl Engine {
    /// Reconcile the store's apps with `host`'s containers (fetched now): adopt the tagged
    /// ones no record knows, mark vanished ones missing. Returns what changed.
    pub async fn reconcile_apps(
        &self,
        host: &str,
    ) -> Result<Vec<crate::deploy::reconcile::ReconcileAction>, Refusal> {
        use crate::deploy::reconcile::{ReconcileAction, plan};
        let Some(store) = self.store().cloned() else {
            return Ok(Vec::new());
        };
        let link = self.link(host)?;
        let inventory = link
            .fetch_list()
            .await
            .map_err(|e| Refusal::Host(e.to_string()))?;
        let apps = self.apps();
        let actions = plan(host, &inventory, &apps, &self.deployments());
        // Apps known without a URL (adopted, or deployed while the address was unknown) get
        // one from their container's address once it has one.
        let mut catalog = None;
        for mut record in apps
            .iter()
            .filter(|a| a.host == host && a.url.is_none() && !a.missing)
            .cloned()
        {
            record.url = adopted_url(&link.client, &record, &mut catalog).await;
            if record.url.is_some()
                && let Err(e) = store.apps().put(&record.name, &record)
            {
                tracing::warn!("the URL of {}: {e}", record.name);
            }
        }
        for action in &actions {
            match action {
                ReconcileAction::Adopt {
                    node,
                    vmid,
                    hostname,
                    app,
                } => {
                    let meta = match link.client.lxc_config(node, *vmid).await {
                        Ok(c) => c
                            .description
                            .as_deref()
                            .and_then(crate::engine::apps::parse_app_meta),
                        Err(e) => {
                            tracing::warn!("adopting CT {vmid} on {host}: {e}");
                            continue;
                        }
                    };
                    let mut name = meta
                        .as_ref()
                        .and_then(|m| m.name.clone())
                        .unwrap_or_else(|| hostname.clone());
                    if apps.iter().any(|a| a.name == name) {
                        name = format!("{name}-{host}");
                    }
                    let mut record = AppRecord {
                        name: crate::text::clean_string(&name),
                        app: meta
                            .as_ref()
                            .map(|m| m.app.clone())
                            .unwrap_or_else(|| app.clone()),
                        version: meta.as_ref().and_then(|m| m.version.clone()),
                        host: host.to_string(),
                        node: node.clone(),
                        vmid: *vmid,
                        url: None,
                        port: meta.as_ref().and_then(|m| m.port),
                        deployed_ms: meta.as_ref().and_then(|m| m.deployed).map(|s| s * 1000),
                        origin: crate::deploy::AppOrigin::Adopted,
                        missing: false,
                    };
                    record.url = adopted_url(&link.client, &record, &mut catalog).await;
                    if let Err(e) = store.apps().put(&record.name, &record) {
                        tracing::warn!("adopting {}: {e}", record.name);
                    }
                }
                ReconcileAction::MarkMissing { name } | ReconcileAction::MarkFound { name } => {
                    if let Some(mut record) = apps.iter().find(|a| &a.name == name).cloned() {
                        record.missing = matches!(action, ReconcileAction::MarkMissing { .. });
                        if let Err(e) = store.apps().put(name, &record) {
                            tracing::warn!("marking {name}: {e}");
                        }
                    }
                }
            }
        }
        Ok(actions)
    }
}

/// The URL of a managed app that has none: its container's address as Proxmox reports it
/// (running containers only; never dialed) with its catalog entry's web scheme, port and
/// path, or plain `http` on the port its metadata names for an app the shipped catalog lacks.
/// The catalog is read once per reconcile, on the first app that needs it.
async fn adopted_url(
    client: &crate::pve::PveClient,
    record: &AppRecord,
    catalog: &mut Option<crate::catalog::Catalog>,
) -> Option<String> {
    let ifaces = client
        .lxc_interfaces(&record.node, record.vmid)
        .await
        .ok()?;
    let address = crate::deploy::scripts::first_address(&ifaces)?;
    let catalog = catalog.get_or_insert_with(|| crate::catalog::Catalog::shipped_lenient().0);
    match catalog.get(&record.app) {
        Some(spec) => crate::deploy::scripts::app_url(spec, &address),
        None => record
            .port
            .map(|port| crate::deploy::scripts::url_at("http", &address, port, "/")),
    }
}

impl Engine {
    pub(super) fn app_record(&self, name: &str) -> Result<AppRecord, Refusal> {
        self.apps()
            .into_iter()
            .find(|a| a.name == name)
            .ok_or_else(|| DeployRefusal::UnknownApp(name.to_string()).into())
    }

    /// A managed app whose container is still there (a missing one is refused with why).
    pub(super) fn present_app_record(&self, name: &str) -> Result<AppRecord, Refusal> {
        let app = self.app_record(name)?;
        if app.missing {
            return Err(DeployRefusal::WrongState {
                id: app.name,
                state: "missing".into(),
                what: "its container is gone".into(),
            }
            .into());
        }
        Ok(app)
    }

    /// A job on a managed app's container that needs a shell in it.
    pub(super) fn app_job<F>(&self, name: &str, kind: JobKind, body: F) -> Result<JobId, Refusal>
    where
        F: for<'a> FnOnce(
                &'a super::jobs::JobCtx,
                &'a crate::pve::PveClient,
                &'a AppRecord,
                &'a dyn crate::deploy::exec::Executor,
                &'a DeployTuning,
            ) -> crate::deploy::exec::BoxFuture<
                'a,
                Result<(), crate::deploy::runner::Stop>,
            > + Send
            + 'static,
    {
        let app = self.present_app_record(name)?;
        let link = self.link(&app.host)?;
        let deployer = self.deployer()?;
        let ctx = self.begin(
            kind,
            JobTarget {
                host: app.host.clone(),
                node: Some(app.node.clone()),
                vmid: Some(app.vmid),
            },
        );
        let id = ctx.id();
        tokio::spawn(async move {
            let exec = tokio::select! {
                r = deployer.executors.open(&link.client, &app.node, app.vmid) => r,
                _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
            };
            let exec = match exec {
                Ok(e) => e,
                Err(e) => return ctx.fail(e.to_string()),
            };
            let result = body(&ctx, &link.client, &app, exec.as_ref(), &deployer.tuning).await;
            exec.close().await;
            link.refresh.notify_one();
            match result {
                Ok(()) => ctx.succeed(),
                Err(crate::deploy::runner::Stop::Cancelled) => ctx.cancelled(),
                Err(crate::deploy::runner::Stop::Failed(r)) => ctx.fail(r),
            }
        });
        Ok(id)
    }

    /// Update a managed app fearlessly, as a job: snapshot, pull, up, health check; rolled
    /// back to the snapshot on failure. `spec` is its catalog entry (for the health check).
    pub fn update_app(&self, name: &str, spec: AppSpec) -> Result<JobId, Refusal> {
        let store = self.store().cloned();
        self.app_job(
            name,
            JobKind::Update,
            move |ctx, client, app, exec, tuning| {
                Box::pin(async move {
                    let plan = crate::deploy::update::UpdatePlan {
                        client,
                        app,
                        spec: &spec,
                        exec,
                        tuning,
                        snapshot: format!("px-update-{}", now_ms() / 1000),
                    };
                    crate::deploy::update::update(ctx, plan).await?;
                    if let Some(store) = store
                        && app.version.as_deref() != Some(spec.version.as_str())
                    {
                        let mut record = app.clone();
                        record.version = Some(spec.version.clone());
                        if let Err(e) = store.apps().put(&record.name, &record) {
                            ctx.log(&format!("the new version is not in the store: {e}"));
                        }
                    }
                    Ok(())
                })
            },
        )
    }

    /// Change some of a managed app's variables, as a job: the compose file is written
    /// again with them and the services re-created. Unknown keys are refused at once.
    pub fn edit_app_env(
        &self,
        name: &str,
        spec: AppSpec,
        changes: std::collections::BTreeMap<String, String>,
    ) -> Result<JobId, Refusal> {
        if let Some(key) = changes
            .keys()
            .find(|k| !spec.env.iter().any(|v| &v.key == *k))
        {
            return Err(DeployRefusal::Env {
                key: crate::text::clean_string(key),
                reason: format!("{} has no such variable", spec.name),
            }
            .into());
        }
        self.app_job(
            name,
            JobKind::Reconfigure,
            move |ctx, _client, app, exec, tuning| {
                Box::pin(async move {
                    crate::deploy::edit_env::edit_env(ctx, exec, app, &spec, &changes, tuning).await
                })
            },
        )
    }

    /// A command runner in a managed app's container, with the timeout one command gets.
    pub(super) async fn app_console(
        &self,
        app: &crate::deploy::AppRecord,
    ) -> Result<(Box<dyn crate::deploy::exec::Executor>, std::time::Duration), Refusal> {
        let link = self.link(&app.host)?;
        let deployer = self.deployer()?;
        let exec = deployer
            .executors
            .open(&link.client, &app.node, app.vmid)
            .await
            .map_err(|e| Refusal::Host(e.to_string()))?;
        Ok((exec, deployer.tuning.command_timeout))
    }

    /// The last `tail` lines of a managed app's logs (`docker compose logs`).
    pub async fn app_logs(&self, name: &str, tail: usize) -> Result<String, Refusal> {
        let app = self.app_record(name)?;
        let (exec, timeout) = self.app_console(&app).await?;
        let out = crate::deploy::update::logs(exec.as_ref(), &app, tail, timeout).await;
        exec.close().await;
        out.map_err(Refusal::Host)
    }
}
