//! Wiring the TUI to the engine. The UI task owns `App`; this module owns the workers that feed
//! its inbox: one refresher per host (`refresh`: one `/cluster/resources` request per
//! refresh), an effect executor that runs the UI's requests through the same engine operations
//! as the CLI, and the offline cache (the last inventory is drawn at once, marked stale, while
//! the network catches up).

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;

pub mod console;
mod hosts;
mod refresh;
pub mod settings;

use super::CliError;
use crate::engine::{self, ConnAuth, ConnSpec, GuestRef, PowerOp, connection};
use crate::paths::Paths;
use crate::store::{HostAuth, HostConfig, Store};
use crate::ui::action::{AppEvent, Effect, HostEntry};
use crate::ui::app::App;
use refresh::{HostLink, connect_host};

/// The inbox is bounded so a flood of events slows workers down rather than memory growing.
const INBOX_CAPACITY: usize = 1024;

/// `proximity demo`: the emulator in-process on a loopback port, with a temporary data dir.
pub async fn demo(
    nodes: usize,
    guests: usize,
    seed: u64,
    paths: &Paths,
) -> Result<ExitCode, CliError> {
    let data = tempfile::tempdir().map_err(|e| CliError::new(format!("temporary dir: {e}")))?;
    let (spec, sim) = start_demo_sim(nodes, guests, seed, data.path()).await?;
    // Settings (the theme) persist when the store is free; the demo host itself never is saved.
    let store = Store::open(paths).ok();
    let code = run_tui(vec![spec], store, paths).await;
    sim.shutdown().await;
    code
}

async fn start_demo_sim(
    nodes: usize,
    guests: usize,
    seed: u64,
    dir: &std::path::Path,
) -> Result<(ConnSpec, crate::sim::SimHandle), CliError> {
    let config = crate::sim::SimConfig {
        nodes,
        guests,
        seed,
        state_dir: Some(dir.to_path_buf()),
        auth_failure_delay_ms: 0,
        // Shows (and lets tests prove) the console's drop-and-reconnect path: every console
        // connection is cut after this many seconds.
        drop_console_after_s: std::env::var("PROXIMITY_DEMO_CONSOLE_DROP_S")
            .ok()
            .and_then(|v| v.parse().ok()),
        ..crate::sim::SimConfig::default()
    };
    let sim = crate::sim::start(config)
        .await
        .map_err(|e| CliError::new(format!("demo emulator: {e}")))?;
    let (id, secret) = connection::parse_token(&sim.info.token).map_err(CliError::new)?;
    let spec = ConnSpec {
        name: "demo".into(),
        url: sim.info.url.clone(),
        auth: ConnAuth::Token { id, secret },
        fingerprint: sim.info.fingerprint.clone(),
        insecure: false,
    };
    Ok((spec, sim))
}

/// `proximity` with no command: the environment's endpoint, or the configured hosts.
pub async fn configured(host: Option<&str>, paths: &Paths) -> Result<ExitCode, CliError> {
    if let Some(spec) = connection::from_env(|k| std::env::var(k).ok()).map_err(CliError::new)? {
        return run_tui(vec![spec], Store::open(paths).ok(), paths).await;
    }
    let store = Store::open(paths).map_err(CliError::new)?;
    let mut specs = Vec::new();
    for cfg in store.hosts().list().map_err(CliError::new)? {
        if host.is_some_and(|h| h != cfg.name) {
            continue;
        }
        if let Some(spec) = connection::from_host(&cfg) {
            specs.push(spec);
        } else {
            // No stored password: ask now, before the terminal is taken over.
            let name = cfg.name.clone();
            specs.push(super::commands::resolve_connection(Some(&name), paths)?);
        }
    }
    if let Some(h) = host {
        if specs.is_empty() {
            return Err(CliError::new(format!(
                "no host named '{h}' (see `proximity hosts ls`)"
            )));
        }
    }
    run_tui(specs, Some(store), paths).await
}

fn host_entry(cfg: &HostConfig) -> HostEntry {
    HostEntry {
        name: cfg.name.clone(),
        url: cfg.url.clone(),
        token_id: match &cfg.auth {
            HostAuth::Token { id, .. } => id.clone(),
            HostAuth::User { user, .. } => user.clone(),
        },
        fingerprint: cfg.fingerprint.clone(),
    }
}

