//! The backups screen (`g b`): every backup of every host, newest first, narrowed by a `/`
//! filter (guest, vmid, app name in the notes, host, volid). Enter restores into the
//! backup's own guest (replacing an existing container takes its vmid typed), `N` to a new
//! vmid, `D` deletes (a protected backup is refused with the reason), `p` protects, `n`
//! edits the notes, `b` backs the guest up now, `s` opens the guest's backup schedule form
//! (`backup_schedule_form`). Also: `b` and `P` on the rack (back up the
//! selected guest, its snapshots), opened from here as `App` methods.

use std::any::Any;
use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, AppEvent, Effect};
use super::app::App;
use super::backup_schedule_form::{FormStep, ScheduleForm};
use super::backups_link::{BackupEffect, BackupEvent};
use super::keymap::{Context, Keymap};
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::popups::PopupKey;
use crate::engine::GuestRef;
use crate::engine::backups::BackupRow;
use crate::inventory::GuestKind;

/// While open, the list is read again this often (scheduled jobs add backups).
const RELOAD_EVERY: Duration = Duration::from_secs(15);
/// After an action, the list is read again this soon (its job has started by then).
const RELOAD_AFTER_ACTION: Duration = Duration::from_millis(1500);

/// A line the user types into: what it is for and what is typed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt<K> {
    pub kind: K,
    pub input: String,
}

/// What a prompt of the backups screen asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupPrompt {
    /// Type the vmid to restore over the existing guest (`guest`: `CT` or `VM`).
    ReplaceGuest {
        guest: &'static str,
        vmid: u32,
    },
    /// A free vmid to restore to.
    NewVmid,
    /// Type `y` to delete.
    Delete,
    Notes,
}

/// Edit a prompt's input with one key read in the keymap's `[popup]` context: a plain
/// character is typed (whatever the keymap binds it to, so `y` or `j` go into the line),
/// `clear_field` clears it; `Some(true)` on `submit`, `Some(false)` on `back`. Backspace is
/// the line's own editing key, not a keymap action (as in the deploy wizard's fields).
pub fn edit_line(input: &mut String, key: KeyEvent, keymap: &Keymap) -> Option<bool> {
    let read = PopupKey::read(&key, keymap);
    if let Some(c) = read.typed {
        if input.chars().count() < 200 {
            input.push(c);
        }
        return None;
    }
    match read.action {
        Some(Action::Submit) => Some(true),
        Some(Action::Back) => Some(false),
        Some(Action::ClearField) => {
            input.clear();
            None
        }
        _ if key.code == KeyCode::Backspace => {
            input.pop();
            None
        }
        _ => None,
    }
}

/// A key on a screen's `/` filter line: `up` / `down` (`[popup]`, not typed) move in the
/// list under it (the rows to move by is returned), the rest edits the line (`edit_line`);
/// submit keeps the filter, back clears it.
pub fn filter_key(
    filter: &mut String,
    filtering: &mut bool,
    key: KeyEvent,
    keymap: &Keymap,
) -> Option<isize> {
    let read = PopupKey::read(&key, keymap);
    match read.command() {
        Some(Action::Up) => return Some(-1),
        Some(Action::Down) => return Some(1),
        _ => {}
    }
    if let Some(done) = edit_line(filter, key, keymap) {
        *filtering = false;
        if !done {
            filter.clear();
        }
    }
    None
}

#[derive(Debug, Clone)]
pub struct BackupsView {
    pub rows: Vec<BackupRow>,
    /// Hosts that did not answer, with why.
    pub failures: Vec<(String, String)>,
    pub loading: bool,
    pub filter: String,
    pub filtering: bool,
    /// The selected backup, by volid and host, so a reload keeps it.
    pub selected: Option<(String, String)>,
    pub prompt: Option<Prompt<BackupPrompt>>,
    /// The backup schedule form of the selected backup's guest, while open.
    pub schedule_form: Option<ScheduleForm>,
    reload_at: SystemTime,
}

