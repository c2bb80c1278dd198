//! One refresher per connected host: it fetches `/cluster/resources` (one request per
//! refresh), builds the host's nodes and guests from it once, publishes them, keeps them as
//! the host's latest (the engine's checks and alerts read them; the decoded answer itself is
//! dropped), caches them for the next offline start, looks up the ports of managed apps once,
//! and sleeps until the interval or a nudge (an action finished).
//!
//! A refresh whose answer is byte for byte the last one (Proxmox's status daemon updates every
//! 10 s, so with a 5 s refresh about every other answer is) costs a hash of the body: the last
//! nodes are published again, the same `Arc`, so subscribers can tell it apart with
//! `Arc::ptr_eq` and skip their own rebuild, while still seeing that the refresh happened.
//!
//! The offline cache (files, see `store::cache`) is written only when the answer changed since
//! the last write, at most once every [`CACHE_WRITE_EVERY`], and at exit
//! ([`super::Engine::shutdown`]).

use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{Notify, broadcast};

use super::events::{EngineEvent, HostFailure, InventoryResult};
use super::{ConnSpec, connection};
use crate::inventory::{Node, Nodes};
use crate::pve::{PveClient, PveError, types::ClusterResource};
use crate::store::Store;

/// The offline cache of a host is rewritten at most this often (and at exit).
pub const CACHE_WRITE_EVERY: Duration = Duration::from_secs(60);

/// A connected host: its client, the latest inventory, and ways to ask its refresher for an
/// early refresh or to stop.
#[derive(Clone)]
pub struct HostLink {
    pub client: PveClient,
    pub(super) refresh: Arc<Notify>,
    pub(super) stop: Arc<Notify>,
    latest: Arc<Mutex<Option<Latest>>>,
    /// What the offline cache holds; locked for the whole of a cache write, so the refresher
    /// and the exit never write one file at once.
    cached: Arc<Mutex<CacheWritten>>,
}

/// The last inventory fetched: its nodes and guests, a hash of the body they came from, and
/// when. The decoded answer itself is not kept (see [`crate::inventory`]).
#[derive(Clone)]
struct Latest {
    nodes: Nodes,
    body_hash: u64,
    at: SystemTime,
}

/// The last write of the offline cache.
#[derive(Default)]
struct CacheWritten {
    body_hash: Option<u64>,
    at: Option<Instant>,
}

/// Whether the cache, last written as `written`, should now take the answer `body_hash`.
fn cache_due(written: &CacheWritten, body_hash: u64, now_or_never: bool) -> bool {
    written.body_hash != Some(body_hash)
        && (now_or_never || written.at.is_none_or(|t| t.elapsed() >= CACHE_WRITE_EVERY))
}

