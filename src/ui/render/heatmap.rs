//! The heatmap zoom: one cell per guest, colored by its LED, so thousands of guests stay
//! readable. Only the visible rows of cells are drawn.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::slot::{SlotStyles, marked};
use crate::inventory::{GuestStatus, Host, Node};
use crate::ui::rack_model::RackModel;
use crate::ui::rack_state::Rack;
use crate::ui::theme::ThemeKey;
use crate::ui::view::RackCol;

#[allow(clippy::too_many_arguments)]
pub(super) fn heat(
    rack: &Rack,
    model: &RackModel,
    st: &SlotStyles,
    ci: usize,
    col: &RackCol,
    host: &Host,
    node: &Node,
    area: Rect,
    start: usize,
    per_row: usize,
    pulse: bool,
    buf: &mut Buffer,
) {
    let sel = st.selection;
    let blank = model.theme.style(ThemeKey::Blank);
    for row in 0..area.height {
        let y = area.y + row;
        for c in 0..per_row {
            let x = area.x + (c as u16) * 2;
            if x >= area.right() {
                break;
            }
            let idx = start + usize::from(row) * per_row + c;
            let cell = &mut buf[(x, y)];
            match col
                .guests
                .get(idx)
                .and_then(|gi| node.guests.get(*gi as usize))
            {
                Some(g) => {
                    let busy = g.status == GuestStatus::Busy
                        || model.task_for(&host.name, g.vmid).is_some();
                    let status = if busy { GuestStatus::Busy } else { g.status };
                    let mut style = st.led(status);
                    let mut glyph = if busy && !pulse { '□' } else { '■' };
                    if marked(rack, host, node, g) {
                        glyph = '◆';
                        style = st.marked;
                    }
                    if ci == rack.sel_col && idx == rack.sel_idx {
                        style = sel;
                    }
                    cell.set_char(glyph).set_style(style);
                }
                None => {
                    cell.set_char('·').set_style(blank);
                }
            }
        }
    }
}
