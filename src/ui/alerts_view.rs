//! The alerts screen (`g !`, or `alerts` in the palette): the alerts firing now, most severe
//! first, then the history (newest first, cleared ones with how long they lasted). The data
//! is the app's `AlertBoard` (read through the layer context), so the list follows raises and
//! clears as they arrive. `t` sends a test notification, `r` reloads the history.

use std::any::Any;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, Effect};
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};

#[derive(Debug, Clone, Default)]
pub struct AlertsView {
    /// Index into the rows (firing, then history).
    pub selected: usize,
}

/// Rows of the list drawn in `area` (borders, two headings and the footer taken off).
pub fn list_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(5))
}

impl AlertsView {
    fn move_by(&mut self, delta: isize, total: usize) {
        let last = total.saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }
}

impl Layer for AlertsView {
    fn title(&self) -> String {
        "alerts".into()
    }

    fn context(&self) -> Context {
        Context::Alerts
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        let total = ctx.alerts.rows();
        let page = list_rows(ctx.area).max(1) as isize;
        match action {
            Action::Up => self.move_by(-1, total),
            Action::Down => self.move_by(1, total),
            Action::PageUp => self.move_by(-page, total),
            Action::PageDown => self.move_by(page, total),
            Action::Top => self.selected = 0,
            Action::Bottom => self.move_by(isize::MAX / 2, total),
            Action::TestNotify => return Reply::effect(Effect::TestNotifications),
            Action::Refresh => return Reply::effect(Effect::LoadAlerts),
            Action::Back => return Reply::Then(vec![Request::Close]),
            _ => return Reply::Ignored,
        }
        Reply::Consumed
    }

    fn on_wheel(&mut self, down: bool, ctx: &LayerCtx) -> Reply {
        let total = ctx.alerts.rows();
        self.move_by(if down { 3 } else { -3 }, total);
        Reply::Consumed
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::TestNotify, "test notification"),
            (Action::Refresh, "reload"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::alerts_view::draw(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
