//! A byte-stream pre-processor in front of `vt100::Parser` for what vt100 0.18 ignores:
//! - character sets: `ESC ( 0` / `ESC ) 0` designations, SO/SI shifts, and DECSC/DECRC
//!   (and `CSI ? 1049 h/l`) saving them; bytes drawn in DEC graphics are rewritten to the
//!   UTF-8 box-drawing characters before vt100 sees them;
//! - tab stops: HTS (`ESC H`), TBC (`CSI g`, `CSI 3 g`), CHT (`CSI I`), CBT (`CSI Z`); vt100
//!   only knows fixed stops every 8 columns, so HT becomes a cursor-forward to our stop;
//! - DECSTBM homing: xterm homes the cursor after `CSI t;b r`, vt100 leaves it at the top
//!   margin, so a `CSI H` follows every DECSTBM (origin mode is honoured by vt100's CUP);
//! - bce: lines brought in by IL/DL/SU/SD and by scrolling line feeds take the current
//!   background (see `margins`); IND/NEL (ignored by vt100) become line feeds;
//! - cursor position reports, relative to the top margin in origin mode;
//! - the last column: DECAWM off (`CSI ? 7 l`, which vt100 ignores) keeps characters on
//!   it, and BS/CUB while a wrap is pending start from it, as in xterm (vt100 keeps such a
//!   cursor one column further);
//! - IRM (`CSI 4 h`, insert mode): an ICH before each character;
//! - DECALN (`ESC # 8`): margins reset, the screen filled with E's, cursor home;
//! - DECCOLM (`CSI ? 3 h/l`) once `CSI ? 40 h` allows it: the width stays the PTY's, but
//!   the screen is cleared and the cursor homed, as xterm does.
//!
//! It tracks just enough of the ECMA-48 state machine (ground, escape, CSI, strings) to
//! know which bytes are text. vt100's own parser is stateful, so flushing the pending
//! output in the middle of a sequence is harmless.

use std::io::Write as _;

use super::charset::Charset;
use super::margins::{MarginTracker, blanked_rows, erase_rows};

mod stops;
mod tabs;

use stops::stop_table;
use tabs::default_tabs;

/// What the filter needs from the screen behind it.
pub(crate) trait Sink {
    fn write(&mut self, bytes: &[u8]);
    /// (row, col); col may equal the width while a wrap is pending.
    fn cursor(&self) -> (u16, u16);
    fn cols(&self) -> u16;
    fn rows(&self) -> u16;
    /// Whether the alternate screen is shown.
    fn alternate(&self) -> bool;
    /// Whether the current SGR background is the default one.
    fn bg_default(&self) -> bool;
    /// Queue bytes to send back to the guest.
    fn reply(&mut self, bytes: &[u8]);
    /// An SGR sequence that restores the current rendition.
    fn rendition(&self) -> Vec<u8>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    Escape,
    EscInter(u8),
    Csi,
    /// OSC, DCS, SOS, PM, APC: skipped until BEL or ST.
    Str,
    StrEsc,
}

const MAX_PARAMS: usize = 8;

#[derive(Debug, Default, Clone)]
struct CsiBuf {
    private: u8,
    inter: u8,
    params: [u16; MAX_PARAMS],
    n: usize,
    has_digit: bool,
}

