//! Character sets designated with `ESC ( F` / `ESC ) F` and invoked with SO/SI. vt100 0.18
//! parses these sequences but ignores them, so whiptail, dialog, htop and ncurses line
//! drawing (which uses `ESC ( 0` + `lqqk` when the terminfo has `acsc`) would show letters.

/// A designated 94-character set (only the ones real programs use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Charset {
    #[default]
    Ascii,
    /// DEC Special Graphics (`ESC ( 0`): line drawing.
    DecGraphics,
    /// United Kingdom (`ESC ( A`): `#` is the pound sign.
    Uk,
}

impl Charset {
    /// The set named by the final byte of a designation (`B` ASCII, `0` DEC, `A` UK).
    /// Unknown sets fall back to ASCII, as xterm does for sets it lacks.
    pub(crate) fn from_final(b: u8) -> Charset {
        match b {
            b'0' => Charset::DecGraphics,
            b'A' => Charset::Uk,
            _ => Charset::Ascii,
        }
    }

    /// Whether `b` (a printable ASCII byte) is drawn differently in this set.
    #[inline]
    pub(crate) fn remaps(self, b: u8) -> bool {
        match self {
            Charset::Ascii => false,
            Charset::DecGraphics => (0x5f..=0x7e).contains(&b),
            Charset::Uk => b == b'#',
        }
    }

    /// The character drawn for `b`; only meaningful when [`Charset::remaps`] is true.
    pub(crate) fn map(self, b: u8) -> char {
        match self {
            Charset::Ascii => char::from(b),
            Charset::Uk => {
                if b == b'#' {
                    '£'
                } else {
                    char::from(b)
                }
            }
            Charset::DecGraphics => dec_graphic(b),
        }
    }
}

/// The DEC Special Graphics table (VT100 manual, table 3-9; the glyphs xterm draws).
fn dec_graphic(b: u8) -> char {
    match b {
        b'_' => '\u{a0}',
        b'`' => '◆',
        b'a' => '▒',
        b'b' => '␉',
        b'c' => '␌',
        b'd' => '␍',
        b'e' => '␊',
        b'f' => '°',
        b'g' => '±',
        b'h' => '␤',
        b'i' => '␋',
        b'j' => '┘',
        b'k' => '┐',
        b'l' => '┌',
        b'm' => '└',
        b'n' => '┼',
        b'o' => '⎺',
        b'p' => '⎻',
        b'q' => '─',
        b'r' => '⎼',
        b's' => '⎽',
        b't' => '├',
        b'u' => '┤',
        b'v' => '┴',
        b'w' => '┬',
        b'x' => '│',
        b'y' => '≤',
        b'z' => '≥',
        b'{' => 'π',
        b'|' => '≠',
        b'}' => '£',
        b'~' => '·',
        _ => char::from(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_corners_and_lines() {
        let s: String = b"lqkxjmtuvwn"
            .iter()
            .map(|&b| Charset::DecGraphics.map(b))
            .collect();
        assert_eq!(s, "┌─┐│┘└├┤┴┬┼");
        assert!(!Charset::DecGraphics.remaps(b'A'));
        assert!(Charset::Uk.remaps(b'#'));
        assert_eq!(Charset::from_final(b'B'), Charset::Ascii);
    }
}
