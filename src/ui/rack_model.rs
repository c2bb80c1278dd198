//! `RackModel`: what drawing the rack and its detail panel reads from the app besides the
//! rack's own state (`rack_state::Rack`): the shared inventory and the facts events
//! delivered (tasks, pending deployments, app ports, backup times, detail extras, metrics,
//! alerts). Borrowed and read-only, so rack drawing does not take `&App`; the rack layer
//! builds it from its `LayerCtx` (`Rack::model`).

use std::collections::HashMap;
use std::time::SystemTime;

use super::alerts_board::AlertBoard;
use super::app::{GuestExtra, TaskView};
use super::deploy_jobs::{DeployTracker, PendingDeploy};
use super::metrics_view::MetricsCache;
use super::theme::Theme;
use crate::inventory::Inventory;

#[derive(Clone, Copy)]
pub struct RackModel<'a> {
    pub theme: &'a Theme,
    pub now: SystemTime,
    pub inventory: &'a Inventory,
    pub alerts: &'a AlertBoard,
    pub tasks: &'a [TaskView],
    pub deploys: &'a DeployTracker,
    pub app_ports: &'a HashMap<(String, u32), Vec<u16>>,
    pub backup_times: &'a HashMap<String, HashMap<u32, u64>>,
    pub extra: &'a HashMap<(String, u32), GuestExtra>,
    pub metrics: &'a MetricsCache,
    /// How many racks fit side by side where the rack takes input (mouse hits, paging):
    /// a pending deployment is drawn on one of those.
    pub visible_cols: usize,
}

impl<'a> RackModel<'a> {
    pub fn task_for(&self, host: &str, vmid: u32) -> Option<&'a TaskView> {
        self.tasks.iter().find(|t| t.vmid == vmid && t.host == host)
    }

    /// Deployments under way whose container has no slot yet.
    pub fn pending_deploys(self) -> impl Iterator<Item = &'a PendingDeploy> {
        self.deploys.without_slot(self.inventory)
    }
}
