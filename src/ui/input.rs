//! Terminal input for `App`: keys (the layer with the keyboard, through its keymap context
//! with chords: a popup, else a focused console, else the screens, a pane or the rack),
//! mouse (the layer under the pointer), bracketed paste. Pure like `update`: state changes
//! plus effects.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Effect};
use super::app::App;
use super::layer::Slot;

impl App {
    pub(super) fn handle_paste(&mut self, text: &str) -> Vec<Effect> {
        self.layers_paste(text).unwrap_or_default()
    }

    pub(super) fn handle_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        if k.kind == KeyEventKind::Release {
            return Vec::new();
        }
        // Ctrl-C quits, except in a popup, on the rack's filter line and in a console
        // (which takes every key but its escape chord).
        if k.code == KeyCode::Char('c')
            && k.modifiers.contains(KeyModifiers::CONTROL)
            && self.layers.popup().is_none()
            && !self.rack().filter_editing
            && !self.console_open()
        {
            return self.update(Action::Quit);
        }
        self.layers_key(k)
    }

    pub(super) fn handle_mouse(&mut self, m: crossterm::event::MouseEvent) -> Vec<Effect> {
        use crossterm::event::MouseEventKind;
        if self.layers.popup().is_some() {
            // The wheel scrolls the popup (help, palette list, form fields), never what is
            // underneath it.
            let code = match m.kind {
                MouseEventKind::ScrollDown => KeyCode::Down,
                MouseEventKind::ScrollUp => KeyCode::Up,
                _ => return Vec::new(),
            };
            return self.layers_key(KeyEvent::new(code, KeyModifiers::NONE));
        }
        if self.console_open() {
            return self
                .with_layer(Slot::Console, |l, c| l.on_mouse(m, c))
                .unwrap_or_default();
        }
        self.layers_mouse(m)
    }
}
