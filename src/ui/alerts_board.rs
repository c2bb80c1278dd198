//! What the UI knows of alerts: the ones firing (from the engine's raise and clear events),
//! the recent history, and each managed app's last health check. The rack reads it for the
//! slot LEDs and the LCD line; the alerts screen (`alerts_view`) lists it. A raise is a toast
//! once; an alert that is still firing is never announced again.

use std::collections::HashMap;

use super::action::{AppEvent, Effect};
use super::app::App;
use crate::alerts::{
    Alert, AlertConfig, HealthResult, Rule, format_duration_s, state::sort_alerts,
};

/// History entries the UI keeps (the store keeps more).
const HISTORY_SHOWN: usize = 200;

#[derive(Debug, Clone, Default)]
pub struct AlertBoard {
    /// Firing now, most severe first.
    pub firing: Vec<Alert>,
    /// Newest first (raised and cleared ones alike).
    pub history: Vec<Alert>,
    /// The last health check per (host, vmid).
    pub health: HashMap<(String, u32), HealthResult>,
    /// The thresholds in use (the settings screen edits its `screen` layer).
    pub config: AlertConfig,
    /// Whether the engine said what its alerts are (`AlertsLoaded`): until then (no alert
    /// monitor) the settings screen has no alert rows to offer.
    pub loaded: bool,
}

impl AlertBoard {
    /// The history without the alerts still firing (those are listed above it).
    pub fn past(&self) -> impl Iterator<Item = &Alert> {
        self.history.iter().filter(|a| a.cleared_ms.is_some())
    }

    /// Rows of the alerts screen: firing, then past.
    pub fn rows(&self) -> usize {
        self.firing.len() + self.past().count()
    }

    /// The most severe alert on a guest.
    pub fn guest_alert(&self, host: &str, vmid: u32) -> Option<&Alert> {
        self.firing
            .iter()
            .find(|a| a.target.host == host && a.target.vmid == Some(vmid))
    }

    /// The most severe alert on a node itself (not its guests), or on its whole host.
    pub fn node_alert(&self, host: &str, node: &str) -> Option<&Alert> {
        self.firing.iter().find(|a| {
            a.target.host == host
                && a.target.vmid.is_none()
                && a.target.node.as_deref().is_none_or(|n| n == node)
        })
    }

    /// The last health check of a managed app's container.
    pub fn health_of(&self, host: &str, vmid: u32) -> Option<&HealthResult> {
        self.health.get(&(host.to_string(), vmid))
    }

    /// A rule as the settings screen shows it: on or off, and what it checks.
    pub fn rule_setting(&self, rule: Rule) -> (bool, String) {
        let t = self.config.for_host("");
        let d = self.config.defaults.clone();
        // The file's `[defaults]` wins over the screen: say so where it sets the value.
        let file = |set: bool| if set { " (file)" } else { "" };
        let after = |s: u64| {
            if s == 0 {
                String::new()
            } else {
                format!(" for {}", format_duration_s(s))
            }
        };
        let label = match rule {
            Rule::Cpu => format!(
                "CPU > {}%{}{}",
                t.cpu_percent,
                after(t.cpu_for_s),
                file(d.cpu_percent.is_some())
            ),
            Rule::Memory => format!(
                "memory > {}%{}{}",
                t.memory_percent,
                after(t.memory_for_s),
                file(d.memory_percent.is_some())
            ),
            Rule::Disk => format!(
                "disk > {}%{}{}",
                t.disk_percent,
                after(t.disk_for_s),
                file(d.disk_percent.is_some())
            ),
            Rule::NodeOffline => format!("node offline{}", after(t.node_offline_for_s)),
            Rule::BackupFailed => "backup job failed".to_string(),
            Rule::BackupMissing => {
                format!("no backup in {}", format_duration_s(t.backup_max_age_s))
            }
            Rule::Health => "app health check".to_string(),
        };
        (t.is_on(rule), label)
    }

    /// Turn a rule on or off everywhere (the settings screen's layer).
    pub fn toggle_rule(&mut self, rule: Rule) -> Vec<Effect> {
        let on = !self.config.for_host("").is_on(rule);
        let screen = &mut self.config.screen;
        for list in [&mut screen.off, &mut screen.on] {
            if let Some(l) = list.as_mut() {
                l.retain(|n| n != rule.name());
            }
        }
        let list = if on { &mut screen.on } else { &mut screen.off };
        list.get_or_insert_with(Vec::new)
            .push(rule.name().to_string());
        vec![Effect::SaveAlertThresholds(Box::new(screen.clone()))]
    }

