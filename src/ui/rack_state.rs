//! `Rack`: the rack screen's own state (the filtered view, the selection, scrolling, zoom,
//! the filter line, marks, the detail panel and which pane has focus) and the movement that
//! changes it. The inventory it points into stays the app's shared model, so every method
//! that needs a guest takes it; the area it lays itself out in depends on what else is on
//! screen (a console or logs beside it), so the caller passes it.

use std::collections::BTreeSet;

use ratatui::layout::Rect;

use super::action::GuestRef;
use super::view::{RackGeometry, RackView, Zoom, rack_geometry, screen_layout};
use crate::inventory::{Filter, Guest, GuestStatus, Inventory, Node};

/// Which of the rack screen's panes has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Rack,
    Detail,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rack {
    pub view: RackView,
    pub filter_text: String,
    pub filter_editing: bool,
    pub zoom: Zoom,
    pub focus: Pane,
    pub detail_open: bool,
    pub sel_col: usize,
    pub sel_idx: usize,
    pub col_offset: usize,
    /// First visible guest index per rack column.
    pub scroll: Vec<usize>,
    pub marks: BTreeSet<GuestRef>,
    /// The guest the selection should return to when a filter stops hiding it.
    pub anchor: Option<GuestRef>,
}

impl Default for Rack {
    fn default() -> Rack {
        Rack {
            view: RackView::default(),
            filter_text: String::new(),
            filter_editing: false,
            zoom: Zoom::Detailed,
            focus: Pane::Rack,
            detail_open: false,
            sel_col: 0,
            sel_idx: 0,
            col_offset: 0,
            scroll: Vec::new(),
            marks: BTreeSet::new(),
            anchor: None,
        }
    }
}

impl Rack {
    /// The racks' layout inside `area` (the rack screen's part of the terminal).
    pub fn geometry(&self, area: Rect) -> RackGeometry {
        let layout = screen_layout(area, self.detail_open, self.focus == Pane::Detail);
        rack_geometry(layout.racks, self.zoom, self.view.cols.len())
    }

