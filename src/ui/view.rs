//! The rack view model: which racks exist after filtering (a cache recomputed only when the
//! inventory or the filter changes) and the pure layout shared by rendering and mouse
//! hit-testing, so a click lands exactly where the slot was drawn.

use ratatui::layout::Rect;

use crate::inventory::{Filter, HostState, Inventory};

/// Zoom level of the rack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zoom {
    /// One 1U row per guest with bars, ports and tags.
    Detailed,
    /// One short row per guest: LED, vmid, name.
    Compact,
    /// One cell per guest: readable with thousands.
    Heatmap,
}

impl Zoom {
    pub fn next(self) -> Zoom {
        match self {
            Zoom::Detailed => Zoom::Compact,
            Zoom::Compact => Zoom::Heatmap,
            Zoom::Heatmap => Zoom::Detailed,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Zoom::Detailed => "detailed",
            Zoom::Compact => "compact",
            Zoom::Heatmap => "heatmap",
        }
    }
    /// Narrowest rack at this zoom; the width left over is shared out.
    fn min_rack_width(self) -> u16 {
        match self {
            Zoom::Detailed => 44,
            Zoom::Compact => 26,
            Zoom::Heatmap => 22,
        }
    }
}

/// One rack column: a node of a host, or a placeholder for a host with no nodes to show
/// (connecting, unreachable, auth failed).
#[derive(Debug, Clone, PartialEq)]
pub struct RackCol {
    pub host: usize,
    pub node: Option<usize>,
    /// Indices into the node's guests that pass the filter, in vmid order.
    pub guests: Vec<u32>,
}

/// The filtered racks, in host then node order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RackView {
    pub cols: Vec<RackCol>,
    pub shown_guests: usize,
}

impl RackView {
    pub fn build(inv: &Inventory, filter: &Filter) -> RackView {
        let mut cols = Vec::new();
        let mut shown = 0;
        for (hi, h) in inv.hosts.iter().enumerate() {
            let mut any = false;
            for (ni, n) in h.nodes.iter().enumerate() {
                let guests: Vec<u32> = n
                    .guests
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| filter.matches(&h.name, &n.name, g))
                    .map(|(i, _)| i as u32)
                    .collect();
                // With a filter, racks with no match are hidden so matches sit together.
                if guests.is_empty() && !filter.is_empty() {
                    continue;
                }
                shown += guests.len();
                any = true;
                cols.push(RackCol {
                    host: hi,
                    node: Some(ni),
                    guests,
                });
            }
            let placeholder = match h.state {
                HostState::Online | HostState::Stale { .. } => false,
                _ => h.nodes.is_empty(),
            };
            // A filter is about guests: hosts without any hide with the other misses.
            if !any && placeholder && filter.is_empty() {
                cols.push(RackCol {
                    host: hi,
                    node: None,
                    guests: Vec::new(),
                });
            }
        }
        RackView {
            cols,
            shown_guests: shown,
        }
    }
}

/// Where the parts of the main screen go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenLayout {
    pub lcd: Rect,
    pub body: Rect,
    pub status: Rect,
    /// Rack area (body minus the detail panel).
    pub racks: Rect,
    pub detail: Option<Rect>,
}

/// Split the screen. The detail panel sits at the right on wide terminals; on narrow ones
/// (80 columns) it takes the whole body while focused, and Tab gives the rack back.
pub fn screen_layout(area: Rect, detail_open: bool, detail_focused: bool) -> ScreenLayout {
    let detail_open = detail_open && (area.width >= 100 || detail_focused);
    let lcd = Rect {
        height: area.height.min(1),
        ..area
    };
    let status = Rect {
        y: area.bottom().saturating_sub(1),
        height: area.height.saturating_sub(1).min(1),
        ..area
    };
    let body = Rect {
        y: area.y + lcd.height,
        height: area.height.saturating_sub(lcd.height + status.height),
        ..area
    };
    if !detail_open {
        return ScreenLayout {
            lcd,
            body,
            status,
            racks: body,
            detail: None,
        };
    }
    if body.width >= 100 {
        let dw = (body.width / 3).clamp(40, 60);
        let racks = Rect {
            width: body.width - dw,
            ..body
        };
        let detail = Rect {
            x: body.x + racks.width,
            width: dw,
            ..body
        };
        ScreenLayout {
            lcd,
            body,
            status,
            racks,
            detail: Some(detail),
        }
    } else {
        ScreenLayout {
            lcd,
            body,
            status,
            racks: Rect { width: 0, ..body },
            detail: Some(body),
        }
    }
}

