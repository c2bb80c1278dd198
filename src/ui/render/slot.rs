//! One 1U slot of a rack (detailed or compact): LED, mark, vmid, name, kind, CPU and memory
//! bars or the task's progress, app ports and tags, the last backup's age; and the blank
//! panel of empty capacity.
//! Runs for every visible row of every frame, so it avoids allocation and style lookups.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};

use super::fg_only;
use super::rack::{led_glyph, spinner};
use super::widgets::{bar_with, put};
use crate::inventory::{Guest, GuestStatus, Host, Node};
use crate::ui::rack_model::RackModel;
use crate::ui::rack_state::Rack;
use crate::ui::theme::ThemeKey;
use crate::ui::view::Zoom;

pub(super) fn marked(rack: &Rack, host: &Host, node: &Node, g: &Guest) -> bool {
    !rack.marks.is_empty()
        && rack
            .marks
            .iter()
            .any(|m| m.vmid == g.vmid && m.host == host.name && m.node == node.name)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn slot(
    rack: &Rack,
    model: &RackModel,
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
    let task = model.task_for(&host.name, g.vmid);
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
    let mut glyph = led_glyph(
        if task.is_some() {
            GuestStatus::Busy
        } else {
            g.status
        },
        !busy || pulse,
    );
    // An alert lights the LED (a task's pulse still wins: it says what is being done).
    let alert = (task.is_none() && !model.alerts.firing.is_empty())
        .then(|| model.alerts.guest_alert(&host.name, g.vmid))
        .flatten();
    let led = match alert {
        Some(_) if selected => base.patch(fg_only(st.led_alert)),
        Some(_) => st.led_alert,
        None => led,
    };
    if alert.is_some() {
        glyph = '!';
    }
    if r.width > 0 {
        buf[(x, r.y)].set_char(glyph).set_style(led);
        x += 1;
    }
    let is_marked = marked(rack, host, node, g);
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
    let name = crate::text::clean(&g.name);
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
                None => format!(" {} ", spinner(model)),
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
        // The last backup's age at the right edge, when the slot has room; ports and tags
        // stop before it.
        let mut limit = right;
        if w >= BACKUP_AGE_MIN_WIDTH
            && let Some(at) = (!model.backup_times.is_empty())
                .then(|| model.backup_times.get(host.name.as_str()))
                .flatten()
                .and_then(|m| m.get(&g.vmid))
        {
            let age_s = epoch_s(model.now).saturating_sub(*at);
            let max_s = model.alerts.config.for_host(&host.name).backup_max_age_s;
            let style = if age_s > max_s {
                over(st.backup_stale)
            } else {
                over(st.dim)
            };
            let mut age_buf = [b' '; 8];
            let text = short_age(age_s, &mut age_buf);
            let at_x = right.saturating_sub(text.len() as u16);
            put(buf, at_x, r.y, text, style, right.saturating_sub(at_x));
            limit = at_x.saturating_sub(1);
        }
        // A managed app's last health check: ♥ answers, ✗ does not.
        if let Some(h) = (!model.alerts.health.is_empty())
            .then(|| model.alerts.health_of(&host.name, g.vmid))
            .flatten()
        {
            let (mark, style) = if h.healthy {
                ("♥", over(st.leds[0]))
            } else {
                ("✗", over(st.led_alert))
            };
            ex = put(buf, ex, r.y, mark, style, limit.saturating_sub(ex));
        }
        if let Some(ports) = (!model.app_ports.is_empty())
            .then(|| model.app_ports.get(&(host.name.clone(), g.vmid)))
            .flatten()
            .filter(|p| !p.is_empty())
        {
            ex = put(
                buf,
                ex,
                r.y,
                &format!(":{} ", ports[0]),
                over(st.port),
                limit.saturating_sub(ex),
            );
        } else if let Some(a) = &g.app {
            ex = put(
                buf,
                ex,
                r.y,
                &crate::text::clean(a),
                over(st.port),
                limit.saturating_sub(ex),
            ) + 1;
        }
        for tag in g
            .tags
            .iter()
            .filter(|t| !t.starts_with("px-app-") && *t != "proximity")
        {
            if ex >= limit {
                break;
            }
            ex = put(buf, ex, r.y, "#", over(st.tag), limit.saturating_sub(ex));
            ex = put(
                buf,
                ex,
                r.y,
                &crate::text::clean(tag),
                over(st.tag),
                limit.saturating_sub(ex),
            ) + 1;
        }
    }
}

/// Slots at least this wide show the last backup's age (narrower ones keep the room for
/// the name, bars and ports).
pub const BACKUP_AGE_MIN_WIDTH: u16 = 56;

fn epoch_s(now: std::time::SystemTime) -> u64 {
    now.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `45m`, `5h`, `2d`, `3w` (at most 4 bytes for ages under 200 years), written into `out`
/// (no allocation: this runs for every visible slot of every frame).
pub fn short_age(secs: u64, out: &mut [u8; 8]) -> &str {
    let (n, unit) = match secs {
        0..3600 => (secs / 60, b'm'),
        3600..86_400 => (secs / 3600, b'h'),
        86_400..1_209_600 => (secs / 86_400, b'd'),
        _ => (secs / 604_800, b'w'),
    };
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut v = n;
    loop {
        digits[len] = b'0' + (v % 10) as u8;
        len += 1;
        v /= 10;
        if v == 0 || len == out.len() - 1 {
            break;
        }
    }
    for (o, d) in out.iter_mut().zip(digits[..len].iter().rev()) {
        *o = *d;
    }
    out[len] = unit;
    std::str::from_utf8(&out[..=len]).unwrap_or("")
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
    pub(super) led_alert: Style,
    pub(super) backup_stale: Style,
}

impl SlotStyles {
    pub fn new(t: &crate::ui::theme::Theme) -> SlotStyles {
        SlotStyles {
            text: t.text(),
            dim: t.dim(),
            selection: t.style(ThemeKey::Selection),
            marked: t.style(ThemeKey::Marked),
            kind: t.style(ThemeKey::Kind),
            progress: t.style(ThemeKey::Progress),
            bar_empty: t.style(ThemeKey::BarEmpty),
            bar_cpu: t.style(ThemeKey::BarCpu),
            bar_mem: t.style(ThemeKey::BarMem),
            port: t.style(ThemeKey::Port),
            tag: t.style(ThemeKey::Tag),
            leds: GuestStatus::ALL.map(|s| t.led(s)),
            led_alert: t.style(ThemeKey::LedAlert),
            backup_stale: t.style(ThemeKey::BackupStale),
        }
    }

    pub(super) fn led(&self, s: GuestStatus) -> Style {
        self.leds[GuestStatus::ALL.iter().position(|x| *x == s).unwrap_or(0)]
    }
}

/// Empty capacity: a blank panel with its two rack screws.
pub(super) fn blank_panel(model: &RackModel, r: Rect, buf: &mut Buffer) {
    let s = model.theme.style(ThemeKey::Blank);
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
