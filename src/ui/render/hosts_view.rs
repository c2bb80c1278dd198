//! Drawing the hosts screen: one row per configured endpoint with its state, and the
//! selected host's TLS trust on the last line.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{boxed, put};
use crate::inventory::HostState;
use crate::ui::action::Action;
use crate::ui::hosts_view::HostsView;
use crate::ui::keymap::Context;
use crate::ui::layer::LayerCtx;
use crate::ui::theme::ThemeKey;

pub fn draw(view: &HostsView, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    let t = ctx.theme;
    let sel = view.selected_index(ctx.hosts.len());
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
    if ctx.hosts.is_empty() {
        let key = ctx
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
    for (i, h) in ctx.hosts.iter().enumerate() {
        let y = inner.y + 1 + i as u16;
        if y >= inner.bottom() {
            break;
        }
        let selected = i == sel;
        let base = if selected {
            t.style(ThemeKey::Selection)
        } else {
            t.text()
        };
        buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
        let line = row_text(&h.name, &h.url, &h.token_id);
        let x = put(buf, inner.x + 1, y, &line, base, w);
        let (state, style) = match ctx.inventory.host(&h.name).map(|h| &h.state) {
            Some(HostState::Online) => ("● online".to_string(), t.style(ThemeKey::HostOnline)),
            Some(HostState::AuthFailed) => {
                ("✖ auth failed".to_string(), t.style(ThemeKey::HostError))
            }
            Some(HostState::Unreachable(r)) => (format!("✖ {r}"), t.style(ThemeKey::HostError)),
            Some(HostState::Stale { since }) => (
                format!("▲ stale {}", super::widgets::age(ctx.now, *since)),
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
    if let Some(h) = ctx.hosts.get(sel) {
        let y = inner.bottom().saturating_sub(1);
        let fp = h
            .fingerprint
            .as_deref()
            .unwrap_or("system trust store (CA-signed)");
        put(buf, inner.x + 1, y, &format!("TLS: {fp}"), t.dim(), w);
    }
}
