//! The rack view: hosts side by side, each node a rack, each guest a 1U slot (detailed or
//! compact) or one heatmap cell. Only visible racks and rows are touched, so the cost of a
//! frame follows the screen size, not the inventory size.

use std::time::UNIX_EPOCH;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{bar, boxed, duration, put};
use crate::inventory::{GuestStatus, Host, HostState, Node};
use crate::ui::app::ANIM_MS;
use crate::ui::rack_model::RackModel;
use crate::ui::rack_state::{Pane, Rack};
use crate::ui::theme::ThemeKey;
use crate::ui::view::{RACK_TOP, RackCol, Zoom, rack_geometry};

/// LED glyphs differ per status so the rack reads without color (NO_COLOR, mono themes).
pub fn led_glyph(status: GuestStatus, pulse_on: bool) -> char {
    match status {
        GuestStatus::Running => '●',
        GuestStatus::Stopped => '○',
        GuestStatus::Paused => '◐',
        GuestStatus::Busy if pulse_on => '◉',
        GuestStatus::Busy => '◌',
        GuestStatus::Error => '✖',
        GuestStatus::Unknown => '?',
    }
}

/// A braille spinner frame for work of unknown length.
pub fn spinner(model: &RackModel) -> char {
    const FRAMES: [char; 8] = ['⣾', '⣽', '⣻', '⢿', '⡿', '⣟', '⣯', '⣷'];
    let ms = model
        .now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    FRAMES[(ms / u128::from(ANIM_MS)) as usize % FRAMES.len()]
}

pub(super) fn pulse_on(model: &RackModel) -> bool {
    let ms = model
        .now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    (ms / u128::from(ANIM_MS)) % 2 == 0
}

/// The rack screen in `area` (the rack's part of the terminal, header and status rows
/// included, which are the app's): the racks, and the detail panel when it is open.
pub fn draw_rack_screen(rack: &Rack, model: &RackModel, area: Rect, buf: &mut Buffer) {
    let layout = crate::ui::view::screen_layout(area, rack.detail_open, rack.focus == Pane::Detail);
    draw_racks(rack, model, layout.racks, buf);
    if let Some(d) = layout.detail {
        super::detail::draw(rack, model, d, buf);
    }
}

pub fn draw_racks(rack: &Rack, model: &RackModel, area: Rect, buf: &mut Buffer) {
    if area.width < 4 || area.height < RACK_TOP + 2 {
        return;
    }
    let geo = rack_geometry(area, rack.zoom, rack.view.cols.len());
    if rack.view.cols.is_empty() {
        let msg = if rack.filter_text.is_empty() {
            "no guests yet: waiting for the first refresh"
        } else {
            "no guest matches the filter"
        };
        put(
            buf,
            area.x + 2,
            area.y + 2,
            msg,
            model.theme.dim(),
            area.width.saturating_sub(4),
        );
        return;
    }
    let pulse = pulse_on(model);
    let styles = super::slot::SlotStyles::new(model.theme);
    let end = (rack.col_offset + geo.visible_cols).min(rack.view.cols.len());
    for (vis, ci) in (rack.col_offset..end).enumerate() {
        let rect = geo.rack_rect(vis);
        let col = &rack.view.cols[ci];
        let Some(host) = model.inventory.hosts.get(col.host) else {
            continue;
        };
        let first_of_host = vis == 0 || rack.view.cols[ci - 1].host != col.host;
        if first_of_host {
            let span = (ci..end)
                .take_while(|c| rack.view.cols[*c].host == col.host)
                .count() as u16;
            host_line(
                model,
                host,
                Rect::new(rect.x, rect.y, rect.width * span, 1),
                buf,
            );
        }
        let box_area = Rect {
            y: rect.y + 1,
            height: rect.height - 1,
            ..rect
        };
        let focused = ci == rack.sel_col && rack.focus == Pane::Rack;
        match col.node.and_then(|n| host.nodes.get(n)) {
            Some(node) => draw_rack(
                rack,
                model,
                &styles,
                ci,
                col,
                host,
                node,
                box_area,
                focused,
                pulse,
                geo.cells_per_row,
                buf,
            ),
            None => placeholder(model, host, box_area, focused, buf),
        }
    }
    // Horizontal position when racks overflow: "◀ 3/12 ▶" on the host line's right.
    if rack.view.cols.len() > geo.visible_cols {
        let s = format!(
            "{}{}-{}/{}{}",
            if rack.col_offset > 0 { "◀ " } else { "  " },
            rack.col_offset + 1,
            end,
            rack.view.cols.len(),
            if end < rack.view.cols.len() {
                " ▶"
            } else {
                "  "
            }
        );
        let w = s.chars().count() as u16;
        put(
            buf,
            area.right().saturating_sub(w),
            area.y,
            &s,
            model.theme.style(ThemeKey::Key),
            w,
        );
    }
}

