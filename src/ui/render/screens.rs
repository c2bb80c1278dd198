//! Full screens besides the rack: hosts (endpoints and their state) and onboarding (no host
//! configured yet).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{boxed, put};
use crate::inventory::HostState;
use crate::ui::action::Action;
use crate::ui::app::App;
use crate::ui::keymap::Context;
use crate::ui::theme::ThemeKey;

pub fn hosts(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let inner = boxed(buf, area, "hosts", t, true);
    if inner.height < 2 {
        return;
    }
    let w = inner.width.saturating_sub(2);
    // Below 110 columns the token column gives way so the state stays visible.
    let wide = inner.width >= 110;
    let row_text = |name: &str, url: &str, token: &str| {
        if wide {
            format!("{name:<16} {url:<34} {token:<24} ")
        } else {
            format!("{name:<12} {url:<30} ")
        }
    };
    let header = format!("{}STATE", row_text("NAME", "URL", "TOKEN"));
    put(
        buf,
        inner.x + 1,
        inner.y,
        &header,
        t.style(ThemeKey::Title),
        w,
    );
    if app.hosts.is_empty() {
        let key = app
            .keymap
            .keys_for(Context::Hosts, Action::AddHost)
            .first()
            .cloned()
            .unwrap_or_default();
        put(
            buf,
            inner.x + 1,
            inner.y + 2,
            &format!("No hosts yet. Press {key} to add one."),
            t.dim(),
            w,
        );
        return;
    }
    for (i, h) in app.hosts.iter().enumerate() {
        let y = inner.y + 1 + i as u16;
        if y >= inner.bottom() {
            break;
        }
        let selected = i == app.host_sel;
        let base = if selected {
            t.style(ThemeKey::Selection)
        } else {
            t.text()
        };
        buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
        let line = row_text(&h.name, &h.url, &h.token_id);
        let x = put(buf, inner.x + 1, y, &line, base, w);
        let (state, style) = match app.inventory.host(&h.name).map(|h| &h.state) {
            Some(HostState::Online) => ("● online".to_string(), t.style(ThemeKey::HostOnline)),
            Some(HostState::AuthFailed) => {
                ("✖ auth failed".to_string(), t.style(ThemeKey::HostError))
            }
            Some(HostState::Unreachable(r)) => (format!("✖ {r}"), t.style(ThemeKey::HostError)),
            Some(HostState::Stale { since }) => (
                format!("▲ stale {}", super::widgets::age(app.now, *since)),
                t.style(ThemeKey::HostStale),
            ),
            _ => ("◌ connecting".to_string(), t.dim()),
        };
        let style = if selected {
            base.patch(super::fg_only(style))
        } else {
            style
        };
        put(
            buf,
            x,
            y,
            &state,
            style,
            inner.right().saturating_sub(x + 1),
        );
    }
    if let Some(h) = app.hosts.get(app.host_sel) {
        let y = inner.bottom().saturating_sub(1);
        let fp = h
            .fingerprint
            .as_deref()
            .unwrap_or("system trust store (CA-signed)");
        put(buf, inner.x + 1, y, &format!("TLS: {fp}"), t.dim(), w);
    }
}

pub fn onboarding(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let w = 60.min(area.width);
    let h = 12.min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    let inner = boxed(buf, r, "welcome to proximity", t, true);
    let iw = inner.width.saturating_sub(2);
    let lines = [
        ("Your Proxmox hosts, drawn as racks.", t.text()),
        ("", t.text()),
        ("No host is configured yet.", t.dim()),
    ];
    for (i, (s, st)) in lines.iter().enumerate() {
        put(buf, inner.x + 1, inner.y + 1 + i as u16, s, *st, iw);
    }
    let add = app
        .keymap
        .keys_for(Context::Onboarding, Action::AddHost)
        .first()
        .cloned()
        .unwrap_or_default();
    let demo = app
        .keymap
        .keys_for(Context::Onboarding, Action::Demo)
        .first()
        .cloned()
        .unwrap_or_default();
    let y = inner.y + 5;
    let x = put(
        buf,
        inner.x + 1,
        y,
        &format!(" {add} "),
        t.style(ThemeKey::Selection),
        iw,
    );
    put(
        buf,
        x + 1,
        y,
        "add a Proxmox host (URL + API token)",
        t.text(),
        inner.right().saturating_sub(x + 2),
    );
    let x = put(
        buf,
        inner.x + 1,
        y + 2,
        &format!(" {demo} "),
        t.style(ThemeKey::Selection),
        iw,
    );
    put(
        buf,
        x + 1,
        y + 2,
        "start the demo (an emulated cluster)",
        t.text(),
        inner.right().saturating_sub(x + 2),
    );
}
