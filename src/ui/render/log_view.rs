//! Drawing the log viewer: a bordered pane, the visible lines (cut or wrapped, with their
//! time when asked), every search match highlighted (the current one as the selection),
//! and a footer with the search line or counter and the follow state. Costs the visible
//! lines only.

use crate::ui::theme::ThemeKey;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::widgets::{boxed, put};
use crate::ui::action::Action;
use crate::ui::keymap::Context;
use crate::ui::layer::LayerCtx;
use crate::ui::log_search::find_all;
use crate::ui::log_view::{LogView, stamp, text_area};
use crate::ui::theme::Theme;

pub fn draw(v: &LogView, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    if area.width < 6 || area.height < 4 {
        return;
    }
    let t = ctx.theme;
    buf.set_style(area, t.style(ThemeKey::Background));
    boxed(buf, area, &v.title, t, ctx.focused);
    let text = text_area(area);
    let rows = usize::from(text.height);
    let prefix = v.prefix_width();
    let width = usize::from(text.width).saturating_sub(prefix);
    let first = v.first_visible(rows, width);
    let current = v
        .search
        .current
        .and_then(|c| v.search.matches.get(c))
        .copied();
    let mut y = 0usize;
    let mut i = first;
    while y < rows && i < v.lines.len() {
        let line = &v.lines[i];
        let chars: Vec<char> = line.text.chars().collect();
        let style = line_style(&line.text, t);
        let marks: Vec<(usize, usize, bool)> = if v.search.is_active() {
            find_all(&line.text, &v.search.query)
                .into_iter()
                .map(|s| {
                    let len = v.search.query.chars().count();
                    (s, s + len, current == Some((i, s)))
                })
                .collect()
        } else {
            Vec::new()
        };
        let (starts, cut): (Vec<usize>, bool) = if v.wrap {
            let n = v.line_rows(i, width);
            ((0..n).map(|r| r * width).collect(), false)
        } else {
            (vec![v.hscroll], chars.len() > v.hscroll + width)
        };
        for (r, start) in starts.into_iter().enumerate() {
            if y >= rows {
                break;
            }
            let row_y = text.y + y as u16;
            if prefix > 0 && r == 0 {
                put(buf, text.x, row_y, &stamp(line.at), t.dim(), prefix as u16);
            }
            let x0 = text.x + prefix as u16;
            let end = (start + width).min(chars.len());
            if start < end {
                draw_run(buf, x0, row_y, &chars[start..end], start, &marks, style, t);
            }
            if cut && width > 0 {
                put(buf, x0 + width as u16 - 1, row_y, "…", t.dim(), 1);
            }
            y += 1;
        }
        i += 1;
    }
    if v.lines.is_empty() {
        let msg = if v.done {
            "(empty log)"
        } else {
            "waiting for lines…"
        };
        put(buf, text.x, text.y, msg, t.dim(), text.width);
    }
    footer(v, first, i, area, buf, ctx);
}

/// Chars `chars` (starting at char `offset` of the line) with the search marks over them.
#[allow(clippy::too_many_arguments)]
fn draw_run(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    chars: &[char],
    offset: usize,
    marks: &[(usize, usize, bool)],
    base: Style,
    t: &Theme,
) {
    let style_at = |ci: usize| {
        marks
            .iter()
            .find(|(s, e, _)| (*s..*e).contains(&ci))
            .map_or(base, |(_, _, cur)| {
                if *cur {
                    t.style(ThemeKey::Selection)
                } else {
                    t.style(ThemeKey::Match)
                }
            })
    };
    let mut col = x;
    let mut run = String::new();
    let mut run_style = style_at(offset);
    for (k, c) in chars.iter().enumerate() {
        let s = style_at(offset + k);
        if s != run_style && !run.is_empty() {
            col = put(buf, col, y, &run, run_style, u16::MAX);
            run.clear();
        }
        run_style = s;
        run.push(*c);
    }
    if !run.is_empty() {
        put(buf, col, y, &run, run_style, u16::MAX);
    }
}

/// The row under the lines: the search line or its counter, then where the view is.
fn footer(v: &LogView, first: usize, after: usize, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    let t = ctx.theme;
    let y = area.bottom() - 2;
    let right = area.right() - 1;
    let mut x = area.x + 1;
    if !ctx.focused && v.search.input.is_none() {
        // Beside a rack that has the keyboard: say how to reach this log.
        if let Some(k) = ctx
            .keymap
            .keys_for(Context::Rack, Action::FocusNext)
            .into_iter()
            .next()
        {
            x = put(
                buf,
                x,
                y,
                &k,
                t.style(ThemeKey::Key),
                right.saturating_sub(x),
            );
            x = put(buf, x, y, " focus ", t.dim(), right.saturating_sub(x));
        }
    }
    if let Some(input) = &v.search.input {
        x = put(
            buf,
            x,
            y,
            "/",
            t.style(ThemeKey::Key),
            right.saturating_sub(x),
        );
        x = put(
            buf,
            x,
            y,
            &format!("{input}▏"),
            t.style(ThemeKey::Input),
            right.saturating_sub(x),
        );
        x = put(buf, x, y, " ", t.text(), right.saturating_sub(x));
    } else if v.search.is_active() {
        x = put(
            buf,
            x,
            y,
            "/",
            t.style(ThemeKey::Key),
            right.saturating_sub(x),
        );
        x = put(
            buf,
            x,
            y,
            &v.search.query,
            t.style(ThemeKey::Match),
            right.saturating_sub(x),
        );
        let counter = format!(" {} ", v.search.counter());
        x = put(
            buf,
            x,
            y,
            &counter,
            t.style(ThemeKey::Key),
            right.saturating_sub(x),
        );
    }
    let mut state = Vec::new();
    if v.following {
        state.push("FOLLOW".to_string());
    } else if !v.lines.is_empty() {
        state.push(format!("{}-{}/{}", first + 1, after, v.lines.len()));
    }
    if v.wrap {
        state.push("wrap".into());
    }
    if v.timestamps {
        state.push("time".into());
    }
    state.push(if v.done { "ended" } else { "live" }.into());
    let text = state.join(" · ");
    let w = text.chars().count() as u16;
    let style = if v.following {
        t.style(ThemeKey::HostOnline)
    } else {
        t.dim()
    };
    if x + w < right {
        put(buf, right - w, y, &text, style, w);
    }
}

/// Proxmox ends every finished task log with one of these lines (`PVE::RESTEnvironment`).
fn line_style(line: &str, t: &Theme) -> Style {
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
