//! Draws the top lists: the four lists side by side from 120 columns (each a box with rank,
//! guest, host/node and value), else the focused one with a tab bar naming the others.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{bar, boxed, put};
use crate::engine::metrics::{TopBy, TopEntry};
use crate::engine::metrics_series::format_value;
use crate::ui::layer::LayerCtx;
use crate::ui::metrics_top::TopView;
use crate::ui::theme::{Theme, ThemeKey};

pub fn draw(view: &TopView, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    let t = ctx.theme;
    let inner = boxed(
        buf,
        area,
        "top · busiest running guests of every host",
        t,
        ctx.focused,
    );
    if inner.height < 3 || inner.width < 20 {
        return;
    }
    if view.lists.is_none() {
        put(
            buf,
            inner.x + 1,
            inner.y,
            "ranking…",
            t.dim(),
            inner.width - 1,
        );
        return;
    }
    if inner.width >= 120 && inner.height >= 12 {
        let (w, h) = (inner.width / 2, inner.height / 2);
        for (i, by) in TopBy::ALL.iter().enumerate() {
            let (c, r) = ((i % 2) as u16, (i / 2) as u16);
            let cell = Rect {
                x: inner.x + c * w,
                y: inner.y + r * h,
                width: if c == 1 {
                    inner.right() - (inner.x + w)
                } else {
                    w
                },
                height: if r == 1 {
                    inner.bottom() - (inner.y + h)
                } else {
                    h
                },
            };
            draw_list(view, *by, cell, buf, t);
        }
        return;
    }
    // Narrow: a tab bar, then the focused list.
    let mut x = inner.x + 1;
    for by in TopBy::ALL {
        let style = if by == view.focus {
            t.style(ThemeKey::Selection)
        } else {
            t.dim()
        };
        x = put(
            buf,
            x,
            inner.y,
            &format!(" {} ", by.label()),
            style,
            inner.right().saturating_sub(x),
        );
        x = put(
            buf,
            x,
            inner.y,
            " ",
            t.text(),
            inner.right().saturating_sub(x),
        );
    }
    let rest = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    draw_list(view, view.focus, rest, buf, t);
}

fn draw_list(view: &TopView, by: TopBy, area: Rect, buf: &mut Buffer, t: &Theme) {
    let focused = by == view.focus;
    let list = view.list(by);
    let measured = list.iter().all(|e| e.measured);
    let title = match by {
        TopBy::Disk | TopBy::Network if !measured => format!("by {} (avg since start)", by.label()),
        _ => format!("by {}", by.label()),
    };
    let inner = boxed(buf, area, &title, t, focused);
    if inner.height == 0 || inner.width < 12 {
        return;
    }
    if list.is_empty() {
        put(
            buf,
            inner.x + 1,
            inner.y,
            "no running guest",
            t.dim(),
            inner.width - 1,
        );
        return;
    }
    let selected = TopBy::ALL
        .iter()
        .position(|b| *b == by)
        .map_or(0, |i| view.selected[i]);
    let rows = usize::from(inner.height);
    let first = if selected >= rows {
        selected + 1 - rows
    } else {
        0
    };
    let top_value = list.first().map_or(0.0, |e| e.value);
    for (row, (i, e)) in list.iter().enumerate().skip(first).take(rows).enumerate() {
        let y = inner.y + row as u16;
        let sel = focused && i == selected;
        draw_row(i, e, by, top_value, inner, y, sel, buf, t);
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_row(
    rank: usize,
    e: &TopEntry,
    by: TopBy,
    top_value: f64,
    inner: Rect,
    y: u16,
    selected: bool,
    buf: &mut Buffer,
    t: &Theme,
) {
    let base = if selected {
        t.style(ThemeKey::Selection)
    } else {
        t.text()
    };
    if selected {
        buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
    }
    let value = match (by, e.of) {
        (TopBy::Cpu, Some(cores)) => format!("{} of {cores:.0}", format_value(by.unit(), e.value)),
        (TopBy::Memory, Some(max)) => format!(
            "{} / {}",
            format_value(by.unit(), e.value),
            format_value(by.unit(), max)
        ),
        _ => format_value(by.unit(), e.value),
    };
    let value_w = 20u16.min(inner.width / 2);
    let bar_w = if inner.width >= 60 { 10u16 } else { 0 };
    let name_w = inner.width.saturating_sub(value_w + bar_w + 2);
    let who = format!(
        "{:>2} {} {} {}  {}/{}",
        rank + 1,
        e.kind.short(),
        e.vmid,
        e.name,
        e.host,
        e.node
    );
    put(buf, inner.x, y, &who, base, name_w);
    if bar_w > 0 {
        let frac = match (by, e.of) {
            (TopBy::Memory, Some(max)) if max > 0.0 => e.value / max,
            (TopBy::Cpu, _) => e.value,
            _ if top_value > 0.0 => e.value / top_value,
            _ => 0.0,
        };
        let key = match by {
            TopBy::Cpu => ThemeKey::BarCpu,
            TopBy::Memory => ThemeKey::BarMem,
            _ => ThemeKey::BarDisk,
        };
        bar(
            buf,
            inner.x + name_w + 1,
            y,
            bar_w,
            frac,
            t.style(key),
            t.style(ThemeKey::BarEmpty),
        );
    }
    let vx = inner.right().saturating_sub(value_w);
    let pad = format!("{value:>w$}", w = usize::from(value_w));
    put(buf, vx, y, &pad, base, value_w);
}
