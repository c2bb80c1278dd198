//! Selecting and copying in a console session: the selection (drawn highlighted), the mouse
//! drag that makes one (`console_mouse`), and copy mode, where the keyboard moves a cursor
//! over the screen and its history, as in tmux. Copying hands the text to the runtime as
//! `Effect::CopyToClipboard`; it reaches the user's clipboard as OSC 52.
//!
//! Positions are the screen's stable lines (`term::selection`), so the selection and the
//! copy cursor stay on their text while new output scrolls it up.

use crossterm::event::KeyEvent;

use super::action::{Action, Effect};
use super::console_layer::ConsoleLayer;
use super::keymap::{Context, KeyPress, Keymap};
use super::layer::{Reply, Request};
use crate::term::{CellPos, Screen, Selection};

/// What is being selected in one session; kept in its `Session`.
#[derive(Debug, Default)]
pub struct SelectState {
    /// The highlighted cells, what a copy takes; inactive when nothing is selected.
    pub selection: Selection,
    /// The left button is down in the pane (a mouse selection in the making).
    drag: Option<Drag>,
    /// Copy mode, while it lasts.
    pub copy: Option<CopyMode>,
}

#[derive(Debug, Clone, Copy)]
struct Drag {
    from: CellPos,
    /// The pointer left the cell it was pressed on: a release copies. A release without
    /// it is a click, which clears the selection instead.
    moved: bool,
}

/// The keyboard's cursor in copy mode and where its selection started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyMode {
    pub cursor: CellPos,
    /// Set while the selection follows the cursor (between the two presses of `v`).
    pub anchor: Option<CellPos>,
}

/// The stable line of live screen row `row`, wherever the view is scrolled.
fn live_line(screen: &Screen, row: u16) -> u64 {
    screen.discarded() + screen.scrollback_len() as u64 + u64::from(row)
}

/// The oldest and newest lines the cursor may reach: the history's first, the screen's last.
fn line_bounds(screen: &Screen) -> (u64, u64) {
    let rows = screen.size().1;
    (
        screen.discarded(),
        live_line(screen, rows.saturating_sub(1)),
    )
}

/// The visible row showing stable `line`, if it is in view.
pub fn visible_row(screen: &Screen, line: u64) -> Option<u16> {
    let top = Selection::visible_line(screen, 0);
    let row = line.checked_sub(top)?;
    u16::try_from(row).ok().filter(|r| *r < screen.size().1)
}

/// Scroll the view as little as needed to show stable `line`.
fn scroll_to(screen: &mut Screen, line: u64) {
    let top = Selection::visible_line(screen, 0);
    let rows = u64::from(screen.size().1);
    let lines = |n: u64| isize::try_from(n).unwrap_or(isize::MAX);
    if line < top {
        screen.scroll_by(lines(top - line));
    } else if line >= top + rows {
        screen.scroll_by(-lines(line + 1 - top - rows));
    }
}

/// The last column with text on stable `line` (0 on an empty one).
fn line_end(screen: &mut Screen, line: u64) -> u16 {
    let index = usize::try_from(line.saturating_sub(screen.discarded())).unwrap_or(usize::MAX);
    let cols = screen.size().0;
    screen.with_line(index, |s, row| {
        (0..cols)
            .rev()
            .find(|c| s.vt().cell(row, *c).is_some_and(|cell| cell.has_contents()))
            .unwrap_or(0)
    })
}

impl SelectState {
    /// The cell at visible (row, col) in stable coordinates.
    fn cell(screen: &Screen, row: u16, col: u16) -> CellPos {
        CellPos {
            line: Selection::visible_line(screen, row),
            col,
        }
    }

    /// The screen changed size or switched to or from the alternate screen: cells no
    /// longer hold what was selected, so the selection goes; copy mode stays with its
    /// cursor kept on the screen.
    pub fn screen_changed(&mut self, screen: &Screen) {
        self.selection.clear();
        self.drag = None;
        if let Some(mode) = &mut self.copy {
            mode.anchor = None;
            let (first, last) = line_bounds(screen);
            mode.cursor.line = mode.cursor.line.clamp(first, last);
            mode.cursor.col = mode.cursor.col.min(screen.size().0.saturating_sub(1));
        }
    }

    /// Whether the left button went down in the pane for a selection and is still down.
    pub fn dragging(&self) -> bool {
        self.drag.is_some()
    }

    /// Left press at visible (row, col): a new selection may start here (the mouse ends
    /// copy mode, whose cursor it would fight with).
    pub fn press(&mut self, screen: &Screen, row: u16, col: u16) {
        self.copy = None;
        self.drag = Some(Drag {
            from: Self::cell(screen, row, col),
            moved: false,
        });
    }

    /// Drag to visible (row, col): the selection runs from the press to here.
    pub fn drag_to(&mut self, screen: &Screen, row: u16, col: u16) {
        let Some(drag) = &mut self.drag else {
            return;
        };
        let head = Self::cell(screen, row, col);
        drag.moved |= head != drag.from;
        if drag.moved {
            self.selection.set(drag.from, head);
        }
    }

    /// Release at visible (row, col): the selected text after a drag, or `None` after a
    /// click (which clears the selection).
    pub fn release(&mut self, screen: &mut Screen, row: u16, col: u16) -> Option<String> {
        self.drag_to(screen, row, col);
        match self.drag.take() {
            Some(Drag { moved: true, .. }) => Some(self.selection.text(screen)),
            Some(_) => {
                self.selection.clear();
                None
            }
            None => None,
        }
    }

