//! The console screen: the active session's terminal in a bordered pane (full screen or
//! beside the rack). The top border carries the tabs and the guest's window title; the
//! bottom border the escape chord and what follows it, or why the session ended; in copy
//! mode it says COPY with that mode's keys, and the copy cursor and selection are drawn.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::widgets::{Block, Borders, Widget};

use super::super::action::Action;
use super::super::console::{Session, SessionState, Sessions, pane_inner};
use super::super::console_copy::visible_row;
use super::super::console_layer::ConsoleLayer;
use super::super::keymap::{Context, Keymap};
use super::super::layer::LayerCtx;
use super::super::term_widget::{TermStyle, TermWidget};
use super::super::theme::Theme;
use super::widgets::put;
use crate::ui::theme::ThemeKey;

/// The pane (full screen, or beside the rack with or without the keyboard).
pub fn draw_pane(sessions: &Sessions, pane: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    if pane.width < 4 || pane.height < 3 {
        return;
    }
    let t = ctx.theme;
    let Some(active) = sessions.active() else {
        return;
    };
    let flash = active.bell_until.is_some_and(|until| until > ctx.now);
    let border = if flash {
        t.style(ThemeKey::LcdAlert)
    } else {
        t.border(ctx.focused)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .render(pane, buf);

    // Top border: tabs, then the window title of the active one.
    let right = pane.right().saturating_sub(1);
    let mut x = pane.x + 1;
    for (i, s) in sessions.list.iter().enumerate() {
        let mark = match s.state {
            SessionState::Live => "",
            SessionState::Connecting => " …",
            SessionState::Closed(_) => " ✖",
        };
        let label = format!(" {}:{}{mark} ", i + 1, s.name);
        let style = if i == sessions.active {
            t.style(ThemeKey::Selection)
        } else {
            t.dim()
        };
        x = put(buf, x, pane.y, &label, style, right.saturating_sub(x));
    }
    let title = crate::text::clean_string(active.screen.title());
    let scroll = active.screen.scroll_offset();
    let scroll_label =
        (scroll > 0).then(|| format!(" ↑ {scroll}/{} ", active.screen.scrollback_len()));
    let scroll_w = scroll_label
        .as_ref()
        .map_or(0, |s| s.chars().count() as u16);
    if !title.is_empty() {
        let room = right.saturating_sub(x).saturating_sub(scroll_w);
        put(
            buf,
            x,
            pane.y,
            &format!(" {title} "),
            t.style(ThemeKey::Title),
            room,
        );
    }
    if let Some(s) = scroll_label {
        put(
            buf,
            right.saturating_sub(scroll_w),
            pane.y,
            &s,
            t.style(ThemeKey::Key),
            scroll_w,
        );
    }

    // Bottom border: the escape chord and its keys, or the session's state.
    let y = pane.bottom() - 1;
    let key = |a: Action| {
        ctx.keymap
            .keys_for(Context::Console, a)
            .into_iter()
            .next()
            .unwrap_or_default()
    };
    let chord = key(Action::ConsoleEscape);
    let mut x = pane.x + 1;
    if !ctx.focused {
        // Beside the rack without the keyboard: say how to give it back.
        let back = ctx
            .keymap
            .keys_for(Context::Rack, Action::Consoles)
            .into_iter()
            .next()
            .unwrap_or_default();
        x = put(
            buf,
            x,
            y,
            &format!(" {back} "),
            t.style(ThemeKey::Key),
            right.saturating_sub(x),
        );
        put(
            buf,
            x,
            y,
            "or click: type here ",
            t.dim(),
            right.saturating_sub(x),
        );
        draw_screen(t, active, pane, buf);
        return;
    }
    if active.select.copy.is_some() && !sessions.escape_pending {
        copy_mode_hint(ctx.keymap, t, x, y, right, buf);
        draw_screen(t, active, pane, buf);
        return;
    }
    let chord_style = if sessions.escape_pending {
        t.style(ThemeKey::Selection)
    } else {
        t.style(ThemeKey::Key)
    };
    let chord_label = if sessions.escape_pending {
        format!(" {chord} … ")
    } else {
        format!(" {chord} ")
    };
    x = put(
        buf,
        x,
        y,
        &chord_label,
        chord_style,
        right.saturating_sub(x),
    );
    let labelled = |list: &[(Action, &str)]| -> Vec<String> {
        list.iter()
            .map(|(a, l)| format!("{} {l}", key(*a)).trim_end().to_string())
            .collect()
    };
    let mut long = labelled(&[
        (Action::ConsoleDetach, "rack"),
        (Action::ConsoleNext, "next"),
        (Action::ConsoleSplit, "split"),
        (Action::ConsoleClose, "close"),
        (Action::ConsoleCopyMode, "copy"),
    ]);
    if sessions.list.len() > 1 {
        long.push("1-9 tab".into());
    }
    // Narrow panes get the keys alone, after the one that matters most.
    let short = labelled(&[
        (Action::ConsoleDetach, "rack"),
        (Action::ConsoleNext, ""),
        (Action::ConsoleSplit, ""),
        (Action::ConsoleClose, ""),
    ]);
    let state = match &active.state {
        SessionState::Live => None,
        SessionState::Connecting => Some(("connecting…".to_string(), t.style(ThemeKey::LcdBusy))),
        SessionState::Closed(reason) => Some((
            format!(
                "closed: {reason} ({} reconnect)",
                key(Action::ConsoleReconnect)
            ),
            t.style(ThemeKey::ToastError),
        )),
    };
    let state_w = state
        .as_ref()
        .map_or(0, |(s, _)| s.chars().count() as u16 + 2);
    let hint_room = right.saturating_sub(x).saturating_sub(state_w);
    if let Some(hint) = [long.join(" · "), short.join(" · ")]
        .into_iter()
        .map(|h| format!("then {h} "))
        .find(|h| h.chars().count() as u16 <= hint_room)
    {
        put(buf, x, y, &hint, t.dim(), hint_room);
    }
    if let Some((s, style)) = state {
        let w = state_w.min(right.saturating_sub(pane.x + 1));
        put(buf, right.saturating_sub(w), y, &format!(" {s} "), style, w);
    }

    draw_screen(t, active, pane, buf);
}

/// The bottom border in copy mode: COPY and its keys (all of them, or the three that matter
/// when the pane is narrow).
fn copy_mode_hint(keymap: &Keymap, t: &Theme, x: u16, y: u16, right: u16, buf: &mut Buffer) {
    let key = |a: Action| {
        keymap
            .keys_for(Context::Copy, a)
            .into_iter()
            .next()
            .unwrap_or_default()
    };
    let x = put(
        buf,
        x,
        y,
        " COPY ",
        t.style(ThemeKey::Selection),
        right.saturating_sub(x),
    );
    let moves: String = [
        Action::CopyLeft,
        Action::CopyDown,
        Action::CopyUp,
        Action::CopyRight,
    ]
    .into_iter()
    .map(key)
    .collect();
    let tail = [
        (Action::CopySelect, "select"),
        (Action::CopyYank, "copy"),
        (Action::CopyLeave, "leave"),
    ]
    .map(|(a, l)| format!("{} {l}", key(a)))
    .join(" · ");
    let long = format!(
        " {moves} move · {} history · {tail} ",
        key(Action::CopyPageUp)
    );
    let room = right.saturating_sub(x);
    if let Some(hint) = [long, format!(" {tail} ")]
        .into_iter()
        .find(|h| h.chars().count() as u16 <= room)
    {
        put(buf, x, y, &hint, t.dim(), room);
    }
}

fn draw_screen(t: &Theme, active: &Session, pane: Rect, buf: &mut Buffer) {
    let ts = TermStyle::from_theme(t);
    let inner = pane_inner(pane);
    TermWidget::new(&active.screen, ts)
        .selection(Some(&active.select.selection))
        .render(inner, buf);
    // The copy cursor as a solid block: the guest may hide the terminal's own cursor.
    if let Some(pos) = copy_cursor(active, inner)
        && let Some(cell) = buf.cell_mut(pos)
    {
        cell.modifier = ratatui::style::Modifier::empty();
        cell.set_style(t.style(ThemeKey::Selection));
    }
}

/// Where copy mode's cursor is on screen, if the session is in copy mode and it is in view.
fn copy_cursor(s: &Session, inner: Rect) -> Option<Position> {
    let c = s.select.copy?.cursor;
    let row = visible_row(&s.screen, c.line)?;
    (row < inner.height && c.col < inner.width)
        .then(|| Position::new(inner.x + c.col, inner.y + row))
}

/// Where the terminal cursor goes when the guest's screen is drawn in `inner`: copy mode's
/// cursor, else the live guest's.
pub fn cursor(console: &ConsoleLayer, inner: Rect) -> Option<Position> {
    let s = console.sessions.active()?;
    if s.select.copy.is_some() {
        return copy_cursor(s, inner);
    }
    if s.state != SessionState::Live {
        return None;
    }
    TermWidget::new(&s.screen, TermStyle::default()).cursor_position(inner)
}