fn spec_entry(spec: &ConnSpec) -> HostEntry {
    HostEntry {
        name: spec.name.clone(),
        url: spec.url.clone(),
        token_id: match &spec.auth {
            ConnAuth::Token { id, .. } => id.clone(),
            ConnAuth::User { user, .. } => user.clone(),
        },
        fingerprint: spec.fingerprint.clone(),
    }
}

async fn run_tui(
    specs: Vec<ConnSpec>,
    store: Option<Store>,
    paths: &Paths,
) -> Result<ExitCode, CliError> {
    let now = SystemTime::now();
    let theme = store
        .as_ref()
        .and_then(|s| s.settings().get().ok())
        .and_then(|s| s.theme)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "dark".into());
    let app = App::from_config(&paths.config_dir, &theme, now);
    let (inbox_tx, inbox_rx) = mpsc::channel::<AppEvent>(INBOX_CAPACITY);
    let (effect_tx, effect_rx) = mpsc::unbounded_channel::<Effect>();

    let mut entries: Vec<HostEntry> = specs.iter().map(spec_entry).collect();
    if let Some(store) = &store {
        // Hosts configured but not connected (e.g. filtered by --host) still show on the
        // hosts screen.
        for cfg in store.hosts().list().unwrap_or_default() {
            if !entries.iter().any(|e| e.name == cfg.name) {
                entries.push(host_entry(&cfg));
            }
        }
    }
    let _ = inbox_tx.send(AppEvent::HostsConfigured(entries)).await;
    let recording = settings::current(store.as_ref());
    let _ = inbox_tx.send(AppEvent::Recording(recording)).await;
    if let Some(store) = &store {
        for spec in &specs {
            if let Ok(Some(cached)) = store.cache().get(&spec.name) {
                if let Ok(list) = crate::pve::parse_resources(&cached.resources_json) {
                    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(cached.fetched_at_unix);
                    let _ = inbox_tx
                        .send(AppEvent::Cached(spec.name.clone(), list, at))
                        .await;
                }
            }
        }
    }
    let mut links = HashMap::new();
    for spec in &specs {
        match connect_host(spec, &inbox_tx, store.clone()) {
            Ok(link) => {
                links.insert(spec.name.clone(), link);
            }
            Err(e) => {
                let _ = inbox_tx
                    .send(AppEvent::Inventory(
                        spec.name.clone(),
                        Err(e.to_string()),
                        SystemTime::now(),
                    ))
                    .await;
            }
        }
    }
    let executor = Executor {
        links,
        inbox: inbox_tx.clone(),
        store: store.clone(),
        pending_hosts: HashMap::new(),
        demo: None,
        consoles: console::Consoles::new(store.clone(), &paths.state_dir),
    };
    let executor_task = tokio::spawn(executor.run(effect_rx));

    let mut guard = crate::ui::terminal_guard::TerminalGuard::enter()
        .map_err(|e| CliError::new(format!("cannot take over the terminal: {e}")))?;
    let stats = Arc::new(crate::ui::runtime::RuntimeStats::default());
    let result = crate::ui::runtime::run(&mut guard, app, inbox_rx, effect_tx, stats.clone()).await;
    drop(guard);
    // Read by scripts/bench-idle.sh: redraws while idle must be 0.
    tracing::info!(
        redraws = stats.redraws(),
        events = stats.events(),
        "ui stats at exit"
    );
    executor_task.abort();
    result.map(|_| ExitCode::SUCCESS).map_err(CliError::new)
}

/// Build the client and start its refresher.
/// Runs the UI's effects. Long work (tasks) runs in its own tokio task and reports back
/// through the inbox, so one slow host never blocks another.
struct Executor {
    links: HashMap<String, HostLink>,
    inbox: mpsc::Sender<AppEvent>,
    store: Option<Store>,
    /// Hosts waiting for the user to trust their fingerprint, by new name, with the name of
    /// the host they replace when the form was an edit.
    pending_hosts: HashMap<String, (HostConfig, Option<String>)>,
    demo: Option<(crate::sim::SimHandle, tempfile::TempDir)>,
    consoles: console::Consoles,
}

impl Executor {
    async fn run(mut self, mut effects: mpsc::UnboundedReceiver<Effect>) {
        while let Some(effect) = effects.recv().await {
            if matches!(effect, Effect::Quit) {
                break;
            }
            self.handle(effect).await;
        }
        if let Some((sim, _dir)) = self.demo.take() {
            sim.shutdown().await;
        }
    }

