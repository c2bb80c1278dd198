//! The replay pane (`proximity replay` without `--dump`): the recorded screen in a bordered
//! pane. The top border carries the file name and position / duration / speed (the player's
//! status), the bottom border the keys and whether it plays, is paused or has ended.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::widgets::{Block, Borders, Widget};

use super::widgets::put;
use crate::term::Screen;
use crate::ui::replay::{Replay, clock, speed_label};
use crate::ui::term_widget::{TermStyle, TermWidget};
use crate::ui::theme::{Theme, ThemeKey};

/// Narrowest pane (when the terminal allows): room for the keys on the bottom border even
/// when the recording is small.
const MIN_PANE_WIDTH: u16 = 78;

/// What the pane shows.
pub struct ReplayView<'a> {
    /// The recording's file name, already sanitized.
    pub title: &'a str,
    pub replay: &'a Replay,
    pub screen: &'a Screen,
    pub theme: &'a Theme,
}

/// The pane: the recording's size plus its border, at the top left, cut to `area`.
pub fn pane(screen: &Screen, area: Rect) -> Rect {
    let (cols, rows) = screen.size();
    Rect {
        width: cols.saturating_add(2).max(MIN_PANE_WIDTH).min(area.width),
        height: rows.saturating_add(2).min(area.height),
        ..area
    }
}

/// Draw the whole replay screen into `area`.
pub fn draw(view: &ReplayView, area: Rect, buf: &mut Buffer) {
    let t = view.theme;
    buf.set_style(area, t.style(ThemeKey::Background));
    let pane = pane(view.screen, area);
    if pane.width < 4 || pane.height < 3 {
        return;
    }
    Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(true))
        .render(pane, buf);
    let right = pane.right().saturating_sub(1);
    let r = view.replay;

    let x = put(
        buf,
        pane.x + 1,
        pane.y,
        &format!(" {} ", view.title),
        t.style(ThemeKey::Selection),
        right.saturating_sub(pane.x + 1),
    );
    let pos = format!(
        " {} / {}  {} ",
        clock(r.position()),
        clock(r.duration()),
        speed_label(r.speed())
    );
    let w = (pos.chars().count() as u16).min(right.saturating_sub(x));
    put(buf, right.saturating_sub(w), pane.y, &pos, t.text(), w);

    let bottom = pane.bottom() - 1;
    let (state, style) = if r.finished() {
        (" END ", t.style(ThemeKey::ToastOk))
    } else if r.paused() {
        (" PAUSED ", t.style(ThemeKey::LcdBusy))
    } else {
        (" PLAYING ", t.text())
    };
    let mut x = pane.x + 1;
    for (key, label) in [
        ("space", "pause"),
        ("+/-", "speed"),
        (".", "step"),
        ("←/→", "seek"),
        ("g/G", "start/end"),
        ("q", "quit"),
    ] {
        x = put(
            buf,
            x,
            bottom,
            &format!(" {key}"),
            t.style(ThemeKey::Key),
            right.saturating_sub(x),
        );
        x = put(
            buf,
            x,
            bottom,
            &format!(" {label} "),
            t.dim(),
            right.saturating_sub(x),
        );
    }
    let w = (state.len() as u16).min(right.saturating_sub(x));
    put(buf, right.saturating_sub(w), bottom, state, style, w);

    let ts = TermStyle::from_theme(t);
    TermWidget::new(view.screen, ts).render(inner(pane), buf);
}

/// Where the terminal cursor goes: the recorded cursor, inside the pane.
pub fn cursor(screen: &Screen, area: Rect) -> Option<Position> {
    let inner = inner(pane(screen, area));
    TermWidget::new(screen, TermStyle::default()).cursor_position(inner)
}

fn inner(pane: Rect) -> Rect {
    Rect {
        x: pane.x + 1,
        y: pane.y + 1,
        width: pane.width.saturating_sub(2),
        height: pane.height.saturating_sub(2),
    }
}
