//! Small drawing helpers shared by the views: clipped text, mini bars, boxes, durations.
//! They write straight into the buffer (no per-cell allocation) because the rack draws
//! hundreds of slots per frame.

use std::time::SystemTime;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Clear, Widget};

use crate::ui::theme::{Theme, ThemeKey};

/// Write `s` at (x, y), at most `max` columns; returns the column after it.
pub fn put(buf: &mut Buffer, x: u16, y: u16, s: &str, style: Style, max: u16) -> u16 {
    if max == 0 || y >= buf.area.bottom() || x >= buf.area.right() {
        return x;
    }
    let max = max.min(buf.area.right() - x);
    // Fast path for ASCII (vmids, most names, labels): one cell per byte, no grapheme
    // segmentation. Control bytes never get here (text is sanitized first) but are skipped
    // defensively.
    if s.is_ascii() {
        let n = s.len().min(usize::from(max));
        for (i, b) in s.bytes().take(n).enumerate() {
            let c = if b.is_ascii_control() {
                ' '
            } else {
                char::from(b)
            };
            buf[(x + i as u16, y)].set_char(c).set_style(style);
        }
        return x + n as u16;
    }
    buf.set_stringn(x, y, s, usize::from(max), style).0
}

const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/// A mini bar `width` cells wide for `fraction` (0..=1), with eighth-cell resolution.
pub fn bar(buf: &mut Buffer, x: u16, y: u16, width: u16, fraction: f64, fill: Style, empty: Style) {
    bar_with(buf, x, y, width, fraction, fill, empty, '░');
}

/// `bar` with a chosen character for the empty part (a space on a selected row, where a
/// shade pattern would be noise).
#[allow(clippy::too_many_arguments)]
pub fn bar_with(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    width: u16,
    fraction: f64,
    fill: Style,
    empty: Style,
    empty_char: char,
) {
    if y >= buf.area.bottom() {
        return;
    }
    let f = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let eighths = (f * f64::from(width) * 8.0).round() as u32;
    for i in 0..width {
        let cx = x + i;
        if cx >= buf.area.right() {
            break;
        }
        let cell_eighths = eighths.saturating_sub(u32::from(i) * 8).min(8);
        let cell = &mut buf[(cx, y)];
        match cell_eighths {
            8 => {
                cell.set_char('█').set_style(fill);
            }
            0 => {
                cell.set_char(empty_char).set_style(empty);
            }
            n => {
                cell.set_char(EIGHTHS[n as usize]).set_style(fill);
            }
        }
    }
}

/// A bordered box with a title; returns the inner area.
pub fn boxed(buf: &mut Buffer, area: Rect, title: &str, theme: &Theme, focused: bool) -> Rect {
    let block = Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(theme.border(focused))
        .title(Line::styled(
            format!(" {title} "),
            theme.style(ThemeKey::Title),
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// A popup box centered in `area`, cleared underneath.
pub fn popup_box(
    buf: &mut Buffer,
    area: Rect,
    width: u16,
    height: u16,
    title: &str,
    theme: &Theme,
) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(r, buf);
    buf.set_style(r, theme.style(ThemeKey::Popup));
    boxed(buf, r, title, theme, true)
}

/// `3d 4h`, `5h 2m`, `7m`, `12s`.
pub fn duration(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{secs}s")
    }
}

/// Age of `then` at `now` (0 if the clock went backwards).
pub fn age(now: SystemTime, then: SystemTime) -> String {
    duration(now.duration_since(then).map(|d| d.as_secs()).unwrap_or(0))
}

/// `1.5G`, `512M`.
pub fn bytes(n: u64) -> String {
    const G: f64 = 1024.0 * 1024.0 * 1024.0;
    let g = n as f64 / G;
    if g >= 1.0 {
        format!("{g:.1}G")
    } else {
        format!("{}M", n / (1024 * 1024))
    }
}
