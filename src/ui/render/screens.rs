//! Full screens besides the rack: hosts (endpoints and their state) and onboarding (no host
//! configured yet).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{boxed, put};
use crate::ui::action::Action;
use crate::ui::app::App;
use crate::ui::keymap::Context;
use crate::ui::theme::ThemeKey;

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
