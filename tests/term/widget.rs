//! The console widget: colors with theme defaults, attributes, wide characters, cursor,
//! scrollback offset and selection highlight, drawn into a plain ratatui Buffer.

use proximity::term::{Screen, Selection};
use proximity::ui::term_widget::{TermStyle, TermWidget};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;

fn theme() -> TermStyle {
    TermStyle {
        fg: Color::Rgb(200, 200, 200),
        bg: Color::Rgb(10, 10, 30),
        selection: Style::new().bg(Color::Blue),
    }
}

fn row_text(buf: &Buffer, y: u16) -> String {
    (buf.area.x..buf.area.right())
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect::<String>()
}

#[test]
fn draws_colors_attributes_and_wide_characters() {
    let mut s = Screen::new(10, 3);
    s.process(
        "\x1b[31mr\x1b[38;5;202mo\x1b[38;2;1;2;3mt\x1b[0;1;4mb\x1b[0;7mv\x1b[0m日x".as_bytes(),
    );
    let area = Rect::new(2, 1, 12, 4);
    let mut buf = Buffer::empty(Rect::new(0, 0, 16, 6));
    // Leftovers from a previous frame must not leak into the console.
    buf.set_style(area, Style::new().add_modifier(Modifier::ITALIC));
    TermWidget::new(&s, theme()).render(area, &mut buf);
    assert_eq!(row_text(&buf, 1), "  rotbv日 x      ");
    let c = |x: u16| &buf[(2 + x, 1)];
    assert_eq!(c(0).fg, Color::Indexed(1));
    assert_eq!(c(0).bg, Color::Rgb(10, 10, 30));
    assert_eq!(c(1).fg, Color::Indexed(202));
    assert_eq!(c(2).fg, Color::Rgb(1, 2, 3));
    assert_eq!(c(3).modifier, Modifier::BOLD | Modifier::UNDERLINED);
    assert_eq!(c(4).modifier, Modifier::REVERSED);
    assert_eq!(c(5).symbol(), "日");
    assert_eq!(c(5).fg, Color::Rgb(200, 200, 200));
    assert_eq!(c(5).modifier, Modifier::empty());
    // Columns 10-11 and row 3 are outside the 10x3 screen: theme background.
    assert_eq!(c(11).bg, Color::Rgb(10, 10, 30));
    assert_eq!(buf[(3, 4)].bg, Color::Rgb(10, 10, 30));
    // Outside the area nothing was touched.
    assert_eq!(buf[(0, 0)], ratatui::buffer::Cell::EMPTY);
}

#[test]
fn erased_cells_are_not_underlined() {
    let mut s = Screen::new(6, 1);
    s.process(b"\x1b[4;44mab\x1b[K");
    let area = Rect::new(0, 0, 6, 1);
    let mut buf = Buffer::empty(area);
    TermWidget::new(&s, theme()).render(area, &mut buf);
    assert_eq!(buf[(1, 0)].modifier, Modifier::UNDERLINED);
    assert_eq!(buf[(3, 0)].modifier, Modifier::empty());
    assert_eq!(buf[(3, 0)].bg, Color::Indexed(4));
}

#[test]
fn cursor_follows_guest_and_hides() {
    let mut s = Screen::new(10, 3);
    s.process(b"\x1b[2;4H");
    let area = Rect::new(5, 5, 10, 3);
    let w = TermWidget::new(&s, theme());
    assert_eq!(w.cursor_position(area), Some(Position::new(8, 6)));
    assert_eq!(w.cursor_position(Rect::new(0, 0, 3, 3)), None);
    s.process(b"\x1b[?25l");
    assert_eq!(TermWidget::new(&s, theme()).cursor_position(area), None);
}

#[test]
fn scrollback_offset_and_selection_highlight() {
    let mut s = Screen::new(8, 2);
    s.process(b"one\r\ntwo\r\nthree\r\nfour");
    s.set_scroll_offset(2);
    let area = Rect::new(0, 0, 8, 2);
    let mut buf = Buffer::empty(area);
    let mut sel = Selection::new();
    sel.start(&s, 1, 1);
    sel.extend(&s, 1, 2);
    TermWidget::new(&s, theme())
        .selection(Some(&sel))
        .render(area, &mut buf);
    assert_eq!(row_text(&buf, 0), "one     ");
    assert_eq!(row_text(&buf, 1), "two     ");
    assert_eq!(buf[(0, 1)].bg, Color::Rgb(10, 10, 30));
    assert_eq!(buf[(1, 1)].bg, Color::Blue);
    assert_eq!(buf[(2, 1)].bg, Color::Blue);
    assert_eq!(buf[(3, 1)].bg, Color::Rgb(10, 10, 30));
    // Scrolled back: no cursor.
    assert_eq!(TermWidget::new(&s, theme()).cursor_position(area), None);
    assert_eq!(sel.text(&mut s), "wo");
}
