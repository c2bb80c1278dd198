//! Deployments still without a slot, drawn on the bottom edge of their node's rack:
//! `◉ deploying whoami ▕███░░▏ pulling images`. The edge is always on screen whatever the
//! rack's scroll, and costs one line per visible rack. A deployment not yet placed sits on
//! its host's first node (or, host unknown too, the first host's), until its log says where
//! it went; one whose container appears on the rack leaves the edge for its own slot.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{bar, put};
use crate::inventory::{Host, Node};
use crate::ui::app::App;
use crate::ui::deploy_jobs::PendingDeploy;
use crate::ui::theme::ThemeKey;

/// Whether `p` is drawn on `node` of `host`.
fn belongs(app: &App, p: &PendingDeploy, host: &Host, node: &Node) -> bool {
    let first_node = host.nodes.first().is_some_and(|n| n.name == node.name);
    match (p.host.as_str(), p.node.as_str()) {
        (h, n) if !n.is_empty() => (h.is_empty() || h == host.name) && n == node.name,
        ("", _) => {
            first_node
                && app
                    .inventory
                    .hosts
                    .first()
                    .is_some_and(|h| h.name == host.name)
        }
        (h, _) => h == host.name && first_node,
    }
}

/// The pending deployments of this rack on its bottom border (`area` is the rack's box).
pub fn rack_edge(app: &App, host: &Host, node: &Node, area: Rect, buf: &mut Buffer) {
    if area.height < 3 || area.width < 12 {
        return;
    }
    let mut mine = app
        .pending_deploys()
        .filter(|p| belongs(app, p, host, node));
    let Some(first) = mine.next() else { return };
    let more = mine.count();
    let t = &app.theme;
    let y = area.bottom() - 1;
    let right = area.right().saturating_sub(2);
    let glyph = if super::rack::pulse_on(app) {
        "◉"
    } else {
        "◌"
    };
    let mut x = area.x + 2;
    x = put(
        buf,
        x,
        y,
        glyph,
        t.style(ThemeKey::LedBusy),
        right.saturating_sub(x),
    );
    let name = if first.name.is_empty() {
        first.job.to_string()
    } else {
        first.name.clone()
    };
    x = put(
        buf,
        x,
        y,
        &format!(" deploying {name} "),
        t.text(),
        right.saturating_sub(x),
    );
    let bar_w = 6u16.min(right.saturating_sub(x));
    bar(
        buf,
        x,
        y,
        bar_w,
        f64::from(first.fraction),
        t.style(ThemeKey::Progress),
        t.style(ThemeKey::BarEmpty),
    );
    x += bar_w;
    let tail = if more > 0 {
        format!(" {} · +{more}", first.label)
    } else {
        format!(" {} ", first.label)
    };
    put(buf, x, y, &tail, t.dim(), right.saturating_sub(x));
}
