//! Keys as xterm encodes them (xterm's ctlseqs "PC-Style Function Keys" and its default
//! `modifyCursorKeys`/`modifyFunctionKeys` = 2): the console pane turns crossterm events
//! into our [`KeyEvent`] and sends [`encode_key`]'s bytes to the guest.

/// Shift, Alt and Ctrl held with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Modifiers {
    pub shift: bool,
    pub alt: bool,
    pub ctrl: bool,
}

impl Modifiers {
    pub const NONE: Modifiers = Modifiers {
        shift: false,
        alt: false,
        ctrl: false,
    };
    pub const SHIFT: Modifiers = Modifiers {
        shift: true,
        alt: false,
        ctrl: false,
    };
    pub const ALT: Modifiers = Modifiers {
        shift: false,
        alt: true,
        ctrl: false,
    };
    pub const CTRL: Modifiers = Modifiers {
        shift: false,
        alt: false,
        ctrl: true,
    };

    /// xterm's modifier parameter: 1 + shift(1) + alt(2) + ctrl(4); 1 means none.
    fn param(self) -> u8 {
        1 + u8::from(self.shift) + 2 * u8::from(self.alt) + 4 * u8::from(self.ctrl)
    }
}

/// A key, independent of any terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCode {
    Char(char),
    Enter,
    Backspace,
    Tab,
    /// Shift+Tab as crossterm reports it.
    BackTab,
    Esc,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Insert,
    Delete,
    /// F1..=F12 (others are ignored).
    F(u8),
    /// A key of the numeric keypad: `0`-`9`, `.`, `+`, `-`, `*`, `/`, `=`, or `\r` (Enter).
    Keypad(char),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEvent {
    pub code: KeyCode,
    pub mods: Modifiers,
}

impl KeyEvent {
    pub fn new(code: KeyCode, mods: Modifiers) -> KeyEvent {
        KeyEvent { code, mods }
    }

    pub fn plain(code: KeyCode) -> KeyEvent {
        KeyEvent {
            code,
            mods: Modifiers::NONE,
        }
    }
}

/// The guest-selected modes that change what keys send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyModes {
    /// DECCKM (`CSI ? 1 h`): arrows and Home/End send SS3 instead of CSI.
    pub application_cursor: bool,
    /// DECKPAM (`ESC =`): the keypad sends SS3 sequences.
    pub application_keypad: bool,
}

/// The bytes xterm sends for `key` (empty for keys it does not send anything for).
pub fn encode_key(key: &KeyEvent, modes: &KeyModes) -> Vec<u8> {
    let m = key.mods;
    let modded = m != Modifiers::NONE;
    match key.code {
        KeyCode::Char(c) => encode_char(c, m),
        KeyCode::Enter => alt_prefix(m.alt, b"\r"),
        KeyCode::Backspace => {
            // xterm's default: DEL, Ctrl+Backspace sends BS.
            let b: &[u8] = if m.ctrl { b"\x08" } else { b"\x7f" };
            alt_prefix(m.alt, b)
        }
        KeyCode::Tab if m.shift => b"\x1b[Z".to_vec(),
        KeyCode::Tab => alt_prefix(m.alt, b"\t"),
        KeyCode::BackTab => b"\x1b[Z".to_vec(),
        KeyCode::Esc => alt_prefix(m.alt, b"\x1b"),
        KeyCode::Up => cursor_key(b'A', m, modes),
        KeyCode::Down => cursor_key(b'B', m, modes),
        KeyCode::Right => cursor_key(b'C', m, modes),
        KeyCode::Left => cursor_key(b'D', m, modes),
        KeyCode::Home => cursor_key(b'H', m, modes),
        KeyCode::End => cursor_key(b'F', m, modes),
        KeyCode::Insert => tilde(2, m),
        KeyCode::Delete => tilde(3, m),
        KeyCode::PageUp => tilde(5, m),
        KeyCode::PageDown => tilde(6, m),
        KeyCode::F(n @ 1..=4) => {
            let fin = b'P' + (n - 1);
            if modded {
                format!("\x1b[1;{}{}", m.param(), char::from(fin)).into_bytes()
            } else {
                vec![0x1b, b'O', fin]
            }
        }
        KeyCode::F(n @ 5..=12) => {
            // The VT220 numbering skips 16 and 22.
            const CODES: [u8; 8] = [15, 17, 18, 19, 20, 21, 23, 24];
            tilde(CODES[usize::from(n - 5)], m)
        }
        KeyCode::F(_) => Vec::new(),
        KeyCode::Keypad(c) => keypad(c, m, modes),
    }
}

fn alt_prefix(alt: bool, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 1);
    if alt {
        out.push(0x1b);
    }
    out.extend_from_slice(bytes);
    out
}

/// Ctrl+key as a control byte, the way xterm maps the US layout.
fn ctrl_byte(c: char) -> Option<u8> {
    let b = match c {
        'a'..='z' => c as u8 - b'a' + 1,
        'A'..='Z' => c as u8 - b'A' + 1,
        '@' | ' ' | '2' => 0,
        '[' | '3' => 0x1b,
        '\\' | '4' => 0x1c,
        ']' | '5' => 0x1d,
        '^' | '6' | '~' => 0x1e,
        '_' | '7' | '/' | '-' => 0x1f,
        '?' | '8' => 0x7f,
        _ => return None,
    };
    Some(b)
}

fn encode_char(c: char, m: Modifiers) -> Vec<u8> {
    if m.ctrl
        && let Some(b) = ctrl_byte(c)
    {
        return alt_prefix(m.alt, &[b]);
    }
    let mut buf = [0u8; 4];
    alt_prefix(m.alt, c.encode_utf8(&mut buf).as_bytes())
}

/// Arrows, Home, End: `CSI x` or `SS3 x` (application cursor), `CSI 1;m x` with modifiers.
fn cursor_key(fin: u8, m: Modifiers, modes: &KeyModes) -> Vec<u8> {
    if m != Modifiers::NONE {
        return format!("\x1b[1;{}{}", m.param(), char::from(fin)).into_bytes();
    }
    let intro = if modes.application_cursor { b'O' } else { b'[' };
    vec![0x1b, intro, fin]
}

/// `CSI n ~` keys, `CSI n;m ~` with modifiers.
fn tilde(n: u8, m: Modifiers) -> Vec<u8> {
    if m == Modifiers::NONE {
        format!("\x1b[{n}~").into_bytes()
    } else {
        format!("\x1b[{n};{}~", m.param()).into_bytes()
    }
}

fn keypad(c: char, m: Modifiers, modes: &KeyModes) -> Vec<u8> {
    if !modes.application_keypad {
        return if c == '\r' {
            alt_prefix(m.alt, b"\r")
        } else {
            encode_char(c, m)
        };
    }
    // xterm's DECKPAM table: SS3 followed by p..y for digits, and these for the rest.
    let fin = match c {
        '0'..='9' => b'p' + (c as u8 - b'0'),
        '\r' => b'M',
        '*' => b'j',
        '+' => b'k',
        ',' => b'l',
        '-' => b'm',
        '.' => b'n',
        '/' => b'o',
        '=' => b'X',
        _ => return encode_char(c, m),
    };
    vec![0x1b, b'O', fin]
}