    /// Move a percentage threshold by `step` points (5-100).
    pub fn adjust_threshold(&mut self, rule: Rule, step: f64) -> Vec<Effect> {
        let t = self.config.for_host("");
        let screen = &mut self.config.screen;
        let (current, slot) = match rule {
            Rule::Cpu => (t.cpu_percent, &mut screen.cpu_percent),
            Rule::Memory => (t.memory_percent, &mut screen.memory_percent),
            Rule::Disk => (t.disk_percent, &mut screen.disk_percent),
            _ => return Vec::new(),
        };
        *slot = Some((current + step).clamp(5.0, 100.0));
        vec![Effect::SaveAlertThresholds(Box::new(screen.clone()))]
    }

    /// Apply a raise or a clear; true when it changed what is firing.
    pub fn apply(&mut self, alert: Alert, raised: bool) -> bool {
        let key = alert.key();
        let before = self.firing.len();
        self.firing.retain(|a| a.key() != key);
        let changed = if raised {
            self.firing.push(alert.clone());
            sort_alerts(&mut self.firing);
            before == self.firing.len() - 1
        } else {
            before != self.firing.len()
        };
        // One history row per firing: a clear replaces its raise.
        let id = alert.history_key();
        self.history.retain(|a| a.history_key() != id);
        self.history.insert(0, alert);
        self.history.sort_by_key(|a| std::cmp::Reverse(a.fired_ms));
        self.history.truncate(HISTORY_SHOWN);
        changed
    }
}

impl App {
    /// An alert, a health check or the alerts screen's load.
    pub(super) fn alert_event(&mut self, ev: AppEvent) -> Vec<Effect> {
        match ev {
            AppEvent::Alert { alert, raised } => {
                let text = format!(
                    "{} {} on {} ({}): {}",
                    if raised { "ALERT" } else { "cleared:" },
                    alert.rule.label(),
                    alert.target,
                    alert.name,
                    alert.message
                );
                if self.alerts.apply(*alert, raised) {
                    if raised {
                        self.toast(text, true, false, None);
                    } else {
                        self.toast(text, false, true, None);
                    }
                }
            }
            AppEvent::AlertConfig(config) => self.alerts.config = *config,
            AppEvent::AppHealth(result) => {
                self.alerts
                    .health
                    .insert((result.host.clone(), result.vmid), *result);
            }
            AppEvent::AlertsLoaded {
                firing,
                history,
                config,
            } => {
                self.alerts.config = *config;
                self.alerts.loaded = true;
                let mut firing = firing;
                sort_alerts(&mut firing);
                self.alerts.firing = firing;
                self.alerts.history = history;
                self.alerts.history.truncate(HISTORY_SHOWN);
            }
            _ => {}
        }
        Vec::new()
    }

    /// `g !`: the alerts screen on top, and a fresh load of the history.
    pub fn open_alerts_view(&mut self) -> Vec<Effect> {
        use super::alerts_view::AlertsView;
        let on_top = self.layers.top_screen_is::<AlertsView>();
        let mut effects = Vec::new();
        if !on_top {
            effects.extend(self.layers.clear_screens());
            self.layers.push(Box::new(AlertsView::default()));
        }
        effects.push(Effect::LoadAlerts);
        effects
    }

    /// What the LCD says about alerts: the worst one, with a count.
    pub fn alert_lcd_line(&self) -> Option<String> {
        let first = self.alerts.firing.first()?;
        let more = match self.alerts.firing.len() {
            1 => String::new(),
            n => format!(" (+{})", n - 1),
        };
        Some(format!(
            "ALERT: {} {} {}{more}",
            first.rule.label(),
            first.target,
            first.name
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{Rule, Severity, Target};

    fn alert(vmid: u32, fired: u64) -> Alert {
        Alert {
            rule: Rule::Cpu,
            severity: Severity::Warning,
            target: Target::guest("lab", Some("pve1"), vmid),
            name: "web".into(),
            message: "CPU 97% > 90%".into(),
            value: Some(0.97),
            since_ms: fired,
            fired_ms: fired,
            cleared_ms: None,
        }
    }

    #[test]
    fn a_raise_counts_once_and_a_clear_replaces_its_history_row() {
        let mut b = AlertBoard::default();
        assert!(b.apply(alert(101, 1), true));
        assert!(
            !b.apply(alert(101, 1), true),
            "the same alert again is no news"
        );
        assert!(b.guest_alert("lab", 101).is_some());
        let mut cleared = alert(101, 1);
        cleared.cleared_ms = Some(5);
        assert!(b.apply(cleared, false));
        assert!(b.firing.is_empty());
        assert_eq!(b.history.len(), 1);
        assert_eq!(b.history[0].cleared_ms, Some(5));
    }
}
