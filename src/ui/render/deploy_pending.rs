//! Deployments still without a slot, drawn on the bottom edge of their node's rack:
//! `◉ deploying whoami ▕███░░▏ pulling images`. The edge is always on screen whatever the
//! rack's scroll, and costs one line per visible rack. A deployment not yet placed sits on
//! the first visible rack of its host (or any), as does one whose rack is scrolled off or
//! filtered out, naming its node; one whose container appears on the rack leaves the edge
//! for its own slot.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{bar, put};
use crate::inventory::Node;
use crate::ui::deploy_jobs::PendingDeploy;
use crate::ui::rack_model::RackModel;
use crate::ui::rack_state::Rack;
use crate::ui::theme::ThemeKey;

/// The visible rack column `p` is drawn on: its node's, else the first visible rack of
/// its host, else the first visible rack (so it is on screen whatever the scroll or the
/// terminal's width).
fn home_col(rack: &Rack, model: &RackModel, p: &PendingDeploy) -> Option<usize> {
    let vis = model.visible_cols;
    let end = (rack.col_offset + vis).min(rack.view.cols.len());
    let names = |ci: usize| {
        let c = rack.view.cols.get(ci)?;
        let h = model.inventory.hosts.get(c.host)?;
        let n = h.nodes.get(c.node?)?;
        Some((h.name.as_str(), n.name.as_str()))
    };
    let host_ok = |h: &str| p.host.is_empty() || p.host == h;
    let visible = rack.col_offset..end;
    visible
        .clone()
        .find(|ci| names(*ci).is_some_and(|(h, n)| host_ok(h) && !p.node.is_empty() && p.node == n))
        .or_else(|| {
            visible
                .clone()
                .find(|ci| names(*ci).is_some_and(|(h, _)| host_ok(h)))
        })
        .or_else(|| visible.clone().find(|ci| names(*ci).is_some()))
}

/// The pending deployments of this rack on its bottom border (`area` is the rack's box).
pub fn rack_edge(
    rack: &Rack,
    model: &RackModel,
    ci: usize,
    node: &Node,
    area: Rect,
    buf: &mut Buffer,
) {
    if area.height < 3 || area.width < 12 {
        return;
    }
    let mut mine = model
        .pending_deploys()
        .filter(|p| home_col(rack, model, p) == Some(ci));
    let Some(first) = mine.next() else { return };
    let more = mine.count();
    let t = model.theme;
    let y = area.bottom() - 1;
    let right = area.right().saturating_sub(2);
    let glyph = if super::rack::pulse_on(model) {
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
    let mut name = if first.name.is_empty() {
        first.job.to_string()
    } else {
        first.name.clone()
    };
    // Drawn on another rack than its own: say where it goes.
    if !first.node.is_empty() && first.node != node.name {
        name = format!("{name} → {}", first.node);
    }
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
