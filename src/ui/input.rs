//! Terminal input for `App`: keys (the layers: a popup, else a focused console, else the
//! screens and panes; then the filter line, then the keymap with chords), mouse (click a
//! slot, wheel), bracketed paste, and the selection movement they drive. Pure like
//! `update`: state changes plus effects.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Effect};
use super::app::App;
use super::layer::Slot;

impl App {
    pub(super) fn handle_paste(&mut self, text: &str) -> Vec<Effect> {
        if let Some(effects) = self.layers_paste(text) {
            return effects;
        }
        if self.rack.filter_editing {
            let clean = crate::text::clean_string(text.lines().next().unwrap_or(""));
            self.rack.filter_text.push_str(&clean);
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
            && !self.rack.filter_editing
            && !self.console_open()
        {
            return self.update(Action::Quit);
        }
        // A popup takes every key (`layers_key` routes to it alone).
        if let Some(effects) = self.layers_key(k) {
            return effects;
        }
        if self.rack.filter_editing {
            match k.code {
                KeyCode::Esc => {
                    self.rack.filter_editing = false;
                    self.rack.filter_text.clear();
                    self.rebuild_view();
                }
                KeyCode::Enter => self.rack.filter_editing = false,
                KeyCode::Backspace => {
                    self.rack.filter_text.pop();
                    self.rebuild_view();
                }
                KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.rack.filter_text.push(c);
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
                let area = self.rack_area_beside_logs();
                self.rack.click(m.column, m.row, area);
            }
            _ => {}
        }
        Vec::new()
    }

    /// Move the selection by `delta` rows (heatmap: a row of cells).
    pub fn move_rows(&mut self, delta: isize) {
        let area = self.rack_area_beside_logs();
        self.rack.move_rows(delta, area);
    }

    pub fn move_by(&mut self, delta: isize) {
        let area = self.rack_area_beside_logs();
        self.rack.move_by(delta, area);
    }

    /// Change rack, keeping the row on screen where possible.
    pub fn move_col(&mut self, delta: isize) {
        let area = self.rack_area_beside_logs();
        self.rack.move_col(delta, area);
    }
}
