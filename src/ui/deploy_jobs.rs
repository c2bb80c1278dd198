//! Deployments as the rack shows them, and the wizard's place in the app.
//!
//! A deploy job has no slot until its container exists, so each running one is a
//! `PendingDeploy`: its name, where it goes (the wizard's guess, then the "placed on" line of
//! the job's log), its step and progress. The rack draws it on the bottom edge of its node's
//! rack (`render::deploy_pending`) until the inventory shows the container; from the moment
//! the vmid is known (the job's "id N" log line, or a guest with that name and a
//! `px-app-*` tag on the rack) the job also pulses that slot like any other job
//! (`App::tasks`), so the real slot takes over as soon as a refresh brings it.

use std::collections::VecDeque;

use super::app::{App, TaskView};
use super::deploy_wizard::DeployWizard;
use super::layer::Slot;
use super::log_view::open_log_requests;
use super::task_board::LogSource;
use crate::catalog::AppSpec;
use crate::engine::{JobEvent, JobId, JobInfo, JobKind, JobState};

/// Ended deploy jobs remembered, so a late `DeployStarted` does not bring one back.
const ENDED_KEPT: usize = 32;

/// One deployment under way.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingDeploy {
    pub job: JobId,
    /// Empty until the job or the wizard says it.
    pub name: String,
    /// Empty until known.
    pub host: String,
    pub node: String,
    pub vmid: Option<u32>,
    pub label: String,
    pub fraction: f32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeployTracker {
    pub pending: Vec<PendingDeploy>,
    ended: VecDeque<JobId>,
}

impl DeployTracker {
    /// Deployments under way whose container has no slot in `inv` yet.
    pub fn without_slot<'a>(
        &'a self,
        inv: &'a crate::inventory::Inventory,
    ) -> impl Iterator<Item = &'a PendingDeploy> {
        self.pending.iter().filter(move |p| match p.vmid {
            Some(vmid) => inv.guest(&p.host, vmid).is_none(),
            None => true,
        })
    }

    fn entry(&mut self, job: JobId) -> Option<&mut PendingDeploy> {
        if self.ended.contains(&job) {
            return None;
        }
        if !self.pending.iter().any(|p| p.job == job) {
            self.pending.push(PendingDeploy {
                job,
                name: String::new(),
                host: String::new(),
                node: String::new(),
                vmid: None,
                label: "starting".into(),
                fraction: 0.0,
            });
        }
        self.pending.iter_mut().find(|p| p.job == job)
    }

    fn end(&mut self, job: JobId) -> Option<PendingDeploy> {
        self.ended.push_back(job);
        if self.ended.len() > ENDED_KEPT {
            self.ended.pop_front();
        }
        let i = self.pending.iter().position(|p| p.job == job)?;
        Some(self.pending.remove(i))
    }
}

/// What a line of a deploy job's log tells about the deployment (the runner's own words:
/// `deploying APP as NAME`, `placed on HOST/NODE: why`, `id VMID`).
fn learn(p: &mut PendingDeploy, text: &str) {
    if let Some(rest) = text.strip_prefix("deploying ")
        && let Some((_, name)) = rest.rsplit_once(" as ")
        && p.name.is_empty()
    {
        p.name = crate::text::clean_string(name.trim());
    } else if let Some(rest) = text
        .strip_prefix("placed on ")
        .or_else(|| text.strip_prefix("placed earlier on "))
    {
        let at = rest.split(':').next().unwrap_or(rest);
        if let Some((host, node)) = at.split_once('/') {
            p.host = crate::text::clean_string(host.trim());
            p.node = crate::text::clean_string(node.trim());
        }
    } else if let Some(rest) = text.strip_prefix("id ") {
        let digits = rest.split_whitespace().next().unwrap_or("");
        if let Ok(vmid) = digits.parse::<u32>() {
            p.vmid = Some(vmid);
        }
    }
}

impl App {
    /// Open the deploy wizard for `app` on top of everything, its name made unique against
    /// the guests on the rack and its node list taken from the inventory.
    pub fn open_deploy_wizard(&mut self, app: AppSpec) {
        let wizard = DeployWizard::new(app, &self.inventory);
        self.layers.push(Box::new(wizard));
    }

    /// The engine's answer to `Effect::Deploy`.
    pub(super) fn deploy_answer(&mut self, ev: super::action::AppEvent) -> Vec<super::Effect> {
        use super::action::AppEvent;
        match ev {
            AppEvent::DeployRefused { text } => {
                self.show_toast(&format!("deploy refused: {text}"), true);
                self.offer_event(&AppEvent::DeployRefused { text })
                    .unwrap_or_default()
            }
            AppEvent::DeployStarted {
                job,
                name,
                host,
                node,
            } => self.deploy_started(job, name, host, node),
            _ => Vec::new(),
        }
    }