impl BackupsView {
    pub fn new(now: SystemTime) -> BackupsView {
        BackupsView {
            rows: Vec::new(),
            failures: Vec::new(),
            loading: true,
            filter: String::new(),
            filtering: false,
            selected: None,
            prompt: None,
            schedule_form: None,
            reload_at: now + RELOAD_EVERY,
        }
    }

    /// The rows the filter lets through (every word must match some field).
    pub fn visible(&self) -> Vec<&BackupRow> {
        let words: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        self.rows
            .iter()
            .filter(|r| {
                let hay = format!(
                    "{} {} {} {} {}",
                    r.host,
                    r.volume.vmid.map(|v| v.to_string()).unwrap_or_default(),
                    r.guest_name.as_deref().unwrap_or(""),
                    r.volume.notes.as_deref().unwrap_or(""),
                    r.volume.volid
                )
                .to_lowercase();
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .collect()
    }

    pub fn selected_index(&self, rows: &[&BackupRow]) -> usize {
        self.selected
            .as_ref()
            .and_then(|(host, volid)| {
                rows.iter()
                    .position(|r| &r.host == host && &r.volume.volid == volid)
            })
            .unwrap_or(0)
    }

    pub fn selected_row(&self) -> Option<&BackupRow> {
        let rows = self.visible();
        rows.get(self.selected_index(&rows)).copied()
    }

    fn move_by(&mut self, delta: isize) {
        let rows = self.visible();
        if rows.is_empty() {
            return;
        }
        let at = self.selected_index(&rows) as isize;
        let to = (at + delta).clamp(0, rows.len() as isize - 1) as usize;
        self.selected = Some((rows[to].host.clone(), rows[to].volume.volid.clone()));
    }

    fn ask(&mut self, kind: BackupPrompt, input: String) -> Reply {
        self.prompt = Some(Prompt { kind, input });
        Reply::Consumed
    }

    fn effect(&mut self, e: BackupEffect) -> Reply {
        self.reload_at = SystemTime::now() + RELOAD_AFTER_ACTION;
        Reply::effect(Effect::Backups(e))
    }

    fn toast(text: String, error: bool) -> Reply {
        Reply::Then(vec![Request::Toast { text, error }])
    }

    /// The guest a backup came from, as the engine names guests.
    fn guest_of(row: &BackupRow) -> Option<GuestRef> {
        Some(GuestRef {
            host: row.host.clone(),
            node: row.volume.node.clone(),
            vmid: row.volume.vmid?,
            kind: if row.volume.subtype.as_deref() == Some("qemu") {
                GuestKind::Vm
            } else {
                GuestKind::Container
            },
        })
    }

    fn act(&mut self, action: Action) -> Reply {
        let Some(row) = self.selected_row().cloned() else {
            return Reply::Consumed;
        };
        let backup = row.reference();
        match action {
            // A guest that still exists is replaced only when its vmid is typed.
            Action::Restore => match (row.volume.vmid, &row.guest_name) {
                (Some(vmid), Some(_)) => {
                    let guest = if row.volume.subtype.as_deref() == Some("qemu") {
                        "VM"
                    } else {
                        "CT"
                    };
                    self.ask(BackupPrompt::ReplaceGuest { guest, vmid }, String::new())
                }
                _ => self.effect(BackupEffect::Restore {
                    backup,
                    to: None,
                    confirmed: false,
                }),
            },
            Action::RestoreNew => self.ask(BackupPrompt::NewVmid, String::new()),
            Action::RemoveBackup if row.volume.protected => Self::toast(
                "this backup is protected: unprotect it first (p)".into(),
                true,
            ),
            Action::RemoveBackup => self.ask(BackupPrompt::Delete, String::new()),
            Action::Protect => {
                let on = !row.volume.protected;
                if let Some(r) = self.rows.iter_mut().find(|r| r.reference() == backup) {
                    r.volume.protected = on;
                }
                self.effect(BackupEffect::Protect(backup, on))
            }
            Action::Notes => {
                let notes = row.volume.notes.clone().unwrap_or_default();
                self.ask(BackupPrompt::Notes, notes)
            }
            Action::BackupNow => match Self::guest_of(&row) {
                Some(g) if row.guest_name.is_some() => self.effect(BackupEffect::BackupNow(g)),
                _ => Self::toast("its guest no longer exists".into(), true),
            },
            Action::BackupSchedule => match (Self::guest_of(&row), &row.guest_name) {
                (Some(g), Some(name)) => {
                    self.schedule_form = Some(ScheduleForm::new(g.clone(), name.clone()));
                    self.effect(BackupEffect::LoadSchedule(g))
                }
                _ => Self::toast("its guest no longer exists".into(), true),
            },
            _ => Reply::Ignored,
        }
    }

    /// Enter on a prompt: check what was typed and send the effect, or say what is wrong.
    fn submit(&mut self) -> Reply {
        let Some(prompt) = self.prompt.take() else {
            return Reply::Consumed;
        };
        let Some(row) = self.selected_row().cloned() else {
            return Reply::Consumed;
        };
        let backup = row.reference();
        let typed = prompt.input.trim().to_string();
        match prompt.kind {
            BackupPrompt::ReplaceGuest { vmid, .. } if typed == vmid.to_string() => {
                self.effect(BackupEffect::Restore {
                    backup,
                    to: None,
                    confirmed: true,
                })
            }
            BackupPrompt::ReplaceGuest { guest, vmid } => Self::toast(
                format!("not restored: type {vmid} to replace {guest} {vmid}"),
                true,
            ),
            BackupPrompt::NewVmid => match typed.parse::<u32>() {
                Ok(n) if (100..=999_999_999).contains(&n) => self.effect(BackupEffect::Restore {
                    backup,
                    to: Some(n),
                    confirmed: false,
                }),
                _ => Self::toast(format!("'{typed}' is not a vmid (100 or more)"), true),
            },
            BackupPrompt::Delete if typed.eq_ignore_ascii_case("y") => {
                self.effect(BackupEffect::Delete(backup))
            }
            BackupPrompt::Delete => Reply::Consumed,
            BackupPrompt::Notes => self.effect(BackupEffect::Notes(backup, typed)),
        }
    }
}

impl Layer for BackupsView {
    fn title(&self) -> String {
        "backups".into()
    }

    fn context(&self) -> Context {
        Context::Backups
    }

    fn wants_text(&self) -> bool {
        self.filtering || self.prompt.is_some() || self.schedule_form.is_some()
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        let page = usize::from(ctx.area.height.saturating_sub(4)).max(1) as isize;
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::Filter => self.filtering = true,
            Action::Refresh => {
                self.loading = true;
                return self.effect(BackupEffect::Load);
            }
            Action::Back if !self.filter.is_empty() => self.filter.clear(),
            Action::Back => return Reply::Then(vec![Request::Close]),
            Action::Restore
            | Action::RestoreNew
            | Action::RemoveBackup
            | Action::Protect
            | Action::Notes
            | Action::BackupNow
            | Action::BackupSchedule => return self.act(action),
            _ => return Reply::Ignored,
        }
        Reply::Consumed
    }

    fn on_text(&mut self, key: KeyEvent, ctx: &LayerCtx) -> Reply {
        if let Some(form) = &mut self.schedule_form {
            return match form.key(key, ctx.keymap) {
                FormStep::Editing => Reply::Consumed,
                FormStep::Cancelled => {
                    self.schedule_form = None;
                    Reply::Consumed
                }
                FormStep::Submitted(choice) => {
                    let guest = form.guest.clone();
                    self.schedule_form = None;
                    self.effect(BackupEffect::Schedule(guest, choice))
                }
            };
        }
        if let Some(p) = &mut self.prompt {
            return match edit_line(&mut p.input, key, ctx.keymap) {
                Some(true) => self.submit(),
                Some(false) => {
                    self.prompt = None;
                    Reply::Consumed
                }
                None => Reply::Consumed,
            };
        }
        if let Some(delta) = filter_key(&mut self.filter, &mut self.filtering, key, ctx.keymap) {
            self.move_by(delta);
        }
        Reply::Consumed
    }

    fn on_paste(&mut self, text: &str, _ctx: &LayerCtx) -> Reply {
        let line = crate::text::clean_string(text.lines().next().unwrap_or(""));
        if let Some(form) = &mut self.schedule_form {
            form.paste(&line);
            return Reply::Consumed;
        }
        match &mut self.prompt {
            Some(p) => p.input.push_str(&line),
            None if self.filtering => self.filter.push_str(&line),
            None => return Reply::Ignored,
        }
        Reply::Consumed
    }

    fn on_wheel(&mut self, down: bool, _ctx: &LayerCtx) -> Reply {
        self.move_by(if down { 3 } else { -3 });
        Reply::Consumed
    }

    fn on_event(&mut self, ev: &AppEvent, _ctx: &LayerCtx) -> Reply {
        match ev {
            AppEvent::Backups(BackupEvent::List { rows, failures }) => {
                self.rows = rows.clone();
                self.failures = failures.clone();
                self.loading = false;
                Reply::Consumed
            }
            AppEvent::Backups(BackupEvent::CurrentSchedule { guest, result }) => {
                if let Some(form) = self.schedule_form.as_mut().filter(|f| f.guest == *guest) {
                    form.current(result);
                }
                Reply::Consumed
            }
            // A snapshots layer above may want it too: reload, but let it pass.
            AppEvent::Backups(BackupEvent::Changed) => {
                self.reload_at = self.reload_at.min(SystemTime::now() + RELOAD_AFTER_ACTION);
                Reply::Ignored
            }
            _ => Reply::Ignored,
        }
    }

    fn on_tick(&mut self, now: SystemTime) -> Vec<Effect> {
        if now < self.reload_at {
            return Vec::new();
        }
        self.reload_at = now + RELOAD_EVERY;
        vec![Effect::Backups(BackupEffect::Load)]
    }

    fn next_deadline(&self) -> Option<SystemTime> {
        Some(self.reload_at)
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Restore, "restore"),
            (Action::RestoreNew, "to new id"),
            (Action::RemoveBackup, "delete"),
            (Action::Protect, "protect"),
            (Action::Notes, "notes"),
            (Action::BackupNow, "back up now"),
            (Action::BackupSchedule, "schedule"),
            (Action::Filter, "filter"),
            (Action::Back, "back"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::backups_view::draw(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl App {
    /// `g b`: the backups screen on top (the one open, or a new one loading).
    pub fn open_backups_view(&mut self) -> Vec<Effect> {
        let on_top = self.layers.top_screen_is::<BackupsView>();
        if on_top {
            return Vec::new();
        }
        let mut effects = self.layers.clear_screens();
        self.layers.push(Box::new(BackupsView::new(self.now)));
        effects.push(Effect::Backups(BackupEffect::Load));
        effects
    }

    /// `b` on the rack: back the selected guest up now.
    pub fn backup_selected(&mut self) -> Vec<Effect> {
        let Some(guest) = self.selected_ref() else {
            return Vec::new();
        };
        vec![Effect::Backups(BackupEffect::BackupNow(guest))]
    }

    /// `P` on the rack: the selected container's snapshots.
    pub fn open_snapshots_view(&mut self) -> Vec<Effect> {
        let Some((host, _, g)) = self.selected() else {
            return Vec::new();
        };
        let name = g.name.clone();
        let Some(guest) = self.selected_ref() else {
            return Vec::new();
        };
        if guest.kind == GuestKind::Vm {
            let text = format!("{} is a VM: snapshots here are for containers", guest.vmid);
            let _ = host;
            self.show_toast(&text, true);
            return Vec::new();
        }
        let view =
            super::snapshots_view::SnapshotsView::new(guest.clone(), name.to_string(), self.now);
        self.layers.push(Box::new(view));
        vec![Effect::Backups(BackupEffect::LoadSnapshots(guest))]
    }
}
