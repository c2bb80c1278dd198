//! The mouse over the console pane. The guest gets reports when it asked for them (mouse
//! mode on) unless Shift is held, as in xterm; otherwise the pane uses the mouse itself:
//! the wheel scrolls the history, a left drag selects and its release copies, a click clears.

use crossterm::event::{KeyModifiers, MouseButton as B, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::action::Effect;
use super::console::{SessionState, pane_inner};
use super::console_copy::copy_text;
use super::console_layer::ConsoleLayer;
use super::layer::{Reply, Request};
use crate::term;

/// Lines the wheel scrolls per notch.
const WHEEL_LINES: isize = 3;

fn term_button(b: B) -> term::MouseButton {
    match b {
        B::Left => term::MouseButton::Left,
        B::Middle => term::MouseButton::Middle,
        B::Right => term::MouseButton::Right,
    }
}

impl ConsoleLayer {
    /// Every mouse event while the console has the keyboard, drawn in `body`. A click on
    /// the rack beside a split pane gives the keyboard back to the rack.
    pub(super) fn mouse(&mut self, m: MouseEvent, body: Rect) -> Reply {
        let layout = self.layout(body);
        let inner = pane_inner(layout.pane);
        let inside = m.column >= inner.x
            && m.column < inner.right()
            && m.row >= inner.y
            && m.row < inner.bottom();
        if let Some(r) = layout.rack
            && matches!(m.kind, MouseEventKind::Down(_))
            && m.column < r.right()
            && m.row >= r.y
            && m.row < r.bottom()
        {
            self.sessions.escape_pending = false;
            return Reply::Then(vec![Request::Detach]);
        }
        let Some(s) = self.sessions.active_mut() else {
            return Reply::Consumed;
        };
        let kind = match m.kind {
            MouseEventKind::ScrollUp => term::MouseKind::ScrollUp,
            MouseEventKind::ScrollDown => term::MouseKind::ScrollDown,
            MouseEventKind::Down(b) => term::MouseKind::Press(term_button(b)),
            MouseEventKind::Up(b) => term::MouseKind::Release(term_button(b)),
            MouseEventKind::Drag(b) => term::MouseKind::Drag(term_button(b)),
            MouseEventKind::Moved => term::MouseKind::Moved,
            _ => return Reply::Consumed,
        };
        let shift = m.modifiers.contains(KeyModifiers::SHIFT);
        let reporting = s.screen.mouse_mode() != term::MouseProtocolMode::None;
        // A drag that started as a selection stays one until its release, Shift or not;
        // copy mode keeps the mouse too, as it keeps the keys.
        let ours = shift || s.select.dragging() || s.select.copy.is_some();
        if reporting && !ours && inside && s.state == SessionState::Live {
            let ev = term::MouseEvent {
                kind,
                col: m.column - inner.x,
                row: m.row - inner.y,
                mods: term::Modifiers {
                    shift,
                    alt: m.modifiers.contains(KeyModifiers::ALT),
                    ctrl: m.modifiers.contains(KeyModifiers::CONTROL),
                },
            };
            if let Some(bytes) = s.screen.encode_mouse(&ev) {
                return Reply::effect(Effect::ConsoleInput {
                    session: s.id,
                    bytes,
                });
            }
            return Reply::Consumed;
        }
        // The cell under the pointer, held inside the pane and the screen (a drag may
        // leave the pane; the screen may be smaller than the pane while connecting).
        let (cols, rows) = s.screen.size();
        let clamp = |v: u16, from: u16, len: u16, max: u16| {
            v.saturating_sub(from)
                .min(len.saturating_sub(1))
                .min(max.saturating_sub(1))
        };
        let col = clamp(m.column, inner.x, inner.width, cols);
        let row = clamp(m.row, inner.y, inner.height, rows);
        match kind {
            term::MouseKind::ScrollUp => s.screen.scroll_by(WHEEL_LINES),
            term::MouseKind::ScrollDown => s.screen.scroll_by(-WHEEL_LINES),
            term::MouseKind::Press(term::MouseButton::Left) if inside => {
                s.select.press(&s.screen, row, col);
            }
            term::MouseKind::Drag(term::MouseButton::Left) if s.select.dragging() => {
                // Dragging past the top or bottom edge scrolls a line per motion event, so
                // a selection can reach beyond the view without a timer.
                if m.row < inner.y {
                    s.screen.scroll_by(1);
                } else if m.row >= inner.bottom() {
                    s.screen.scroll_by(-1);
                }
                s.select.drag_to(&s.screen, row, col);
            }
            // Any release ends the drag: without SGR reports a release names no button.
            term::MouseKind::Release(_) => {
                if let Some(text) = s.select.release(&mut s.screen, row, col) {
                    return copy_text(text);
                }
            }
            _ => {}
        }
        Reply::Consumed
    }
}