    /// Enter copy mode with the cursor on the terminal's cursor (scrolled into view).
    pub fn enter_copy_mode(&mut self, screen: &mut Screen) {
        let (row, col) = screen.cursor();
        let cursor = CellPos {
            line: live_line(screen, row),
            col,
        };
        self.selection.clear();
        self.drag = None;
        self.copy = Some(CopyMode {
            cursor,
            anchor: None,
        });
        scroll_to(screen, cursor.line);
    }

    /// Leave copy mode: the selection goes and the view returns to the live screen, where
    /// typing goes (tmux does the same).
    fn leave_copy_mode(&mut self, screen: &mut Screen) {
        self.copy = None;
        self.selection.clear();
        screen.set_scroll_offset(0);
    }

    /// One copy-mode command. Returns the text to copy for `CopyYank` (and leaves).
    fn copy_command(&mut self, screen: &mut Screen, a: Action) -> Option<String> {
        let Some(mode) = &mut self.copy else {
            return None;
        };
        let (cols, rows) = screen.size();
        let (first, last) = line_bounds(screen);
        // A page keeps one line of context, as `less` and tmux do.
        let page = u64::from(rows.saturating_sub(1).max(1));
        let c = &mut mode.cursor;
        match a {
            Action::CopyYank => {
                let text = self.selection.text(screen);
                self.leave_copy_mode(screen);
                return Some(text);
            }
            Action::CopyLeave => {
                self.leave_copy_mode(screen);
                return None;
            }
            Action::CopySelect => {
                mode.anchor = match mode.anchor {
                    // The second press ends the selection where the cursor is.
                    Some(_) => None,
                    None => Some(*c),
                };
            }
            Action::CopyLeft => c.col = c.col.saturating_sub(1),
            Action::CopyRight => c.col = c.col.saturating_add(1),
            Action::CopyUp => c.line = c.line.saturating_sub(1),
            Action::CopyDown => c.line = c.line.saturating_add(1),
            Action::CopyPageUp => {
                c.line = c.line.saturating_sub(page);
                screen.scroll_by(page as isize);
            }
            Action::CopyPageDown => {
                c.line = c.line.saturating_add(page);
                screen.scroll_by(-(page as isize));
            }
            Action::CopyLineStart => c.col = 0,
            Action::CopyLineEnd => c.col = line_end(screen, c.line.clamp(first, last)),
            Action::CopyTop => {
                *c = CellPos {
                    line: first,
                    col: 0,
                }
            }
            Action::CopyBottom => *c = CellPos { line: last, col: 0 },
            _ => return None,
        }
        // Lines may have left the history since the cursor was put there.
        c.line = c.line.clamp(first, last);
        c.col = c.col.min(cols.saturating_sub(1));
        let cursor = *c;
        if let Some(anchor) = mode.anchor {
            self.selection.set(anchor, cursor);
        }
        scroll_to(screen, cursor.line);
        None
    }
}

/// The largest selection sent with OSC 52. Terminals drop larger writes without a word
/// (xterm and tmux stop around 100 kB once base64-encoded), so the user is told instead.
pub const MAX_COPY_BYTES: usize = 64 * 1024;

/// `Effect::CopyToClipboard` for `text`, and a toast saying how much was copied.
pub(super) fn copy_text(text: String) -> Reply {
    let toast = |text: String, error: bool| Request::Toast { text, error };
    let n = text.chars().count();
    if n == 0 {
        let blank = "nothing copied: the selection is blank".to_string();
        return Reply::Then(vec![toast(blank, false)]);
    }
    if text.len() > MAX_COPY_BYTES {
        let msg = format!(
            "nothing copied: the selection is {} bytes, over the {MAX_COPY_BYTES}-byte \
             clipboard limit",
            text.len()
        );
        return Reply::Then(vec![toast(msg, true)]);
    }
    let unit = if n == 1 { "character" } else { "characters" };
    Reply::Then(vec![
        toast(format!("copied {n} {unit}"), false),
        Request::Effect(Effect::CopyToClipboard(text)),
    ])
}

impl ConsoleLayer {
    /// The console command: copy mode on the active session.
    pub(super) fn enter_copy_mode(&mut self) {
        if let Some(s) = self.sessions.active_mut() {
            s.select.enter_copy_mode(&mut s.screen);
        }
    }

    /// A key while the active session is in copy mode: looked up in the `[copy]` keymap
    /// only; any other key is dropped, never sent to the guest.
    pub(super) fn copy_mode_key(&mut self, k: &KeyEvent, keymap: &Keymap) -> Reply {
        let Some(action) =
            KeyPress::from_event(k).and_then(|p| keymap.lookup_in(Context::Copy, &[p]))
        else {
            return Reply::Consumed;
        };
        let Some(s) = self.sessions.active_mut() else {
            return Reply::Consumed;
        };
        match s.select.copy_command(&mut s.screen, action) {
            Some(text) if text.is_empty() => Reply::Then(vec![Request::Toast {
                text: "nothing selected, nothing copied".into(),
                error: false,
            }]),
            Some(text) => copy_text(text),
            None => Reply::Consumed,
        }
    }
}
