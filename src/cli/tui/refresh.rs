//! One refresher per connected host: it fetches `/cluster/resources`, sends the inventory to
//! the UI's inbox, caches it for the next offline start, looks up the ports of managed apps
//! once, and sleeps until the interval or a nudge (an action finished).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, mpsc};

use crate::engine::{self, ConnSpec, EngineError, connection};
use crate::pve::{PveClient, PveError, types::ClusterResource};
use crate::store::Store;
use crate::ui::action::AppEvent;

/// How often each host is refreshed: Proxmox's own UI polls every few seconds.
const REFRESH_INTERVAL: Duration = Duration::from_secs(5);

/// A connected host: its client and a way to ask its refresher for an early refresh.
#[derive(Clone)]
pub(super) struct HostLink {
    pub(super) client: PveClient,
    pub(super) refresh: Arc<Notify>,
    pub(super) stop: Arc<Notify>,
}

pub(super) fn connect_host(
    spec: &ConnSpec,
    inbox: &mpsc::Sender<AppEvent>,
    store: Option<Store>,
) -> Result<HostLink, PveError> {
    let client = connection::client_for(spec)?;
    let link = HostLink {
        client,
        refresh: Arc::new(Notify::new()),
        stop: Arc::new(Notify::new()),
    };
    tokio::spawn(refresher(
        spec.name.clone(),
        link.clone(),
        inbox.clone(),
        store,
    ));
    Ok(link)
}

/// One host's refresh loop: fetch, report, cache, sleep until the interval or a nudge.
async fn refresher(
    name: String,
    link: HostLink,
    inbox: mpsc::Sender<AppEvent>,
    store: Option<Store>,
) {
    // Managed apps whose ports were already looked up (vmid -> app id): the description is
    // read once per app, not on every refresh.
    let mut known_apps: HashMap<u32, String> = HashMap::new();
    loop {
        let result = engine::ops::resources(&link.client).await;
        let at = SystemTime::now();
        let event = match result {
            Ok(list) => {
                if let Some(store) = &store {
                    cache_inventory(store, &name, &list, at);
                }
                spawn_app_port_lookups(&name, &link, &list, &mut known_apps, &inbox);
                AppEvent::Inventory(name.clone(), Ok(list), at)
            }
            Err(EngineError::Pve(PveError::Unauthorized { message })) => {
                AppEvent::Inventory(name.clone(), Err(format!("401 auth failed: {message}")), at)
            }
            Err(e) => AppEvent::Inventory(name.clone(), Err(e.to_string()), at),
        };
        if inbox.send(event).await.is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(REFRESH_INTERVAL) => {}
            _ = link.refresh.notified() => {}
            _ = link.stop.notified() => return,
        }
    }
}

/// Managed containers (tag `px-app-<id>`) carry their ports in their description (see
/// `engine::apps`); `/cluster/resources` has no description, so each new app's config is read
/// once and its ports sent to the rack.
fn spawn_app_port_lookups(
    host: &str,
    link: &HostLink,
    list: &[ClusterResource],
    known: &mut HashMap<u32, String>,
    inbox: &mpsc::Sender<AppEvent>,
) {
    for r in list.iter().filter(|r| r.kind == "lxc") {
        let (Some(vmid), Some(node), Some(tags)) = (r.vmid, r.node.as_ref(), r.tags.as_deref())
        else {
            continue;
        };
        let Some(app) = engine::apps::app_id_from_tags(tags) else {
            continue;
        };
        if known.get(&vmid).is_some_and(|a| a == app) {
            continue;
        }
        known.insert(vmid, app.to_string());
        let (client, inbox, host, node) = (
            link.client.clone(),
            inbox.clone(),
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
                .and_then(engine::apps::parse_app_meta)
                .map(|m| m.all_ports())
                .unwrap_or_default();
            if !ports.is_empty() {
                let _ = inbox.send(AppEvent::AppPorts { host, vmid, ports }).await;
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
