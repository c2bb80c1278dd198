//! The variables form of the apps screen (`e`): one field per catalog variable, filled with
//! what the app's compose file holds (read through the engine when the form opens).
//! Secrets are masked (`reveal`, Ctrl-R, shows them); every field is checked as it is typed
//! (required values, no empty secret: the running app uses it). `submit` (Enter) applies only
//! what changed, with `edit_app_env` (the compose file written again, the services
//! re-created). Its keys come from the keymap's `[popup]` context.

use std::collections::BTreeMap;

use crossterm::event::KeyEvent;

use super::action::Action;
use super::backups_view::edit_line;
use super::keymap::Keymap;
use super::popups::PopupKey;
use crate::catalog::AppSpec;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvField {
    pub key: String,
    pub description: String,
    pub required: bool,
    pub secret: bool,
    pub value: String,
    /// What the compose file held (a change is a value that differs).
    pub original: String,
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvStep {
    Editing,
    Cancelled,
    /// Enter with nothing changed.
    Unchanged,
    /// Enter: the changed variables.
    Submitted(BTreeMap<String, String>),
}

pub struct EnvForm {
    pub app: String,
    pub spec: AppSpec,
    pub fields: Vec<EnvField>,
    /// Until the values arrive nothing can be typed.
    pub loading: bool,
    /// Why the values could not be read.
    pub error: Option<String>,
    pub focus: usize,
    /// Secrets drawn in clear (`reveal`).
    pub reveal: bool,
}

impl EnvForm {
    pub fn new(app: &str, spec: &AppSpec) -> EnvForm {
        let fields = spec
            .env
            .iter()
            .map(|v| EnvField {
                key: v.key.clone(),
                description: crate::text::clean_string(&v.description),
                required: v.required,
                secret: v.is_secret(),
                value: String::new(),
                original: String::new(),
            })
            .collect();
        EnvForm {
            app: app.to_string(),
            spec: spec.clone(),
            fields,
            loading: true,
            error: None,
            focus: 0,
            reveal: false,
        }
    }

    /// The app's values arrived (or why not).
    pub fn loaded(&mut self, result: Result<BTreeMap<String, String>, String>) {
        self.loading = false;
        match result {
            Ok(values) => {
                for f in &mut self.fields {
                    let v = values.get(&f.key).cloned().unwrap_or_default();
                    f.value = v.clone();
                    f.original = v;
                }
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// What is wrong with field `i` as typed, if anything.
    pub fn problem(&self, i: usize) -> Option<&'static str> {
        let f = self.fields.get(i)?;
        if f.value.trim().is_empty() && f.secret && !f.original.is_empty() {
            Some("a secret cannot be emptied here: the running app uses it")
        } else if f.value.trim().is_empty() && f.required {
            Some("required")
        } else {
            None
        }
    }

    pub fn changes(&self) -> BTreeMap<String, String> {
        self.fields
            .iter()
            .filter(|f| f.value != f.original)
            .map(|f| (f.key.clone(), f.value.clone()))
            .collect()
    }

    pub fn paste(&mut self, text: &str) {
        if self.loading || self.error.is_some() {
            return;
        }
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.value.push_str(text);
        }
    }

    /// One key, read in the keymap's `[popup]` context: a plain character is the focused
    /// field's (whatever the keymap binds it to); `back` cancels, `reveal` shows the
    /// secrets, up / down and the next / previous field move, `clear_field` clears the
    /// field, `submit` applies (or closes the form when the values could not be read).
    /// Backspace is the field's own editing key, not a keymap action (as in the wizard).
    pub fn key(&mut self, key: KeyEvent, keymap: &Keymap) -> EnvStep {
        let read = PopupKey::read(&key, keymap);
        let locked = self.loading || self.error.is_some();
        match read.command() {
            Some(Action::Back) => return EnvStep::Cancelled,
            Some(Action::Reveal) => self.reveal = !self.reveal,
            Some(Action::Up | Action::PrevField) => self.focus = self.focus.saturating_sub(1),
            Some(Action::Down | Action::NextField) => {
                self.focus = (self.focus + 1).min(self.fields.len().saturating_sub(1))
            }
            Some(Action::Submit) if self.error.is_some() => return EnvStep::Cancelled,
            Some(Action::Submit) if self.loading => {}
            Some(Action::Submit) => {
                if let Some(bad) = (0..self.fields.len()).find(|i| self.problem(*i).is_some()) {
                    self.focus = bad;
                    return EnvStep::Editing;
                }
                let changes = self.changes();
                return if changes.is_empty() {
                    EnvStep::Unchanged
                } else {
                    EnvStep::Submitted(changes)
                };
            }
            _ if locked => {}
            _ => {
                if let Some(f) = self.fields.get_mut(self.focus) {
                    edit_line(&mut f.value, key, keymap);
                }
            }
        }
        EnvStep::Editing
    }
}
