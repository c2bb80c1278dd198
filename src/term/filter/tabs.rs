//! Tab stops (HTS, TBC, CHT, CBT and HT once the stops changed): vt100 only knows fixed
//! stops every 8 columns, so the filter keeps the table and moves the cursor itself.

use std::io::Write as _;

use super::{Filter, Sink, clamp_col};

/// Stops are kept for at least this many columns, so that (as in xterm, whose table is
/// fixed) TBC also clears the stops of columns a later resize reveals.
const MIN_TAB_COLUMNS: u16 = 512;

pub(super) fn default_tabs(cols: u16) -> Vec<bool> {
    (0..cols.max(MIN_TAB_COLUMNS))
        .map(|c| c != 0 && c % 8 == 0)
        .collect()
}

impl Filter {
    pub(super) fn tab_forward(&mut self, count: u16, sink: &mut impl Sink) {
        let cur = clamp_col(sink);
        let last = sink.cols().saturating_sub(1);
        let mut col = cur;
        for _ in 0..count {
            let next = (usize::from(col) + 1..self.tabs.len()).find(|&c| self.tabs[c]);
            col = next.and_then(|c| u16::try_from(c).ok()).unwrap_or(last);
            if col >= last {
                col = last;
                break;
            }
        }
        if col > cur {
            let _ = write!(self.out, "\x1b[{}C", col - cur);
            self.flush(sink);
        }
    }

    pub(super) fn tab_backward(&mut self, count: u16, sink: &mut impl Sink) {
        let cur = clamp_col(sink);
        let mut col = cur;
        for _ in 0..count {
            let prev = (0..usize::from(col)).rev().find(|&c| self.tabs[c]);
            col = prev.and_then(|c| u16::try_from(c).ok()).unwrap_or(0);
            if col == 0 {
                break;
            }
        }
        if col < cur {
            let _ = write!(self.out, "\x1b[{}D", cur - col);
            self.flush(sink);
        }
    }
}
