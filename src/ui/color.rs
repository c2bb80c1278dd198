//! Colors for themes: terminal color depth detection (`NO_COLOR`, `COLORTERM`, `TERM`),
//! color names in theme files, and fitting true color down to 256 or 16 colors.

use std::collections::BTreeMap;

use ratatui::style::Color;

/// How many colors the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    TrueColor,
    Ansi256,
    Ansi16,
    /// `NO_COLOR`: modifiers only.
    None,
}

impl ColorDepth {
    /// From `NO_COLOR`, `COLORTERM` and `TERM` (passed in so tests need no env).
    pub fn detect(
        no_color: Option<&str>,
        colorterm: Option<&str>,
        term: Option<&str>,
    ) -> ColorDepth {
        // no-color.org: set and non-empty disables color.
        if no_color.is_some_and(|v| !v.is_empty()) {
            return ColorDepth::None;
        }
        let ct = colorterm.unwrap_or("").to_ascii_lowercase();
        if ct.contains("truecolor") || ct.contains("24bit") {
            return ColorDepth::TrueColor;
        }
        let term = term.unwrap_or("").to_ascii_lowercase();
        if term.contains("direct") {
            ColorDepth::TrueColor
        } else if term.contains("256") {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }

    pub fn from_env() -> ColorDepth {
        let get = |k: &str| std::env::var(k).ok();
        ColorDepth::detect(
            get("NO_COLOR").as_deref(),
            get("COLORTERM").as_deref(),
            get("TERM").as_deref(),
        )
    }
}

/// `#rrggbb`, an ANSI name, `reset`, an index `0`..`255`, or a palette name.
pub(super) fn parse_color(s: &str, palette: &BTreeMap<String, Color>) -> Option<Color> {
    if let Some(c) = palette.get(s) {
        return Some(*c);
    }
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).ok()?;
            return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return None;
    }
    if let Ok(i) = s.parse::<u8>() {
        return Some(Color::Indexed(i));
    }
    Some(match s {
        "reset" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "dark-gray" | "dark-grey" => Color::DarkGray,
        "light-red" => Color::LightRed,
        "light-green" => Color::LightGreen,
        "light-yellow" => Color::LightYellow,
        "light-blue" => Color::LightBlue,
        "light-magenta" => Color::LightMagenta,
        "light-cyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return None,
    })
}

/// The 16 ANSI colors as terminals commonly draw them (xterm defaults).
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

/// The RGB value a color is drawn with (xterm's defaults for the 16 and 256 palettes);
/// `None` for `Reset`, which is whatever the user's terminal uses.
pub fn rgb_of(c: Color) -> Option<(u8, u8, u8)> {
    match c {
        Color::Reset => None,
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i @ 0..=15) => ANSI16.get(usize::from(i)).map(|(_, rgb)| *rgb),
        Color::Indexed(i @ 16..=231) => {
            let steps = [0u8, 95, 135, 175, 215, 255];
            let i = usize::from(i - 16);
            Some((steps[i / 36], steps[i / 6 % 6], steps[i % 6]))
        }
        Color::Indexed(i) => {
            let v = 8 + 10 * (i - 232);
            Some((v, v, v))
        }
        named => ANSI16
            .iter()
            .find(|(c, _)| *c == named)
            .map(|(_, rgb)| *rgb),
    }
}

fn dist2(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs();
    d(a.0, b.0).pow(2) + d(a.1, b.1).pow(2) + d(a.2, b.2).pow(2)
}

/// Fit a color to the terminal: true color passes, 256 uses the 6x6x6 cube or the gray
/// ramp, 16 takes the nearest ANSI color.
pub fn downgrade(c: Color, depth: ColorDepth) -> Color {
    let Color::Rgb(r, g, b) = c else { return c };
    match depth {
        ColorDepth::TrueColor => c,
        ColorDepth::None => Color::Reset,
        ColorDepth::Ansi256 => {
            let level = |v: u8| -> u8 {
                if v < 48 {
                    0
                } else if v < 115 {
                    1
                } else {
                    (v - 35) / 40
                }
            };
            let (ri, gi, bi) = (level(r), level(g), level(b));
            let steps = [0u8, 95, 135, 175, 215, 255];
            let cube = (steps[ri as usize], steps[gi as usize], steps[bi as usize]);
            let avg = ((u16::from(r) + u16::from(g) + u16::from(b)) / 3) as u8;
            let gray_i = if avg > 238 {
                23
            } else {
                avg.saturating_sub(3) / 10
            };
            let gray_v = 8 + 10 * gray_i;
            if dist2((gray_v, gray_v, gray_v), (r, g, b)) < dist2(cube, (r, g, b)) {
                Color::Indexed(232 + gray_i)
            } else {
                Color::Indexed(16 + 36 * ri + 6 * gi + bi)
            }
        }
        ColorDepth::Ansi16 => ANSI16
            .iter()
            .min_by_key(|(_, rgb)| dist2(*rgb, (r, g, b)))
            .map(|(c, _)| *c)
            .unwrap_or(Color::Reset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_detection() {
        assert_eq!(
            ColorDepth::detect(Some("1"), Some("truecolor"), None),
            ColorDepth::None
        );
        assert_eq!(
            ColorDepth::detect(Some(""), Some("truecolor"), None),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::detect(None, None, Some("xterm-256color")),
            ColorDepth::Ansi256
        );
        assert_eq!(
            ColorDepth::detect(None, None, Some("screen")),
            ColorDepth::Ansi16
        );
    }

    #[test]
    fn rgb_of_follows_xterms_palettes() {
        assert_eq!(rgb_of(Color::Reset), None);
        assert_eq!(rgb_of(Color::Rgb(1, 2, 3)), Some((1, 2, 3)));
        assert_eq!(rgb_of(Color::Indexed(1)), Some((205, 0, 0)));
        assert_eq!(rgb_of(Color::Red), Some((205, 0, 0)));
        assert_eq!(rgb_of(Color::Indexed(16)), Some((0, 0, 0)));
        assert_eq!(rgb_of(Color::Indexed(196)), Some((255, 0, 0)));
        assert_eq!(rgb_of(Color::Indexed(67)), Some((95, 135, 175)));
        assert_eq!(rgb_of(Color::Indexed(232)), Some((8, 8, 8)));
        assert_eq!(rgb_of(Color::Indexed(255)), Some((238, 238, 238)));
    }

    #[test]
    fn downgrade_maps_into_range() {
        assert_eq!(
            downgrade(Color::Rgb(255, 0, 0), ColorDepth::Ansi256),
            Color::Indexed(196)
        );
        assert_eq!(
            downgrade(Color::Rgb(0, 0, 0), ColorDepth::Ansi256),
            Color::Indexed(16)
        );
        assert_eq!(
            downgrade(Color::Rgb(128, 128, 128), ColorDepth::Ansi256),
            Color::Indexed(244)
        );
        assert_eq!(
            downgrade(Color::Rgb(250, 10, 10), ColorDepth::Ansi16),
            Color::LightRed
        );
    }
}