/// Rack geometry within the rack area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RackGeometry {
    pub area: Rect,
    pub rack_width: u16,
    pub visible_cols: usize,
    /// Rows for slots inside one rack (below its title and node header lines).
    pub slot_rows: usize,
    /// Heatmap: cells per row inside one rack.
    pub cells_per_row: usize,
}

/// Lines above the first slot inside a rack: host line (outside the box), top border,
/// node header, bars line.
pub const RACK_TOP: u16 = 4;

/// `racks` is how many racks there are: when fewer than fit, they share the whole width
/// (3 nodes on 200 columns get 66 each, not 50 each and 50 columns of nothing).
pub fn rack_geometry(area: Rect, zoom: Zoom, racks: usize) -> RackGeometry {
    let min = zoom.min_rack_width().min(area.width.max(1));
    let visible_cols = usize::from((area.width / min).max(1)).min(racks.max(1));
    let rack_width = area.width / visible_cols as u16;
    let slot_rows = usize::from(area.height.saturating_sub(RACK_TOP + 1));
    // Heatmap cells are 2 columns wide ("■ ") so neighbours stay distinct.
    let cells_per_row = usize::from(rack_width.saturating_sub(2) / 2).max(1);
    RackGeometry {
        area,
        rack_width,
        visible_cols,
        slot_rows,
        cells_per_row,
    }
}

impl RackGeometry {
    /// How many guests one screen of a rack shows.
    pub fn per_page(&self, zoom: Zoom) -> usize {
        match zoom {
            Zoom::Heatmap => self.slot_rows * self.cells_per_row,
            _ => self.slot_rows,
        }
        .max(1)
    }

    /// The rack rectangle of the `i`-th visible column.
    pub fn rack_rect(&self, i: usize) -> Rect {
        Rect {
            x: self.area.x + self.rack_width * i as u16,
            y: self.area.y,
            width: self.rack_width,
            height: self.area.height,
        }
    }

    /// Which (visible column, slot index in page) a screen cell belongs to.
    pub fn hit(&self, zoom: Zoom, x: u16, y: u16) -> Option<(usize, usize)> {
        let a = self.area;
        if x < a.x || y < a.y + RACK_TOP || x >= a.right() || y >= a.bottom().saturating_sub(1) {
            return None;
        }
        let col = usize::from((x - a.x) / self.rack_width.max(1));
        if col >= self.visible_cols {
            return None;
        }
        let row = usize::from(y - a.y - RACK_TOP);
        let slot = match zoom {
            Zoom::Heatmap => {
                let inner_x = usize::from(x - self.rack_rect(col).x).checked_sub(1)?;
                row * self.cells_per_row + (inner_x / 2).min(self.cells_per_row - 1)
            }
            _ => row,
        };
        Some((col, slot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_racks_share_the_whole_width_and_many_scroll() {
        let area = Rect::new(0, 0, 200, 40);
        // 3 nodes at 200 columns: 66 each, not 50 each and 50 columns of nothing.
        let few = rack_geometry(area, Zoom::Detailed, 3);
        assert_eq!((few.visible_cols, few.rack_width), (3, 66));
        let many = rack_geometry(area, Zoom::Detailed, 12);
        assert_eq!((many.visible_cols, many.rack_width), (4, 50));
        let none = rack_geometry(area, Zoom::Detailed, 0);
        assert_eq!(none.visible_cols, 1);
    }
}
