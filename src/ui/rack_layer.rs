//! The rack as a layer: the bottom of the `LayerStack`, there for the whole run. It gets
//! the keys no other layer has (its own keymap context, `[rack]`), the filter line typed
//! raw, clicks and the wheel over it, and draws the racks with the detail panel. Its area
//! in the `LayerCtx` is the rack screen's part of the terminal (header and status rows
//! included, which it leaves to the app): the same rectangle `Rack::geometry` lays out,
//! so a click lands where the slot was drawn.
//!
//! What needs more than the rack and the inventory (a console's sessions, the metrics
//! cache, the running tasks) goes back to the app as `Request::App`.

use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, Effect, GuestRef, PowerOp};
use super::backups_link::BackupEffect;
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::popups::delete::DeletePrompt;
use super::rack_model::RackModel;
use super::rack_state::{Pane, Rack};
use super::view::Zoom;

/// Lines the wheel moves the selection by.
const WHEEL_ROWS: isize = 3;

impl Rack {
    /// What drawing reads besides the rack itself, for the rack laid out in `area`.
    pub fn model<'a>(&self, ctx: &LayerCtx<'a>, area: Rect) -> RackModel<'a> {
        RackModel {
            theme: ctx.theme,
            now: ctx.now,
            inventory: ctx.inventory,
            alerts: ctx.alerts,
            tasks: ctx.tasks,
            deploys: ctx.deploys,
            app_ports: ctx.app_ports,
            backup_times: ctx.backup_times,
            extra: ctx.extra,
            metrics: ctx.metrics,
            visible_cols: self.geometry(area).visible_cols,
        }
    }

    /// The filter line being typed: every key but Up/Down (which still move) edits it.
    fn filter_key(&mut self, k: KeyEvent, ctx: &LayerCtx) -> Reply {
        match k.code {
            KeyCode::Esc => {
                self.filter_editing = false;
                self.filter_text.clear();
            }
            KeyCode::Enter => {
                self.filter_editing = false;
                return Reply::Consumed;
            }
            KeyCode::Backspace => {
                self.filter_text.pop();
            }
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.filter_text.push(c);
            }
            KeyCode::Up => return self.on_action(Action::Up, ctx),
            KeyCode::Down => return self.on_action(Action::Down, ctx),
            _ => return Reply::Consumed,
        }
        self.rebuild(ctx.inventory, ctx.area);
        Reply::Consumed
    }

    /// The actions that change only the rack's own state (the selection, the view).
    fn move_or_view(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        let area = ctx.area;
        let g = self.geometry(area);
        let page = g.slot_rows.max(1) as isize;
        // With the detail pane focused on a narrow screen, movement keys are inert there.
        let rack_hidden = self.focus == Pane::Detail && g.area.width == 0;
        let heatmap = self.zoom == Zoom::Heatmap;
        match action {
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Left
            | Action::Right
                if rack_hidden => {}
            Action::Up => self.move_rows(-1, area),
            Action::Down => self.move_rows(1, area),
            Action::PageUp => self.move_rows(-page, area),
            Action::PageDown => self.move_rows(page, area),
            Action::Top => self.move_by(isize::MIN / 2, area),
            Action::Bottom => self.move_by(isize::MAX / 2, area),
            Action::Left if heatmap => self.heat_step(-1, area),
            Action::Right if heatmap => self.heat_step(1, area),
            Action::Left => self.move_col(-1, area),
            Action::Right => self.move_col(1, area),
            Action::PageLeft => self.move_col(-(g.visible_cols as isize), area),
            Action::PageRight => self.move_col(g.visible_cols as isize, area),
            Action::NextPane | Action::PrevPane if self.detail_open => self.toggle_pane(area),
            Action::Filter => self.filter_editing = true,
            Action::Back => {
                if self.detail_open {
                    self.close_detail(area);
                } else if !self.marks.is_empty() {
                    self.marks.clear();
                } else if !self.filter_text.is_empty() {
                    self.filter_text.clear();
                    self.rebuild(ctx.inventory, area);
                }
            }
            Action::Zoom => self.next_zoom(area),
            Action::Mark => {
                if let Some(r) = self.selected_ref(ctx.inventory) {
                    self.toggle_mark(r);
                    self.move_by(1, area);
                }
            }
            Action::ClearMarks => self.marks.clear(),
            _ => return Reply::Ignored,
        }
        Reply::Consumed
    }

    /// The actions on the selected (or marked) guests.
    fn on_guests(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        let inv = ctx.inventory;
        match action {
            Action::Details => match self.selected_ref(inv) {
                Some(r) => {
                    self.open_detail(ctx.area);
                    Reply::effect(load_detail(r))
                }
                None => Reply::Consumed,
            },
            Action::Refresh => Reply::effect(Effect::RefreshAll),
            Action::BackupNow => match self.selected_ref(inv) {
                Some(guest) => Reply::effect(Effect::Backups(BackupEffect::BackupNow(guest))),
                None => Reply::Consumed,
            },
            Action::Start => self.power(PowerOp::Start, ctx),
            Action::Shutdown => self.power(PowerOp::Shutdown, ctx),
            Action::Stop => self.power(PowerOp::Stop, ctx),
            Action::Reboot => self.power(PowerOp::Reboot, ctx),
            Action::Delete => {
                let targets = self.targets(inv);
                let expected = match targets.as_slice() {
                    [] => return Reply::Consumed,
                    [one] => inv
                        .guest(&one.host, one.vmid)
                        .map(|(_, g)| g.name.to_string())
                        .unwrap_or_else(|| one.vmid.to_string()),
                    many => many.len().to_string(),
                };
                Reply::Then(vec![Request::Push(Box::new(DeletePrompt::new(
                    targets, expected,
                )))])
            }
            Action::Snapshots
            | Action::Metrics
            | Action::NodeMetrics
            | Action::Console
            | Action::NodeShell
            | Action::TaskLog
            | Action::TaskLogBeside => Reply::Then(vec![Request::App(action)]),
            _ => Reply::Ignored,
        }
    }

    /// A power action for the targets (marks cleared): one effect each, and a toast.
    fn power(&mut self, op: PowerOp, ctx: &LayerCtx) -> Reply {
        let targets = self.targets(ctx.inventory);
        if targets.is_empty() {
            return Reply::Consumed;
        }
        let text = match targets.as_slice() {
            [one] => format!("{} {} requested", op.verb(), one.vmid),
            many => format!("{} requested for {} guests", op.verb(), many.len()),
        };
        self.marks.clear();
        let mut requests = vec![Request::Toast { text, error: false }];
        requests.extend(
            targets
                .into_iter()
                .map(|target| Request::Effect(Effect::Power { target, op })),
        );
        Reply::Then(requests)
    }
}