fn host_line(model: &RackModel, host: &Host, r: Rect, buf: &mut Buffer) {
    let t = model.theme;
    let r = r.intersection(buf.area);
    for x in r.x..r.right() {
        buf[(x, r.y)].set_char('━').set_style(t.border(false));
    }
    let (state, style) = match &host.state {
        HostState::Online => ("● online".to_string(), t.style(ThemeKey::HostOnline)),
        HostState::Connecting => ("◌ connecting".to_string(), t.dim()),
        HostState::AuthFailed => ("✖ auth failed".to_string(), t.style(ThemeKey::HostError)),
        HostState::Unreachable(_) => match host.fetched_at {
            Some(at) if !host.nodes.is_empty() => (
                format!(
                    "✖ unreachable · data {} old",
                    super::widgets::age(model.now, at)
                ),
                t.style(ThemeKey::HostError),
            ),
            _ => ("✖ unreachable".to_string(), t.style(ThemeKey::HostError)),
        },
        HostState::Stale { since } => (
            format!("▲ stale {}", super::widgets::age(model.now, *since)),
            t.style(ThemeKey::HostStale),
        ),
    };
    let x = put(
        buf,
        r.x + 1,
        r.y,
        &format!(" {} ", host.name),
        t.style(ThemeKey::Title),
        r.width.saturating_sub(2),
    );
    put(
        buf,
        x,
        r.y,
        &format!("{state} "),
        style,
        r.right().saturating_sub(x + 1),
    );
}

