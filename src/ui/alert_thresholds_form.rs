//! The alert thresholds editor of the settings screen: pick a scope (the defaults, a
//! configured host, a managed app the UI knows, or a host or app the file already names) and
//! type each rule's threshold and duration. An empty field sets nothing in that scope (the
//! value comes from the wider one, shown beside it). Every field is checked as the file is
//! read (`RawThresholds::set_field_text`), so the editor never saves what a reload would
//! refuse; the refusal names the field. Enter saves the scope into `alerts.toml` (the engine
//! writes it through the TOML serializer, keeping every other entry); the editor stays open
//! for the next scope. A layer over the settings screen; it reads raw keys (a form) in the
//! keymap's `[popup]` context, so a user keymap changes its keys and its footer.

use std::any::Any;
use std::collections::BTreeSet;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, Effect};
use super::keymap::{Context, Keymap};
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::popups::{PopupKey, key_of};
use crate::alerts::config::EDITABLE_FIELDS;
use crate::alerts::{AlertConfig, AlertScope, RawThresholds, Thresholds, format_duration_s};

/// How each field reads on screen, by `EDITABLE_FIELDS`.
pub const FIELD_LABELS: [&str; 9] = [
    "CPU above %",
    "CPU for",
    "memory above %",
    "memory for",
    "disk above %",
    "disk for",
    "node offline for",
    "backup max age",
    "health fails for",
];

/// Row 0 is the scope; rows 1..=9 the fields.
pub const ROWS: usize = 1 + EDITABLE_FIELDS.len();

/// The scopes offered: the defaults, every configured host, the managed apps the inventory
/// shows (by name and by catalog id), and whatever the file already names.
pub fn scopes(ctx: &LayerCtx) -> Vec<AlertScope> {
    let config = &ctx.alerts.config;
    let mut hosts: BTreeSet<String> = ctx.hosts.iter().map(|h| h.name.clone()).collect();
    hosts.extend(config.hosts.keys().cloned());
    let mut apps: BTreeSet<String> = config.apps.keys().cloned().collect();
    for host in &ctx.inventory.hosts {
        for node in host.nodes.iter() {
            for g in node.guests.iter().filter(|g| g.app.is_some()) {
                apps.insert(g.name.to_string());
                if let Some(id) = &g.app {
                    apps.insert(id.to_string());
                }
            }
        }
    }
    let mut out = vec![AlertScope::Defaults];
    out.extend(hosts.into_iter().map(AlertScope::Host));
    out.extend(apps.into_iter().map(AlertScope::App));
    out
}

/// What the scope resolves to for a field when it sets nothing itself: `90`, `5m`.
pub fn inherited(t: &Thresholds, field: &str) -> String {
    let d = |s: u64| format_duration_s(s);
    match field {
        "cpu_percent" => format!("{}", t.cpu_percent),
        "memory_percent" => format!("{}", t.memory_percent),
        "disk_percent" => format!("{}", t.disk_percent),
        "cpu_for" => d(t.cpu_for_s),
        "memory_for" => d(t.memory_for_s),
        "disk_for" => d(t.disk_for_s),
        "node_offline_for" => d(t.node_offline_for_s),
        "backup_max_age" => d(t.backup_max_age_s),
        "health_for" => d(t.health_for_s),
        _ => String::new(),
    }
}

