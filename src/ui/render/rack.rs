//! The rack view: hosts side by side, each node a rack, each guest a 1U slot (detailed or
//! compact) or one heatmap cell. Only visible racks and rows are touched, so the cost of a
//! frame follows the screen size, not the inventory size.

use std::time::UNIX_EPOCH;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};

use super::fg_only;
use super::widgets::{bar, bar_with, boxed, duration, put};
use crate::inventory::{Guest, GuestStatus, Host, HostState, Node};
use crate::ui::app::{ANIM_MS, App, Pane};
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
pub fn spinner(app: &App) -> char {
    const FRAMES: [char; 8] = ['⣾', '⣽', '⣻', '⢿', '⡿', '⣟', '⣯', '⣷'];
    let ms = app
        .now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    FRAMES[(ms / u128::from(ANIM_MS)) as usize % FRAMES.len()]
}

fn pulse_on(app: &App) -> bool {
    let ms = app
        .now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    (ms / u128::from(ANIM_MS)) % 2 == 0
}

pub fn draw_racks(app: &App, area: Rect, buf: &mut Buffer) {
    if area.width < 4 || area.height < RACK_TOP + 2 {
        return;
    }
    let geo = rack_geometry(area, app.zoom);
    if app.view.cols.is_empty() {
        let msg = if app.filter_text.is_empty() {
            "no guests yet: waiting for the first refresh"
        } else {
            "no guest matches the filter"
        };
        put(
            buf,
            area.x + 2,
            area.y + 2,
            msg,
            app.theme.dim(),
            area.width.saturating_sub(4),
        );
        return;
    }
    let pulse = pulse_on(app);
    let styles = SlotStyles::new(&app.theme);
    let end = (app.col_offset + geo.visible_cols).min(app.view.cols.len());
    for (vis, ci) in (app.col_offset..end).enumerate() {
        let rect = geo.rack_rect(vis);
        let col = &app.view.cols[ci];
        let Some(host) = app.inventory.hosts.get(col.host) else {
            continue;
        };
        let first_of_host = vis == 0 || app.view.cols[ci - 1].host != col.host;
        if first_of_host {
            let span = (ci..end)
                .take_while(|c| app.view.cols[*c].host == col.host)
                .count() as u16;
            host_line(
                app,
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
        let focused = ci == app.sel_col && app.focus == Pane::Rack;
        match col.node.and_then(|n| host.nodes.get(n)) {
            Some(node) => draw_rack(
                app,
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
            None => placeholder(app, host, box_area, focused, buf),
        }
    }
    // Horizontal position when racks overflow: "◀ 3/12 ▶" on the host line's right.
    if app.view.cols.len() > geo.visible_cols {
        let s = format!(
            "{}{}-{}/{}{}",
            if app.col_offset > 0 { "◀ " } else { "  " },
            app.col_offset + 1,
            end,
            app.view.cols.len(),
            if end < app.view.cols.len() {
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
            app.theme.style("key"),
            w,
        );
    }
}

fn host_line(app: &App, host: &Host, r: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let r = r.intersection(buf.area);
    for x in r.x..r.right() {
        buf[(x, r.y)].set_char('━').set_style(t.border(false));
    }
    let (state, style) = match &host.state {
        HostState::Online => ("● online".to_string(), t.style("host.online")),
        HostState::Connecting => ("◌ connecting".to_string(), t.dim()),
        HostState::AuthFailed => ("✖ auth failed".to_string(), t.style("host.error")),
        HostState::Unreachable(_) => match host.fetched_at {
            Some(at) if !host.nodes.is_empty() => (
                format!(
                    "✖ unreachable · data {} old",
                    super::widgets::age(app.now, at)
                ),
                t.style("host.error"),
            ),
            _ => ("✖ unreachable".to_string(), t.style("host.error")),
        },
        HostState::Stale { since } => (
            format!("▲ stale {}", super::widgets::age(app.now, *since)),
            t.style("host.stale"),
        ),
    };
    let x = put(
        buf,
        r.x + 1,
        r.y,
        &format!(" {} ", host.name),
        t.style("title"),
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

fn placeholder(app: &App, host: &Host, area: Rect, focused: bool, buf: &mut Buffer) {
    let t = &app.theme;
    let inner = boxed(buf, area, &host.name, t, focused);
    let (head, reason, style) = match &host.state {
        HostState::Connecting => ("CONNECTING…", String::new(), t.dim()),
        HostState::AuthFailed => (
            "AUTH FAILED",
            "check the token in the hosts screen".to_string(),
            t.style("host.error"),
        ),
        HostState::Unreachable(r) => ("UNREACHABLE", r.clone(), t.style("host.error")),
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
    app: &App,
    styles: &SlotStyles,
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
    let t = &app.theme;
    let inner = boxed(buf, area, &node.name, t, focused);
    if inner.height < 3 || inner.width < 4 {
        return;
    }
    // Node header: state and uptime, then CPU / memory / disk bars.
    // A node of a host we cannot reach right now is drawn from the last picture: say so.
    let live = matches!(host.state, HostState::Online);
    let (glyph, st) = match (live, node.online) {
        (false, _) => ("▲ cached", t.style("host.stale")),
        (true, true) => ("● online", t.style("host.online")),
        (true, false) => ("○ offline", t.style("host.error")),
    };
    let mut x = put(buf, inner.x, inner.y, glyph, st, inner.width);
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
    let empty = t.style("bar.empty");
    let mut bx = inner.x;
    for (label, frac, key) in [
        ("C", node.cpu, "bar.cpu"),
        ("M", node.mem_fraction(), "bar.mem"),
        ("D", node.disk_fraction(), "bar.disk"),
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
    let start = app.scroll.get(ci).copied().unwrap_or(0);
    match app.zoom {
        Zoom::Heatmap => super::heatmap::heat(
            app,
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
                    Some(g) => slot(
                        app,
                        styles,
                        ci == app.sel_col && idx == app.sel_idx,
                        host,
                        node,
                        g,
                        zoom,
                        Rect::new(slots.x, y, slots.width, 1),
                        pulse,
                        buf,
                    ),
                    None => blank_panel(app, Rect::new(slots.x, y, slots.width, 1), buf),
                }
            }
        }
    }
    let total = col.guests.len();
    let per_page = match app.zoom {
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

pub(super) fn marked(app: &App, host: &Host, node: &Node, g: &Guest) -> bool {
    !app.marks.is_empty()
        && app
            .marks
            .iter()
            .any(|m| m.vmid == g.vmid && m.host == host.name && m.node == node.name)
}

#[allow(clippy::too_many_arguments)]
fn slot(
    app: &App,
    st: &SlotStyles,
    selected: bool,
    host: &Host,
    node: &Node,
    g: &Guest,
    zoom: Zoom,
    r: Rect,
    pulse: bool,
    buf: &mut Buffer,
) {
    let task = app.task_for(&host.name, g.vmid);
    let busy = task.is_some() || g.status == GuestStatus::Busy;
    let base = if selected { st.selection } else { st.text };
    buf.set_style(r, base);
    let over = |s: Style| {
        if selected {
            base.patch(fg_only(s)).fg(base.fg.unwrap_or_default())
        } else {
            s
        }
    };
    let mut led = st.led(if task.is_some() {
        GuestStatus::Busy
    } else {
        g.status
    });
    if busy && !pulse {
        led = led
            .add_modifier(Modifier::DIM)
            .remove_modifier(Modifier::BOLD);
    }
    let led = if selected {
        base.patch(fg_only(led))
    } else {
        led
    };
    let mut x = r.x;
    let glyph = led_glyph(
        if task.is_some() {
            GuestStatus::Busy
        } else {
            g.status
        },
        !busy || pulse,
    );
    if r.width > 0 {
        buf[(x, r.y)].set_char(glyph).set_style(led);
        x += 1;
    }
    let is_marked = marked(app, host, node, g);
    x = put(
        buf,
        x,
        r.y,
        if is_marked { "*" } else { " " },
        if is_marked { over(st.marked) } else { base },
        1,
    );
    // Formatted on the stack: this runs for every visible slot of every frame.
    let mut vmid_buf = [b' '; 12];
    let vmid = right_aligned(g.vmid, 4, &mut vmid_buf);
    x = put(buf, x, r.y, vmid, over(st.dim), r.right().saturating_sub(x));
    let name = crate::ui::sanitize_cow(&g.name);
    let right = r.right();
    if zoom == Zoom::Compact {
        put(
            buf,
            x,
            r.y,
            &name,
            if is_marked { over(st.marked) } else { base },
            right.saturating_sub(x),
        );
        return;
    }
    // Right part: kind, then CPU and memory bars (or the task's progress), ports, tags.
    let w = r.width;
    let extras = w >= 48;
    let bars_w: u16 = 2 + 1 + 11;
    // With room for extras the name gets a fixed column and ports/tags take the rest.
    let name_w = if extras {
        right
            .saturating_sub(x)
            .saturating_sub(bars_w + 16)
            .clamp(8, 22)
    } else {
        right.saturating_sub(x).saturating_sub(bars_w + 1)
    };
    put(
        buf,
        x,
        r.y,
        &name,
        if is_marked { over(st.marked) } else { base },
        name_w,
    );
    let mut tx = if extras {
        x + name_w + 1
    } else {
        right.saturating_sub(bars_w)
    };
    tx = put(buf, tx, r.y, g.kind.short(), over(st.kind), 2) + 1;
    match task {
        Some(task) => {
            let f = f64::from(task.fraction.unwrap_or(0.0));
            let pw = 7;
            bar_with(
                buf,
                tx,
                r.y,
                pw,
                f,
                over(st.progress),
                over(st.bar_empty),
                if selected { ' ' } else { '░' },
            );
            let pct = match task.fraction {
                Some(f) => format!("{:>3}%", (f * 100.0).round() as u32),
                None => format!(" {} ", spinner(app)),
            };
            tx = put(buf, tx + pw, r.y, &pct, over(st.progress), 4);
        }
        None => {
            let empty = over(st.bar_empty);
            let empty_char = if selected { ' ' } else { '░' };
            bar_with(
                buf,
                tx,
                r.y,
                5,
                if g.status == GuestStatus::Running {
                    g.cpu
                } else {
                    0.0
                },
                over(st.bar_cpu),
                empty,
                empty_char,
            );
            bar_with(
                buf,
                tx + 6,
                r.y,
                5,
                g.mem_fraction(),
                over(st.bar_mem),
                empty,
                empty_char,
            );
            tx += 11;
        }
    }
    if extras {
        tx += 1;
        let mut ex = tx;
        if let Some(ports) = (!app.app_ports.is_empty())
            .then(|| app.app_ports.get(&(host.name.clone(), g.vmid)))
            .flatten()
            .filter(|p| !p.is_empty())
        {
            ex = put(
                buf,
                ex,
                r.y,
                &format!(":{} ", ports[0]),
                over(st.port),
                right.saturating_sub(ex),
            );
        } else if let Some(a) = &g.app {
            ex = put(
                buf,
                ex,
                r.y,
                &crate::ui::sanitize_cow(a),
                over(st.port),
                right.saturating_sub(ex),
            ) + 1;
        }
        for tag in g
            .tags
            .iter()
            .filter(|t| !t.starts_with("px-app-") && *t != "proximity")
        {
            if ex >= right {
                break;
            }
            ex = put(buf, ex, r.y, "#", over(st.tag), right.saturating_sub(ex));
            ex = put(
                buf,
                ex,
                r.y,
                &crate::ui::sanitize_cow(tag),
                over(st.tag),
                right.saturating_sub(ex),
            ) + 1;
        }
    }
}

/// `n` right-aligned in `width` columns plus one space, written into `out` (no allocation).
fn right_aligned(n: u32, width: usize, out: &mut [u8; 12]) -> &str {
    let mut digits = [0u8; 10];
    let mut len = 0;
    let mut v = n;
    loop {
        digits[len] = b'0' + (v % 10) as u8;
        len += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let pad = width.saturating_sub(len);
    let total = pad + len + 1;
    for (i, slot) in out.iter_mut().enumerate().take(total) {
        *slot = if i < pad || i == total - 1 {
            b' '
        } else {
            digits[len - 1 - (i - pad)]
        };
    }
    std::str::from_utf8(&out[..total]).unwrap_or("")
}

/// Styles a slot uses, looked up once per slot instead of once per cell.
pub struct SlotStyles {
    pub(super) text: Style,
    pub(super) dim: Style,
    pub(super) selection: Style,
    pub(super) marked: Style,
    pub(super) kind: Style,
    pub(super) progress: Style,
    pub(super) bar_empty: Style,
    pub(super) bar_cpu: Style,
    pub(super) bar_mem: Style,
    pub(super) port: Style,
    pub(super) tag: Style,
    pub(super) leds: [Style; 6],
}

impl SlotStyles {
    pub fn new(t: &crate::ui::theme::Theme) -> SlotStyles {
        SlotStyles {
            text: t.text(),
            dim: t.dim(),
            selection: t.style("selection"),
            marked: t.style("marked"),
            kind: t.style("kind"),
            progress: t.style("progress"),
            bar_empty: t.style("bar.empty"),
            bar_cpu: t.style("bar.cpu"),
            bar_mem: t.style("bar.mem"),
            port: t.style("port"),
            tag: t.style("tag"),
            leds: GuestStatus::ALL.map(|s| t.led(s)),
        }
    }

    pub(super) fn led(&self, s: GuestStatus) -> Style {
        self.leds[GuestStatus::ALL.iter().position(|x| *x == s).unwrap_or(0)]
    }
}

/// Empty capacity: a blank panel with its two rack screws.
fn blank_panel(app: &App, r: Rect, buf: &mut Buffer) {
    let s = app.theme.style("blank");
    let r = r.intersection(buf.area);
    if r.width < 2 {
        return;
    }
    for x in r.x + 1..r.right() - 1 {
        buf[(x, r.y)].set_char('─').set_style(s);
    }
    buf[(r.x, r.y)].set_char('◦').set_style(s);
    buf[(r.right() - 1, r.y)].set_char('◦').set_style(s);
}