/// A 64-bit hash of an answer (foldhash with a fixed seed: a tenth of a millisecond per MB,
/// where SipHash took a millisecond; a false "same" needs a collision between two consecutive
/// answers of one host).
fn body_hash(body: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    let mut h = foldhash::quality::FixedState::with_seed(0x5052_4f58).build_hasher();
    h.write_usize(body.len());
    h.write(body);
    h.finish()
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
            cached: Arc::new(Mutex::new(CacheWritten::default())),
        }
    }

    /// The last inventory fetched, if any.
    pub fn latest(&self) -> Option<Nodes> {
        super::service::lock(&self.latest)
            .as_ref()
            .map(|l| l.nodes.clone())
    }

    /// Fetch the inventory now, keep it as the latest and return it. An answer identical to
    /// the last is not decoded again: the last nodes (the same `Arc`) are returned.
    pub async fn fetch(&self) -> InventoryResult {
        let body = self.body().await?;
        let body_hash = body_hash(&body);
        let at = SystemTime::now();
        {
            let mut latest = super::service::lock(&self.latest);
            if let Some(last) = latest.as_mut()
                && last.body_hash == body_hash
            {
                last.at = at;
                return Ok(last.nodes.clone());
            }
        }
        // Each entry goes into the nodes as it is decoded: the whole decoded list (3.4 MB
        // at 10,000 guests) is never held beside the nodes still shown.
        // Entries are 200-400 bytes on the wire.
        let mut nodes = crate::inventory::NodesBuilder::with_capacity(body.len() / 200);
        crate::pve::for_each_resource(&body, |r| nodes.push(&r)).map_err(|e| failure(&e))?;
        drop(body);
        Ok(self.keep(Nodes::from(nodes.finish()), body_hash, at))
    }

    /// Fetch and decode the whole answer (one-shot callers that print every field: `ls`,
    /// `nodes`); its nodes are kept as the latest too.
    pub async fn fetch_list(&self) -> Result<Arc<Vec<ClusterResource>>, HostFailure> {
        let body = self.body().await?;
        let body_hash = body_hash(&body);
        let list = crate::pve::parse_resources(&body).map_err(|e| failure(&e))?;
        drop(body);
        let unchanged = super::service::lock(&self.latest)
            .as_ref()
            .is_some_and(|l| l.body_hash == body_hash);
        // An unchanged answer keeps its nodes (the same `Arc`: no subscriber rebuilds).
        if !unchanged {
            self.keep(Nodes::from(list.as_slice()), body_hash, SystemTime::now());
        }
        Ok(Arc::new(list))
    }

    async fn body(&self) -> Result<bytes::Bytes, HostFailure> {
        self.client
            .cluster_resources_body()
            .await
            .map_err(|e| failure(&e))
    }

    /// Keep `nodes` as the latest.
    fn keep(&self, nodes: Nodes, body_hash: u64, at: SystemTime) -> Nodes {
        *super::service::lock(&self.latest) = Some(Latest {
            nodes: nodes.clone(),
            body_hash,
            at,
        });
        nodes
    }

    /// Write the latest inventory to `host`'s offline cache if it changed since the last write
    /// and, unless `now_or_never` (the exit), the last write is [`CACHE_WRITE_EVERY`] old.
    /// Blocking (encodes megabytes, fsyncs): call from a blocking thread.
    pub(super) fn save_cache(&self, store: &Store, host: &str, now_or_never: bool) {
        let mut written = super::service::lock(&self.cached);
        let Some(latest) = super::service::lock(&self.latest).clone() else {
            return;
        };
        if !cache_due(&written, latest.body_hash, now_or_never) {
            return;
        }
        written.body_hash = Some(latest.body_hash);
        written.at = Some(Instant::now());
        cache_inventory(store, host, &latest.nodes, latest.at);
    }

    /// Whether [`save_cache`](HostLink::save_cache) would write now (cheap: no I/O).
    fn cache_write_due(&self) -> bool {
        let written = super::service::lock(&self.cached);
        super::service::lock(&self.latest)
            .as_ref()
            .is_some_and(|l| cache_due(&written, l.body_hash, false))
    }
}

