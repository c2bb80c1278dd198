//! One refresher per connected host: it fetches `/cluster/resources` (one request per
//! refresh), publishes the inventory, keeps it as the host's latest (the engine's checks read
//! it), caches it for the next offline start, looks up the ports of managed apps once, and
//! sleeps until the interval or a nudge (an action finished).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, broadcast};

use super::events::{EngineEvent, HostFailure, InventoryResult};
use super::{ConnSpec, connection};
use crate::pve::{PveClient, PveError, types::ClusterResource};
use crate::store::Store;

/// A connected host: its client, the latest inventory, and ways to ask its refresher for an
/// early refresh or to stop.
#[derive(Clone)]
pub struct HostLink {
    pub client: PveClient,
    pub(super) refresh: Arc<Notify>,
    pub(super) stop: Arc<Notify>,
    latest: Arc<Mutex<Option<Arc<Vec<ClusterResource>>>>>,
}

impl HostLink {
    pub(super) fn new(spec: &ConnSpec) -> Result<HostLink, PveError> {
        Ok(HostLink::with_client(connection::client_for(spec)?))
    }

    pub(super) fn with_client(client: PveClient) -> HostLink {
        HostLink {
            client,
            refresh: Arc::new(Notify::new()),
            stop: Arc::new(Notify::new()),
            latest: Arc::new(Mutex::new(None)),
        }
    }

    /// The last inventory fetched, if any.
    pub fn latest(&self) -> Option<Arc<Vec<ClusterResource>>> {
        self.latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_latest(&self, list: Arc<Vec<ClusterResource>>) {
        *self.latest.lock().unwrap_or_else(|e| e.into_inner()) = Some(list);
    }

    /// Fetch the inventory now, keep it as the latest and return it.
    pub async fn fetch(&self) -> InventoryResult {
        match self.client.cluster_resources(None).await {
            Ok(list) => {
                let list = Arc::new(list);
                self.set_latest(list.clone());
                Ok(list)
            }
            Err(e) => Err(failure(&e)),
        }
    }
}

/// A refresh error in typed form: 401 is the user's to fix, the rest is the network's.
pub fn failure(e: &PveError) -> HostFailure {
    match e {
        PveError::Unauthorized { message } => {
            HostFailure::AuthFailed(crate::term::sanitize_line(message))
        }
        other => HostFailure::Unreachable(crate::term::sanitize_line(&other.to_string())),
    }
}

/// Start the refresh loop of `link`.
pub(super) fn spawn_refresher(
    name: String,
    link: HostLink,
    events: broadcast::Sender<EngineEvent>,
    store: Option<Store>,
    interval: Duration,
) {
    tokio::spawn(refresher(name, link, events, store, interval));
}

async fn refresher(
    name: String,
    link: HostLink,
    events: broadcast::Sender<EngineEvent>,
    store: Option<Store>,
    interval: Duration,
) {
    // Managed apps whose ports were already looked up (vmid -> app id): the description is
    // read once per app, not on every refresh.
    let mut known_apps: HashMap<u32, String> = HashMap::new();
    loop {
        let result = link.fetch().await;
        let at = SystemTime::now();
        if let Ok(list) = &result {
            if let Some(store) = &store {
                cache_inventory(store, &name, list, at);
            }
            spawn_app_port_lookups(&name, &link, list, &mut known_apps, &events);
        }
        let _ = events.send(EngineEvent::Inventory {
            host: name.clone(),
            result,
            at,
        });
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = link.refresh.notified() => {}
            _ = link.stop.notified() => return,
        }
    }
}

/// Managed containers (tag `px-app-<id>`) carry their ports in their description (see
/// `engine::apps`); `/cluster/resources` has no description, so each new app's config is read
/// once and its ports published.
fn spawn_app_port_lookups(
    host: &str,
    link: &HostLink,
    list: &[ClusterResource],
    known: &mut HashMap<u32, String>,
    events: &broadcast::Sender<EngineEvent>,
) {
    for r in list.iter().filter(|r| r.kind == "lxc") {
        let (Some(vmid), Some(node), Some(tags)) = (r.vmid, r.node.as_ref(), r.tags.as_deref())
        else {
            continue;
        };
        let Some(app) = super::apps::app_id_from_tags(tags) else {
            continue;
        };
        if known.get(&vmid).is_some_and(|a| a == app) {
            continue;
        }
        known.insert(vmid, app.to_string());
        let (client, events, host, node) = (
            link.client.clone(),
            events.clone(),
            host.to_string(),
            node.clone(),
        );
        tokio::spawn(async move {
            let Ok(cfg) = client.lxc_config(&node, vmid).await else {
                return;
            };
            let ports = cfg
                .description
                .as_deref()
                .and_then(super::apps::parse_app_meta)
                .map(|m| m.all_ports())
                .unwrap_or_default();
            if !ports.is_empty() {
                let _ = events.send(EngineEvent::AppPorts { host, vmid, ports });
            }
        });
    }
}

fn cache_inventory(store: &Store, host: &str, list: &[ClusterResource], at: SystemTime) {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let body = serde_json::json!({ "data": list });
    if let Ok(bytes) = serde_json::to_vec(&body) {
        if let Err(e) = store.cache().put(host, &bytes, secs) {
            tracing::warn!("caching inventory of {host}: {e}");
        }
    }
}

/// The cached inventory of `host`, if the store has a readable one.
pub(super) fn cached(store: &Store, host: &str) -> Option<(Arc<Vec<ClusterResource>>, SystemTime)> {
    let cached = store.cache().get(host).ok()??;
    let list = crate::pve::parse_resources(&cached.resources_json).ok()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(cached.fetched_at_unix);
    Some((Arc::new(list), at))
}
