//! What the settings screen lists and the changes it asks of the app. The list: the themes
//! (moving previews live, `apply` saves), the alert rules (Enter on "thresholds per host/app" opens their editor,
//! `alert_thresholds_form`), and the console recording
//! switches (one per configured host, then audit mode). The screen itself is a layer
//! (`settings_view`); the theme, the switches and the thresholds are the app's, so the
//! layer asks for a `SettingsChange` and the app carries it out here. A switch flips at
//! once on screen and asks the runtime to persist it; the runtime answers with what the
//! store now holds, which replaces the UI's copy, so the screen never shows a switch the
//! store does not have.

use super::action::{Effect, HostEntry};
use super::alerts_board::AlertBoard;
use super::app::App;
use super::settings_view::SettingsView;
use super::theme::ThemeSet;

pub use crate::engine::settings::{RecordingSwitch, RecordingSwitches};

/// One selectable line of the settings list, in cursor order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsItem {
    Theme(String),
    /// "Record console sessions" for this configured host.
    RecordHost(String),
    /// "Audit: record every session".
    Audit,
    /// An alert rule: on/off (Enter, space), its threshold (Left/Right).
    AlertRule(crate::alerts::Rule),
    /// "Thresholds and durations per host or app…": opens the editor of `alerts.toml`.
    EditThresholds,
    /// "Send a test notification".
    TestNotify,
}

/// One drawn line of the list: section titles and gaps are not selectable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsRow {
    Section(&'static str),
    Gap,
    /// Index into [`settings_items`].
    Item(usize),
}

/// Width of the list column: wide enough for the switch labels, never more than half the
/// screen so the theme preview keeps room (render and mouse share it).
pub fn list_width(area_width: u16) -> u16 {
    32.min(area_width / 2)
}

/// The drawn lines for `items`: themes, then the per-host switches, then audit.
pub fn settings_rows(items: &[SettingsItem]) -> Vec<SettingsRow> {
    let mut rows = vec![SettingsRow::Section("THEME")];
    let mut last: Option<&SettingsItem> = None;
    for (i, item) in items.iter().enumerate() {
        let section = match (last, item) {
            (Some(SettingsItem::Theme(_)) | None, SettingsItem::AlertRule(_)) => Some("ALERTS"),
            (
                Some(SettingsItem::Theme(_) | SettingsItem::TestNotify) | None,
                SettingsItem::RecordHost(_),
            ) => Some("RECORD CONSOLE SESSIONS"),
            (_, SettingsItem::Audit) => Some("AUDIT"),
            _ => None,
        };
        if let Some(title) = section {
            rows.push(SettingsRow::Gap);
            rows.push(SettingsRow::Section(title));
        }
        rows.push(SettingsRow::Item(i));
        last = Some(item);
    }
    rows
}

/// First drawn line when `height` lines fit: scrolled just enough to show the selected
/// item (derived, not stored, so a resize can never leave the cursor off screen).
pub fn settings_scroll(rows: &[SettingsRow], selected: usize, height: u16) -> usize {
    let h = usize::from(height).max(1);
    let at = rows
        .iter()
        .position(|r| *r == SettingsRow::Item(selected))
        .unwrap_or(0);
    (at + 1).saturating_sub(h)
}

/// The settings list: every theme, the alert rules once the engine has told its thresholds
/// (it runs a monitor), each configured host's switch, and the audit switch last.
pub fn settings_items(
    themes: &ThemeSet,
    alerts: &AlertBoard,
    hosts: &[HostEntry],
) -> Vec<SettingsItem> {
    let mut items: Vec<SettingsItem> = themes
        .names()
        .into_iter()
        .map(SettingsItem::Theme)
        .collect();
    if alerts.loaded {
        items.extend(crate::alerts::Rule::ALL.map(SettingsItem::AlertRule));
        items.push(SettingsItem::EditThresholds);
        items.push(SettingsItem::TestNotify);
    }
    items.extend(
        hosts
            .iter()
            .map(|h| SettingsItem::RecordHost(h.name.clone())),
    );
    items.push(SettingsItem::Audit);
    items
}

/// What the settings layer asks of the app, which owns the theme and the switches.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingsChange {
    /// Show the screen in this theme (not saved).
    PreviewTheme(String),
    /// Keep the theme on screen: save it.
    SaveTheme,
    /// Flip a switch (a recording switch, an alert rule) or run the test notification.
    Flip(SettingsItem),
    /// Move an alert rule's threshold by this many points.
    Threshold(crate::alerts::Rule, f64),
}

impl App {
    /// The settings list as the screen shows it now.
    pub fn settings_items(&self) -> Vec<SettingsItem> {
        settings_items(&self.themes, &self.alerts, &self.hosts)
    }

    /// The settings screen, when it is the top layer.
    pub fn settings_view(&self) -> Option<&SettingsView> {
        self.layers
            .screens()
            .last()
            .and_then(|l| l.as_any().downcast_ref::<SettingsView>())
    }

    /// Open the settings screen over the rack with the cursor on the current theme.
    pub(super) fn open_settings(&mut self) {
        // A focused console would keep the keys; the settings screen covers the rack.
        self.layers.focus_console(false);
        let current = SettingsItem::Theme(self.theme.name.clone());
        let sel = self
            .settings_items()
            .iter()
            .position(|i| *i == current)
            .unwrap_or(0);
        self.layers.push(Box::new(SettingsView::new(sel)));
    }

    /// Carry out what the settings layer asked for.
    pub(super) fn settings_change(&mut self, change: SettingsChange) -> Vec<Effect> {
        match change {
            SettingsChange::PreviewTheme(name) => {
                self.set_theme(&name);
                Vec::new()
            }
            SettingsChange::SaveTheme => {
                self.saved_theme = self.theme.name.clone();
                self.show_toast(&format!("theme {} saved", self.theme.name), false);
                vec![Effect::SaveSettings {
                    theme: self.theme.name.clone(),
                }]
            }
            SettingsChange::Flip(item) => self.toggle_switch(&item),
            SettingsChange::Threshold(rule, step) => self.alerts.adjust_threshold(rule, step),
        }
    }

    /// Flip a recording switch on screen and ask for it to be saved. Themes are not
    /// switches: nothing happens on them.
    fn toggle_switch(&mut self, item: &SettingsItem) -> Vec<Effect> {
        let (switch, on, text) = match item {
            SettingsItem::Theme(_) => return Vec::new(),
            SettingsItem::AlertRule(rule) => return self.alerts.toggle_rule(*rule),
            SettingsItem::EditThresholds => {
                let editor =
                    super::alert_thresholds_form::AlertThresholdsEditor::new(&self.alerts.config);
                self.layers.push(Box::new(editor));
                return Vec::new();
            }
            SettingsItem::TestNotify => {
                self.show_toast("sending a test notification…", false);
                return vec![Effect::TestNotifications];
            }
            SettingsItem::RecordHost(host) => {
                let on = !self.recording.host(host);
                self.recording.hosts.insert(host.clone(), on);
                let verb = if on { "recorded" } else { "not recorded" };
                (
                    RecordingSwitch::Host(host.clone()),
                    on,
                    format!("consoles on {host}: {verb} from the next session"),
                )
            }
            SettingsItem::Audit => {
                let on = !self.recording.audit;
                self.recording.audit = on;
                let text = if on {
                    "audit on: every console session is recorded"
                } else {
                    "audit off: only hosts switched on are recorded"
                };
                (RecordingSwitch::Audit, on, text.to_string())
            }
        };
        self.show_toast(&text, false);
        vec![Effect::SaveRecording { switch, on }]
    }
}
