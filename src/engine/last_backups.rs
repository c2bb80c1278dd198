//! The newest backup of each guest: one listing (storage content `backup` of every available
//! backup storage, a shared one once), used by the alert monitor's "no backup in N days"
//! check, by the rack's backup ages (published again after a backup or a delete) and by
//! `Engine::last_backups`; and the one-guest read
//! the detail panel asks for when a slot is selected.

use std::collections::{HashMap, HashSet};

use futures_util::future::join_all;

use super::service::{Engine, Refusal};
use crate::inventory::Node;
use crate::pve::{PveClient, PveError};

/// The newest backup time (Unix seconds) per vmid of one host, from the content of every
/// available storage that holds backups on an online node (a shared one is listed once).
/// `nodes` are the host's latest: they name the storages, so no node is asked for its
/// storage list.
pub async fn newest_backups(
    client: &PveClient,
    nodes: &[Node],
) -> Result<HashMap<u32, u64>, PveError> {
    let mut seen_shared = HashSet::new();
    let mut newest: HashMap<u32, u64> = HashMap::new();
    for node in nodes.iter().filter(|n| n.online) {
        for storage in &node.storages {
            if !storage.holds_backups()
                || !storage.available
                || (storage.shared && !seen_shared.insert(storage.name.clone()))
            {
                continue;
            }
            let (node, storage) = (node.name.as_str(), storage.name.as_str());
            for item in client
                .storage_content(node, storage, Some("backup"), None)
                .await?
            {
                if let (Some(vmid), Some(ctime)) = (item.vmid, item.ctime) {
                    let slot = newest.entry(vmid).or_insert(ctime);
                    *slot = (*slot).max(ctime);
                }
            }
        }
    }
    Ok(newest)
}

impl Engine {
    /// The newest backup time of each guest of every connected host, by (host, vmid); a
    /// host that does not answer is left out. Each host's last inventory names its
    /// storages (read now when there is none yet).
    pub async fn last_backups(&self) -> HashMap<(String, u32), u64> {
        let answers = join_all(self.connected().into_iter().map(|host| async move {
            let client = self.client(&host).ok()?;
            let list = match self.latest(&host) {
                Some(list) => list,
                None => self.fetch_nodes(&host).await.ok()?,
            };
            let newest =
                tokio::time::timeout(super::fleet::HOST_DEADLINE, newest_backups(&client, &list))
                    .await
                    .ok()?
                    .ok()?;
            Some((host, newest))
        }))
        .await;
        answers
            .into_iter()
            .flatten()
            .flat_map(|(host, newest)| {
                newest
                    .into_iter()
                    .map(move |(vmid, ctime)| ((host.clone(), vmid), ctime))
            })
            .collect()
    }

    /// Read the newest backups of `host` again and publish them (`EngineEvent::LastBackups`):
    /// after a backup or a delete, so the rack's ages do not wait for the alert monitor's
    /// next look (minutes away).
    pub(super) async fn publish_last_backups(&self, host: &str) {
        let Ok(client) = self.client(host) else {
            return;
        };
        let list = match self.latest(host) {
            Some(list) => list,
            None => match self.fetch_nodes(host).await {
                Ok(list) => list,
                Err(_) => return,
            },
        };
        match newest_backups(&client, &list).await {
            Ok(newest) => self.publish(super::events::EngineEvent::LastBackups {
                host: host.to_string(),
                newest: std::sync::Arc::new(newest),
            }),
            Err(e) => tracing::debug!("last backups of {host}: {e}"),
        }
    }

    /// The newest backup time of one guest (its node's backup storages, filtered by vmid):
    /// the detail panel's "last backup".
    pub async fn last_backup_of(
        &self,
        host: &str,
        node: &str,
        vmid: u32,
    ) -> Result<Option<u64>, Refusal> {
        let client = self.link(host)?.client;
        let host_err = |e: crate::pve::PveError| Refusal::Host(e.to_string());
        let stores = client
            .storage_list(node, Some("backup"))
            .await
            .map_err(host_err)?;
        let mut newest = None;
        for store in stores.iter().filter(|s| s.supports("backup") && s.active) {
            let content = client
                .storage_content(node, &store.storage, Some("backup"), Some(vmid))
                .await
                .map_err(host_err)?;
            newest = content
                .iter()
                .filter(|c| c.vmid == Some(vmid))
                .filter_map(|c| c.ctime)
                .chain(newest)
                .max();
        }
        Ok(newest)
    }
}
