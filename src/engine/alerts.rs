//! The alert monitor: the engine runs the pure evaluator (`crate::alerts`) over what its
//! refreshers already publish (it subscribes to the inventory events; no request per guest),
//! plus two slower sources of its own: backups (`/cluster/tasks` and storage content, one
//! listing per host every [`AlertOptions::backup_every`]) and managed apps' health checks
//! (through the deploy executor, every [`AlertOptions::health_every`]). Raised and cleared
//! alerts are published as `EngineEvent::Alert`, kept in the store's history (bounded) and
//! sent to the notification targets (`alerts_notify`: spawned, never waited on).
//!
//! The CLI has no monitor: [`Engine::evaluate_alerts`] evaluates one fresh snapshot of each
//! host against the store's open history.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{Notify, broadcast, mpsc};

use super::events::{EngineEvent, HostFailure};
use super::jobs::JobEvent;
use super::service::{Engine, Refusal, lock};
use crate::alerts::notify::NotifyEvent;
use crate::alerts::rules::{self, BackupFacts, HealthResult};
use crate::alerts::{Alert, AlertConfig, AlertKey, Evaluator, Rule, Source, Transition};
use crate::catalog::Catalog;
use crate::inventory::Nodes;
use crate::store::alerts::NotifySettings;

/// How the monitor runs.
#[derive(Clone)]
pub struct AlertOptions {
    pub config: AlertConfig,
    /// The catalog, for each app's health check.
    pub catalog: Catalog,
    /// Backups change a few times a day: list them this often per host.
    pub backup_every: Duration,
    pub health_every: Duration,
    /// One notification attempt's limit, and how many attempts after the first.
    pub notify_timeout: Duration,
    pub notify_retries: u32,
    /// Where `alerts.toml` lives: the monitor reloads it when it changes and the settings
    /// screen saves into it. `None`: `config` only, no reload, no saving.
    pub config_dir: Option<std::path::PathBuf>,
    /// How often the monitor looks at the file's stamp (one `stat`).
    pub reload_every: Duration,
}

impl AlertOptions {
    /// `<config dir>/alerts.toml`, when there is a config dir.
    pub fn file_path(&self) -> Option<std::path::PathBuf> {
        self.config_dir
            .as_ref()
            .map(|d| d.join(crate::alerts::config::FILE_NAME))
    }
}

impl Default for AlertOptions {
    fn default() -> AlertOptions {
        AlertOptions {
            config: AlertConfig::default(),
            catalog: Catalog::shipped().unwrap_or_default(),
            backup_every: Duration::from_secs(300),
            health_every: Duration::from_secs(60),
            notify_timeout: Duration::from_secs(5),
            notify_retries: 2,
            config_dir: None,
            reload_every: Duration::from_secs(2),
        }
    }
}

/// What the engine and its monitor share.
pub struct MonitorShared {
    firing: Mutex<Vec<Alert>>,
    pub(super) config: Mutex<AlertConfig>,
    health: Mutex<HashMap<(String, u32), HealthResult>>,
    pub(super) options: AlertOptions,
    /// The file's stamp when it was last read (see `alerts_reload`).
    pub(super) file_seen: Mutex<Option<super::alerts_reload::FileStamp>>,
    stop: Notify,
}

