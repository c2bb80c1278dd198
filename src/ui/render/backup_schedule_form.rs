//! Drawing the backup schedule form: a popup over the backups screen with its two fields,
//! the schedule forms Proximity accepts, and the refusal of the last submit (naming the
//! field) in the invalid-input style; else the keys, from the keymap's `[popup]` context.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{popup_box, put};
use crate::text::clean;
use crate::ui::action::Action;
use crate::ui::backup_schedule_form::{FIELD_LABELS, ScheduleForm};
use crate::ui::keymap::{Context, Keymap};
use crate::ui::theme::{Theme, ThemeKey};

pub fn draw(form: &ScheduleForm, area: Rect, buf: &mut Buffer, t: &Theme, keymap: &Keymap) {
    let title = format!(
        "backup schedule · {} {} {}",
        form.guest.kind.short(),
        form.guest.vmid,
        clean(&form.name)
    );
    let inner = popup_box(buf, area, 66, 9, &title, t);
    if inner.height < 5 || inner.width < 20 {
        return;
    }
    let label_w = 11;
    let field_x = inner.x + 1 + label_w;
    let field_w = inner.right().saturating_sub(field_x + 1);
    for (i, label) in FIELD_LABELS.iter().enumerate() {
        let y = inner.y + i as u16;
        let focused = form.focus == i;
        let label_style = if focused {
            t.style(ThemeKey::Key)
        } else {
            t.dim()
        };
        put(buf, inner.x + 1, y, label, label_style, label_w);
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
    }
    let text_w = inner.width.saturating_sub(2);
    let now = form.now.as_deref().map_or_else(
        || "now: reading its backup job…".to_string(),
        |n| clean(n).into_owned(),
    );
    put(buf, inner.x + 1, inner.y + 2, &now, t.text(), text_w);
    put(
        buf,
        inner.x + 1,
        inner.y + 3,
        "e.g. daily · 02:30 · */15 · sun 02:00 · mon..fri 02:00 · off",
        t.dim(),
        text_w,
    );
    let (text, style) = match &form.error {
        Some(e) => (clean(e).into_owned(), t.style(ThemeKey::InputInvalid)),
        None => (
            keymap.hint_line(
                Context::Popup,
                &[
                    (Action::Submit, "saves"),
                    (Action::NextField, "next field"),
                    (Action::Back, "cancels"),
                ],
            ),
            t.dim(),
        ),
    };
    // The refusal names the field and the accepted forms: wrapped over the rows left.
    let rows = inner.bottom().saturating_sub(inner.y + 4);
    for (i, line) in wrap(&text, usize::from(text_w))
        .iter()
        .take(usize::from(rows))
        .enumerate()
    {
        put(
            buf,
            inner.x + 1,
            inner.y + 4 + i as u16,
            line,
            style,
            text_w,
        );
    }
}

/// `text` in lines of at most `width` characters, broken at spaces (a longer word is cut).
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let fits = line.chars().count() + 1 + word.chars().count() <= width;
        if !line.is_empty() && !fits {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
