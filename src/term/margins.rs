//! Scroll margins and origin mode as vt100 keeps them (one set per grid: main and
//! alternate), mirrored here because vt100 does not expose them, and the fix-ups built on
//! them: xterm erases with the current background (bce) the lines that IL, DL, SU and SD
//! bring in, and IL/DL return the cursor to the left margin; vt100 brings in default blank
//! lines and leaves the cursor column alone.

use std::io::Write as _;
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Margins {
    pub(crate) top: u16,
    /// Inclusive.
    pub(crate) bottom: u16,
    pub(crate) origin: bool,
    saved_origin: bool,
}

impl Margins {
    fn full(rows: u16) -> Margins {
        Margins {
            top: 0,
            bottom: rows.saturating_sub(1),
            origin: false,
            saved_origin: false,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct MarginTracker {
    grids: [Margins; 2],
}

impl MarginTracker {
    pub(crate) fn new(rows: u16) -> MarginTracker {
        MarginTracker {
            grids: [Margins::full(rows); 2],
        }
    }

    pub(crate) fn get(&self, alt: bool) -> Margins {
        self.grids[usize::from(alt)]
    }

    /// vt100 resets the margins of both grids on resize, and keeps origin mode.
    pub(crate) fn resize(&mut self, rows: u16) {
        for g in &mut self.grids {
            let full = Margins::full(rows);
            (g.top, g.bottom) = (full.top, full.bottom);
        }
    }

    /// DECSTBM with vt100's rules: 0 params default to the screen, an empty or inverted
    /// region means the whole screen.
    pub(crate) fn set_region(&mut self, alt: bool, top: u16, bottom: u16, rows: u16) {
        let top = top.max(1) - 1;
        let bottom = if bottom == 0 { rows } else { bottom }
            .min(rows)
            .saturating_sub(1);
        let g = &mut self.grids[usize::from(alt)];
        if top < bottom {
            (g.top, g.bottom) = (top, bottom);
        } else {
            (g.top, g.bottom) = (0, rows.saturating_sub(1));
        }
    }

    pub(crate) fn set_origin(&mut self, alt: bool, on: bool) {
        self.grids[usize::from(alt)].origin = on;
    }

    /// DECSC (also the first half of `CSI ? 1049 h`, on the main grid).
    pub(crate) fn save(&mut self, alt: bool) {
        let g = &mut self.grids[usize::from(alt)];
        g.saved_origin = g.origin;
    }

    /// DECRC (also the second half of `CSI ? 1049 l`, on the main grid).
    pub(crate) fn restore(&mut self, alt: bool) {
        let g = &mut self.grids[usize::from(alt)];
        g.origin = g.saved_origin;
    }

    /// `CSI ? 1049 h` clears the alternate grid, margins and origin mode included.
    pub(crate) fn clear_alt(&mut self, rows: u16) {
        self.grids[1] = Margins::full(rows);
    }
}

/// CUP to absolute (row, col), expressed relative to the top margin in origin mode.
fn cup(out: &mut Vec<u8>, m: &Margins, row: u16, col: u16) {
    let row = if m.origin {
        row.saturating_sub(m.top)
    } else {
        row
    };
    let _ = write!(out, "\x1b[{};{}H", row + 1, col + 1);
}

/// The rows an IL/DL/SU/SD (final byte `op`, count `n`) just blanked, with the cursor on
/// `row`, or `None` when the operation did nothing (IL/DL outside the margins).
pub(crate) fn blanked_rows(op: u8, n: u16, row: u16, m: &Margins) -> Option<Range<u16>> {
    let n = n.max(1);
    let end = m.bottom + 1;
    let inside = (m.top..end).contains(&row);
    match op {
        b'L' if inside => Some(row..end.min(row.saturating_add(n))),
        b'M' if inside => Some(end.saturating_sub(n).max(row)..end),
        b'S' => Some(end.saturating_sub(n).max(m.top)..end),
        b'T' => Some(m.top..end.min(m.top.saturating_add(n))),
        _ => None,
    }
}

/// Bytes that erase `rows` with the current attributes (EL 2 is bce in vt100) and put the
/// cursor back at (row, col).
pub(crate) fn erase_rows(out: &mut Vec<u8>, m: &Margins, rows: Range<u16>, back: (u16, u16)) {
    for r in rows {
        cup(out, m, r, 0);
        out.extend_from_slice(b"\x1b[2K");
    }
    cup(out, m, back.0, back.1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanked_rows_follow_the_margins() {
        let mut t = MarginTracker::new(10);
        t.set_region(false, 3, 6, 10);
        let m = t.get(false);
        assert_eq!((m.top, m.bottom), (2, 5));
        assert_eq!(blanked_rows(b'L', 2, 3, &m), Some(3..5));
        assert_eq!(blanked_rows(b'L', 9, 3, &m), Some(3..6));
        assert_eq!(blanked_rows(b'L', 1, 8, &m), None);
        assert_eq!(blanked_rows(b'M', 1, 3, &m), Some(5..6));
        assert_eq!(blanked_rows(b'S', 2, 0, &m), Some(4..6));
        assert_eq!(blanked_rows(b'T', 0, 0, &m), Some(2..3));
        t.set_region(false, 5, 5, 10);
        assert_eq!(t.get(false).bottom, 9);
        assert_eq!(t.get(true).bottom, 9);
    }
}