/// What the checks spawned by the monitor send back.
pub(super) enum CheckResult {
    Backups { host: String, facts: BackupFacts },
    Health(HealthResult),
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What one evaluation of every host found (the CLI's `alerts`).
#[derive(Debug, Clone, Default)]
pub struct AlertsReport {
    pub firing: Vec<Alert>,
    /// Breached, waiting out the rule's duration.
    pub pending: Vec<Alert>,
    /// Hosts that did not answer, with why (they are also `node_offline` alerts).
    pub failures: Vec<(String, String)>,
}

impl Engine {
    /// Start the alert monitor (once; a second call only replaces the thresholds).
    pub fn start_alerts(&self, options: AlertOptions) {
        let mut slot = lock(&self.inner.alerts);
        if let Some(shared) = slot.as_ref() {
            *lock(&shared.config) = options.config;
            return;
        }
        // Alerts a monitor raised before (open in the history) stay one alert; known at once
        // so a front end starting now lists them.
        let mut evaluator = Evaluator::new();
        evaluator.restore(open_history(self));
        let mut config = options.config.clone();
        if let Some(store) = self.store() {
            match store.alert_settings().thresholds() {
                Ok(screen) => config.screen = screen,
                Err(e) => tracing::warn!("alert thresholds: {e}"),
            }
        }
        let file_seen = options
            .file_path()
            .and_then(|p| super::alerts_reload::stamp(&p));
        let shared = Arc::new(MonitorShared {
            file_seen: Mutex::new(file_seen),
            firing: Mutex::new(evaluator.firing()),
            config: Mutex::new(config),
            health: Mutex::new(HashMap::new()),
            options,
            stop: Notify::new(),
        });
        *slot = Some(shared.clone());
        let events = self.subscribe();
        tokio::spawn(monitor(self.clone(), shared, evaluator, events));
    }

    pub(super) fn stop_alerts(&self) {
        if let Some(shared) = lock(&self.inner.alerts).take() {
            shared.stop.notify_one();
        }
    }

    /// The alerts firing now (the monitor's), most severe first.
    pub fn alerts(&self) -> Vec<Alert> {
        lock(&self.inner.alerts)
            .as_ref()
            .map(|s| lock(&s.firing).clone())
            .unwrap_or_default()
    }

    /// The last health check of every managed app the monitor checked.
    pub fn app_health(&self) -> Vec<HealthResult> {
        lock(&self.inner.alerts)
            .as_ref()
            .map(|s| lock(&s.health).values().cloned().collect())
            .unwrap_or_default()
    }

    /// Replace the thresholds the running monitor uses (a changed file or settings screen).
    pub fn set_alert_config(&self, config: AlertConfig) {
        if let Some(shared) = lock(&self.inner.alerts).as_ref() {
            *lock(&shared.config) = config;
        }
    }

    /// The thresholds in use (the built-in defaults before the monitor starts).
    pub fn alert_config(&self) -> AlertConfig {
        lock(&self.inner.alerts)
            .as_ref()
            .map(|s| lock(&s.config).clone())
            .unwrap_or_default()
    }

    /// Save the settings screen's thresholds and use them at once.
    pub fn save_alert_thresholds(&self, screen: crate::alerts::RawThresholds) {
        if let Some(store) = self.store()
            && let Err(e) = store.alert_settings().set_thresholds(&screen)
        {
            self.notice(format!("saving alert thresholds: {e}"), true);
            return;
        }
        if let Some(shared) = lock(&self.inner.alerts).as_ref() {
            lock(&shared.config).screen = screen;
        }
    }

    /// The alert history, newest first, at most `limit` entries.
    pub fn alert_history(&self, limit: usize) -> Vec<Alert> {
        let Some(store) = self.store() else {
            return Vec::new();
        };
        match store.alerts().list::<Alert>() {
            Ok(list) => list
                .into_iter()
                .rev()
                .filter_map(|r| r.map_err(|e| tracing::warn!("alert history: {e}")).ok())
                .take(limit)
                .collect(),
            Err(e) => {
                tracing::warn!("reading the alert history: {e}");
                Vec::new()
            }
        }
    }

    /// Where notifications go (secrets stay sealed in the store).
    pub fn set_notify(&self, settings: &NotifySettings) -> Result<(), Refusal> {
        let store = self
            .store()
            .ok_or_else(|| Refusal::Host("no store to keep notification settings in".into()))?;
        if let Some(url) = &settings.webhook_url {
            check_url(url.expose(), "webhook URL")?;
        }
        if let Some(n) = &settings.ntfy {
            check_url(&n.server, "ntfy server")?;
            if n.topic.is_empty() || n.topic.expose().contains(['/', '?', '#', ' ']) {
                return Err(Refusal::Host(
                    "ntfy topic: one word, without '/', '?', '#' or spaces".into(),
                ));
            }
        }
        store
            .alert_settings()
            .set_notify(settings)
            .map_err(|e| Refusal::Host(e.to_string()))
    }

    pub fn notify_settings(&self) -> NotifySettings {
        self.store()
            .and_then(|s| {
                s.alert_settings()
                    .notify()
                    .map_err(|e| tracing::warn!("notification settings: {e}"))
                    .ok()
            })
            .unwrap_or_default()
    }

    /// Send a test notification to every target; each result is a `Notice`.
    pub fn test_notifications(&self) {
        let options = lock(&self.inner.alerts)
            .as_ref()
            .map(|s| s.options.clone())
            .unwrap_or_default();
        super::alerts_notify::send_test(self.clone(), options);
    }

    /// The CLI's one-shot evaluation: each host's fresh inventory and backups, over the open
    /// entries of the store's history (which carry the health checks and the "since" of
    /// alerts a running monitor raised). Hosts are asked all at once.
    pub async fn evaluate_alerts(&self, hosts: &[String], config: &AlertConfig) -> AlertsReport {
        let mut ev = Evaluator::new();
        ev.restore(open_history(self));
        let apps = self.app_names();
        let checks = hosts.iter().map(|host| {
            let engine = self.clone();
            async move {
                let inventory = engine.fetch_nodes(host).await;
                let facts = match (&inventory, engine.client(host)) {
                    (Ok(list), Ok(client)) => {
                        Some(super::alerts_checks::backup_facts(&client, list).await)
                    }
                    _ => None,
                };
                (host.clone(), inventory, facts)
            }
        });
        let mut report = AlertsReport::default();
        for (host, inventory, facts) in futures_util::future::join_all(checks).await {
            let now = now_ms();
            let names = apps.get(&host).cloned().unwrap_or_default();
            match inventory {
                Ok(list) => {
                    let breaches = rules::inventory_breaches(&host, &list, config, &names);
                    ev.observe(|k| in_source(k, &host, Source::Inventory), breaches, now);
                    match facts {
                        Some(Ok(facts)) => {
                            let breaches = rules::backup_breaches(
                                &host,
                                &facts,
                                &list,
                                config,
                                &names,
                                now / 1000,
                            );
                            ev.observe(|k| in_source(k, &host, Source::Backups), breaches, now);
                        }
                        Some(Err(e)) => report
                            .failures
                            .push((host.clone(), format!("backups: {e}"))),
                        None => {}
                    }
                }
                Err(e) => {
                    let reason = e.to_string();
                    if let HostFailure::Unreachable(r) = &e {
                        let breach = rules::host_unreachable_breach(&host, r, config);
                        ev.observe(
                            |k| host_offline_key(k, &host),
                            breach.into_iter().collect(),
                            now,
                        );
                    }
                    report.failures.push((host, reason));
                }
            }
        }
        report.firing = ev.firing();
        report.pending = ev.pending();
        report
    }

    /// Managed app names per host and vmid (for `[app.NAME]` thresholds).
    fn app_names(&self) -> HashMap<String, HashMap<u32, String>> {
        let mut out: HashMap<String, HashMap<u32, String>> = HashMap::new();
        for app in self.apps() {
            out.entry(app.host).or_default().insert(app.vmid, app.name);
        }
        out
    }
}

fn check_url(text: &str, what: &str) -> Result<(), Refusal> {
    match url::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(Refusal::Host(format!(
            "{what}: not an http:// or https:// URL"
        ))),
    }
}

/// Keys decided by `source`'s observation of `host`.
fn in_source(k: &AlertKey, host: &str, source: Source) -> bool {
    k.target.host == host && k.rule.source() == source
}

/// The key of "the host does not answer" (a host-wide `node_offline`).
fn host_offline_key(k: &AlertKey, host: &str) -> bool {
    k.rule == Rule::NodeOffline
        && k.target.host == host
        && k.target.node.is_none()
        && k.target.vmid.is_none()
}

/// The history entries that were never cleared.
fn open_history(engine: &Engine) -> Vec<Alert> {
    engine
        .alert_history(crate::store::alerts::HISTORY_MAX)
        .into_iter()
        .filter(|a| a.cleared_ms.is_none())
        .collect()
}

/// Whether `last` is at least `every` ago (or never).
fn due(last: &mut HashMap<String, Instant>, host: &str, every: Duration) -> bool {
    let now = Instant::now();
    match last.get(host) {
        Some(t) if now.duration_since(*t) < every => false,
        _ => {
            last.insert(host.to_string(), now);
            true
        }
    }
}

/// The monitor's state between events.
struct Monitor {
    engine: Engine,
    shared: Arc<MonitorShared>,
    evaluator: Evaluator,
    latest: HashMap<String, Nodes>,
    health: HashMap<(String, u32), HealthResult>,
    checking_health: Arc<Mutex<HashSet<(String, u32)>>>,
    /// Probes running at once across sweeps and hosts (see `alerts_checks`).
    health_permits: Arc<tokio::sync::Semaphore>,
    last_backup: HashMap<String, Instant>,
    last_health: HashMap<String, Instant>,
    results: mpsc::Sender<CheckResult>,
    http: reqwest::Client,
    /// Managed app names per host and vmid as last read from the store, and when. Reading
    /// opens the store, and an open sled holds its page table (6 MB resident) until it
    /// closes: read on every refresh, that was the rack's largest swing in memory. Read again
    /// after [`APP_NAMES_TTL`] or once a job finished (deploys and deletes change them).
    app_names: Option<(Instant, AppNames)>,
}

/// Managed app names by host, then vmid.
type AppNames = HashMap<String, HashMap<u32, String>>;

/// How long the monitor trusts the app names it read (see `Monitor::app_names`).
const APP_NAMES_TTL: Duration = Duration::from_secs(60);

async fn monitor(
    engine: Engine,
    shared: Arc<MonitorShared>,
    evaluator: Evaluator,
    mut events: broadcast::Receiver<EngineEvent>,
) {
    let (tx, mut rx) = mpsc::channel(256);
    if let Some(store) = engine.store().cloned() {
        let pruned = tokio::task::spawn_blocking(move || {
            crate::store::alerts::prune_history(&store, now_ms())
        })
        .await;
        if let Ok(Err(e)) = pruned {
            tracing::warn!("pruning the alert history: {e}");
        }
    }
    let mut m = Monitor {
        http: super::alerts_notify::http_client(shared.options.notify_timeout),
        engine,
        shared: shared.clone(),
        evaluator,
        latest: HashMap::new(),
        health: HashMap::new(),
        checking_health: Arc::new(Mutex::new(HashSet::new())),
        health_permits: Arc::new(tokio::sync::Semaphore::new(
            super::alerts_checks::HEALTH_CHECKS_AT_ONCE,
        )),
        last_backup: HashMap::new(),
        last_health: HashMap::new(),
        results: tx,
        app_names: None,
    };
    let mut reload = tokio::time::interval(shared.options.reload_every);
    reload.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = reload.tick() => {
                m.engine.reload_alert_file();
            }
            ev = events.recv() => match ev {
                Ok(EngineEvent::Inventory { host, result, .. }) => match result {
                    Ok(list) => m.inventory(host, list),
                    Err(HostFailure::Unreachable(reason)) => m.unreachable(&host, &reason),
                    // Credentials are the user's to fix, not an outage.
                    Err(HostFailure::AuthFailed(_)) => {}
                },
                Ok(EngineEvent::Job(JobEvent::Finished(_))) => m.app_names = None,
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!("the alert monitor fell {n} events behind");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            Some(result) = rx.recv() => m.check_result(result),
            _ = shared.stop.notified() => return,
        }
    }
}