/// What the scope's fields fall back to: the wider layers without this one.
pub fn below(config: &AlertConfig, scope: &AlertScope) -> Thresholds {
    let mut without = config.clone();
    match scope {
        AlertScope::Defaults => without.defaults = RawThresholds::default(),
        AlertScope::Host(h) => {
            without.hosts.remove(h);
        }
        AlertScope::App(a) => {
            without.apps.remove(a);
        }
    }
    without.resolved(scope)
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertThresholdsForm {
    pub scope: AlertScope,
    /// Typed values, by `EDITABLE_FIELDS`.
    pub values: [String; 9],
    /// 0: the scope row; 1..: a field.
    pub focus: usize,
    /// Why the last save was refused, naming the field.
    pub error: Option<String>,
    /// Unsaved typing in this scope (a scope change asks for submit first).
    pub dirty: bool,
}

impl AlertThresholdsForm {
    /// Open on `scope` with what the file sets there.
    pub fn new(config: &AlertConfig, scope: AlertScope) -> AlertThresholdsForm {
        let mut form = AlertThresholdsForm {
            scope: AlertScope::Defaults,
            values: Default::default(),
            focus: 0,
            error: None,
            dirty: false,
        };
        form.load(config, scope);
        form
    }

    fn load(&mut self, config: &AlertConfig, scope: AlertScope) {
        let layer = config.layer(&scope).cloned().unwrap_or_default();
        for (value, field) in self.values.iter_mut().zip(EDITABLE_FIELDS) {
            *value = layer.field_text(field);
        }
        self.scope = scope;
        self.error = None;
        self.dirty = false;
    }

    /// The scope's layer as typed, over what the file sets there (its `off` and `on` lists
    /// are kept); the first bad field's refusal, with its row.
    pub fn layer(&self, config: &AlertConfig) -> Result<RawThresholds, (usize, String)> {
        let mut layer = config.layer(&self.scope).cloned().unwrap_or_default();
        for (i, (value, field)) in self.values.iter().zip(EDITABLE_FIELDS).enumerate() {
            layer.set_field_text(field, value).map_err(|e| (i + 1, e))?;
        }
        Ok(layer)
    }

    /// Move to the next or previous scope of `scopes`, loading its values. Refused while
    /// typing is unsaved (it would be lost without a word); the refusal names the keys
    /// bound to submit and back.
    fn step_scope(
        &mut self,
        config: &AlertConfig,
        scopes: &[AlertScope],
        forward: bool,
        keymap: &Keymap,
    ) {
        if self.dirty {
            let key = |a| key_of(keymap, a);
            self.error = Some(format!(
                "{}: {} saves the changes first ({} leaves without saving)",
                self.scope,
                key(Action::Submit),
                key(Action::Back),
            ));
            return;
        }
        let len = scopes.len().max(1);
        let at = scopes.iter().position(|s| *s == self.scope).unwrap_or(0);
        let next = if forward {
            (at + 1) % len
        } else {
            (at + len - 1) % len
        };
        if let Some(scope) = scopes.get(next) {
            self.load(config, scope.clone());
        }
    }

    /// One key, read in the keymap's `[popup]` context: up / down and the next / previous
    /// field move, left / right on the scope row change scope, submit saves (the layer to
    /// write), back closes, `clear_field` clears the focused field. On a field a plain
    /// character is typed, whatever the keymap binds it to; on the scope row (no text) it
    /// is a key like the others. Backspace is the field's own editing key, not a keymap
    /// action (as in the deploy wizard).
    pub fn key(
        &mut self,
        key: KeyEvent,
        keymap: &Keymap,
        config: &AlertConfig,
        scopes: &[AlertScope],
    ) -> FormStep {
        let read = PopupKey::read(&key, keymap);
        let on_scope = self.focus == 0;
        let typing = read.typed.is_some() && !on_scope;
        match read.action.filter(|_| !typing) {
            Some(Action::NextField | Action::Down) => self.focus = (self.focus + 1) % ROWS,
            Some(Action::PrevField | Action::Up) => self.focus = (self.focus + ROWS - 1) % ROWS,
            Some(a @ (Action::Left | Action::Right)) if on_scope => {
                self.step_scope(config, scopes, a == Action::Right, keymap);
            }
            Some(Action::Back) => return FormStep::Closed,
            Some(Action::Submit) => {
                return match self.layer(config) {
                    Ok(layer) => {
                        self.error = None;
                        self.dirty = false;
                        FormStep::Save(self.scope.clone(), Box::new(layer))
                    }
                    Err((row, reason)) => {
                        self.focus = row;
                        self.error = Some(reason);
                        FormStep::Editing
                    }
                };
            }
            _ if on_scope => {}
            Some(Action::ClearField) => {
                self.values[self.focus - 1].clear();
                self.edited();
            }
            _ if key.code == KeyCode::Backspace => {
                self.values[self.focus - 1].pop();
                self.edited();
            }
            _ => {
                if let Some(c) = read.typed {
                    let value = &mut self.values[self.focus - 1];
                    if value.chars().count() < 16 {
                        value.push(c);
                    }
                    self.edited();
                }
            }
        }
        FormStep::Editing
    }

    fn edited(&mut self) {
        self.error = None;
        self.dirty = true;
    }

    pub fn paste(&mut self, line: &str) {
        if self.focus > 0 {
            self.values[self.focus - 1].extend(line.chars().take(16));
            self.edited();
        }
    }
}

/// What a key did.
#[derive(Debug, Clone, PartialEq)]
pub enum FormStep {
    Editing,
    Closed,
    Save(AlertScope, Box<RawThresholds>),
}

/// The editor as a layer over the settings screen.
#[derive(Debug, Clone)]
pub struct AlertThresholdsEditor {
    pub form: AlertThresholdsForm,
}

impl AlertThresholdsEditor {
    pub fn new(config: &AlertConfig) -> AlertThresholdsEditor {
        AlertThresholdsEditor {
            form: AlertThresholdsForm::new(config, AlertScope::Defaults),
        }
    }
}

impl Layer for AlertThresholdsEditor {
    fn title(&self) -> String {
        "alert thresholds".into()
    }

    fn context(&self) -> Context {
        Context::Popup
    }

    fn wants_text(&self) -> bool {
        true
    }

    fn opaque(&self) -> bool {
        false
    }

    fn on_action(&mut self, _action: Action, _ctx: &LayerCtx) -> Reply {
        Reply::Consumed
    }

    fn on_text(&mut self, key: KeyEvent, ctx: &LayerCtx) -> Reply {
        let scopes = scopes(ctx);
        match self.form.key(key, ctx.keymap, &ctx.alerts.config, &scopes) {
            FormStep::Editing => Reply::Consumed,
            FormStep::Closed => Reply::Then(vec![Request::Close]),
            FormStep::Save(scope, layer) => Reply::effect(Effect::SaveAlertLayer { scope, layer }),
        }
    }

    fn on_paste(&mut self, text: &str, _ctx: &LayerCtx) -> Reply {
        let line = crate::text::clean_string(text.lines().next().unwrap_or(""));
        self.form.paste(&line);
        Reply::Consumed
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::alert_thresholds_form::draw(&self.form, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
