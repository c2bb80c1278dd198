//! The backup schedule form of the backups screen: a guest's scheduled backups (a Proxmox
//! calendar event such as `daily` or `sun 02:00`, or `off`) and how many to keep. The
//! schedule is checked by the same function the CLI's `backup --schedule` and the engine use
//! (`deploy::auto_backup::check_schedule`), so the form never accepts what saving would
//! refuse; each message names its field. It opens at once with the defaults and takes the
//! guest's current Proximity job (schedule, keep-last, switched off) when the engine has
//! read it, unless the user typed first. Typed characters are the field's; Tab, Enter, Esc
//! and Ctrl-U (or what the user binds instead) come from the keymap's `[popup]` context.

use crossterm::event::KeyEvent;

use super::action::Action;
use super::keymap::Keymap;
use super::popups::PopupKey;

use super::backups_view::edit_line;
use crate::deploy::auto_backup;
use crate::engine::GuestRef;
use crate::engine::backup_schedule::GuestSchedule;
use crate::pve::Retention;

/// The form's fields, in order.
pub const FIELD_LABELS: [&str; 2] = ["schedule", "keep last"];
const SCHEDULE: usize = 0;
const KEEP_LAST: usize = 1;

/// What the form asks the engine for once it passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleChoice {
    /// Join Proximity's backup job for `schedule`, with `retention`.
    Join {
        schedule: String,
        retention: Retention,
    },
    /// Leave every Proximity backup job (`off`).
    Off,
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormStep {
    Editing,
    Cancelled,
    Submitted(ScheduleChoice),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleForm {
    pub guest: GuestRef,
    /// The guest's name, for the title.
    pub name: String,
    /// The typed values, by `FIELD_LABELS`.
    pub values: [String; 2],
    pub focus: usize,
    /// Why the last submit was refused, naming the field.
    pub error: Option<String>,
    /// What the guest has now, for the line under the fields: `None` while it is read.
    pub now: Option<String>,
    /// Typed into: the current job's settings, when they arrive, no longer replace values.
    pub edited: bool,
}

impl ScheduleForm {
    /// Prefilled with Proximity's default schedule and a week of backups until the guest's
    /// current job is read (`current`).
    pub fn new(guest: GuestRef, name: String) -> ScheduleForm {
        ScheduleForm {
            guest,
            name,
            values: [auto_backup::DEFAULT_SCHEDULE.to_string(), "7".to_string()],
            focus: SCHEDULE,
            error: None,
            now: None,
            edited: false,
        }
    }

    /// The guest's current Proximity backup job (the engine's answer): its schedule (`off`
    /// when the job is switched off) and keep-last become the values, unless the user has
    /// typed already. A guest in no job keeps the defaults.
    pub fn current(&mut self, result: &Result<Option<GuestSchedule>, String>) {
        let (now, values) = match result {
            Ok(Some(job)) => {
                let wire = job.retention.to_wire();
                let keep = if wire.is_empty() {
                    "the storage's retention".to_string()
                } else {
                    wire
                };
                let state = if job.enabled { "" } else { ", switched off" };
                let schedule = if job.enabled {
                    job.schedule.clone()
                } else {
                    "off".to_string()
                };
                let keep_last = job
                    .retention
                    .keep_last
                    .map_or_else(|| self.values[KEEP_LAST].clone(), |n| n.to_string());
                (
                    format!("now: in {} ({}, {keep}{state})", job.job, job.schedule),
                    Some([schedule, keep_last]),
                )
            }
            Ok(None) => ("now: in no Proximity backup job".to_string(), None),
            Err(e) => (format!("now: unknown ({e})"), None),
        };
        self.now = Some(now);
        if let Some(values) = values
            && !self.edited
        {
            self.values = values;
        }
    }

    /// Check both fields: the choice, or the first refusal with its field named (focused).
    pub fn validate(&self) -> Result<ScheduleChoice, (usize, String)> {
        let schedule = self.values[SCHEDULE].trim();
        if schedule == "off" {
            return Ok(ScheduleChoice::Off);
        }
        // Its messages start with the field's name (`schedule '…' is not…`, `give a schedule`).
        auto_backup::check_schedule(schedule).map_err(|e| (SCHEDULE, e))?;
        let keep = self.values[KEEP_LAST].trim();
        let keep_last = match keep.parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err((
                    KEEP_LAST,
                    format!("keep last: '{keep}' is not a number of backups from 1 to 1000"),
                ));
            }
        };
        Ok(ScheduleChoice::Join {
            schedule: schedule.to_string(),
            retention: Retention {
                keep_last: Some(keep_last),
                ..Retention::default()
            },
        })
    }

    /// One key, read in the keymap's `[popup]` context: next/previous field (or up/down)
    /// move between the fields, submit saves (refused with the reason while a field is
    /// wrong), back cancels; typed characters, `clear_field` and Backspace (the field's own
    /// editing key) edit the focused field.
    pub fn key(&mut self, key: KeyEvent, keymap: &Keymap) -> FormStep {
        let read = PopupKey::read(&key, keymap);
        match read.command() {
            Some(Action::NextField | Action::PrevField | Action::Down | Action::Up) => {
                // Two fields: the next one is the previous one.
                self.focus = (self.focus + 1) % FIELD_LABELS.len();
                return FormStep::Editing;
            }
            Some(Action::Submit) => return self.submit(),
            Some(Action::Back) => return FormStep::Cancelled,
            _ => {}
        }
        // Submit and back were taken above: what `edit_line` sees now only edits (typed
        // characters, `clear_field`, Backspace); Enter or Esc bound to nothing do nothing.
        let before = self.values[self.focus].clone();
        edit_line(&mut self.values[self.focus], key, keymap);
        if self.values[self.focus] != before {
            self.edited = true;
        }
        self.error = None;
        FormStep::Editing
    }

    fn submit(&mut self) -> FormStep {
        match self.validate() {
            Ok(choice) => FormStep::Submitted(choice),
            Err((field, reason)) => {
                self.focus = field;
                self.error = Some(reason);
                FormStep::Editing
            }
        }
    }

    /// Pasted text goes into the focused field (one line).
    pub fn paste(&mut self, line: &str) {
        self.values[self.focus].push_str(line);
        self.error = None;
        self.edited = true;
    }
}
