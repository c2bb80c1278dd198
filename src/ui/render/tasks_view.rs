//! Drawing the tasks view: a bordered table (source, host, node, type, id, user, status,
//! start, duration), the selection kept on screen, and a footer with the filter line and
//! counts. The user column goes first when the terminal is narrow.

use crate::ui::theme::ThemeKey;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::widgets::{boxed, duration, put};
use crate::ui::layer::LayerCtx;
use crate::ui::task_board::{LogSource, TaskRow, TaskState, month_day_time};
use crate::ui::tasks_view::{TasksView, table_rows};
use crate::ui::theme::Theme;

/// A column: header and width; the last one (duration) is right-aligned.
struct Col {
    name: &'static str,
    width: u16,
}

fn columns(width: u16) -> Vec<Col> {
    let wide = width >= 120;
    let mut cols = vec![
        Col {
            name: "SRC",
            width: 3,
        },
        Col {
            name: "HOST",
            width: if wide { 12 } else { 8 },
        },
        Col {
            name: "NODE",
            width: if wide { 12 } else { 7 },
        },
        Col {
            name: "TYPE",
            width: if wide { 14 } else { 10 },
        },
        Col {
            name: "ID",
            width: if wide { 10 } else { 6 },
        },
    ];
    if width >= 100 {
        cols.push(Col {
            name: "USER",
            width: if wide { 18 } else { 12 },
        });
    }
    cols.extend([
        Col {
            name: "STATUS",
            width: 9,
        },
        Col {
            name: "START",
            width: 11,
        },
        Col {
            name: "TIME",
            width: 7,
        },
    ]);
    // Wide terminals also show what identifies the log (the UPID, the job id).
    let used: u16 = cols.iter().map(|c| c.width + 1).sum::<u16>() + 1;
    if width >= used + 30 {
        cols.push(Col {
            name: "LOG",
            width: width - used - 1,
        });
    }
    cols
}

fn cells(row: &TaskRow, now: std::time::SystemTime, with_user: bool) -> Vec<String> {
    let log = match &row.log {
        LogSource::Task { upid, .. } => crate::text::clean_string(upid),
        LogSource::Job { id } => format!("job {id}"),
    };
    let mut out = vec![
        row.origin.name().to_string(),
        row.host.clone(),
        row.node.clone(),
        row.kind.clone(),
        row.target.clone(),
    ];
    if with_user {
        out.push(row.user.clone());
    }
    out.extend([
        row.state.name().to_string(),
        month_day_time(row.started),
        duration(row.duration_secs(now)),
        log,
    ]);
    out
}

fn state_style(state: TaskState, t: &Theme) -> Style {
    match state {
        TaskState::Running => t.style(ThemeKey::LedBusy),
        TaskState::Ok => t.style(ThemeKey::HostOnline),
        TaskState::Error => t.style(ThemeKey::HostError),
        TaskState::Cancelled => t.dim(),
    }
}

pub fn draw(v: &TasksView, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    if area.width < 20 || area.height < 5 {
        return;
    }
    let t = ctx.theme;
    buf.set_style(area, t.style(ThemeKey::Background));
    let rows = v.visible(ctx.board);
    let running = rows
        .iter()
        .filter(|r| r.state == TaskState::Running)
        .count();
    let title = format!("tasks · {running} running · {} shown", rows.len());
    let inner = boxed(buf, area, &title, t, ctx.focused);
    let cols = columns(inner.width);
    let with_user = cols.iter().any(|c| c.name == "USER");

    // Header.
    let mut x = inner.x + 1;
    for c in &cols {
        put(buf, x, inner.y, c.name, t.style(ThemeKey::Title), c.width);
        x += c.width + 1;
    }

    let body_rows = table_rows(area);
    let sel = v.selected_index(&rows);
    // Keep the selection on screen without stored scroll state: it sits on the last row
    // once it is past the first page.
    let first = (sel + 1).saturating_sub(body_rows.max(1));
    for (i, row) in rows.iter().skip(first).take(body_rows).enumerate() {
        let y = inner.y + 1 + i as u16;
        let selected = first + i == sel;
        let base = if selected {
            t.style(ThemeKey::Selection)
        } else {
            t.text()
        };
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
            // Seen without colors too (NO_COLOR, a monochrome terminal).
            put(buf, inner.x, y, "▸", base, 1);
        }
        let mut x = inner.x + 1;
        for (c, text) in cols.iter().zip(cells(row, ctx.now, with_user)) {
            let style = match c.name {
                "STATUS" if !selected => state_style(row.state, t),
                "SRC" | "START" | "LOG" if !selected => t.dim(),
                _ => base,
            };
            let room = inner.right().saturating_sub(x);
            put(buf, x, y, &text, style, c.width.min(room));
            x += c.width + 1;
        }
    }
    if rows.is_empty() {
        let msg = if ctx.board.rows().next().is_none() {
            "no tasks yet (asking every host…)"
        } else {
            "no task matches the filter"
        };
        put(
            buf,
            inner.x + 1,
            inner.y + 1,
            msg,
            t.dim(),
            inner.width.saturating_sub(2),
        );
    }

    // Footer: the filter.
    let y = inner.bottom().saturating_sub(1);
    if v.filter_editing || !v.filter.is_empty() {
        let right = inner.right().saturating_sub(1);
        let x = put(buf, inner.x + 1, y, "/", t.style(ThemeKey::Key), 1);
        let cursor = if v.filter_editing { "▏" } else { "" };
        put(
            buf,
            x,
            y,
            &format!("{}{cursor}", v.filter),
            t.style(ThemeKey::Input),
            right.saturating_sub(x),
        );
    } else {
        put(
            buf,
            inner.x + 1,
            y,
            "filter: words, status:running, host:NAME, type:, node:, user:, id:",
            t.dim(),
            inner.width.saturating_sub(2),
        );
    }
}
