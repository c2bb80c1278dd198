//! The settings screen's state and keys: one list with a single cursor over the themes
//! (moving previews live, `apply` saves) and the console recording switches (one per
//! configured host, then audit mode). A switch flips at once on screen and asks the runtime
//! to persist it; the runtime answers with what the store now holds, which replaces the
//! UI's copy, so the screen never shows a switch the store does not have.

use super::action::{Action, Effect};
use super::app::{App, Screen};

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
    /// "Send a test notification".
    TestNotify,
}

/// One drawn line of the list: section titles and gaps are not selectable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsRow {
    Section(&'static str),
    Gap,
    /// Index into [`App::settings_items`].
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

impl App {
    /// The settings list: every theme, each configured host's switch, the audit switch.
    pub fn settings_items(&self) -> Vec<SettingsItem> {
        let mut items: Vec<SettingsItem> = self
            .themes
            .names()
            .into_iter()
            .map(SettingsItem::Theme)
            .collect();
        // The alert rows once the engine has told its thresholds (it runs a monitor); audit
        // stays the last row.
        if self.alerts.loaded {
            items.extend(crate::alerts::Rule::ALL.map(SettingsItem::AlertRule));
            items.push(SettingsItem::TestNotify);
        }
        items.extend(
            self.hosts
                .iter()
                .map(|h| SettingsItem::RecordHost(h.name.clone())),
        );
        items.push(SettingsItem::Audit);
        items
    }

    /// Open the settings screen with the cursor on the current theme.
    pub(super) fn open_settings(&mut self) {
        self.screen = Screen::Settings;
        let current = SettingsItem::Theme(self.theme.name.clone());
        self.settings_sel = self
            .settings_items()
            .iter()
            .position(|i| *i == current)
            .unwrap_or(0);
    }

    pub(super) fn update_settings(&mut self, action: Action) -> Vec<Effect> {
        let items = self.settings_items();
        let len = items.len().max(1);
        // Hosts can vanish while the screen is open: keep the cursor on the list.
        self.settings_sel = self.settings_sel.min(len - 1);
        let before = self.settings_sel;
        match action {
            Action::Up => self.settings_sel = (self.settings_sel + len - 1) % len,
            Action::Down => self.settings_sel = (self.settings_sel + 1) % len,
            Action::Top => self.settings_sel = 0,
            Action::Bottom => self.settings_sel = len - 1,
            Action::Apply => match items.get(self.settings_sel) {
                Some(SettingsItem::Theme(_)) => {
                    self.saved_theme = self.theme.name.clone();
                    self.show_toast(&format!("theme {} saved", self.theme.name), false);
                    return vec![Effect::SaveSettings {
                        theme: self.theme.name.clone(),
                    }];
                }
                Some(item) => return self.toggle_switch(item),
                None => {}
            },
            Action::Toggle => {
                if let Some(item) = items.get(self.settings_sel) {
                    return self.toggle_switch(item);
                }
            }
            Action::Left | Action::Right => {
                if let Some(SettingsItem::AlertRule(rule)) = items.get(self.settings_sel) {
                    let step = if action == Action::Right { 5.0 } else { -5.0 };
                    return self.alerts.adjust_threshold(*rule, step);
                }
            }
            Action::Back => {
                let saved = self.saved_theme.clone();
                self.set_theme(&saved);
                self.screen = Screen::Rack;
            }
            _ => {}
        }
        // Live preview: the whole screen takes the highlighted theme.
        if self.settings_sel != before
            && let Some(SettingsItem::Theme(name)) = items.get(self.settings_sel)
        {
            self.set_theme(name);
        }
        Vec::new()
    }

    /// A click at (`column`, `row`) of the screen: on a theme it previews, on a switch it
    /// flips it; elsewhere nothing. Uses the layout `render::screens::settings` draws.
    pub(super) fn settings_click(&mut self, column: u16, row: u16) -> Vec<Effect> {
        let area = ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1);
        let body = super::view::screen_layout(area, false, false).body;
        // Inside the list's border.
        let inner_top = body.y + 1;
        let inner_h = body.height.saturating_sub(2);
        if column == 0
            || column + 1 >= list_width(body.width)
            || row < inner_top
            || row >= inner_top + inner_h
        {
            return Vec::new();
        }
        let items = self.settings_items();
        let rows = settings_rows(&items);
        let first = settings_scroll(&rows, self.settings_sel, inner_h);
        let Some(SettingsRow::Item(index)) = rows.get(first + usize::from(row - inner_top)) else {
            return Vec::new();
        };
        let Some(item) = items.get(*index) else {
            return Vec::new();
        };
        self.settings_sel = *index;
        match item {
            SettingsItem::Theme(name) => {
                self.set_theme(name);
                Vec::new()
            }
            other => self.toggle_switch(other),
        }
    }

    /// Flip a recording switch on screen and ask for it to be saved. Themes are not
    /// switches: nothing happens on them.
    fn toggle_switch(&mut self, item: &SettingsItem) -> Vec<Effect> {
        let (switch, on, text) = match item {
            SettingsItem::Theme(_) => return Vec::new(),
            SettingsItem::AlertRule(rule) => return self.alerts.toggle_rule(*rule),
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