fn load_detail(r: GuestRef) -> Effect {
    Effect::LoadDetail {
        host: r.host,
        node: r.node,
        vmid: r.vmid,
    }
}

impl Layer for Rack {
    fn title(&self) -> String {
        "rack".into()
    }

    fn context(&self) -> Context {
        Context::Rack
    }

    fn wants_text(&self) -> bool {
        self.filter_editing
    }

    fn on_text(&mut self, k: KeyEvent, ctx: &LayerCtx) -> Reply {
        self.filter_key(k, ctx)
    }

    fn on_paste(&mut self, text: &str, ctx: &LayerCtx) -> Reply {
        if !self.filter_editing {
            return Reply::Ignored;
        }
        let clean = crate::text::clean_string(text.lines().next().unwrap_or(""));
        self.filter_text.push_str(&clean);
        self.rebuild(ctx.inventory, ctx.area);
        Reply::Consumed
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        let before = self.selected_ref(ctx.inventory);
        let reply = match self.move_or_view(action, ctx) {
            Reply::Ignored => self.on_guests(action, ctx),
            moved => moved,
        };
        // An open detail panel follows the selection: ask for the new guest's facts.
        if self.detail_open
            && matches!(reply, Reply::Consumed)
            && let Some(r) = self.selected_ref(ctx.inventory)
            && before.as_ref() != Some(&r)
        {
            return Reply::effect(load_detail(r));
        }
        reply
    }

    fn on_click(&mut self, column: u16, row: u16, ctx: &LayerCtx) -> Reply {
        self.click(column, row, ctx.area);
        Reply::Consumed
    }

    fn on_wheel(&mut self, down: bool, ctx: &LayerCtx) -> Reply {
        let rows = if down { WHEEL_ROWS } else { -WHEEL_ROWS };
        // One row at a time, as the keys move (the heatmap moves a row of cells each).
        for _ in 0..WHEEL_ROWS {
            self.move_rows(rows.signum(), ctx.area);
        }
        Reply::Consumed
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Details, "details"),
            (Action::Start, "start"),
            (Action::Shutdown, "shutdown"),
            (Action::Mark, "mark"),
            (Action::Filter, "filter"),
            (Action::Zoom, "zoom"),
            (Action::Console, "console"),
            (Action::Palette, "palette"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::draw_rack_screen(self, &self.model(ctx, area), area, buf);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