fn placeholder(model: &RackModel, host: &Host, area: Rect, focused: bool, buf: &mut Buffer) {
    let t = model.theme;
    let inner = boxed(buf, area, &host.name, t, focused);
    let (head, reason, style) = match &host.state {
        HostState::Connecting => ("CONNECTING…", String::new(), t.dim()),
        HostState::AuthFailed => (
            "AUTH FAILED",
            "check the token in the hosts screen".to_string(),
            t.style(ThemeKey::HostError),
        ),
        HostState::Unreachable(r) => ("UNREACHABLE", r.clone(), t.style(ThemeKey::HostError)),
        _ => ("NO NODES", String::new(), t.dim()),
    };
    put(
        buf,
        inner.x + 1,
        inner.y + 1,
        head,
        style,
        inner.width.saturating_sub(2),
    );
    // Wrap the reason over the lines below, word by word.
    let width = usize::from(inner.width.saturating_sub(2)).max(1);
    let mut line = String::new();
    let mut y = inner.y + 3;
    for word in reason.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            put(
                buf,
                inner.x + 1,
                y,
                &line,
                t.text(),
                inner.width.saturating_sub(2),
            );
            y += 1;
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() && y < inner.bottom() {
        put(
            buf,
            inner.x + 1,
            y,
            &line,
            t.text(),
            inner.width.saturating_sub(2),
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_rack(
    rack: &Rack,
    model: &RackModel,
    styles: &super::slot::SlotStyles,
    ci: usize,
    col: &RackCol,
    host: &Host,
    node: &Node,
    area: Rect,
    focused: bool,
    pulse: bool,
    cells_per_row: usize,
    buf: &mut Buffer,
) {
    let t = model.theme;
    let inner = boxed(buf, area, &node.name, t, focused);
    if inner.height < 3 || inner.width < 4 {
        return;
    }
    // Node header: state and uptime, then CPU / memory / disk bars.
    // A node of a host we cannot reach right now is drawn from the last picture: say so.
    let live = matches!(host.state, HostState::Online);
    let (glyph, st) = match (live, node.online) {
        (false, _) => ("▲ cached", t.style(ThemeKey::HostStale)),
        (true, true) => ("● online", t.style(ThemeKey::HostOnline)),
        (true, false) => ("○ offline", t.style(ThemeKey::HostError)),
    };
    let mut x = put(buf, inner.x, inner.y, glyph, st, inner.width);
    // An alert on the node itself (offline, CPU, memory, disk): its rule, lit.
    if let Some(a) = (!model.alerts.firing.is_empty())
        .then(|| model.alerts.node_alert(&host.name, &node.name))
        .flatten()
    {
        x = put(
            buf,
            x + 1,
            inner.y,
            &format!("! {}", a.rule.label()),
            t.style(ThemeKey::LedAlert),
            inner.right().saturating_sub(x + 1),
        );
    }
    if node.online && node.uptime_s > 0 {
        x = put(
            buf,
            x,
            inner.y,
            &format!("  up {}", duration(node.uptime_s)),
            t.dim(),
            inner.right().saturating_sub(x),
        );
    }
    let count = if col.guests.len() == node.guests.len() {
        format!("{}", node.guests.len())
    } else {
        format!("{}/{}", col.guests.len(), node.guests.len())
    };
    let cw = count.chars().count() as u16 + 1;
    if inner.right() > x + cw {
        put(buf, inner.right() - cw, inner.y, &count, t.dim(), cw);
    }
    let bw = (inner.width.saturating_sub(6) / 3).max(1);
    let by = inner.y + 1;
    let empty = t.style(ThemeKey::BarEmpty);
    let mut bx = inner.x;
    for (label, frac, key) in [
        ("C", node.cpu, ThemeKey::BarCpu),
        ("M", node.mem_fraction(), ThemeKey::BarMem),
        ("D", node.disk_fraction(), ThemeKey::BarDisk),
    ] {
        bx = put(buf, bx, by, label, t.dim(), 1);
        bar(buf, bx, by, bw.saturating_sub(1), frac, t.style(key), empty);
        bx += bw;
    }
    let slots = Rect {
        y: inner.y + 2,
        height: inner.height - 2,
        ..inner
    };
    let start = rack.scroll.get(ci).copied().unwrap_or(0);
    match rack.zoom {
        Zoom::Heatmap => super::heatmap::heat(
            rack,
            model,
            styles,
            ci,
            col,
            host,
            node,
            slots,
            start,
            cells_per_row,
            pulse,
            buf,
        ),
        zoom => {
            for row in 0..slots.height {
                let idx = start + usize::from(row);
                let y = slots.y + row;
                match col
                    .guests
                    .get(idx)
                    .and_then(|gi| node.guests.get(*gi as usize))
                {
                    Some(g) => super::slot::slot(
                        rack,
                        model,
                        styles,
                        ci == rack.sel_col && idx == rack.sel_idx,
                        host,
                        node,
                        g,
                        zoom,
                        Rect::new(slots.x, y, slots.width, 1),
                        pulse,
                        buf,
                    ),
                    None => {
                        super::slot::blank_panel(model, Rect::new(slots.x, y, slots.width, 1), buf)
                    }
                }
            }
        }
    }
    super::deploy_pending::rack_edge(rack, model, ci, node, area, buf);
    let total = col.guests.len();
    let per_page = match rack.zoom {
        Zoom::Heatmap => usize::from(slots.height) * cells_per_row,
        _ => usize::from(slots.height),
    };
    if total > per_page {
        let s = format!(" {}-{}/{total} ", start + 1, (start + per_page).min(total));
        let w = s.chars().count() as u16;
        put(
            buf,
            area.right().saturating_sub(w + 1),
            area.bottom() - 1,
            &s,
            t.border(focused),
            w,
        );
    }
}
