//! A container's snapshots (`P` on the rack): the tree with the current state marked, `n`
//! takes a snapshot (its name typed), `R` rolls back (the snapshot's name typed: the current
//! state is lost), `D` deletes (after `y`).

use std::any::Any;
use std::time::{Duration, SystemTime};

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, AppEvent, Effect};
use super::backups_link::{BackupEffect, BackupEvent};
use super::backups_view::{Prompt, edit_line};
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};
use crate::engine::GuestRef;
use crate::engine::snapshots::{SnapshotLine, check_snapname};

/// After an action, the tree is read again this soon (its task is quick).
const RELOAD_AFTER_ACTION: Duration = Duration::from_millis(1200);

/// What a prompt of the snapshots layer asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotPrompt {
    Create,
    /// Type the snapshot's name to roll back to it.
    Rollback(String),
    /// Type `y` to delete it.
    Delete(String),
}

#[derive(Debug, Clone)]
pub struct SnapshotsView {
    pub guest: GuestRef,
    pub name: String,
    /// `None` while loading.
    pub lines: Option<Vec<SnapshotLine>>,
    pub error: Option<String>,
    pub sel: usize,
    pub prompt: Option<Prompt<SnapshotPrompt>>,
    reload_at: Option<SystemTime>,
}

impl SnapshotsView {
    pub fn new(guest: GuestRef, name: String, _now: SystemTime) -> SnapshotsView {
        SnapshotsView {
            guest,
            name,
            lines: None,
            error: None,
            sel: 0,
            prompt: None,
            reload_at: None,
        }
    }

    /// The selected snapshot (never the `current` pseudo-entry).
    pub fn selected(&self) -> Option<&SnapshotLine> {
        self.lines.as_ref()?.get(self.sel).filter(|l| !l.current)
    }

    fn len(&self) -> usize {
        self.lines.as_ref().map_or(0, Vec::len)
    }

    fn effect(&mut self, e: BackupEffect) -> Reply {
        self.reload_at = Some(SystemTime::now() + RELOAD_AFTER_ACTION);
        Reply::effect(Effect::Backups(e))
    }

    fn toast(text: String) -> Reply {
        Reply::Then(vec![Request::Toast { text, error: true }])
    }

    fn submit(&mut self) -> Reply {
        let Some(prompt) = self.prompt.take() else {
            return Reply::Consumed;
        };
        let typed = prompt.input.trim().to_string();
        let guest = self.guest.clone();
        match prompt.kind {
            SnapshotPrompt::Create => match check_snapname(&typed) {
                Ok(()) => self.effect(BackupEffect::SnapshotCreate(guest, typed)),
                Err(e) => Self::toast(e.to_string()),
            },
            SnapshotPrompt::Rollback(name) if typed == name => {
                self.effect(BackupEffect::SnapshotRollback(guest, name))
            }
            SnapshotPrompt::Rollback(name) => {
                Self::toast(format!("not rolled back: type {name} to confirm"))
            }
            SnapshotPrompt::Delete(name) if typed.eq_ignore_ascii_case("y") => {
                self.effect(BackupEffect::SnapshotDelete(guest, name))
            }
            SnapshotPrompt::Delete(_) => Reply::Consumed,
        }
    }
}

impl Layer for SnapshotsView {
    fn title(&self) -> String {
        format!("snapshots {}", self.guest.vmid)
    }

    fn context(&self) -> Context {
        Context::Snapshots
    }

    fn wants_text(&self) -> bool {
        self.prompt.is_some()
    }

    fn on_action(&mut self, action: Action, _ctx: &LayerCtx) -> Reply {
        let last = self.len().saturating_sub(1);
        match action {
            Action::Up => self.sel = self.sel.saturating_sub(1),
            Action::Down => self.sel = (self.sel + 1).min(last),
            Action::Top => self.sel = 0,
            Action::Bottom => self.sel = last,
            Action::Refresh => {
                return self.effect(BackupEffect::LoadSnapshots(self.guest.clone()));
            }
            Action::SnapshotCreate => {
                self.prompt = Some(Prompt {
                    kind: SnapshotPrompt::Create,
                    input: String::new(),
                });
            }
            Action::SnapshotRollback | Action::SnapshotRemove => {
                let Some(name) = self.selected().map(|l| l.name.clone()) else {
                    return Self::toast("select a snapshot (not the current state)".into());
                };
                let kind = if action == Action::SnapshotRollback {
                    SnapshotPrompt::Rollback(name)
                } else {
                    SnapshotPrompt::Delete(name)
                };
                self.prompt = Some(Prompt {
                    kind,
                    input: String::new(),
                });
            }
            Action::Back => return Reply::Then(vec![Request::Close]),
            _ => return Reply::Ignored,
        }
        Reply::Consumed
    }

    fn on_text(&mut self, key: KeyEvent, ctx: &LayerCtx) -> Reply {
        let Some(p) = &mut self.prompt else {
            return Reply::Ignored;
        };
        match edit_line(&mut p.input, key, ctx.keymap) {
            Some(true) => self.submit(),
            Some(false) => {
                self.prompt = None;
                Reply::Consumed
            }
            None => Reply::Consumed,
        }
    }

    fn on_event(&mut self, ev: &AppEvent, _ctx: &LayerCtx) -> Reply {
        match ev {
            AppEvent::Backups(BackupEvent::Snapshots { guest, result }) if *guest == self.guest => {
                match result {
                    Ok(lines) => {
                        self.sel = self.sel.min(lines.len().saturating_sub(1));
                        self.lines = Some(lines.clone());
                        self.error = None;
                    }
                    Err(e) => self.error = Some(e.clone()),
                }
                Reply::Consumed
            }
            _ => Reply::Ignored,
        }
    }

    fn on_tick(&mut self, now: SystemTime) -> Vec<Effect> {
        match self.reload_at {
            Some(at) if now >= at => {
                self.reload_at = None;
                vec![Effect::Backups(BackupEffect::LoadSnapshots(
                    self.guest.clone(),
                ))]
            }
            _ => Vec::new(),
        }
    }

    fn next_deadline(&self) -> Option<SystemTime> {
        self.reload_at
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::SnapshotCreate, "take"),
            (Action::SnapshotRollback, "roll back"),
            (Action::SnapshotRemove, "delete"),
            (Action::Back, "back"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::backups_view::draw_snapshots(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
