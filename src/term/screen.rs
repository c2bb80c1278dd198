//! [`Screen`]: one console's terminal state. It wraps `vt100::Parser` behind our byte
//! filter (charsets, tab stops) and answers what the guest asks (DA1, DA2, DSR, window
//! size), records the window title, bell and OSC 52 clipboard writes, and owns the
//! scrollback offset the console pane shows.

use std::num::NonZeroU16;

use super::filter::{Filter, Sink};
use super::keys::{KeyEvent, KeyModes, encode_key};
use super::mouse::{MouseEvent, encode_mouse};
use crate::text::clean_string;

/// Lines of history kept per console unless the caller asks otherwise.
pub const DEFAULT_SCROLLBACK: usize = 5_000;

/// Longest window title kept; guests can send anything.
const MAX_TITLE_CHARS: usize = 256;
/// Largest OSC 52 payload accepted (base64 bytes), so a guest cannot fill our memory.
const MAX_CLIPBOARD_B64: usize = 1 << 20;

/// The default foreground and background a guest is told when it asks (OSC 10 / 11 with
/// `?`), as programs such as vim do to pick colors for a dark or a light background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportedColors {
    pub fg: (u8, u8, u8),
    pub bg: (u8, u8, u8),
}

/// What vt100 reports back to us while it parses (its `Callbacks`).
#[derive(Debug, Default)]
struct Hooks {
    /// Unknown (`None`): color queries go unanswered, as xterm.js does without a theme.
    colors: Option<ReportedColors>,
    replies: Vec<u8>,
    title: String,
    bell: bool,
    clipboard: Option<Vec<u8>>,
    /// Rows dropped off the top of the main scrollback: keeps selection anchors stable.
    discarded: u64,
}

impl vt100::Callbacks for Hooks {
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.bell = true;
    }

    fn visual_bell(&mut self, _: &mut vt100::Screen) {
        self.bell = true;
    }

    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        let clean = clean_string(&String::from_utf8_lossy(title));
        self.title = clean.chars().take(MAX_TITLE_CHARS).collect();
    }

    /// vt100 splits OSC parameters on every `;`, so a title containing one arrives here,
    /// and so do color queries: `OSC 10 ; ?` (foreground), `OSC 11 ; ?` (background), and
    /// xterm's `OSC 10 ; ? ; ?` for both, answered in xterm's `rgb:RRRR/GGGG/BBBB` form.
    fn unhandled_osc(&mut self, screen: &mut vt100::Screen, params: &[&[u8]]) {
        match params {
            [b"0" | b"2", rest @ ..] if !rest.is_empty() => {
                self.set_window_title(screen, &rest.join(&b';'));
            }
            [first @ (b"10" | b"11"), queries @ ..] => {
                let Some(colors) = self.colors else { return };
                let first = if *first == b"10" { 10 } else { 11 };
                for (n, q) in (first..=11).zip(queries) {
                    if *q != b"?" {
                        break;
                    }
                    let (r, g, b) = if n == 10 { colors.fg } else { colors.bg };
                    let wide = |v: u8| u16::from(v) * 257;
                    let reply = format!(
                        "\x1b]{n};rgb:{:04x}/{:04x}/{:04x}\x1b\\",
                        wide(r),
                        wide(g),
                        wide(b)
                    );
                    self.replies.extend_from_slice(reply.as_bytes());
                }
            }
            _ => {}
        }
    }

    fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, _ty: &[u8], data: &[u8]) {
        use base64::Engine as _;
        if data.len() > MAX_CLIPBOARD_B64 {
            return;
        }
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) {
            self.clipboard = Some(bytes);
        }
    }

    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let p0 = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        match (i1, c) {
            // DA1: a VT220 with ANSI color (xterm answers 62/64 with a feature list).
            (None, 'c') if p0 == 0 => self.replies.extend_from_slice(b"\x1b[?62;22c"),
            // DA2: terminal type 1 (VT220), firmware 10, no ROM cartridge.
            (Some(b'>'), 'c') if p0 == 0 => self.replies.extend_from_slice(b"\x1b[>1;10;0c"),
            (None, 'n') if p0 == 5 => self.replies.extend_from_slice(b"\x1b[0n"),
            // CPR (`CSI 6 n`, `CSI ? 6 n`) is answered by the filter, which knows origin mode.
            // XTWINOPS 18: text area size in characters.
            (None, 't') if p0 == 18 => {
                let (rows, cols) = screen.size();
                let reply = format!("\x1b[8;{rows};{cols}t");
                self.replies.extend_from_slice(reply.as_bytes());
            }
            _ => {}
        }
    }

    fn on_scroll(&mut self, _row: vt100::capture::RowContents<'_>, alternate_screen: bool) {
        if !alternate_screen {
            self.discarded += 1;
        }
    }
}

