//! Terminal input for `App`: keys (the layers: a popup, else a focused console, else the
//! screens and panes; then the filter line, then the keymap with chords), mouse (click a
//! slot, wheel), bracketed paste, and the selection movement they drive. Pure like
//! `update`: state changes plus effects.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Effect};
use super::app::{App, Pane};
use super::layer::Slot;
use super::view::Zoom;

impl App {
    pub(super) fn handle_paste(&mut self, text: &str) -> Vec<Effect> {
        if let Some(effects) = self.layers_paste(text) {
            return effects;
        }
        if self.filter_editing {
            let clean = crate::text::clean_string(text.lines().next().unwrap_or(""));
            self.filter_text.push_str(&clean);
            self.rebuild_view();
        }
        Vec::new()
    }

    pub(super) fn handle_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        if k.kind == KeyEventKind::Release {
            return Vec::new();
        }
        let popup = self.layers.popup().is_some();
        // A console takes every key, Ctrl-C included, except its escape chord (its layer
        // gets them raw, through `layers_key`).
        if k.code == KeyCode::Char('c')
            && k.modifiers.contains(KeyModifiers::CONTROL)
            && !popup
            && !self.filter_editing
            && !self.console_open()
        {
            return self.update(Action::Quit);
        }
        // A popup takes every key (`layers_key` routes to it alone).
        if let Some(effects) = self.layers_key(k) {
            return effects;
        }
        if self.filter_editing {
            match k.code {
                KeyCode::Esc => {
                    self.filter_editing = false;
                    self.filter_text.clear();
                    self.rebuild_view();
                }
                KeyCode::Enter => self.filter_editing = false,
                KeyCode::Backspace => {
                    self.filter_text.pop();
                    self.rebuild_view();
                }
                KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.filter_text.push(c);
                    self.rebuild_view();
                }
                KeyCode::Up => return self.update(Action::Up),
                KeyCode::Down => return self.update(Action::Down),
                _ => {}
            }
            return Vec::new();
        }
        match self.resolve_chord(self.context(), k) {
            Some(action) => self.update(action),
            None => Vec::new(),
        }
    }

    pub(super) fn handle_mouse(&mut self, m: crossterm::event::MouseEvent) -> Vec<Effect> {
        use crossterm::event::{MouseButton, MouseEventKind};
        if self.layers.popup().is_some() {
            // The wheel scrolls the popup (help, palette list, form fields), never what is
            // underneath it.
            let code = match m.kind {
                MouseEventKind::ScrollDown => KeyCode::Down,
                MouseEventKind::ScrollUp => KeyCode::Up,
                _ => return Vec::new(),
            };
            return self
                .layers_key(KeyEvent::new(code, KeyModifiers::NONE))
                .unwrap_or_default();
        }
        if self.console_open() {
            return self
                .with_layer(Slot::Console, |l, c| l.on_mouse(m, c))
                .unwrap_or_default();
        }
        if let Some(effects) = self.layers_mouse(m) {
            return effects;
        }
        // A click on the console split beside the rack gives it the keyboard.
        if self.console_beside()
            && matches!(m.kind, MouseEventKind::Down(_))
            && m.column >= self.rack_screen_area().right()
        {
            self.layers.focus_console(true);
            return Vec::new();
        }
        match m.kind {
            MouseEventKind::ScrollDown => {
                for _ in 0..3 {
                    self.move_rows(1);
                }
            }
            MouseEventKind::ScrollUp => {
                for _ in 0..3 {
                    self.move_rows(-1);
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                let g = self.geometry();
                if let Some((vis_col, slot)) = g.hit(self.zoom, m.column, m.row) {
                    let col = self.col_offset + vis_col;
                    if let Some(c) = self.view.cols.get(col) {
                        let idx = self.scroll.get(col).copied().unwrap_or(0) + slot;
                        if idx < c.guests.len() {
                            self.sel_col = col;
                            self.sel_idx = idx;
                            self.focus = Pane::Rack;
                            self.ensure_visible();
                        }
                    }
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Move the selection by `delta` rows (heatmap: a row of cells).
    pub fn move_rows(&mut self, delta: isize) {
        let unit = if self.zoom == Zoom::Heatmap {
            self.geometry().cells_per_row as isize
        } else {
            1
        };
        self.move_by(delta * unit);
    }

    pub fn move_by(&mut self, delta: isize) {
        let len = self
            .view
            .cols
            .get(self.sel_col)
            .map_or(0, |c| c.guests.len());
        if len == 0 {
            return;
        }
        let target = (self.sel_idx as isize + delta).clamp(0, len as isize - 1);
        self.sel_idx = target as usize;
        self.ensure_visible();
    }

    /// Change rack, keeping the row on screen where possible.
    pub fn move_col(&mut self, delta: isize) {
        if self.view.cols.is_empty() {
            return;
        }
        let on_screen = self
            .sel_idx
            .saturating_sub(self.scroll.get(self.sel_col).copied().unwrap_or(0));
        let target =
            (self.sel_col as isize + delta).clamp(0, self.view.cols.len() as isize - 1) as usize;
        if target == self.sel_col {
            return;
        }
        self.sel_col = target;
        let len = self.view.cols[target].guests.len();
        let start = self.scroll.get(target).copied().unwrap_or(0);
        self.sel_idx = (start + on_screen).min(len.saturating_sub(1));
        self.ensure_visible();
    }
}
