//! The engine's jobs as the rack shows them: a running job on a guest pulses its slot with
//! the step and a bar, the LCD counts it, and its end raises a toast whose `t` opens the
//! Proxmox task's log.

use super::app::{App, TaskView};
use crate::engine::{JobEvent, JobInfo, JobState};

impl App {
    pub(super) fn job_event(&mut self, event: JobEvent) {
        self.deploy_job_event(&event);
        match event {
            JobEvent::Started(info) => {
                let Some(vmid) = info.target.vmid else { return };
                self.tasks.push(TaskView {
                    host: info.target.host.clone(),
                    vmid,
                    upid: info.upid.clone().unwrap_or_default(),
                    label: info.kind.label().to_string(),
                    fraction: info.fraction,
                    job: Some(info.id),
                });
            }
            JobEvent::Step {
                id,
                step,
                fraction,
                upid,
            } => {
                if let Some(t) = self.tasks.iter_mut().find(|t| t.job == Some(id)) {
                    if let Some(step) = step {
                        t.label = crate::text::clean_string(&step);
                    }
                    t.fraction = fraction;
                    if let Some(upid) = upid {
                        t.upid = upid;
                    }
                }
            }
            JobEvent::Log { .. } => {}
            JobEvent::Finished(info) => self.job_finished(&info),
        }
    }

    fn job_finished(&mut self, info: &JobInfo) {
        let had_slot = self.tasks.iter().any(|t| t.job == Some(info.id));
        self.tasks.retain(|t| t.job != Some(info.id));
        if !had_slot {
            return;
        }
        let vmid = info.target.vmid.unwrap_or_default();
        let name = self
            .inventory
            .guest(&info.target.host, vmid)
            .map(|(_, g)| g.name.clone())
            .unwrap_or_default();
        let label = info.kind.label();
        let (ok, message) = match &info.state {
            JobState::Succeeded => (true, format!("{label} done")),
            JobState::Cancelled => (false, format!("{label} cancelled")),
            JobState::Failed(reason) => (false, format!("{label} failed: {reason}")),
            other => (false, format!("{label} {}", other.name())),
        };
        let text = format!("{} {vmid} {name}: {message}", if ok { "✔" } else { "✖" });
        if info.upid.is_some() {
            self.last_upid = info.upid.clone();
        }
        self.toast(text, !ok, ok, info.upid.clone());
    }
}