    pub fn col_node<'a>(&self, inv: &'a Inventory, col: usize) -> Option<&'a Node> {
        let c = self.view.cols.get(col)?;
        inv.hosts.get(c.host)?.nodes.get(c.node?)
    }

    /// The selected guest with its host and node names.
    pub fn selected<'a>(&self, inv: &'a Inventory) -> Option<(&'a str, &'a Node, &'a Guest)> {
        let c = self.view.cols.get(self.sel_col)?;
        let h = inv.hosts.get(c.host)?;
        let n = h.nodes.get(c.node?)?;
        let g = n.guests.get(*c.guests.get(self.sel_idx)? as usize)?;
        Some((&h.name, n, g))
    }

    pub fn selected_ref(&self, inv: &Inventory) -> Option<GuestRef> {
        self.selected(inv).map(|(h, n, g)| GuestRef {
            host: h.to_string(),
            node: n.name.clone(),
            vmid: g.vmid,
            kind: g.kind,
        })
    }

    /// The marked guests, or the selection when nothing is marked.
    pub fn targets(&self, inv: &Inventory) -> Vec<GuestRef> {
        if self.marks.is_empty() {
            self.selected_ref(inv).into_iter().collect()
        } else {
            self.marks.iter().cloned().collect()
        }
    }

    /// Whether a busy guest (its LED pulses) is on screen; O(visible slots).
    pub fn busy_visible(&self, inv: &Inventory, area: Rect) -> bool {
        let g = self.geometry(area);
        let per_page = g.per_page(self.zoom);
        (self.col_offset..(self.col_offset + g.visible_cols).min(self.view.cols.len())).any(|c| {
            let start = self.scroll.get(c).copied().unwrap_or(0);
            let col = &self.view.cols[c];
            col.guests.iter().skip(start).take(per_page).any(|gi| {
                self.col_node(inv, c)
                    .and_then(|n| n.guests.get(*gi as usize))
                    .is_some_and(|g| g.status == GuestStatus::Busy)
            })
        })
    }

    /// Where a guest is in the view: (column, index in it).
    fn position_of(&self, inv: &Inventory, host: &str, vmid: u32) -> Option<(usize, usize)> {
        for (ci, c) in self.view.cols.iter().enumerate() {
            if inv.hosts[c.host].name != host {
                continue;
            }
            let Some(n) = self.col_node(inv, ci) else {
                continue;
            };
            if let Some(i) = c
                .guests
                .iter()
                .position(|gi| n.guests.get(*gi as usize).is_some_and(|g| g.vmid == vmid))
            {
                return Some((ci, i));
            }
        }
        None
    }

    /// Recompute the filtered racks and keep the same guest selected when it still shows.
    pub fn rebuild(&mut self, inv: &Inventory, area: Rect) {
        let keep = self.selected_ref(inv).or_else(|| self.anchor.clone());
        // The guest selected now is the one a filter that hides it must give back later
        // (kept even when this rebuild hides it; a move since the last rebuild counts too).
        self.anchor = keep.clone();
        let old_col = self.view.cols.get(self.sel_col).map(|c| (c.host, c.node));
        self.view = RackView::build(inv, &Filter::parse(&self.filter_text));
        self.scroll.resize(self.view.cols.len(), 0);
        // Columns may have shrunk (filter, refresh): never scroll past a rack's end.
        for (s, c) in self.scroll.iter_mut().zip(&self.view.cols) {
            if *s >= c.guests.len() {
                *s = 0;
            }
        }
        let found = keep.and_then(|k| {
            let at = self.position_of(inv, &k.host, k.vmid)?;
            Some((at, k))
        });
        if let Some(((ci, i), k)) = found {
            self.sel_col = ci;
            self.sel_idx = i;
            self.anchor = Some(k);
        } else {
            if let Some(pos) =
                old_col.and_then(|o| self.view.cols.iter().position(|c| (c.host, c.node) == o))
            {
                self.sel_col = pos;
            }
            self.sel_col = self.sel_col.min(self.view.cols.len().saturating_sub(1));
            // Never leave the selection on an empty rack when another has guests.
            if self
                .view
                .cols
                .get(self.sel_col)
                .is_some_and(|c| c.guests.is_empty())
                && let Some(first) = self.view.cols.iter().position(|c| !c.guests.is_empty())
            {
                self.sel_col = first;
            }
            let len = self.col_len(self.sel_col);
            self.sel_idx = self.sel_idx.min(len.saturating_sub(1));
        }
        self.ensure_visible(area);
    }

    /// Select a guest by host and vmid; false when the view does not show it. The caller
    /// scrolls it into view once the screen around the rack is settled.
    pub fn select(&mut self, inv: &Inventory, host: &str, vmid: u32) -> bool {
        let Some((ci, i)) = self.position_of(inv, host, vmid) else {
            return false;
        };
        self.sel_col = ci;
        self.sel_idx = i;
        true
    }

    fn col_len(&self, col: usize) -> usize {
        self.view.cols.get(col).map_or(0, |c| c.guests.len())
    }

    /// Scroll so the selection is on screen (columns and rows).
    pub fn ensure_visible(&mut self, area: Rect) {
        let g = self.geometry(area);
        let vis = g.visible_cols.max(1);
        if self.sel_col < self.col_offset {
            self.col_offset = self.sel_col;
        } else if self.sel_col >= self.col_offset + vis {
            self.col_offset = self.sel_col + 1 - vis;
        }
        self.col_offset = self
            .col_offset
            .min(self.view.cols.len().saturating_sub(vis));
        let per_page = g.per_page(self.zoom);
        let unit = if self.zoom == Zoom::Heatmap {
            g.cells_per_row
        } else {
            1
        };
        if let Some(s) = self.scroll.get_mut(self.sel_col) {
            if self.sel_idx < *s {
                *s = self.sel_idx - self.sel_idx % unit;
            } else if self.sel_idx >= *s + per_page {
                let row_start = self.sel_idx - self.sel_idx % unit;
                *s = (row_start + unit).saturating_sub(per_page);
            }
            *s -= *s % unit;
        }
    }

    /// Move the selection by `delta` rows (heatmap: a row of cells).
    pub fn move_rows(&mut self, delta: isize, area: Rect) {
        let unit = if self.zoom == Zoom::Heatmap {
            self.geometry(area).cells_per_row as isize
        } else {
            1
        };
        self.move_by(delta * unit, area);
    }

    pub fn move_by(&mut self, delta: isize, area: Rect) {
        let len = self.col_len(self.sel_col);
        if len == 0 {
            return;
        }
        let target = (self.sel_idx as isize + delta).clamp(0, len as isize - 1);
        self.sel_idx = target as usize;
        self.ensure_visible(area);
    }

    /// Change rack, keeping the row on screen where possible.
    pub fn move_col(&mut self, delta: isize, area: Rect) {
        if self.view.cols.is_empty() {
            return;
        }
        let on_screen = self
            .sel_idx
            .saturating_sub(self.scroll.get(self.sel_col).copied().unwrap_or(0));
        let target =
            (self.sel_col as isize + delta).clamp(0, self.view.cols.len() as isize - 1) as usize;
        if target == self.sel_col {
            return;
        }
        self.sel_col = target;
        let len = self.view.cols[target].guests.len();
        let start = self.scroll.get(target).copied().unwrap_or(0);
        self.sel_idx = (start + on_screen).min(len.saturating_sub(1));
        self.ensure_visible(area);
    }

    /// Heatmap left/right: one cell, crossing into the neighbour rack at either end.
    pub fn heat_step(&mut self, delta: isize, area: Rect) {
        let len = self.col_len(self.sel_col);
        let target = self.sel_idx as isize + delta;
        if target < 0 {
            if self.sel_col > 0 {
                self.sel_col -= 1;
                self.sel_idx = self.col_len(self.sel_col).saturating_sub(1);
                self.ensure_visible(area);
            }
        } else if target as usize >= len {
            if self.sel_col + 1 < self.view.cols.len() {
                self.sel_col += 1;
                self.sel_idx = 0;
                self.ensure_visible(area);
            }
        } else {
            self.move_by(delta, area);
        }
    }

    /// A left click at a terminal cell: select the slot drawn there, the rack pane focused.
    pub fn click(&mut self, x: u16, y: u16, area: Rect) {
        let g = self.geometry(area);
        let Some((vis_col, slot)) = g.hit(self.zoom, x, y) else {
            return;
        };
        let col = self.col_offset + vis_col;
        let idx = self.scroll.get(col).copied().unwrap_or(0) + slot;
        if idx < self.col_len(col) {
            self.sel_col = col;
            self.sel_idx = idx;
            self.focus = Pane::Rack;
            self.ensure_visible(area);
        }
    }

    /// Open the detail panel on the selection, focused.
    pub fn open_detail(&mut self, area: Rect) {
        self.detail_open = true;
        self.focus = Pane::Detail;
        self.ensure_visible(area);
    }

    /// Tab between the rack and an open detail panel.
    pub fn toggle_pane(&mut self, area: Rect) {
        self.focus = match self.focus {
            Pane::Rack => Pane::Detail,
            Pane::Detail => Pane::Rack,
        };
        self.ensure_visible(area);
    }

    pub fn close_detail(&mut self, area: Rect) {
        self.detail_open = false;
        self.focus = Pane::Rack;
        self.ensure_visible(area);
    }

    pub fn next_zoom(&mut self, area: Rect) {
        self.zoom = self.zoom.next();
        self.ensure_visible(area);
    }

    /// Mark or unmark `r`.
    pub fn toggle_mark(&mut self, r: GuestRef) {
        if !self.marks.remove(&r) {
            self.marks.insert(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    // The rack alone, without an `App`: an inventory and the area it lays itself out in.
    fn lab() -> (Inventory, Rect) {
        let res = crate::ui::sample::resources(3, 30);
        (
            Inventory::from_resources("lab", &res, UNIX_EPOCH),
            Rect::new(0, 0, 160, 45),
        )
    }

    #[test]
    fn the_selection_comes_back_when_a_filter_stops_hiding_it() {
        let (inv, area) = lab();
        let mut rack = Rack::default();
        rack.rebuild(&inv, area);
        rack.move_col(1, area);
        rack.move_by(3, area);
        // A refresh keeps it selected, which is what makes it the anchor.
        rack.rebuild(&inv, area);
        let picked = rack.selected_ref(&inv).expect("a guest is selected");
        rack.filter_text = "no-guest-is-called-this".into();
        rack.rebuild(&inv, area);
        assert!(rack.selected(&inv).is_none());
        rack.filter_text.clear();
        rack.rebuild(&inv, area);
        assert_eq!(rack.selected_ref(&inv), Some(picked));
    }

    #[test]
    fn the_guest_moved_to_last_comes_back_not_the_one_before() {
        let (inv, area) = lab();
        let mut rack = Rack::default();
        rack.rebuild(&inv, area);
        rack.move_by(1, area);
        rack.rebuild(&inv, area);
        // A move with no refresh after it, then a filter that hides where it went.
        rack.move_by(2, area);
        let picked = rack.selected_ref(&inv).expect("a guest is selected");
        rack.filter_text = "no-guest-is-called-this".into();
        rack.rebuild(&inv, area);
        rack.filter_text.clear();
        rack.rebuild(&inv, area);
        assert_eq!(rack.selected_ref(&inv), Some(picked));
    }

    #[test]
    fn heatmap_steps_cross_into_the_neighbour_rack() {
        let (inv, area) = lab();
        let mut rack = Rack::default();
        rack.rebuild(&inv, area);
        rack.next_zoom(area);
        rack.next_zoom(area);
        assert_eq!(rack.zoom, Zoom::Heatmap);
        rack.heat_step(-1, area);
        assert_eq!((rack.sel_col, rack.sel_idx), (0, 0));
        rack.move_by(isize::MAX / 2, area);
        rack.heat_step(1, area);
        assert_eq!((rack.sel_col, rack.sel_idx), (1, 0));
        rack.heat_step(-1, area);
        assert_eq!(rack.sel_col, 0);
        assert_eq!(rack.sel_idx, rack.view.cols[0].guests.len() - 1);
    }
}