fn clamped_cursor(screen: &vt100::Screen) -> (u16, u16) {
    let (row, col) = screen.cursor_position();
    let (_, cols) = screen.size();
    (row, col.min(cols.get().saturating_sub(1)))
}

impl Sink for vt100::Parser<Hooks> {
    fn write(&mut self, bytes: &[u8]) {
        self.process(bytes);
    }

    fn cursor(&self) -> (u16, u16) {
        self.screen().cursor_position()
    }

    fn cols(&self) -> u16 {
        self.screen().size().1.get()
    }

    fn rows(&self) -> u16 {
        self.screen().size().0.get()
    }

    fn alternate(&self) -> bool {
        self.screen().alternate_screen()
    }

    fn bg_default(&self) -> bool {
        self.screen().bgcolor() == vt100::Color::Default
    }

    fn reply(&mut self, bytes: &[u8]) {
        self.callbacks_mut().replies.extend_from_slice(bytes);
    }

    fn rendition(&self) -> Vec<u8> {
        self.screen().attributes_formatted().into_bytes()
    }
}

/// One console's terminal: feed it guest bytes, draw it, send back its replies.
pub struct Screen {
    parser: vt100::Parser<Hooks>,
    filter: Filter,
}

fn nz(v: u16) -> NonZeroU16 {
    NonZeroU16::new(v).unwrap_or(NonZeroU16::MIN)
}

impl Screen {
    /// A screen of `cols` x `rows` (0 is taken as 1) with [`DEFAULT_SCROLLBACK`] lines.
    pub fn new(cols: u16, rows: u16) -> Screen {
        Screen::with_scrollback(cols, rows, DEFAULT_SCROLLBACK)
    }

    pub fn with_scrollback(cols: u16, rows: u16, scrollback: usize) -> Screen {
        let (cols, rows) = (nz(cols), nz(rows));
        Screen {
            parser: vt100::Parser::new_with_callbacks(rows, cols, scrollback, Hooks::default()),
            filter: Filter::new(cols.get(), rows.get()),
        }
    }

    /// Feed bytes from the guest. Replies to its queries accumulate in [`Screen::take_replies`].
    pub fn process(&mut self, bytes: &[u8]) {
        self.filter.feed(bytes, &mut self.parser);
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        let (cols, rows) = (nz(cols), nz(rows));
        self.parser.set_size(rows, cols);
        self.filter.resize(cols.get(), rows.get());
    }

