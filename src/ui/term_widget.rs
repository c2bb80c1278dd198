//! The console pane's drawing: a [`Screen`] (with its scrollback offset and an optional
//! selection) painted into a ratatui `Buffer`, cell by cell, only the visible cells.
//! Default colors come from the theme through [`TermStyle`]; guest colors (16, 256,
//! truecolor) pass through unchanged.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;

use crate::term::{Screen, Selection};
use crate::ui::theme::ThemeKey;

/// What the theme decides for a console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermStyle {
    /// Used where the guest asked for the default foreground.
    pub fg: Color,
    /// Used where the guest asked for the default background.
    pub bg: Color,
    /// Patched over selected cells.
    pub selection: Style,
}

impl TermStyle {
    /// The theme's text color and background as the guest's defaults.
    pub fn from_theme(t: &crate::ui::theme::Theme) -> TermStyle {
        TermStyle {
            fg: t.text().fg.unwrap_or(Color::Reset),
            bg: t.style(ThemeKey::Background).bg.unwrap_or(Color::Reset),
            ..TermStyle::default()
        }
    }

    /// The default colors as RGB, for answering a guest's OSC 10/11 query; `None` where
    /// the theme leaves a color to the user's terminal, whose value we do not know.
    pub fn reported_colors(&self) -> Option<crate::term::ReportedColors> {
        Some(crate::term::ReportedColors {
            fg: crate::ui::color::rgb_of(self.fg)?,
            bg: crate::ui::color::rgb_of(self.bg)?,
        })
    }
}

impl Default for TermStyle {
    fn default() -> Self {
        TermStyle {
            fg: Color::Reset,
            bg: Color::Reset,
            selection: Style::new().add_modifier(Modifier::REVERSED),
        }
    }
}

/// Draws `screen` into the area it is rendered in; rows and columns beyond the screen are
/// filled with the default background.
pub struct TermWidget<'a> {
    screen: &'a Screen,
    style: TermStyle,
    selection: Option<&'a Selection>,
}

impl<'a> TermWidget<'a> {
    pub fn new(screen: &'a Screen, style: TermStyle) -> Self {
        TermWidget {
            screen,
            style,
            selection: None,
        }
    }

    pub fn selection(mut self, selection: Option<&'a Selection>) -> Self {
        self.selection = selection.filter(|s| s.is_active());
        self
    }

    /// Where the terminal cursor should be set (`Frame::set_cursor_position`), or `None`
    /// when it is hidden by the guest, scrolled out of view, or outside `area`.
    pub fn cursor_position(&self, area: Rect) -> Option<Position> {
        if !self.screen.cursor_visible() || self.screen.scroll_offset() > 0 {
            return None;
        }
        let (row, col) = self.screen.cursor();
        (row < area.height && col < area.width).then(|| Position::new(area.x + col, area.y + row))
    }
}

fn color(c: vt100::Color, default: Color) -> Color {
    match c {
        vt100::Color::Default => default,
        vt100::Color::Idx(i) => Color::Indexed(i),
        vt100::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

/// (fg, bg, modifiers) of a guest cell with the theme's defaults.
fn cell_look(cell: &vt100::Cell, ts: &TermStyle) -> (Color, Color, Modifier) {
    let mut m = Modifier::empty();
    m.set(Modifier::BOLD, cell.bold());
    m.set(Modifier::DIM, cell.dim());
    m.set(Modifier::ITALIC, cell.italic());
    m.set(Modifier::UNDERLINED, cell.underline());
    m.set(Modifier::REVERSED, cell.inverse());
    (
        color(cell.fgcolor(), ts.fg),
        color(cell.bgcolor(), ts.bg),
        m,
    )
}

/// Overwrite every attribute of `out` (not `Cell::set_style`, which would keep modifiers
/// left from whatever was drawn there before).
fn paint(out: &mut ratatui::buffer::Cell, symbol: &str, (fg, bg, m): (Color, Color, Modifier)) {
    out.set_symbol(symbol);
    out.fg = fg;
    out.bg = bg;
    out.modifier = m;
    out.diff_option = ratatui::buffer::CellDiffOption::None;
}

impl Widget for TermWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let blank = (self.style.fg, self.style.bg, Modifier::empty());
        let sel_style = self.style.selection;
        let (cols, rows) = self.screen.size();
        let vt = self.screen.vt();
        for y in 0..area.height {
            let line = self
                .selection
                .map(|_| Selection::visible_line(self.screen, y));
            let start = buf.index_of(area.x, area.y + y);
            let row = &mut buf.content[start..start + usize::from(area.width)];
            for (x, out) in (0..area.width).zip(row.iter_mut()) {
                let cell = if y < rows && x < cols {
                    vt.cell(y, x)
                } else {
                    None
                };
                let Some(cell) = cell else {
                    paint(out, " ", blank);
                    continue;
                };
                let mut look = cell_look(cell, &self.style);
                if !cell.has_contents() {
                    // vt100 erases with every attribute; xterm's erase keeps only the
                    // colors, so no underline runs along cleared space.
                    look.2.remove(Modifier::UNDERLINED);
                }
                if let (Some(sel), Some(line)) = (self.selection, line)
                    && sel.contains_line(line, x)
                {
                    look.0 = sel_style.fg.unwrap_or(look.0);
                    look.1 = sel_style.bg.unwrap_or(look.1);
                    look.2 = (look.2 | sel_style.add_modifier) - sel_style.sub_modifier;
                }
                // A wide character's second cell stays blank: ratatui skips it when diffing,
                // as `Buffer::set_string` leaves it.
                let symbol = if cell.is_wide_continuation() || !cell.has_contents() {
                    " "
                } else {
                    cell.contents()
                };
                paint(out, symbol, look);
            }
        }
    }
}