/// A refresh error in typed form: 401 is the user's to fix, the rest is the network's.
pub fn failure(e: &PveError) -> HostFailure {
    match e {
        PveError::Unauthorized { message } => {
            HostFailure::AuthFailed(crate::text::clean_string(message))
        }
        other => HostFailure::Unreachable(crate::text::clean_string(&other.to_string())),
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
    let mut last: Option<Nodes> = None;
    loop {
        let mut changed = false;
        let result = link.fetch().await;
        let at = SystemTime::now();
        if let Ok(nodes) = &result {
            if let Some(store) = &store
                && link.cache_write_due()
            {
                let (link, store, name) = (link.clone(), store.clone(), name.clone());
                let _ = tokio::task::spawn_blocking(move || link.save_cache(&store, &name, false))
                    .await;
            }
            // The same list again: no new app to look up.
            if !last.as_ref().is_some_and(|l| l.same(nodes)) {
                spawn_app_port_lookups(&name, &link, nodes, &mut known_apps, &events);
                last = Some(nodes.clone());
                changed = true;
            }
        }
        let _ = events.send(EngineEvent::Inventory {
            host: name.clone(),
            result,
            at,
        });
        let mut wait = interval;
        if changed {
            // The subscribers swap in the new nodes within milliseconds; then the old ones
            // are freed. Give their pages back soon, not a whole interval later: the memory
            // would sit resident for half the time.
            let settle = FREE_AFTER.min(interval);
            tokio::select! {
                _ = tokio::time::sleep(settle) => release_freed_memory(),
                _ = link.stop.notified() => return,
            }
            wait = interval.saturating_sub(settle);
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = link.refresh.notified() => {}
            _ = link.stop.notified() => return,
        }
    }
}

/// How long after publishing changed nodes the old ones are taken to be freed everywhere.
const FREE_AFTER: Duration = Duration::from_millis(300);

/// Give the pages freed by the last inventory back to the system. A changed answer is
/// decoded while the old one is alive, then the old one (tens of thousands of small blocks at
/// 10,000 guests) is freed; glibc keeps freed blocks in the middle of its heaps resident, so
/// without this the rack's memory settled megabytes above what it holds.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free memory to the system; it takes the allocator's
    // own locks and touches no memory of ours.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// How many app descriptions are read at once: a first refresh of a big cluster finds hundreds
/// of managed apps, and one request each at the same moment opened as many connections (800
/// at 10,000 guests, each holding TLS and buffers, idle in the pool for 90 s).
const PORT_LOOKUPS_AT_ONCE: usize = 4;

/// Managed containers (tag `px-app-<id>`) carry their ports in their description (see
/// `engine::apps`); `/cluster/resources` has no description, so each new app's config is read
/// once and its ports published, a few at a time.
fn spawn_app_port_lookups(
    host: &str,
    link: &HostLink,
    nodes: &[Node],
    known: &mut HashMap<u32, String>,
    events: &broadcast::Sender<EngineEvent>,
) {
    let mut wanted: Vec<(String, u32)> = Vec::new();
    let containers = nodes.iter().flat_map(|n| {
        n.guests
            .iter()
            .filter(|g| g.kind == crate::inventory::GuestKind::Container)
            .map(move |g| (n, g))
    });
    for (node, g) in containers {
        let Some(app) = g.app.as_deref() else {
            continue;
        };
        if known.get(&g.vmid).is_some_and(|a| a == app) {
            continue;
        }
        known.insert(g.vmid, app.to_string());
        wanted.push((node.name.clone(), g.vmid));
    }
    if wanted.is_empty() {
        return;
    }
    let (client, events, host) = (link.client.clone(), events.clone(), host.to_string());
    tokio::spawn(async move {
        use futures_util::StreamExt;
        let lookups = futures_util::stream::iter(wanted).map(|(node, vmid)| {
            let client = client.clone();
            async move { (vmid, client.lxc_config(&node, vmid).await) }
        });
        let mut answers = lookups.buffer_unordered(PORT_LOOKUPS_AT_ONCE);
        while let Some((vmid, answer)) = answers.next().await {
            let Ok(cfg) = answer else { continue };
            let ports = cfg
                .description
                .as_deref()
                .and_then(super::apps::parse_app_meta)
                .map(|m| m.all_ports())
                .unwrap_or_default();
            if !ports.is_empty() {
                let event = EngineEvent::AppPorts {
                    host: host.clone(),
                    vmid,
                    ports,
                };
                if events.send(event).is_err() {
                    return;
                }
            }
        }
    });
}

fn cache_inventory(store: &Store, host: &str, nodes: &[Node], at: SystemTime) {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Streamed to the file in the answer's shape (read back with the live decoder): a
    // 10,000-guest answer built in memory first cost megabytes of heap that the allocator
    // then kept.
    let answer = super::inventory_answer::NodesAnswer(nodes);
    if let Err(e) = store.cache().put_answer(host, &answer, secs) {
        tracing::warn!("caching inventory of {host}: {e}");
    }
}

/// The cached inventory of `host`, if the store has a readable one.
pub(super) fn cached(store: &Store, host: &str) -> Option<(Nodes, SystemTime)> {
    let cached = store.cache().get(host).ok()??;
    let list = crate::pve::parse_resources(&cached.resources_json).ok()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(cached.fetched_at_unix);
    Some((Nodes::from(list), at))
}
