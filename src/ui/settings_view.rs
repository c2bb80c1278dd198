//! The settings screen as a layer: it owns the cursor, takes its keys from the keymap's
//! `[settings]` context and draws itself (`render::settings_view`). What it lists and the
//! state it changes (theme, switches, thresholds) are the app's: it reads them from the
//! `LayerCtx` and asks for changes with `Request::Settings`.

use std::any::Any;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::Action;
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::settings::{
    SettingsChange, SettingsItem, SettingsRow, list_width, settings_items, settings_rows,
    settings_scroll,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsView {
    /// Index into the list; hosts can vanish while the screen is open, so every reader
    /// clamps it (`selected_index`).
    pub sel: usize,
}

impl SettingsView {
    pub fn new(sel: usize) -> SettingsView {
        SettingsView { sel }
    }

    /// The cursor, kept on a list of `len` items.
    pub fn selected_index(&self, len: usize) -> usize {
        self.sel.min(len.saturating_sub(1))
    }

    fn items(ctx: &LayerCtx) -> Vec<SettingsItem> {
        settings_items(ctx.themes, ctx.alerts, ctx.hosts)
    }
}

/// Ask the app for one change.
fn change(c: SettingsChange) -> Reply {
    Reply::Then(vec![Request::Settings(c)])
}

impl Layer for SettingsView {
    fn title(&self) -> String {
        "settings".into()
    }

    fn context(&self) -> Context {
        Context::Settings
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        let items = Self::items(ctx);
        let len = items.len().max(1);
        self.sel = self.selected_index(len);
        let before = self.sel;
        match action {
            Action::Up => self.sel = (self.sel + len - 1) % len,
            Action::Down => self.sel = (self.sel + 1) % len,
            Action::Top => self.sel = 0,
            Action::Bottom => self.sel = len - 1,
            Action::Apply => {
                return match items.get(self.sel) {
                    Some(SettingsItem::Theme(_)) => change(SettingsChange::SaveTheme),
                    Some(item) => change(SettingsChange::Flip(item.clone())),
                    None => Reply::Consumed,
                };
            }
            Action::Toggle => {
                return match items.get(self.sel) {
                    Some(item) => change(SettingsChange::Flip(item.clone())),
                    None => Reply::Consumed,
                };
            }
            Action::Left | Action::Right => {
                if let Some(SettingsItem::AlertRule(rule)) = items.get(self.sel) {
                    let step = if action == Action::Right { 5.0 } else { -5.0 };
                    return change(SettingsChange::Threshold(*rule, step));
                }
            }
            // Leaving without `apply` puts the saved theme back.
            Action::Back => {
                return Reply::Then(vec![
                    Request::Settings(SettingsChange::PreviewTheme(ctx.saved_theme.to_string())),
                    Request::Close,
                ]);
            }
            _ => return Reply::Ignored,
        }
        // Live preview: the whole screen takes the highlighted theme.
        match items.get(self.sel) {
            Some(SettingsItem::Theme(name)) if self.sel != before => {
                change(SettingsChange::PreviewTheme(name.clone()))
            }
            _ => Reply::Consumed,
        }
    }

    /// A click on a theme previews it, on a switch flips it; elsewhere nothing. Uses the
    /// layout `render::settings_view` draws.
    fn on_click(&mut self, column: u16, row: u16, ctx: &LayerCtx) -> Reply {
        let body = ctx.area;
        // Inside the list's border.
        let inner_top = body.y + 1;
        let inner_h = body.height.saturating_sub(2);
        if column <= body.x
            || column + 1 >= body.x + list_width(body.width)
            || row < inner_top
            || row >= inner_top + inner_h
        {
            return Reply::Consumed;
        }
        let items = Self::items(ctx);
        let rows = settings_rows(&items);
        let first = settings_scroll(&rows, self.selected_index(items.len()), inner_h);
        let Some(SettingsRow::Item(index)) = rows.get(first + usize::from(row - inner_top)) else {
            return Reply::Consumed;
        };
        let Some(item) = items.get(*index) else {
            return Reply::Consumed;
        };
        self.sel = *index;
        match item {
            SettingsItem::Theme(name) => change(SettingsChange::PreviewTheme(name.clone())),
            other => change(SettingsChange::Flip(other.clone())),
        }
    }

    fn on_wheel(&mut self, down: bool, ctx: &LayerCtx) -> Reply {
        let action = if down { Action::Down } else { Action::Up };
        self.on_action(action, ctx)
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Up, "move"),
            (Action::Apply, "apply"),
            (Action::Toggle, "switch"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::settings_view::draw(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
