//! The engine's metrics operations, the same for every caller: a target's series (awaited by
//! the CLI, published as `EngineEvent::MetricsReport` for the TUI, whose loop never waits)
//! and the top lists from the inventories the engine already holds.

use std::sync::Arc;

use super::events::EngineEvent;
use super::metrics::{self, MetricsError, MetricsReport, MetricsTarget, TopBy, TopEntry};
use super::service::{Engine, Refusal, lock};
use crate::inventory::GuestKind;
use crate::pve::Timeframe;

impl Engine {
    /// A target's metrics over `timeframe`, awaited (bounded by `metrics::METRICS_DEADLINE`).
    pub async fn metrics(
        &self,
        target: &MetricsTarget,
        timeframe: Timeframe,
    ) -> Result<MetricsReport, MetricsError> {
        let link = self
            .link(target.host())
            .map_err(|e| MetricsError::Pve(e.to_string()))?;
        metrics::fetch(&link.client, target, timeframe).await
    }

    /// Fetch in the background and publish the answer as `EngineEvent::MetricsReport`.
    pub fn load_metrics(&self, target: MetricsTarget, timeframe: Timeframe) -> Result<(), Refusal> {
        let link = self.link(target.host())?;
        let events = self.inner.events.clone();
        tokio::spawn(async move {
            let result = metrics::fetch(&link.client, &target, timeframe)
                .await
                .map(Arc::new)
                .map_err(|e| e.to_string());
            let _ = events.send(EngineEvent::MetricsReport {
                target,
                timeframe,
                result,
            });
        });
        Ok(())
    }

    /// The kind of guest `vmid` on `host` as the latest inventory has it (a container when
    /// the inventory does not know it: the detail panel is opened from the rack, which does).
    pub(super) fn guest_kind(&self, host: &str, vmid: u32) -> GuestKind {
        self.latest(host)
            .and_then(|nodes| {
                nodes
                    .iter()
                    .flat_map(|n| n.guests.iter())
                    .find(|g| g.vmid == vmid)
                    .map(|g| g.kind)
            })
            .unwrap_or(GuestKind::Container)
    }

    /// The busiest running guests of every connected host by `by`, the first `limit`. From
    /// the latest inventories only; disk and network rates are measured between the last two
    /// inventories seen here.
    pub fn top_guests(&self, by: TopBy, limit: usize) -> Vec<TopEntry> {
        self.observe_inventories();
        lock(&self.inner.top_rates).top(by, limit)
    }

    /// Every list at once (the top screen shows the four side by side).
    pub fn top_lists(&self, limit: usize) -> Vec<(TopBy, Vec<TopEntry>)> {
        self.observe_inventories();
        let rates = lock(&self.inner.top_rates);
        TopBy::ALL
            .iter()
            .map(|by| (*by, rates.top(*by, limit)))
            .collect()
    }

    fn observe_inventories(&self) {
        let hosts = self.connected();
        let now = std::time::Instant::now();
        let lists: Vec<(String, crate::inventory::Nodes)> = hosts
            .iter()
            .filter_map(|h| Some((h.clone(), self.latest(h)?)))
            .collect();
        let mut rates = lock(&self.inner.top_rates);
        rates.retain(&hosts);
        for (host, list) in &lists {
            rates.observe(host, list, now);
        }
    }
}
