//! The detail panel for the selection: identity, state, resources with bars, tags, app and
//! ports, IPs and config (from `GuestDetail` events) and an hour of CPU, memory, network
//! and disk I/O as one-row sparklines (from the app's metrics cache, filled when the panel
//! opens: never fetched per frame).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{bar, boxed, bytes, duration, put};
use crate::ui::rack_model::RackModel;
use crate::ui::rack_state::{Pane, Rack};
use crate::ui::theme::ThemeKey;

pub fn draw(rack: &Rack, model: &RackModel, area: Rect, buf: &mut Buffer) {
    let t = model.theme;
    let focused = rack.focus == Pane::Detail;
    let Some((host, node, g)) = rack.selected(model.inventory) else {
        let inner = boxed(buf, area, "details", t, focused);
        put(
            buf,
            inner.x + 1,
            inner.y + 1,
            "nothing selected",
            t.dim(),
            inner.width.saturating_sub(2),
        );
        return;
    };
    let title = format!("{} {}", g.vmid, crate::text::clean(&g.name));
    let inner = boxed(buf, area, &title, t, focused);
    if inner.width < 10 || inner.height < 3 {
        return;
    }
    let x0 = inner.x + 1;
    let w = inner.width.saturating_sub(2);
    let mut y = inner.y;
    let key_w = 9u16;
    let row = |buf: &mut Buffer, label: &str, value: &str, style, y: &mut u16| {
        if *y >= inner.bottom() {
            return;
        }
        put(buf, x0, *y, label, t.dim(), key_w);
        put(buf, x0 + key_w, *y, value, style, w.saturating_sub(key_w));
        *y += 1;
    };
    let status = match &g.lock {
        Some(l) => format!("{} (lock: {})", g.status.name(), crate::text::clean(l)),
        None => g.status.name().to_string(),
    };
    row(buf, "status", &status, t.led(g.status), &mut y);
    let kind = if g.template {
        format!("{} template", g.kind.short())
    } else {
        g.kind.short().to_string()
    };
    row(buf, "kind", &kind, t.text(), &mut y);
    row(
        buf,
        "where",
        &format!("{host} / {}", node.name),
        t.text(),
        &mut y,
    );
    let up = if g.uptime_s > 0 {
        duration(g.uptime_s)
    } else {
        "-".into()
    };
    row(buf, "uptime", &up, t.text(), &mut y);
    if let Some(task) = model.task_for(host, g.vmid) {
        let p = task
            .fraction
            .map(|f| format!(" {:.0}%", f * 100.0))
            .unwrap_or_default();
        row(
            buf,
            "task",
            &format!("{}{p}", task.label),
            t.style(ThemeKey::Progress),
            &mut y,
        );
    }
    // Resource bars.
    let bar_w = w.saturating_sub(key_w + 12).clamp(4, 30);
    for (label, frac, text, key) in [
        (
            "cpu",
            g.cpu,
            format!("{:.0}% of {}", g.cpu * 100.0, g.maxcpu),
            ThemeKey::BarCpu,
        ),
        (
            "memory",
            g.mem_fraction(),
            format!("{}/{}", bytes(g.mem), bytes(g.maxmem)),
            ThemeKey::BarMem,
        ),
        (
            "disk",
            if g.maxdisk == 0 {
                0.0
            } else {
                g.disk as f64 / g.maxdisk as f64
            },
            bytes(g.maxdisk),
            ThemeKey::BarDisk,
        ),
    ] {
        if y >= inner.bottom() {
            return;
        }
        put(buf, x0, y, label, t.dim(), key_w);
        bar(
            buf,
            x0 + key_w,
            y,
            bar_w,
            frac,
            t.style(key),
            t.style(ThemeKey::BarEmpty),
        );
        put(
            buf,
            x0 + key_w + bar_w + 1,
            y,
            &text,
            t.text(),
            w.saturating_sub(key_w + bar_w + 1),
        );
        y += 1;
    }
    let tags: Vec<String> = g
        .tags
        .iter()
        .map(|t| format!("#{}", crate::text::clean(t)))
        .collect();
    if !tags.is_empty() {
        row(buf, "tags", &tags.join(" "), t.style(ThemeKey::Tag), &mut y);
    }
    if let Some(a) = &g.app {
        let ports = model
            .app_ports
            .get(&(host.to_string(), g.vmid))
            .map(|p| {
                p.iter()
                    .map(|p| format!(":{p}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        row(
            buf,
            "app",
            &format!("{} {ports}", crate::text::clean(a)),
            t.style(ThemeKey::Port),
            &mut y,
        );
    }
    let extra = model.extra.get(&(host.to_string(), g.vmid));
    if let Some(e) = extra
        && !e.ips.is_empty()
    {
        row(buf, "ip", &e.ips.join(", "), t.text(), &mut y);
    }
    if let Some(Some(last)) = extra.map(|e| e.last_backup) {
        let (text, style) = super::backups_view::last_backup_cell(model.now, last, t);
        row(buf, "backup", &text, style, &mut y);
    }
    // The metrics may come before or without the config (a VM has no container config).
    y = super::detail_sparklines::draw(model, host, &node.name, g, (x0, w), y, inner.bottom(), buf);
    if let Some(e) = extra {
        if !e.config.is_empty() && y + 1 < inner.bottom() {
            put(buf, x0, y, "config", t.style(ThemeKey::Title), w);
            y += 1;
            // Sized by the keys that fit on screen, not ones cut off below.
            let shown = usize::from(inner.bottom().saturating_sub(y));
            let keys = e.config.iter().take(shown).map(|(k, _)| k.as_str());
            let cfg_w = config_key_width(keys, key_w, w);
            for (k, v) in &e.config {
                if y >= inner.bottom() {
                    break;
                }
                put(buf, x0, y, &fit_key(k, cfg_w), t.dim(), cfg_w);
                put(buf, x0 + cfg_w, y, v, t.text(), w.saturating_sub(cfg_w));
                y += 1;
            }
        }
    } else if y < inner.bottom() {
        put(buf, x0, y + 1, "loading config and metrics…", t.dim(), w);
    }
}

/// Config keys (`unprivileged`, `lxc.cgroup2.devices.allow`) are longer than the panel's
/// labels: the column grows to the longest key plus a space, up to 18 cells or half the
/// panel, so values keep most of the width.
fn config_key_width<'a>(keys: impl Iterator<Item = &'a str>, min: u16, panel: u16) -> u16 {
    let longest = keys.map(|k| k.chars().count()).max().unwrap_or(0);
    let want = u16::try_from(longest + 1).unwrap_or(u16::MAX);
    let cap = (panel / 2).clamp(min, 18);
    want.clamp(min, cap)
}

/// A key cut to its column with `…`, always leaving the space before the value.
fn fit_key(key: &str, width: u16) -> String {
    let room = usize::from(width.saturating_sub(1));
    if key.chars().count() <= room {
        return key.to_string();
    }
    let mut cut: String = key.chars().take(room.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keys_never_touch_their_values() {
        let keys = ["cores", "unprivileged"];
        assert_eq!(config_key_width(keys.into_iter(), 9, 60), 13);
        assert_eq!(config_key_width(["a"].into_iter(), 9, 60), 9);
        let long = ["lxc.cgroup2.devices.allow"];
        let w = config_key_width(long.into_iter(), 9, 60);
        assert_eq!(w, 18);
        let shown = fit_key(long[0], w);
        assert_eq!(shown, "lxc.cgroup2.devi…");
        assert!(
            shown.chars().count() < usize::from(w),
            "a space before the value"
        );
        assert_eq!(fit_key("unprivileged", 13), "unprivileged");
        // A narrow panel caps the column at its minimum and still cuts with `…`.
        assert_eq!(config_key_width(keys.into_iter(), 9, 14), 9);
        assert_eq!(fit_key("unprivileged", 9), "unprivi…");
    }
}
