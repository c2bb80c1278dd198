//! The task log popup: a task's whole log, scrollable, its outcome line colored by the
//! theme (`TASK OK` green, `TASK WARNINGS: n` amber, `TASK ERROR: ...` red).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

use super::widgets::{popup_box, put};
use crate::ui::popup::{TaskLogView, task_log_rows};
use crate::ui::theme::{Theme, ThemeKey};

/// Wide enough for Proxmox's longest usual lines (vzdump, migrations); narrower
/// terminals get the whole width.
const WIDTH: u16 = 110;

pub fn draw(v: &TaskLogView, t: &Theme, area: Rect, buf: &mut Buffer) {
    let h = area.height.saturating_sub(2);
    let inner = popup_box(buf, area, WIDTH, h, &v.title, t);
    if inner.height < 2 || inner.width < 4 {
        return;
    }
    let rows = task_log_rows(area.height).min(usize::from(inner.height - 1));
    let scroll = v.scroll.min(v.lines.len().saturating_sub(rows.max(1)));
    let w = inner.width.saturating_sub(2);
    for (i, line) in v.lines.iter().skip(scroll).take(rows).enumerate() {
        let y = inner.y + i as u16;
        let style = line_style(line, t);
        put(buf, inner.x + 1, y, line, style, w);
        // Cut lines say so; the whole text is in `pvenode task log` when needed.
        if w > 0 && Span::raw(line.as_str()).width() > usize::from(w) {
            put(buf, inner.x + w, y, "…", style, 1);
        }
    }
    if v.lines.is_empty() {
        put(buf, inner.x + 1, inner.y, "(empty log)", t.dim(), w);
    }
    let footer_y = inner.bottom() - 1;
    let state = if v.running { "running · " } else { "" };
    let hint = format!("{state}j/k scroll · g/G top/end · r reload · Esc close");
    put(
        buf,
        inner.x + 1,
        footer_y,
        &hint,
        if v.running {
            t.style(ThemeKey::HostStale)
        } else {
            t.dim()
        },
        w,
    );
    if !v.lines.is_empty() {
        let last = (scroll + rows).min(v.lines.len());
        let pos = format!("{}-{}/{}", scroll + 1, last, v.lines.len());
        let pw = pos.chars().count() as u16;
        let hw = hint.chars().count() as u16;
        // Only when it fits beside the hint: the hint matters more.
        if hw + pw + 4 <= inner.width {
            put(
                buf,
                inner.right() - pw - 1,
                footer_y,
                &pos,
                t.style(ThemeKey::Key),
                pw,
            );
        }
    }
}

/// Proxmox ends every finished task log with one of these lines (`PVE::RESTEnvironment`).
pub(super) fn line_style(line: &str, t: &Theme) -> Style {
    if line.starts_with("TASK OK") {
        t.style(ThemeKey::HostOnline)
    } else if line.starts_with("TASK WARNINGS") {
        t.style(ThemeKey::HostStale)
    } else if line.starts_with("TASK ERROR") {
        t.style(ThemeKey::HostError)
    } else {
        t.text()
    }
}
