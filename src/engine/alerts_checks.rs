//! The alert monitor's slower sources: a host's backups (failed `vzdump` runs from
//! `/cluster/tasks`, the newest backup per guest from storage content `backup`) and the
//! health checks of its managed apps, run inside each container through the deploy
//! executor, the way a deployment's last step checks them (`deploy::runner::wait_healthy`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::alerts::{CheckResult, now_ms};
use super::service::{Engine, lock};
use crate::alerts::rules::{BackupFacts, HealthResult, failed_backups};
use crate::catalog::Catalog;
use crate::inventory::{GuestKind, Node};
use crate::pve::{PveClient, PveError};

/// Failed backup runs and the newest backup of every guest of one host.
pub(super) async fn backup_facts(
    client: &PveClient,
    nodes: &[Node],
) -> Result<BackupFacts, PveError> {
    let tasks = client.cluster_tasks().await?;
    Ok(BackupFacts {
        failed: failed_backups(&tasks),
        newest: super::last_backups::newest_backups(client, nodes).await?,
    })
}

/// Check each running managed app of `host` once (an app still being checked is skipped).
pub(super) fn spawn_health_checks(
    engine: &Engine,
    host: &str,
    nodes: &[Node],
    catalog: &Catalog,
    checking: Arc<Mutex<HashSet<(String, u32)>>>,
    permits: Arc<tokio::sync::Semaphore>,
    results: mpsc::Sender<CheckResult>,
) {
    let executors = lock(&engine.inner.executors)
        .clone()
        .unwrap_or_else(|| Arc::new(crate::deploy::executors::ConsoleExecutors));
    // A health probe answers in a second or two; a deployment step may take minutes.
    let timeout = lock(&engine.inner.deploy_tuning)
        .command_timeout
        .min(Duration::from_secs(30));
    let Ok(client) = engine.client(host) else {
        return;
    };
    let running: HashSet<u32> = nodes
        .iter()
        .flat_map(|n| n.guests.iter())
        .filter(|g| g.kind == GuestKind::Container && g.running)
        .map(|g| g.vmid)
        .collect();
    let mut candidates: Vec<_> = engine
        .apps()
        .into_iter()
        .filter(|a| a.host == host && !a.missing && running.contains(&a.vmid))
        .filter_map(|app| {
            let check = catalog.get(&app.app)?.health.clone();
            Some((app, check))
        })
        .collect();
    candidates.sort_by_key(|(app, _)| app.vmid);
    // A sweep probes at most `HEALTH_CHECKS_PER_SWEEP` apps, starting where the last one
    // stopped: a homelab's apps are all checked every sweep, while a cluster managing
    // hundreds is checked in turns instead of opening hundreds of consoles every minute.
    let start = SWEEPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) * HEALTH_CHECKS_PER_SWEEP;
    if !candidates.is_empty() {
        let len = candidates.len();
        candidates.rotate_left(start % len);
    }
    let mut due = Vec::new();
    for (app, check) in candidates.into_iter().take(HEALTH_CHECKS_PER_SWEEP) {
        let key = (app.host.clone(), app.vmid);
        if lock(&checking).insert(key.clone()) {
            due.push((key, app, check));
        }
    }
    if due.is_empty() {
        return;
    }
    // A few at a time: each probe opens the container's console (a websocket and a shell),
    // and a big cluster manages hundreds of apps; all at once held hundreds of consoles open.
    tokio::spawn(async move {
        use futures_util::StreamExt;
        let probes = futures_util::stream::iter(due).map(|(key, app, check)| {
            let (executors, client, permits) = (executors.clone(), client.clone(), permits.clone());
            async move {
                // Shared by every sweep: one still running when the next is due does not add
                // its probes on top.
                let _permit = permits.acquire_owned().await;
                let (healthy, detail) = probe(&*executors, &client, &app, &check, timeout).await;
                (key, app, healthy, detail)
            }
        });
        let mut done = probes.buffer_unordered(HEALTH_CHECKS_AT_ONCE);
        while let Some((key, app, healthy, detail)) = done.next().await {
            lock(&checking).remove(&key);
            let result = HealthResult {
                host: app.host,
                node: app.node,
                vmid: app.vmid,
                app: app.name,
                app_id: app.app,
                healthy,
                detail: crate::text::clean_string(&detail),
                at_ms: now_ms(),
            };
            if results.send(CheckResult::Health(result)).await.is_err() {
                // The monitor stopped: the keys left in `checking` no longer matter.
                return;
            }
        }
    });
}

/// Apps a sweep probes at most (see `spawn_health_checks`).
const HEALTH_CHECKS_PER_SWEEP: usize = 32;

/// Sweeps started so far: where the next one starts in its host's list of apps.
static SWEEPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Health probes that run at once, across hosts and sweeps (see `spawn_health_checks`).
pub(super) const HEALTH_CHECKS_AT_ONCE: usize = 4;

/// One probe in the container: healthy or not, and what to say about it.
async fn probe(
    executors: &dyn crate::deploy::ExecutorFactory,
    client: &PveClient,
    app: &crate::deploy::AppRecord,
    check: &crate::catalog::HealthCheck,
    timeout: Duration,
) -> (bool, String) {
    let port = check.port();
    let opened = tokio::time::timeout(timeout, executors.open(client, &app.node, app.vmid)).await;
    let exec = match opened {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => return (false, format!("no shell in the container: {e}")),
        Err(_) => {
            return (
                false,
                format!("no shell in the container within {}s", timeout.as_secs()),
            );
        }
    };
    let command = crate::deploy::scripts::health_probe(check);
    let out = exec.run(&command, timeout, &|_| {}).await;
    exec.close().await;
    match out {
        Ok(o) if o.code == 0 => (true, format!("answers on port {port}")),
        Ok(o) => (false, format!("no answer on port {port} (exit {})", o.code)),
        Err(e) => (false, e.to_string()),
    }
}