    async fn toast(&self, text: impl Into<String>, error: bool) {
        let _ = self
            .inbox
            .send(AppEvent::Toast {
                text: text.into(),
                error,
            })
            .await;
    }

    async fn handle(&mut self, effect: Effect) {
        match effect {
            // The UI loop performs these itself: they act on the user's terminal.
            Effect::Quit | Effect::Suspend | Effect::CopyToClipboard(_) => {}
            Effect::Refresh(host) => {
                if let Some(link) = self.links.get(&host) {
                    link.refresh.notify_one();
                }
            }
            Effect::RefreshAll => self.links.values().for_each(|l| l.refresh.notify_one()),
            Effect::Power { target, op } => self.spawn_guest_task(target, op.verb(), Some(op)),
            Effect::Delete { target } => self.spawn_guest_task(target, "delete", None),
            Effect::OpenTaskLog(upid) => self.show_task_log(upid),
            Effect::SaveSettings { theme } => {
                if let Some(store) = &self.store {
                    if let Err(e) = store.settings().update(|s| s.theme = Some(theme.clone())) {
                        self.toast(format!("saving settings: {e}"), true).await;
                    }
                }
            }
            Effect::SaveRecording { switch, on } => self.save_recording(switch, on).await,
            Effect::AddHost(draft) => self.add_host(draft, None).await,
            Effect::EditHost { original, draft } => self.add_host(draft, Some(original)).await,
            Effect::RemoveHost(name) => self.remove_host(&name).await,
            Effect::TestHost(draft) => self.test_host(draft),
            Effect::TrustFingerprint {
                host,
                fingerprint,
                accept,
            } => self.trust(host, fingerprint, accept).await,
            Effect::LoadDetail { host, node, vmid } => self.load_detail(host, node, vmid),
            Effect::StartDemo => self.start_demo().await,
            Effect::OpenConsole {
                session,
                host,
                target,
                cols,
                rows,
            } => match self.links.get(&host) {
                Some(link) => self.consoles.open(
                    session,
                    &host,
                    link.client.clone(),
                    target,
                    (cols, rows),
                    self.inbox.clone(),
                ),
                None => {
                    let reason = format!("host {host} is not connected");
                    let _ = self
                        .inbox
                        .send(AppEvent::ConsoleClosed {
                            session,
                            reason,
                            dropped: false,
                        })
                        .await;
                }
            },
            Effect::ConsoleInput { session, bytes } => self.consoles.input(session, bytes),
            Effect::ConsoleResize {
                session,
                cols,
                rows,
            } => self.consoles.resize(session, cols, rows),
            Effect::CloseConsole { session } => self.consoles.close(session),
            // The views' requests (branch `views`): the engine rewrite wires these.
            Effect::FollowLog { .. }
            | Effect::StopLog { .. }
            | Effect::SaveLog { .. }
            | Effect::RefreshTasks
            | Effect::CancelTask { .. } => {}
        }
    }

    fn spawn_guest_task(
        &self,
        target: crate::ui::action::GuestRef,
        label: &'static str,
        op: Option<PowerOp>,
    ) {
        let Some(link) = self.links.get(&target.host).cloned() else {
            return;
        };
        let inbox = self.inbox.clone();
        tokio::spawn(async move {
            let guest = GuestRef {
                node: target.node.clone(),
                vmid: target.vmid,
                kind: match target.kind {
                    crate::inventory::GuestKind::Vm => "qemu".into(),
                    _ => "lxc".into(),
                },
                name: String::new(),
                status: String::new(),
            };
            let started = match op {
                Some(op) => engine::ops::power(&link.client, &guest, op).await,
                None => engine::ops::delete(&link.client, &guest, false).await,
            };
            let (upid, outcome) = match started {
                Ok(upid) => {
                    let _ = inbox
                        .send(AppEvent::TaskProgress {
                            host: target.host.clone(),
                            vmid: target.vmid,
                            upid: upid.to_string(),
                            label: label.to_string(),
                            fraction: None,
                        })
                        .await;
                    let outcome = engine::ops::wait(&link.client, &upid).await;
                    (upid.to_string(), outcome.map(|_| ()))
                }
                Err(e) => (String::new(), Err(e)),
            };
            let (ok, message) = match outcome {
                Ok(()) => (true, format!("{label} done")),
                Err(e) => (
                    false,
                    format!(
                        "{label} failed: {}",
                        crate::term::sanitize_line(&e.to_string())
                    ),
                ),
            };
            let _ = inbox
                .send(AppEvent::TaskDone {
                    host: target.host.clone(),
                    vmid: target.vmid,
                    upid,
                    ok,
                    message,
                })
                .await;
            link.refresh.notify_one();
        });
    }