    fn deploy_started(
        &mut self,
        job: JobId,
        name: String,
        host: Option<String>,
        node: Option<String>,
    ) -> Vec<super::Effect> {
        let name = crate::text::clean_string(&name);
        // Automatic: where the wizard expected the engine to place it, until the job's
        // log says where it went.
        let guess = self
            .layers
            .screens()
            .iter()
            .find_map(|l| l.as_any().downcast_ref::<DeployWizard>())
            .and_then(|w| w.form.placement().ok());
        let (host, node) = match (host, node, guess) {
            (None, None, Some(p)) => (Some(p.host), Some(p.node)),
            (host, node, _) => (host, node),
        };
        if let Some(p) = self.deploys.entry(job) {
            p.name = name.clone();
            if p.host.is_empty() {
                p.host = host.unwrap_or_default();
            }
            if p.node.is_empty() {
                p.node = node.unwrap_or_default();
            }
        }
        // Close the wizard (and whatever screen opened it): the rack shows the deployment.
        let mut effects = self.layers.clear_screens();
        self.show_toast(&format!("deploying {name} ({job})"), false);
        let requests = open_log_requests(
            LogSource::Job { id: job.0 },
            Some(format!("deploy {name} · {job}")),
            true,
        );
        let top = Slot::Screen(self.layers.screens().len());
        effects.extend(self.carry_out(top, requests));
        effects
    }

    /// A deploy job's event (the other kinds are `jobs.rs`'s alone).
    pub(super) fn deploy_job_event(&mut self, event: &JobEvent) {
        match event {
            JobEvent::Started(info) if info.kind == JobKind::Deploy => {
                if let Some(p) = self.deploys.entry(info.id) {
                    if !info.target.host.is_empty() {
                        p.host = info.target.host.clone();
                    }
                    if let Some(node) = &info.target.node {
                        p.node = node.clone();
                    }
                    if let Some(step) = &info.step {
                        p.label = crate::text::clean_string(step);
                    }
                    p.fraction = info.fraction.unwrap_or(0.0);
                }
            }
            JobEvent::Step {
                id, step, fraction, ..
            } => {
                if let Some(p) = self.deploys.pending.iter_mut().find(|p| p.job == *id) {
                    if let Some(step) = step {
                        p.label = crate::text::clean_string(step);
                    }
                    if let Some(f) = fraction {
                        p.fraction = *f;
                    }
                }
            }
            JobEvent::Log { id, line, .. } => {
                if let Some(p) = self.deploys.pending.iter_mut().find(|p| p.job == *id) {
                    learn(p, &line.text);
                }
                self.attach_deploy_slots();
            }
            JobEvent::Finished(info) if info.kind == JobKind::Deploy => self.deploy_finished(info),
            _ => {}
        }
    }

    /// A deploy that ended before its container had a slot says how it went here
    /// (`jobs.rs` toasts for the ones with a slot).
    fn deploy_finished(&mut self, info: &JobInfo) {
        let Some(p) = self.deploys.end(info.id) else {
            return;
        };
        if self.tasks.iter().any(|t| t.job == Some(info.id)) {
            return;
        }
        let name = if p.name.is_empty() {
            info.id.to_string()
        } else {
            p.name
        };
        let (ok, text) = match &info.state {
            JobState::Succeeded => (true, format!("✔ {name} deployed")),
            JobState::Cancelled => (false, format!("✖ deploying {name} cancelled")),
            JobState::Failed(reason) => (false, format!("✖ deploying {name} failed: {reason}")),
            other => (false, format!("✖ deploying {name}: {}", other.name())),
        };
        self.toast(text, !ok, ok, None);
    }

    /// Deployments whose container is known (by its id, or by its name and app tag on the
    /// rack) pulse that slot with the job's step from now on.
    pub(super) fn attach_deploy_slots(&mut self) {
        for i in 0..self.deploys.pending.len() {
            let p = &self.deploys.pending[i];
            let found = match p.vmid {
                Some(vmid) if !p.host.is_empty() => Some((p.host.clone(), vmid)),
                _ if !p.name.is_empty() => self.inventory.hosts.iter().find_map(|h| {
                    h.nodes
                        .iter()
                        .flat_map(|n| n.guests.iter().map(move |g| (n, g)))
                        .find(|(_, g)| g.name == p.name && g.app.is_some())
                        .filter(|_| p.host.is_empty() || p.host == h.name)
                        .map(|(_, g)| (h.name.clone(), g.vmid))
                }),
                _ => None,
            };
            let Some((host, vmid)) = found else { continue };
            let p = &mut self.deploys.pending[i];
            p.host = host.clone();
            p.vmid = Some(vmid);
            let (job, label, fraction) = (p.job, p.label.clone(), p.fraction);
            if !self.tasks.iter().any(|t| t.job == Some(job)) {
                self.tasks.push(TaskView {
                    host,
                    vmid,
                    upid: String::new(),
                    label,
                    fraction: Some(fraction),
                    job: Some(job),
                });
            }
        }
    }

    /// The deployments still without a slot on the rack (drawn on their rack's edge).
    pub fn pending_deploys(&self) -> impl Iterator<Item = &PendingDeploy> {
        self.deploys.without_slot(&self.inventory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_name_place_and_number_the_deployment() {
        let mut p = PendingDeploy {
            job: JobId(1),
            name: String::new(),
            host: String::new(),
            node: String::new(),
            vmid: None,
            label: String::new(),
            fraction: 0.0,
        };
        learn(&mut p, "deploying Who Am I as whoami-2");
        learn(
            &mut p,
            "placed on lab/pve2: pve2: most free memory (12.0 GiB)",
        );
        learn(&mut p, "id 104");
        assert_eq!(
            (p.name.as_str(), p.host.as_str(), p.node.as_str(), p.vmid),
            ("whoami-2", "lab", "pve2", Some(104))
        );
        learn(&mut p, "id 7 allocated earlier");
        assert_eq!(p.vmid, Some(7));
    }
}
