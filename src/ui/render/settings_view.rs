//! Drawing the settings screen: the list of themes and switches (scrolled to the cursor)
//! on the left, and a preview of the highlighted theme on the right.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::rack::led_glyph;
use super::widgets::{bar_with, boxed, put};
use crate::inventory::GuestStatus;
use crate::ui::layer::LayerCtx;
use crate::ui::settings::{
    SettingsItem, SettingsRow, list_width, settings_items, settings_rows, settings_scroll,
};
use crate::ui::settings_view::SettingsView;
use crate::ui::theme::ThemeKey;

pub fn draw(view: &SettingsView, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    let t = ctx.theme;
    let list_w = list_width(area.width);
    let list = Rect {
        width: list_w,
        ..area
    };
    let preview = Rect {
        x: area.x + list_w,
        width: area.width - list_w,
        ..area
    };
    let inner = boxed(buf, list, "settings", t, true);
    let items = settings_items(ctx.themes, ctx.alerts, ctx.hosts);
    let sel = view.selected_index(items.len());
    let rows = settings_rows(&items);
    let first = settings_scroll(&rows, sel, inner.height);
    let w = inner.width.saturating_sub(2);
    for (y, row) in (inner.y..inner.bottom()).zip(rows.iter().skip(first)) {
        let i = match row {
            SettingsRow::Gap => continue,
            SettingsRow::Section(title) => {
                put(buf, inner.x + 1, y, title, t.style(ThemeKey::Title), w);
                continue;
            }
            SettingsRow::Item(i) => *i,
        };
        let selected = i == sel;
        let base = if selected {
            t.style(ThemeKey::Selection)
        } else {
            t.text()
        };
        buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
        // On the selected row the highlight wins; elsewhere a switch's box takes its color.
        let boxed_style = |on: bool| {
            let s = t.style(if on {
                ThemeKey::SwitchOn
            } else {
                ThemeKey::SwitchOff
            });
            if selected {
                base.patch(super::fg_only(s))
            } else {
                s
            }
        };
        let right = inner.right().saturating_sub(1);
        match &items[i] {
            SettingsItem::Theme(name) => {
                let mark = if *name == ctx.saved_theme { "✔" } else { " " };
                put(buf, inner.x + 1, y, &format!("{mark} {name}"), base, w);
            }
            SettingsItem::RecordHost(host) => {
                let on = ctx.recording.host(host);
                let x = put(buf, inner.x + 1, y, checkbox(on), boxed_style(on), w);
                let x = put(buf, x + 1, y, host, base, right.saturating_sub(x + 1));
                // Audit records this host anyway: say so rather than show a misleading off.
                if !on && ctx.recording.audit {
                    let note_style = if selected { base } else { t.dim() };
                    put(
                        buf,
                        x + 1,
                        y,
                        "(audit)",
                        note_style,
                        right.saturating_sub(x + 1),
                    );
                }
            }
            SettingsItem::AlertRule(rule) => {
                let (on, label) = ctx.alerts.rule_setting(*rule);
                let x = put(buf, inner.x + 1, y, checkbox(on), boxed_style(on), w);
                put(buf, x + 1, y, &label, base, right.saturating_sub(x + 1));
            }
            SettingsItem::EditThresholds => {
                put(buf, inner.x + 1, y, "▶ thresholds per host/app…", base, w);
            }
            SettingsItem::TestNotify => {
                put(buf, inner.x + 1, y, "▶ send a test notification", base, w);
            }
            SettingsItem::Audit => {
                let on = ctx.recording.audit;
                let x = put(buf, inner.x + 1, y, checkbox(on), boxed_style(on), w);
                put(
                    buf,
                    x + 1,
                    y,
                    "record every session",
                    base,
                    right.saturating_sub(x + 1),
                );
            }
        }
    }
    let pi = boxed(buf, preview, &format!("preview · {}", t.name), t, false);
    if pi.height < 4 || pi.width < 20 {
        return;
    }
    let w = pi.width.saturating_sub(2);
    let x0 = pi.x + 1;
    buf.set_style(Rect::new(x0, pi.y, w, 1), t.style(ThemeKey::Lcd));
    put(
        buf,
        x0,
        pi.y,
        " SYSTEM: NOMINAL  hosts 1  nodes 2  guests 6",
        t.style(ThemeKey::Lcd),
        w,
    );
    let samples = [
        (
            GuestStatus::Running,
            101,
            "jellyfin",
            0.42,
            0.61,
            Some("#media"),
        ),
        (GuestStatus::Stopped, 102, "backup-box", 0.0, 0.0, None),
        (GuestStatus::Paused, 103, "win11", 0.0, 0.8, None),
        (GuestStatus::Busy, 104, "deploying", 0.7, 0.3, Some("#new")),
        (GuestStatus::Error, 105, "broken-vm", 0.0, 0.1, None),
        (GuestStatus::Unknown, 106, "mystery", 0.0, 0.0, None),
    ];
    for (i, (status, vmid, name, cpu, mem, tag)) in samples.iter().enumerate() {
        let y = pi.y + 2 + i as u16;
        if y >= pi.bottom() {
            return;
        }
        let base = if i == 0 {
            t.style(ThemeKey::Selection)
        } else {
            t.text()
        };
        buf.set_style(Rect::new(x0, y, w, 1), base);
        let mut x = put(
            buf,
            x0,
            y,
            &led_glyph(*status, true).to_string(),
            if i == 0 {
                base.patch(super::fg_only(t.led(*status)))
            } else {
                t.led(*status)
            },
            1,
        );
        x = put(
            buf,
            x + 1,
            y,
            &format!("{vmid} {name:<12}"),
            base,
            w.saturating_sub(x - x0),
        );
        // The selected sample shows what a selected slot looks like: one solid highlight.
        let selected = i == 0;
        let (cpu_s, mem_s, empty_s, tag_s, empty_c) = if selected {
            (base, base, base, base, ' ')
        } else {
            (
                t.style(ThemeKey::BarCpu),
                t.style(ThemeKey::BarMem),
                t.style(ThemeKey::BarEmpty),
                t.style(ThemeKey::Tag),
                '░',
            )
        };
        bar_with(buf, x + 1, y, 6, *cpu, cpu_s, empty_s, empty_c);
        bar_with(buf, x + 8, y, 6, *mem, mem_s, empty_s, empty_c);
        if let Some(tag) = tag {
            put(
                buf,
                x + 15,
                y,
                tag,
                tag_s,
                pi.right().saturating_sub(x + 16),
            );
        }
    }
    let y = pi.y + 9;
    if y + 2 < pi.bottom() {
        let s = put(buf, x0, y, " saved ", t.style(ThemeKey::ToastOk), w);
        let s = put(buf, s + 1, y, " failed ", t.style(ThemeKey::ToastError), w);
        put(buf, s + 1, y, " info ", t.style(ThemeKey::ToastInfo), w);
        let depth = format!("colors: {:?}", t.depth);
        put(buf, x0, y + 2, &depth, t.dim(), w);
    }
}

/// A switch as drawn: the state is in the glyph, not only in the color (NO_COLOR).
fn checkbox(on: bool) -> &'static str {
    if on { "[x]" } else { "[ ]" }
}