impl CsiBuf {
    fn param(&self, i: usize) -> u16 {
        if i < self.n { self.params[i] } else { 0 }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Filter {
    state: State,
    csi: CsiBuf,
    g: [Charset; 4],
    gl: usize,
    saved: ([Charset; 4], usize),
    tabs: Vec<bool>,
    /// The stops are still every 8 columns: vt100's own HT is right.
    tabs_default: bool,
    margins: MarginTracker,
    /// The SGR background may not be the default (checked exactly at the next line feed).
    bg_maybe: bool,
    /// DECAWM (`CSI ? 7 h/l`), which vt100 ignores: when off, we keep the cursor on the
    /// last column ourselves.
    autowrap: bool,
    /// xterm's "allow 80/132 columns" (`CSI ? 40 h`): only then does DECCOLM do anything.
    allow_deccolm: bool,
    /// IRM (`CSI 4 h/l`), which vt100 ignores: when on, each character gets an ICH first.
    insert: bool,
    out: Vec<u8>,
}

impl Filter {
    pub(crate) fn new(cols: u16, rows: u16) -> Filter {
        Filter {
            state: State::Ground,
            csi: CsiBuf::default(),
            g: [Charset::Ascii; 4],
            gl: 0,
            saved: ([Charset::Ascii; 4], 0),
            tabs: default_tabs(cols),
            tabs_default: true,
            margins: MarginTracker::new(rows),
            bg_maybe: false,
            autowrap: true,
            allow_deccolm: false,
            insert: false,
            out: Vec::with_capacity(4096),
        }
    }

    /// Existing stops are kept; columns beyond the table get the default stops.
    pub(crate) fn resize(&mut self, cols: u16, rows: u16) {
        self.margins.resize(rows);
        let old = self.tabs.len();
        let cols = usize::from(cols);
        for c in old..cols {
            self.tabs.push(c != 0 && c % 8 == 0);
        }
    }

    pub(crate) fn feed(&mut self, input: &[u8], sink: &mut impl Sink) {
        let n = input.len();
        let mut i = 0;
        // Start of the bytes not yet copied to `out`.
        let mut run = 0;
        while i < n {
            match self.state {
                State::Ground => {
                    let cs = self.g[self.gl];
                    let each_char = !self.autowrap || self.insert;
                    let stop = stop_table(self.bg_maybe, !self.tabs_default, each_char);
                    if cs == Charset::Ascii {
                        while i < n && !stop[usize::from(input[i])] {
                            i += 1;
                        }
                    } else {
                        while i < n && !stop[usize::from(input[i])] && !cs.remaps(input[i]) {
                            i += 1;
                        }
                    }
                    if i == n {
                        break;
                    }
                    let b = input[i];
                    match b {
                        0x1b => self.state = State::Escape,
                        0x0e => self.gl = 1,
                        0x0f => self.gl = 0,
                        0x08 => {
                            // BS itself goes on to vt100.
                            self.out.extend_from_slice(&input[run..i]);
                            run = i;
                            self.back_from_pending_wrap(sink);
                        }
                        0x20..=0xff if each_char => {
                            self.out.extend_from_slice(&input[run..i]);
                            run = i;
                            self.flush(sink);
                            let pending_wrap = sink.cursor().1 >= sink.cols();
                            if pending_wrap && !self.autowrap {
                                // Autowrap off: never past the last column. (A wide
                                // character there still wraps in vt100: rare enough.)
                                let _ = write!(self.out, "\x1b[{}G", sink.cols());
                            }
                            if self.insert && !(pending_wrap && self.autowrap) {
                                // Insert mode: make room for one cell (a wide character
                                // overwrites the next one). At a pending wrap the character
                                // lands on the next line, where it overwrites: rare too.
                                self.out.extend_from_slice(b"\x1b[@");
                            }
                            if cs.remaps(b) {
                                run = i + 1;
                                let mut utf8 = [0u8; 4];
                                self.out
                                    .extend_from_slice(cs.map(b).encode_utf8(&mut utf8).as_bytes());
                            }
                        }
                        0x09 => {
                            self.out.extend_from_slice(&input[run..i]);
                            run = i + 1;
                            self.flush(sink);
                            self.tab_forward(1, sink);
                        }
                        0x0a..=0x0c => {
                            self.out.extend_from_slice(&input[run..i]);
                            run = i + 1;
                            self.line_feed(sink);
                        }
                        _ => {
                            // A byte drawn from a non-ASCII set: replace it by its glyph.
                            self.out.extend_from_slice(&input[run..i]);
                            run = i + 1;
                            let mut utf8 = [0u8; 4];
                            self.out
                                .extend_from_slice(cs.map(b).encode_utf8(&mut utf8).as_bytes());
                        }
                    }
                    i += 1;
                }
                State::Escape => {
                    let b = input[i];
                    i += 1;
                    if self.control_in_sequence(b) {
                        continue;
                    }
                    self.state = State::Ground;
                    match b {
                        0x20..=0x2f => self.state = State::EscInter(b),
                        b'[' => {
                            self.csi = CsiBuf::default();
                            self.state = State::Csi;
                        }
                        b']' | b'P' | b'X' | b'^' | b'_' => self.state = State::Str,
                        b'7' | b'8' => {
                            // The origin mode saved is the one of the grid shown now.
                            self.out.extend_from_slice(&input[run..i - 1]);
                            run = i - 1;
                            self.flush(sink);
                            if b == b'7' {
                                self.saved = (self.g, self.gl);
                                self.margins.save(sink.alternate());
                            } else {
                                (self.g, self.gl) = self.saved;
                                self.margins.restore(sink.alternate());
                                // DECRC restores the saved SGR, background included.
                                self.bg_maybe = true;
                            }
                        }
                        b'c' => self.reset(sink.cols(), sink.rows()),
                        b'D' | b'E' => {
                            // IND and NEL, which vt100 ignores: cancel the escape (CAN)
                            // and do the line feed ourselves.
                            self.out.extend_from_slice(&input[run..i - 1]);
                            run = i;
                            self.out.push(0x18);
                            if b == b'E' {
                                self.out.push(b'\r');
                            }
                            self.line_feed(sink);
                        }
                        b'H' => {
                            self.out.extend_from_slice(&input[run..i]);
                            run = i;
                            self.flush(sink);
                            let col = clamp_col(sink);
                            if let Some(t) = self.tabs.get_mut(usize::from(col)) {
                                *t = true;
                            }
                            self.tabs_default = false;
                        }
                        _ => {}
                    }
                }
                State::EscInter(inter) => {
                    let b = input[i];
                    i += 1;
                    if self.control_in_sequence(b) {
                        continue;
                    }
                    match b {
                        0x20..=0x2f => {}
                        b'8' if inter == b'#' => {
                            self.out.extend_from_slice(&input[run..i]);
                            run = i;
                            self.decaln(sink);
                            self.state = State::Ground;
                        }
                        0x30..=0x7e => {
                            let slot = match inter {
                                b'(' => Some(0),
                                b')' => Some(1),
                                b'*' => Some(2),
                                b'+' => Some(3),
                                _ => None,
                            };
                            if let Some(slot) = slot {
                                self.g[slot] = Charset::from_final(b);
                            }
                            self.state = State::Ground;
                        }
                        _ => self.state = State::Ground,
                    }
                }
                State::Csi => {
                    let b = input[i];
                    i += 1;
                    if self.control_in_sequence(b) {
                        continue;
                    }
                    match b {
                        b'0'..=b'9' => {
                            let c = &mut self.csi;
                            if c.n == 0 {
                                c.n = 1;
                            }
                            if c.n <= MAX_PARAMS {
                                let p = &mut c.params[c.n - 1];
                                *p = p.saturating_mul(10).saturating_add(u16::from(b - b'0'));
                            }
                            c.has_digit = true;
                        }
                        b';' | b':' => {
                            let c = &mut self.csi;
                            c.n = if c.n == 0 { 2 } else { c.n.saturating_add(1) };
                        }
                        b'<'..=b'?' => {
                            if self.csi.n == 0 && !self.csi.has_digit {
                                self.csi.private = b;
                            }
                        }
                        0x20..=0x2f => self.csi.inter = b,
                        0x40..=0x7e => {
                            self.state = State::Ground;
                            if b == b'D' && self.csi.private == 0 && self.csi.inter == 0 {
                                // CUB: everything but the final byte goes to vt100 now, so
                                // that a BS for a pending wrap lands inside the sequence
                                // (vt100 runs C0 controls met in a CSI) and before it.
                                self.out.extend_from_slice(&input[run..i - 1]);
                                run = i - 1;
                                self.back_from_pending_wrap(sink);
                            }
                            if self.csi_needs_grid(b) {
                                // These change state kept per grid: let vt100 catch up
                                // first so `sink.alternate()` tells the grid they apply to.
                                self.flush(sink);
                            }
                            self.out.extend_from_slice(&input[run..i]);
                            run = i;
                            self.csi_final(b, sink);
                        }
                        _ => self.state = State::Ground,
                    }
                }
                State::Str => {
                    // Skip the string body quickly: only BEL, ESC, CAN and SUB matter.
                    while i < n && !matches!(input[i], 0x07 | 0x1b | 0x18 | 0x1a) {
                        i += 1;
                    }
                    if i == n {
                        break;
                    }
                    let b = input[i];
                    i += 1;
                    self.state = if b == 0x1b {
                        State::StrEsc
                    } else {
                        State::Ground
                    };
                }
                State::StrEsc => {
                    if input[i] == b'\\' {
                        i += 1;
                        self.state = State::Ground;
                    } else {
                        // ESC ended the string and starts a new sequence.
                        self.state = State::Escape;
                    }
                }
            }
        }
        self.out.extend_from_slice(&input[run..n]);
        self.flush(sink);
    }

    /// C0 controls inside ESC/CSI: CAN and SUB abort, ESC restarts, SO/SI still shift
    /// (xterm executes controls met inside a sequence). Returns true when consumed.
    fn control_in_sequence(&mut self, b: u8) -> bool {
        match b {
            0x18 | 0x1a => self.state = State::Ground,
            0x1b => self.state = State::Escape,
            0x0e => self.gl = 1,
            0x0f => self.gl = 0,
            0x00..=0x1f => {}
            _ => return false,
        }
        true
    }

    /// Whether this CSI changes state vt100 keeps per grid (margins, origin mode, the
    /// screen shown), so vt100 must catch up first to tell which grid it applies to.
    fn csi_needs_grid(&self, b: u8) -> bool {
        let c = &self.csi;
        match b {
            b'r' => c.private == 0 && c.inter == 0,
            b'h' | b'l' => {
                c.private == b'?'
                    && c.inter == 0
                    && c.params[..c.n.min(MAX_PARAMS)]
                        .iter()
                        .any(|p| matches!(p, 3 | 6 | 47 | 1049))
            }
            _ => false,
        }
    }

    fn csi_final(&mut self, b: u8, sink: &mut impl Sink) {
        let c = self.csi.clone();
        let plain = c.private == 0 && c.inter == 0;
        match b {
            b'g' if plain => match c.param(0) {
                0 => {
                    self.flush(sink);
                    let col = usize::from(clamp_col(sink));
                    if let Some(t) = self.tabs.get_mut(col) {
                        *t = false;
                    }
                    self.tabs_default = false;
                }
                3 => {
                    self.tabs.iter_mut().for_each(|t| *t = false);
                    self.tabs_default = false;
                }
                _ => {}
            },
            b'r' if plain => {
                self.margins
                    .set_region(sink.alternate(), c.param(0), c.param(1), sink.rows());
                self.out.extend_from_slice(b"\x1b[H");
            }
            // CPR and DECXCPR: answered here because in origin mode the row counts from
            // the top margin, which only we know.
            b'n' if c.inter == 0 && (c.private == 0 || c.private == b'?') && c.param(0) == 6 => {
                self.flush(sink);
                let m = self.margins.get(sink.alternate());
                let row = sink.cursor().0;
                let row = if m.origin {
                    row.saturating_sub(m.top)
                } else {
                    row
                };
                let col = clamp_col(sink);
                let reply = if c.private == b'?' {
                    format!("\x1b[?{};{};1R", row + 1, col + 1)
                } else {
                    format!("\x1b[{};{}R", row + 1, col + 1)
                };
                sink.reply(reply.as_bytes());
            }
            b'm' if plain => {
                // Any parameter that may set a background (or too many to tell).
                let sets_bg = |p: u16| matches!(p, 40..=48 | 100..=107);
                if c.n > MAX_PARAMS || c.params[..c.n].iter().any(|&p| sets_bg(p)) {
                    self.bg_maybe = true;
                }
            }
            b'L' | b'M' | b'S' | b'T' if plain => {
                self.flush(sink);
                self.after_line_op(b, c.param(0), sink);
            }
            b'I' if plain => {
                self.flush(sink);
                self.tab_forward(c.param(0).max(1), sink);
            }
            b'Z' if plain => {
                self.flush(sink);
                self.tab_backward(c.param(0).max(1), sink);
            }
            // IRM; other ANSI modes are vt100's or ignored.
            b'h' | b'l' if plain && c.params[..c.n.min(MAX_PARAMS)].contains(&4) => {
                self.insert = b == b'h';
            }
            b'h' | b'l' if c.private == b'?' && c.inter == 0 => {
                let set = b == b'h';
                let mut alt = sink.alternate();
                for &p in &c.params[..c.n.min(MAX_PARAMS)] {
                    match p {
                        // DECCOLM, as xterm does when it may switch (mode 40) but the
                        // width is the PTY's: clear the screen and home the cursor (to the
                        // top margin in origin mode, as vt100's CUP does); margins stay.
                        3 if self.allow_deccolm => self.out.extend_from_slice(b"\x1b[H\x1b[2J"),
                        7 => self.autowrap = set,
                        40 => self.allow_deccolm = set,
                        6 => self.margins.set_origin(alt, set),
                        47 => alt = set,
                        1049 if set => {
                            self.saved = (self.g, self.gl);
                            self.margins.save(false);
                            self.margins.clear_alt(sink.rows());
                            alt = true;
                        }
                        1049 => {
                            self.bg_maybe = true;
                            (self.g, self.gl) = self.saved;
                            self.margins.restore(false);
                            alt = false;
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// After IL/DL/SU/SD: cursor to the left margin for IL/DL, and the blank lines they
    /// brought in erased with the current background when it is not the default.
    fn after_line_op(&mut self, op: u8, n: u16, sink: &mut impl Sink) {
        let m = self.margins.get(sink.alternate());
        let (row, col) = (sink.cursor().0, clamp_col(sink));
        let Some(rows) = blanked_rows(op, n, row, &m) else {
            return;
        };
        let col = if matches!(op, b'L' | b'M') {
            self.out.push(b'\r');
            0
        } else {
            col
        };
        if !sink.bg_default() {
            erase_rows(&mut self.out, &m, rows, (row, col));
        }
        self.flush(sink);
    }

    /// LF/VT/FF (and IND/NEL) while the background may be colored: when it scrolls the
    /// region, erase the new bottom line with the background, as xterm does.
    fn line_feed(&mut self, sink: &mut impl Sink) {
        self.flush(sink);
        self.bg_maybe = !sink.bg_default();
        let m = self.margins.get(sink.alternate());
        let scrolls = sink.cursor().0 == m.bottom;
        self.out.push(b'\n');
        if scrolls && self.bg_maybe {
            // EL 2 does not move the cursor, and a line feed leaves the column alone.
            self.out.extend_from_slice(b"\x1b[2K");
        }
    }

    /// Before BS or CUB: vt100 marks a pending wrap by a cursor one past the last column,
    /// so its BS would land on the last column; xterm's cursor is on the last column and
    /// BS leaves it. One BS more first puts vt100's cursor where xterm's is.
    fn back_from_pending_wrap(&mut self, sink: &mut impl Sink) {
        self.flush(sink);
        if sink.cursor().1 >= sink.cols() {
            self.out.push(0x08);
        }
    }

    /// DECALN (`ESC # 8`), which vt100 ignores: as xterm, reset the margins, fill the
    /// screen with E's in the default rendition (whatever the charset) and home the cursor.
    fn decaln(&mut self, sink: &mut impl Sink) {
        self.flush(sink);
        let (cols, rows) = (sink.cols(), sink.rows());
        self.margins.set_region(sink.alternate(), 0, 0, rows);
        let rendition = sink.rendition();
        self.out.extend_from_slice(b"\x1b[r\x1b[m");
        for row in 1..=rows {
            let _ = write!(self.out, "\x1b[{row};1H");
            // Exactly a row: the last E leaves a pending wrap, which the next CUP drops.
            self.out.resize(self.out.len() + usize::from(cols), b'E');
        }
        self.out.extend_from_slice(&rendition);
        self.out.extend_from_slice(b"\x1b[H");
        self.flush(sink);
    }

    fn reset(&mut self, cols: u16, rows: u16) {
        self.autowrap = true;
        self.allow_deccolm = false;
        self.insert = false;
        self.margins = MarginTracker::new(rows);
        self.g = [Charset::Ascii; 4];
        self.gl = 0;
        self.saved = ([Charset::Ascii; 4], 0);
        self.tabs = default_tabs(cols);
        self.tabs_default = true;
    }

    fn flush(&mut self, sink: &mut impl Sink) {
        if !self.out.is_empty() {
            sink.write(&self.out);
            self.out.clear();
        }
    }
}

fn clamp_col(sink: &impl Sink) -> u16 {
    sink.cursor().1.min(sink.cols().saturating_sub(1))
}
