//! Drawing the layer stack: the layers on screen bottom-up (full-screen layers over the
//! body, or the rack with its log panes and a split console beside it), the popup; and
//! the status-bar hints of the layer that has the keyboard.

use ratatui::buffer::Buffer;

use crate::ui::action::Action;
use crate::ui::app::App;
use crate::ui::layer::Slot;

/// The layers on screen, bottom-up, each in its own area.
pub fn draw_visible(app: &App, buf: &mut Buffer) {
    for slot in app.layers.visible() {
        if let Some(layer) = app.layers.get(slot) {
            let ctx = app.layer_ctx(slot);
            layer.render(ctx.area, buf, &ctx);
        }
    }
}

/// The popup up, over the whole terminal.
pub fn draw_popup(app: &App, buf: &mut Buffer) {
    if let Some(layer) = app.layers.popup() {
        let ctx = app.layer_ctx(Slot::Popup);
        layer.render(ctx.area, buf, &ctx);
    }
}

/// Hints of the layer with the keyboard, from its keymap context.
pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    let slot = app.layers.keyboard();
    let Some(layer) = app.layers.get(slot) else {
        return Vec::new();
    };
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
    out
}