impl Monitor {
    fn config(&self) -> AlertConfig {
        lock(&self.shared.config).clone()
    }

    fn names(&mut self, host: &str) -> HashMap<u32, String> {
        let fresh = self
            .app_names
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < APP_NAMES_TTL);
        if !fresh {
            self.app_names = Some((Instant::now(), self.engine.app_names()));
        }
        self.app_names
            .as_ref()
            .and_then(|(_, names)| names.get(host).cloned())
            .unwrap_or_default()
    }

    fn inventory(&mut self, host: String, list: Nodes) {
        let config = self.config();
        let names = self.names(&host);
        let breaches = rules::inventory_breaches(&host, &list, &config, &names);
        let t = self.evaluator.observe(
            |k| in_source(k, &host, Source::Inventory),
            breaches,
            now_ms(),
        );
        self.latest.insert(host.clone(), list.clone());
        self.apply(t);
        let options = &self.shared.options;
        if due(&mut self.last_backup, &host, options.backup_every)
            && let Ok(client) = self.engine.client(&host)
        {
            let (tx, host, list) = (self.results.clone(), host.clone(), list.clone());
            tokio::spawn(async move {
                match super::alerts_checks::backup_facts(&client, &list).await {
                    Ok(facts) => {
                        let _ = tx.send(CheckResult::Backups { host, facts }).await;
                    }
                    Err(e) => tracing::warn!("alerts: backups of {host}: {e}"),
                }
            });
        }
        if due(&mut self.last_health, &host, options.health_every) {
            super::alerts_checks::spawn_health_checks(
                &self.engine,
                &host,
                &list,
                &options.catalog,
                self.checking_health.clone(),
                self.health_permits.clone(),
                self.results.clone(),
            );
        }
    }

    fn unreachable(&mut self, host: &str, reason: &str) {
        let config = self.config();
        let breach = rules::host_unreachable_breach(host, reason, &config);
        let t = self.evaluator.observe(
            |k| host_offline_key(k, host),
            breach.into_iter().collect(),
            now_ms(),
        );
        self.apply(t);
    }

    fn check_result(&mut self, result: CheckResult) {
        let config = self.config();
        let now = now_ms();
        match result {
            CheckResult::Backups { host, facts } => {
                let Some(list) = self.latest.get(&host).cloned() else {
                    return;
                };
                self.engine.publish(EngineEvent::LastBackups {
                    host: host.clone(),
                    newest: Arc::new(facts.newest.clone()),
                });
                let names = self.names(&host);
                let breaches =
                    rules::backup_breaches(&host, &facts, &list, &config, &names, now / 1000);
                let t =
                    self.evaluator
                        .observe(|k| in_source(k, &host, Source::Backups), breaches, now);
                self.apply(t);
            }
            CheckResult::Health(result) => {
                let host = result.host.clone();
                self.health
                    .insert((host.clone(), result.vmid), result.clone());
                *lock(&self.shared.health) = self.health.clone();
                self.engine
                    .publish(EngineEvent::AppHealth(Box::new(result)));
                let breaches = rules::health_breaches(&host, self.health.values(), &config);
                let t =
                    self.evaluator
                        .observe(|k| in_source(k, &host, Source::Health), breaches, now);
                self.apply(t);
            }
        }
    }

    /// Publish, record and notify what an observation changed.
    fn apply(&mut self, transitions: Vec<Transition>) {
        if transitions.is_empty() {
            return;
        }
        *lock(&self.shared.firing) = self.evaluator.firing();
        let store = self.engine.store().cloned();
        // Once per batch: a first look at a big cluster raises hundreds at once, and each read
        // (or prune) is a store access.
        let notify = self.engine.notify_settings();
        let mut raised_any = false;
        for t in transitions {
            let (alert, raised) = match t {
                Transition::Raised(a) => (a, true),
                Transition::Cleared(a) => (a, false),
            };
            tracing::info!(
                "alert {}: {} {} {}",
                if raised { "raised" } else { "cleared" },
                alert.rule.name(),
                alert.target,
                alert.message
            );
            if let Some(store) = &store {
                if let Err(e) = store.alerts().put(&alert.history_key(), &alert) {
                    tracing::warn!("alert history: {e}");
                }
            }
            raised_any |= raised;
            let event = if raised {
                NotifyEvent::Raised
            } else {
                NotifyEvent::Cleared
            };
            super::alerts_notify::send(&notify, &self.http, &self.shared.options, event, &alert);
            self.engine.publish(EngineEvent::Alert {
                alert: Box::new(alert),
                raised,
            });
        }
        if raised_any
            && let Some(store) = &store
            && let Err(e) = crate::store::alerts::prune_history(store, now_ms())
        {
            tracing::warn!("pruning the alert history: {e}");
        }
    }
}
