//! Starting the TUI: pick the connections, build the engine (which owns every worker:
//! refreshers, jobs, consoles), link it to the UI's inbox (`ui::engine_link`) and run the UI
//! loop. The last inventory is drawn at once from the offline cache, marked stale, while the
//! network catches up.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::mpsc;

use super::CliError;
use crate::engine::{Caller, ConnSpec, DEFAULT_REFRESH, Engine, EngineConfig, connection};
use crate::paths::Paths;
use crate::store::Store;
use crate::ui::action::{AppEvent, Effect};
use crate::ui::app::App;

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
    let (spec, sim) = crate::engine::start_demo_sim(nodes, guests, seed, data.path())
        .await
        .map_err(CliError::new)?;
    // Settings (the theme) persist when the store is free; the demo host itself never is saved.
    let store = Store::open(paths).ok();
    let code = run_tui(vec![spec], store, paths).await;
    sim.shutdown().await;
    code
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
    if let Some(h) = host
        && specs.is_empty()
    {
        return Err(CliError::new(format!(
            "no host named '{h}' (see `proximity hosts ls`)"
        )));
    }
    run_tui(specs, Some(store), paths).await
}

async fn run_tui(
    specs: Vec<ConnSpec>,
    store: Option<Store>,
    paths: &Paths,
) -> Result<ExitCode, CliError> {
    let theme = store
        .as_ref()
        .and_then(|s| s.settings().get().ok())
        .and_then(|s| s.theme)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "dark".into());
    let mut app = App::from_config(&paths.config_dir, &theme, SystemTime::now());
    app.log_dir = paths.state_dir.join("logs");
    let (inbox_tx, inbox_rx) = mpsc::channel::<AppEvent>(INBOX_CAPACITY);
    let (effect_tx, effect_rx) = mpsc::unbounded_channel::<Effect>();

    let engine = Engine::new(EngineConfig {
        store,
        state_dir: Some(paths.state_dir.clone()),
        caller: Caller::Tui,
        refresh: Some(DEFAULT_REFRESH),
    });
    // Subscribe before anything is published, so the first refresh is not missed.
    let events = engine.subscribe();
    // Alerts (before any connect, for the same reason): thresholds from `alerts.toml`; a bad
    // file is a toast and the defaults stand.
    let alert_config = match crate::alerts::AlertConfig::load(&paths.config_dir) {
        Ok(c) => c,
        Err(e) => {
            let text = format!("alerts: {e} (the defaults apply)");
            let _ = inbox_tx.send(AppEvent::Toast { text, error: true }).await;
            crate::alerts::AlertConfig::default()
        }
    };
    let (catalog, _) =
        crate::catalog::Catalog::load(Some(&crate::catalog::Catalog::user_dir(paths)));
    engine.start_alerts(crate::engine::alerts::AlertOptions {
        config: alert_config,
        catalog,
        config_dir: Some(paths.config_dir.clone()),
        ..Default::default()
    });
    let _ = inbox_tx
        .send(AppEvent::AlertsLoaded {
            firing: engine.alerts(),
            history: engine.alert_history(200),
            config: Box::new(engine.alert_config()),
        })
        .await;
    for spec in &specs {
        if let Err(e) = engine.connect(spec) {
            let failure = crate::engine::HostFailure::Unreachable(e.to_string());
            let _ = inbox_tx
                .send(AppEvent::Inventory(
                    spec.name.clone(),
                    Err(failure),
                    SystemTime::now(),
                ))
                .await;
        }
    }
    let _ = inbox_tx
        .send(AppEvent::HostsConfigured(engine.host_entries()))
        .await;
    let _ = inbox_tx.send(AppEvent::Recording(engine.recording())).await;
    // Finished jobs and deployments beyond the newest few hundred are history nobody reads.
    let pruned = engine.prune_journals(crate::engine::JOURNAL_KEEP);
    if pruned > 0 {
        tracing::info!("pruned {pruned} old journal records");
    }
    let unfinished = engine.unfinished_deployments();
    for job in engine.interrupted_jobs() {
        // An interrupted deployment says how to finish or undo it.
        let deployment = unfinished.iter().find(|d| d.jobs.contains(&job.id.0));
        let text = if let Some(d) = deployment {
            format!(
                "{} (deploy {}) was interrupted: `proximity deploy --resume job-{}` or `--rollback job-{}`",
                job.id, d.name, d.id, d.id
            )
        } else {
            format!(
                "{} ({} on {}) was interrupted when proximity stopped",
                job.id,
                job.kind.label(),
                job.target.host
            )
        };
        let _ = inbox_tx.send(AppEvent::Toast { text, error: true }).await;
    }
    // Apps deployed by another Proximity (or before this store) are adopted from the
    // cluster; vanished ones are marked missing. In the background: hosts may be slow.
    for host in engine.connected() {
        let engine = engine.clone();
        tokio::spawn(async move {
            if let Err(e) = engine.reconcile_apps(&host).await {
                tracing::warn!("reconciling apps on {host}: {e}");
            }
        });
    }
    let forward = tokio::spawn(crate::ui::engine_link::forward_events(
        engine.clone(),
        events,
        inbox_tx.clone(),
    ));
    engine.publish_cached();
    let effects = tokio::spawn(crate::ui::engine_link::run_effects(
        engine.clone(),
        effect_rx,
        inbox_tx,
    ));

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
    effects.abort();
    forward.abort();
    engine.shutdown().await;
    result.map(|_| ExitCode::SUCCESS).map_err(CliError::new)
}