    /// (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        let (rows, cols) = self.parser.screen().size();
        (cols.get(), rows.get())
    }

    /// The vt100 screen, for drawing (cells already shifted by the scrollback offset).
    pub fn vt(&self) -> &vt100::Screen {
        self.parser.screen()
    }

    /// The colors to report when the guest asks for its defaults (OSC 10/11); `None`
    /// leaves such queries unanswered.
    pub fn set_reported_colors(&mut self, colors: Option<ReportedColors>) {
        self.parser.callbacks_mut().colors = colors;
    }

    /// Bytes to send back to the guest (answers to DA/DSR/...); empty when none.
    pub fn take_replies(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.parser.callbacks_mut().replies)
    }

    /// The window title set with OSC 0/2, sanitized (may be empty).
    pub fn title(&self) -> &str {
        &self.parser.callbacks().title
    }

    /// Whether the guest rang the bell since the last call.
    pub fn take_bell(&mut self) -> bool {
        std::mem::take(&mut self.parser.callbacks_mut().bell)
    }

    /// Bytes the guest asked to put on the clipboard with OSC 52 (decoded), if any.
    /// The UI decides whether to honour it.
    pub fn take_clipboard(&mut self) -> Option<Vec<u8>> {
        self.parser.callbacks_mut().clipboard.take()
    }

    /// (row, col) of the cursor on the live screen, clamped inside it.
    pub fn cursor(&self) -> (u16, u16) {
        clamped_cursor(self.parser.screen())
    }

    pub fn cursor_visible(&self) -> bool {
        !self.parser.screen().hide_cursor()
    }

    /// The cursor shape the guest asked for with DECSCUSR (`CSI n SP q`).
    pub fn cursor_style(&self) -> vt100::CursorStyle {
        self.parser.screen().cursor_style()
    }

    pub fn alternate_screen(&self) -> bool {
        self.parser.screen().alternate_screen()
    }

    /// The modes key encoding depends on.
    pub fn key_modes(&self) -> KeyModes {
        let s = self.parser.screen();
        KeyModes {
            application_cursor: s.application_cursor(),
            application_keypad: s.application_keypad(),
        }
    }

    /// The bytes for `key` in the guest's current modes.
    pub fn encode_key(&self, key: &KeyEvent) -> Vec<u8> {
        encode_key(key, &self.key_modes())
    }

    /// The report for `ev` in the guest's mouse mode, `None` when the guest does not
    /// want it (the pane may then use the mouse itself: selection, scrolling).
    pub fn encode_mouse(&self, ev: &MouseEvent) -> Option<Vec<u8>> {
        encode_mouse(ev, self.mouse_mode(), self.mouse_encoding())
    }

    pub fn mouse_mode(&self) -> vt100::MouseProtocolMode {
        self.parser.screen().mouse_protocol_mode()
    }

    pub fn mouse_encoding(&self) -> vt100::MouseProtocolEncoding {
        self.parser.screen().mouse_protocol_encoding()
    }

    pub fn bracketed_paste(&self) -> bool {
        self.parser.screen().bracketed_paste()
    }

    /// The bytes to send for pasting `text`: newlines become CR (as xterm sends them) and,
    /// when the guest enabled mode 2004, the text is wrapped in `ESC[200~`..`ESC[201~`
    /// with any embedded end marker removed so pasted text cannot end the paste early.
    pub fn paste_bytes(&self, text: &str) -> Vec<u8> {
        let text = text.replace("\r\n", "\r").replace('\n', "\r");
        if self.bracketed_paste() {
            let inner = text.replace("\x1b[201~", "").replace("\x1b[200~", "");
            let mut out = Vec::with_capacity(inner.len() + 12);
            out.extend_from_slice(b"\x1b[200~");
            out.extend_from_slice(inner.as_bytes());
            out.extend_from_slice(b"\x1b[201~");
            out
        } else {
            text.into_bytes()
        }
    }

    /// Lines of history available above the screen.
    pub fn scrollback_len(&self) -> usize {
        self.parser.screen().scrollback_len()
    }

    /// How many lines the view is scrolled back (0 = live screen).
    pub fn scroll_offset(&self) -> usize {
        self.parser.screen().scrollback()
    }

    /// Set the view offset (clamped to the history length).
    pub fn set_scroll_offset(&mut self, lines: usize) {
        self.parser.screen_mut().set_scrollback(lines);
    }

    /// Scroll the view back (positive) or forward (negative) by `delta` lines.
    pub fn scroll_by(&mut self, delta: isize) {
        let cur = self.scroll_offset();
        self.set_scroll_offset(cur.saturating_add_signed(delta));
    }

    /// Rows dropped off the top of the history so far (selection anchors count from it).
    pub(crate) fn discarded(&self) -> u64 {
        self.parser.callbacks().discarded
    }

    /// The visible rows (scrollback offset applied) as plain text, trailing spaces trimmed:
    /// exactly `rows` strings.
    pub fn text_lines(&self) -> Vec<String> {
        let (cols, rows) = self.size();
        (0..rows).map(|r| self.row_text(r, 0, cols)).collect()
    }

    /// Visible row `row`, columns `from..to`, as text with trailing spaces trimmed; wide
    /// characters count once, empty cells are spaces.
    pub fn row_text(&self, row: u16, from: u16, to: u16) -> String {
        let s = self.parser.screen();
        let mut out = String::new();
        for col in from..to {
            match s.cell(row, col) {
                Some(c) if c.is_wide_continuation() => {}
                Some(c) if c.has_contents() => out.push_str(c.contents()),
                Some(_) => out.push(' '),
                None => break,
            }
        }
        out.truncate(out.trim_end_matches(' ').len());
        out
    }

    /// Whether visible row `row` continues on the next one (soft wrap).
    pub fn row_wrapped(&self, row: u16) -> bool {
        self.parser.screen().row_wrapped(row)
    }

    /// Run `f` with the view scrolled so that history line `index` (0 = oldest kept line,
    /// `scrollback_len()` = first screen row) is visible at the returned row, then restore
    /// the view. Used to read text across the scrollback.
    pub(crate) fn with_line<T>(&mut self, index: usize, f: impl FnOnce(&Screen, u16) -> T) -> T {
        let saved = self.scroll_offset();
        let sb = self.scrollback_len();
        let (offset, row) = if index < sb {
            (sb - index, 0)
        } else {
            (0, index - sb)
        };
        self.set_scroll_offset(offset);
        let row = u16::try_from(row).unwrap_or(u16::MAX);
        let out = f(self, row);
        self.set_scroll_offset(saved);
        out
    }
}

impl std::fmt::Debug for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (cols, rows) = self.size();
        f.debug_struct("Screen")
            .field("cols", &cols)
            .field("rows", &rows)
            .finish_non_exhaustive()
    }
}
