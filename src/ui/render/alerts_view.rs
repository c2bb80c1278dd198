//! Drawing the alerts screen: a bordered list with the alerts firing now (severity, rule,
//! target, name, since, message), then the history (when it fired, how long it lasted).
//! Alert text comes from servers and guests: it was cleaned before it reached the board.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::widgets::{boxed, duration, put};
use crate::alerts::{Alert, Severity};
use crate::ui::alerts_view::{AlertsView, list_rows};
use crate::ui::layer::LayerCtx;
use crate::ui::theme::{Theme, ThemeKey};

fn severity_style(s: Severity, t: &Theme) -> Style {
    match s {
        Severity::Critical => t.style(ThemeKey::AlertCritical),
        Severity::Warning => t.style(ThemeKey::AlertWarning),
    }
}

/// `12-07 09:14` (UTC) of Unix milliseconds.
fn when(ms: u64) -> String {
    let full = crate::civil::utc_time(ms / 1000);
    full.get(5..16).unwrap_or(&full).to_string()
}

/// One row: `! CRIT CPU  lab:101  web  12-07 09:14  5m  CPU 97% > 90% for 5m`; narrow
/// terminals drop the name and the date so the message keeps room.
fn row_text(a: &Alert, now_ms: u64, history: bool, wide: bool) -> (String, String) {
    let glyph = match (history, a.cleared_ms) {
        (true, Some(_)) => "✓",
        _ => "!",
    };
    let sev = match a.severity {
        Severity::Critical => "CRIT",
        Severity::Warning => "WARN",
    };
    let lasted = match a.cleared_ms {
        Some(c) => duration(c.saturating_sub(a.fired_ms) / 1000),
        None => duration(now_ms.saturating_sub(a.since_ms) / 1000),
    };
    let head = if wide {
        format!(
            "{glyph} {sev:<4} {:<13} {:<14} {:<14} {} {:>6}  ",
            a.rule.label(),
            a.target.to_string(),
            a.name,
            when(a.fired_ms),
            lasted
        )
    } else {
        format!(
            "{glyph} {sev:<4} {:<8} {:<10} {:>4} ",
            a.rule.label(),
            a.target.to_string(),
            lasted
        )
    };
    (head, a.message.clone())
}

pub fn draw(v: &AlertsView, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    if area.width < 20 || area.height < 6 {
        return;
    }
    let t = ctx.theme;
    buf.set_style(area, t.style(ThemeKey::Background));
    let board = ctx.alerts;
    let title = format!(
        "alerts · {} firing · {} cleared",
        board.firing.len(),
        board.past().count()
    );
    let inner = boxed(buf, area, &title, t, ctx.focused);
    let now_ms = ctx
        .now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    // One list: a heading, the firing rows, a heading, the history rows.
    enum Line<'a> {
        Heading(String),
        Row(&'a Alert, bool, usize),
        Note(&'static str),
    }
    let mut lines = vec![Line::Heading(format!("FIRING ({})", board.firing.len()))];
    if board.firing.is_empty() {
        lines.push(Line::Note("nothing is wrong: every rule is quiet"));
    }
    let mut index = 0;
    for a in &board.firing {
        lines.push(Line::Row(a, false, index));
        index += 1;
    }
    lines.push(Line::Heading("HISTORY".into()));
    if board.past().next().is_none() {
        lines.push(Line::Note("no alert has cleared yet"));
    }
    for a in board.past() {
        lines.push(Line::Row(a, true, index));
        index += 1;
    }
    let total = index;
    let sel = v.selected.min(total.saturating_sub(1));
    let rows = list_rows(area) + 2;
    let sel_line = lines
        .iter()
        .position(|l| matches!(l, Line::Row(_, _, i) if *i == sel))
        .unwrap_or(0);
    let first = (sel_line + 1).saturating_sub(rows.max(1));
    let width = inner.width.saturating_sub(2);
    for (i, line) in lines.iter().skip(first).take(rows).enumerate() {
        let y = inner.y + i as u16;
        let x = inner.x + 1;
        match line {
            Line::Heading(h) => {
                put(buf, x, y, h, t.style(ThemeKey::Title), width);
            }
            Line::Note(n) => {
                put(buf, x + 2, y, n, t.dim(), width.saturating_sub(2));
            }
            Line::Row(a, history, idx) => {
                let selected = *idx == sel && total > 0;
                let base = if selected {
                    t.style(ThemeKey::Selection)
                } else if *history {
                    t.dim()
                } else {
                    t.text()
                };
                if selected {
                    buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
                    put(buf, inner.x, y, "▸", base, 1);
                }
                let (head, message) = row_text(a, now_ms, *history, inner.width >= 110);
                let head_style = if selected || (*history && a.cleared_ms.is_some()) {
                    base
                } else {
                    severity_style(a.severity, t)
                };
                let x2 = put(buf, x, y, &head, head_style, width);
                let room = inner.right().saturating_sub(x2 + 1);
                put(buf, x2, y, &message, base, room);
            }
        }
    }
    let y = inner.bottom().saturating_sub(1);
    put(
        buf,
        inner.x + 1,
        y,
        "thresholds: alerts.toml in the config directory, or the settings screen (g s)",
        t.dim(),
        width,
    );
}
