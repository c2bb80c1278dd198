//! Mouse/keyboard selection over the screen and its history, and the OSC 52 sequence that
//! puts the copied text on the user's clipboard (works over SSH, no X11 needed).
//!
//! Positions are stored as "stable" lines: rows ever dropped off the top of the history
//! plus the index in the history, so a selection stays on its text while output scrolls.

use base64::Engine as _;

use super::screen::Screen;

/// A cell in stable coordinates (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellPos {
    pub line: u64,
    pub col: u16,
}

/// A selection by cells, from where it started to where it was extended (inclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    range: Option<(CellPos, CellPos)>,
}

/// The stable line shown at visible row `row` with the current scroll offset.
fn stable_line(screen: &Screen, row: u16) -> u64 {
    let top = screen.discarded() + screen.scrollback_len() as u64;
    (top + u64::from(row)).saturating_sub(screen.scroll_offset() as u64)
}

impl Selection {
    pub fn new() -> Selection {
        Selection::default()
    }

    /// Start a selection at visible (row, col).
    pub fn start(&mut self, screen: &Screen, row: u16, col: u16) {
        let p = CellPos {
            line: stable_line(screen, row),
            col,
        };
        self.range = Some((p, p));
    }

    /// Move the free end to visible (row, col); starts a selection if none.
    pub fn extend(&mut self, screen: &Screen, row: u16, col: u16) {
        let p = CellPos {
            line: stable_line(screen, row),
            col,
        };
        match &mut self.range {
            Some((_, head)) => *head = p,
            None => self.range = Some((p, p)),
        }
    }

    /// Select from `anchor` to `head` given in stable coordinates (a keyboard cursor, or a
    /// drag whose start has scrolled out of view since).
    pub fn set(&mut self, anchor: CellPos, head: CellPos) {
        self.range = Some((anchor, head));
    }

    pub fn clear(&mut self) {
        self.range = None;
    }

    pub fn is_active(&self) -> bool {
        self.range.is_some()
    }

    /// (first, last) cells in reading order.
    pub fn ordered(&self) -> Option<(CellPos, CellPos)> {
        self.range
            .map(|(a, b)| if a <= b { (a, b) } else { (b, a) })
    }

    /// Whether visible (row, col) is selected: for drawing the highlight.
    pub fn contains(&self, screen: &Screen, row: u16, col: u16) -> bool {
        self.contains_line(stable_line(screen, row), col)
    }

    /// Like [`Selection::contains`] with the stable line already computed (see
    /// [`Selection::visible_line`]); lets a renderer compute it once per row.
    pub fn contains_line(&self, line: u64, col: u16) -> bool {
        let Some((a, b)) = self.ordered() else {
            return false;
        };
        if line < a.line || line > b.line {
            return false;
        }
        (line > a.line || col >= a.col) && (line < b.line || col <= b.col)
    }

    /// The stable line at visible `row`.
    pub fn visible_line(screen: &Screen, row: u16) -> u64 {
        stable_line(screen, row)
    }

    /// The selected text: rows joined by `\n` except where a row soft-wraps into the next,
    /// trailing spaces of each row trimmed. Lines that already left the history are skipped.
    pub fn text(&self, screen: &mut Screen) -> String {
        let Some((a, b)) = self.ordered() else {
            return String::new();
        };
        let (cols, _) = screen.size();
        let base = screen.discarded();
        let mut out = String::new();
        let mut line = a.line.max(base);
        while line <= b.line {
            let Ok(index) = usize::try_from(line - base) else {
                break;
            };
            let from = if line == a.line { a.col } else { 0 };
            let to = if line == b.line {
                b.col.saturating_add(1).min(cols)
            } else {
                cols
            };
            let (text, wrapped) = screen.with_line(index, |s, row| {
                let wrapped = s.row_wrapped(row);
                let mut t = s.row_text(row, from, to);
                if wrapped && to == cols {
                    // A soft-wrapped row keeps its trailing blanks: they are part of the text.
                    let width = t.chars().count();
                    let want = usize::from(to.saturating_sub(from));
                    t.extend(std::iter::repeat_n(' ', want.saturating_sub(width)));
                }
                (t, wrapped)
            });
            out.push_str(&text);
            if line < b.line && !wrapped {
                out.push('\n');
            }
            line += 1;
        }
        out
    }
}

/// The OSC 52 sequence that asks the user's terminal to put `text` on its clipboard.
pub fn osc52_copy(text: &str) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07").into_bytes()
}
