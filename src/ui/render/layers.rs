//! Drawing the layer stack: full-screen layers bottom-up over the body, or the rack with
//! its log panes beside it; and the status-bar hints of the layer that has the keyboard.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::ui::action::Action;
use crate::ui::app::{App, Pane};
use crate::ui::layer::Slot;
use crate::ui::view::{ScreenLayout, screen_layout};

/// The visible full-screen layers, bottom-up.
pub fn draw_screens(app: &App, buf: &mut Buffer) {
    for slot in app.layers.visible() {
        if let Some(layer) = app.layers.get(slot) {
            let ctx = app.layer_ctx(slot);
            layer.render(ctx.area, buf, &ctx);
        }
    }
}

/// The console layer in its part of `body` (it decides whether and where it shows).
pub fn draw_console(app: &App, body: Rect, buf: &mut Buffer) {
    if let Some(layer) = app.layers.get(Slot::Console) {
        let ctx = app.layer_ctx(Slot::Console);
        layer.render(body, buf, &ctx);
    }
}

/// The popup up, over the whole terminal.
pub fn draw_popup(app: &App, buf: &mut Buffer) {
    if let Some(layer) = app.layers.popup() {
        let ctx = app.layer_ctx(Slot::Popup);
        layer.render(ctx.area, buf, &ctx);
    }
}

/// The rack (and its detail panel) on the left, a split console if any, the log panes.
pub fn draw_rack_beside(app: &App, area: Rect, layout: &ScreenLayout, buf: &mut Buffer) {
    let left = Rect {
        width: app.rack_area_beside_logs().width,
        ..area
    };
    let inner = screen_layout(left, app.rack.detail_open, app.rack.focus == Pane::Detail);
    super::rack::draw_racks(&app.rack, &app.rack_model(), inner.racks, buf);
    if let Some(d) = inner.detail {
        super::detail::draw(&app.rack, &app.rack_model(), d, buf);
    }
    if app.console_beside() {
        draw_console(app, layout.body, buf);
    }
    for i in 0..app.layers.panes().len() {
        let slot = Slot::Pane(i);
        if let Some(layer) = app.layers.get(slot) {
            let ctx = app.layer_ctx(slot);
            layer.render(ctx.area, buf, &ctx);
        }
    }
}

/// Hints of the layer with the keyboard, from its keymap context; `None` when the rack
/// has it.
pub fn hints(app: &App) -> Option<Vec<(String, &'static str)>> {
    let slot = app.layers.keyboard()?;
    let layer = app.layers.get(slot)?;
    let ctx = layer.context();
    let mut out: Vec<(String, &'static str)> = layer
        .hints()
        .into_iter()
        .filter_map(|(a, label)| {
            let first = |a: Action| app.keymap.keys_for(ctx, a).into_iter().next();
            let key = first(a)?;
            // "move" stands for both directions: show "j/k", not "k" alone.
            let key = match a {
                Action::Up => first(Action::Down).map_or(key.clone(), |d| format!("{d}/{key}")),
                Action::CopyUp => {
                    first(Action::CopyDown).map_or(key.clone(), |d| format!("{d}/{key}"))
                }
                _ => key,
            };
            Some((key, label))
        })
        .collect();
    // Beside the rack, say how to give the keyboard back.
    if matches!(slot, Slot::Pane(_))
        && let Some(k) = app
            .keymap
            .keys_for(ctx, Action::FocusNext)
            .into_iter()
            .next()
    {
        out.insert(0, (k, "focus"));
    }
    Some(out)
}