    fn show_task_log(&self, upid: String) {
        let links: Vec<_> = self.links.values().cloned().collect();
        let inbox = self.inbox.clone();
        tokio::spawn(async move {
            let Ok(parsed) = upid.parse::<crate::pve::Upid>() else {
                let text = format!("not a task id: {}", crate::term::sanitize_line(&upid));
                let _ = inbox.send(AppEvent::Toast { text, error: true }).await;
                return;
            };
            // The UPID names its node, not its host: try each host until one knows it.
            // `limit=0` is "to the end" (WIRE.md): the popup scrolls the whole log.
            for l in &links {
                let Ok(page) = l.client.task_log(&parsed, 0, 0).await else {
                    continue;
                };
                let lines = page
                    .lines
                    .iter()
                    .map(|l| crate::term::sanitize_line(&l.t))
                    .collect();
                // Unknown status (a blip) reads as finished: the popup's `r` reloads.
                let running = l
                    .client
                    .task_status(&parsed)
                    .await
                    .is_ok_and(|s| s.status == "running");
                let _ = inbox
                    .send(AppEvent::TaskLog {
                        upid,
                        lines,
                        running,
                    })
                    .await;
                return;
            }
            let text = format!("no host knows task {}", crate::term::sanitize_line(&upid));
            let _ = inbox.send(AppEvent::Toast { text, error: true }).await;
        });
    }

    fn load_detail(&self, host: String, node: String, vmid: u32) {
        let Some(link) = self.links.get(&host).cloned() else {
            return;
        };
        let inbox = self.inbox.clone();
        tokio::spawn(async move {
            let client = &link.client;
            let mut config = Vec::new();
            if let Ok(cfg) = client.lxc_config(&node, vmid).await {
                if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&cfg) {
                    for (k, v) in map {
                        if k == "digest" || v.is_null() {
                            continue;
                        }
                        let text = match v {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        };
                        config.push((k, crate::term::sanitize_line(&text)));
                    }
                }
            }
            let mut ips = Vec::new();
            if let Ok(ifaces) = client.lxc_interfaces(&node, vmid).await {
                for iface in ifaces.iter().filter(|i| i.name != "lo") {
                    if let Some(inet) = &iface.inet {
                        ips.push(format!("{} {}", iface.name, inet));
                    }
                }
            }
            let _ = inbox
                .send(AppEvent::GuestDetail {
                    host: host.clone(),
                    vmid,
                    ips,
                    config,
                })
                .await;
            if let Ok(points) = client
                .lxc_rrddata(&node, vmid, crate::pve::Timeframe::Hour, None)
                .await
            {
                let cpu: Vec<f64> = points.iter().filter_map(|p| p.cpu).collect();
                let mem: Vec<f64> = points
                    .iter()
                    .filter_map(|p| match (p.mem, p.maxmem) {
                        (Some(m), Some(max)) if max > 0.0 => Some(m / max),
                        _ => None,
                    })
                    .collect();
                let _ = inbox
                    .send(AppEvent::Metrics {
                        host,
                        vmid,
                        cpu,
                        mem,
                    })
                    .await;
            }
        });
    }

    async fn start_demo(&mut self) {
        if self.links.contains_key("demo") {
            return;
        }
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => return self.toast(format!("demo: {e}"), true).await,
        };
        match start_demo_sim(3, 30, 1, dir.path()).await {
            Ok((spec, sim)) => {
                match connect_host(&spec, &self.inbox, None) {
                    Ok(link) => {
                        self.links.insert(spec.name.clone(), link);
                    }
                    Err(e) => self.toast(format!("demo: {e}"), true).await,
                }
                self.demo = Some((sim, dir));
                self.send_hosts().await;
            }
            Err(e) => self.toast(e.to_string(), true).await,
        }
    }
}
