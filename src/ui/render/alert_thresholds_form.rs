//! Drawing the alert thresholds editor: a popup over the settings screen with the scope
//! (`< defaults >`), one row per threshold with what is typed for this scope and, dimmed,
//! what applies when it is left empty, and the refusal of the last save naming the field.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::backup_schedule_form::wrap;
use super::widgets::{popup_box, put};
use crate::alerts::AlertScope;
use crate::alerts::config::EDITABLE_FIELDS;
use crate::text::clean;
use crate::ui::action::Action;
use crate::ui::alert_thresholds_form::{AlertThresholdsForm, FIELD_LABELS, below, inherited};
use crate::ui::layer::LayerCtx;
use crate::ui::popups::{footer, key_pair};
use crate::ui::theme::ThemeKey;

pub fn draw(form: &AlertThresholdsForm, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    let t = ctx.theme;
    let inner = popup_box(buf, area, 64, 17, "alert thresholds · alerts.toml", t);
    if inner.height < 12 || inner.width < 30 {
        return;
    }
    let label_w = 17;
    let field_x = inner.x + 1 + label_w;
    let field_w = 12.min(inner.right().saturating_sub(field_x + 1));
    let label_style = |focused: bool| {
        if focused {
            t.style(ThemeKey::Key)
        } else {
            t.dim()
        }
    };
    let scope = match &form.scope {
        AlertScope::Defaults => "defaults (every host)".to_string(),
        AlertScope::Host(h) => format!("host {}", clean(h)),
        AlertScope::App(a) => format!("app {}", clean(a)),
    };
    put(
        buf,
        inner.x + 1,
        inner.y,
        "scope",
        label_style(form.focus == 0),
        label_w,
    );
    let scope_w = inner.right().saturating_sub(field_x + 1);
    let style = if form.focus == 0 {
        t.style(ThemeKey::Selection)
    } else {
        t.text()
    };
    put(
        buf,
        field_x,
        inner.y,
        &format!("‹ {scope} ›"),
        style,
        scope_w,
    );
    let fallback = below(&ctx.alerts.config, &form.scope);
    for (i, (label, field)) in FIELD_LABELS.iter().zip(EDITABLE_FIELDS).enumerate() {
        let y = inner.y + 2 + i as u16;
        let focused = form.focus == i + 1;
        put(buf, inner.x + 1, y, label, label_style(focused), label_w);
        buf.set_style(Rect::new(field_x, y, field_w, 1), t.style(ThemeKey::Input));
        let cursor = if focused { "▏" } else { "" };
        put(
            buf,
            field_x,
            y,
            &format!("{}{cursor}", clean(&form.values[i])),
            t.style(ThemeKey::Input),
            field_w,
        );
        let note = format!("empty: {}", inherited(&fallback, field));
        let x = field_x + field_w + 1;
        put(
            buf,
            x,
            y,
            &note,
            t.dim(),
            inner.right().saturating_sub(x + 1),
        );
    }
    let text_w = inner.width.saturating_sub(2);
    let y0 = inner.y + 2 + EDITABLE_FIELDS.len() as u16 + 1;
    let (text, style) = match &form.error {
        Some(e) => (clean(e).into_owned(), t.style(ThemeKey::InputInvalid)),
        None => (
            format!(
                "durations 30s 5m 2h 7d · {} scope · {}",
                key_pair(ctx.keymap, Action::Left, Action::Right),
                footer(
                    ctx.keymap,
                    &[(Action::Submit, "saves"), (Action::Back, "closes")]
                ),
            ),
            t.dim(),
        ),
    };
    let rows = inner.bottom().saturating_sub(y0);
    for (i, line) in wrap(&text, usize::from(text_w))
        .iter()
        .take(usize::from(rows))
        .enumerate()
    {
        put(buf, inner.x + 1, y0 + i as u16, line, style, text_w);
    }
}
