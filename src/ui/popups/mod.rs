//! The popups as layers (`Layer::is_popup`): help, the command palette, the typed delete
//! confirmation, the quit, host-removal and certificate prompts, and the host form. Each
//! owns its state, reads its keys from the keymap's `[popup]` context and draws itself over
//! the whole terminal; the `LayerStack` holds at most one, above everything, and gives it
//! every key. Popups with a text field take plain characters as text first: only named
//! keys and ctrl/alt chords reach the keymap there, so a binding like `yes = ["y"]` never
//! eats a letter of a name being typed.

pub mod delete;
pub mod help;
pub mod host_form;
pub mod palette;
pub mod prompts;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::keymap::{Context, KeyPress, Keymap};

/// A key as a popup reads it: the character it types (plain, no ctrl/alt) and the action
/// the `[popup]` context binds to it (single keys, no chords).
pub(crate) struct PopupKey {
    pub typed: Option<char>,
    pub action: Option<Action>,
}

impl PopupKey {
    pub(crate) fn read(k: &KeyEvent, keymap: &Keymap) -> PopupKey {
        PopupKey::read_in(k, keymap, Context::Popup)
    }

    /// As `read`, the action from `ctx` (then its parent: `[wizard]`, then `[popup]`).
    pub(crate) fn read_in(k: &KeyEvent, keymap: &Keymap, ctx: Context) -> PopupKey {
        let typing = !k
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let typed = match k.code {
            KeyCode::Char(c) if typing => Some(c),
            _ => None,
        };
        let action = KeyPress::from_event(k).and_then(|p| keymap.lookup_in(ctx, &[p]));
        PopupKey { typed, action }
    }

    /// The action, unless the key types a character: in a text field a plain key is the
    /// field's, whatever the keymap binds it to.
    pub(crate) fn command(&self) -> Option<Action> {
        self.action.filter(|_| self.typed.is_none())
    }
}

/// A popup's key hints, from the keymap's `[popup]` context (the keys its handler reads).
pub(crate) fn footer(keymap: &Keymap, hints: &[(Action, &str)]) -> String {
    keymap.hint_line(Context::Popup, hints)
}

/// The first key `[popup]` binds to `action`, for a hint inside a sentence (`Enter`), or
/// the action's name when the user's keymap binds it to nothing.
pub(crate) fn key_of(keymap: &Keymap, action: Action) -> String {
    keymap
        .keys_for(Context::Popup, action)
        .into_iter()
        .next()
        .unwrap_or_else(|| action.name().to_string())
}

/// The keys of two opposite moves as one hint (`←→`, `↑↓`; `C-b/C-f` when a key's label
/// is longer than a character).
pub(crate) fn key_pair(keymap: &Keymap, first: Action, second: Action) -> String {
    let (a, b) = (key_of(keymap, first), key_of(keymap, second));
    if a.chars().count() == 1 && b.chars().count() == 1 {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// The `Layer` items every popup shares: a modal layer in the `[popup]` context that takes
/// keys raw (`on_text`) and is drawn over what is under it.
macro_rules! popup_layer_basics {
    ($title:expr) => {
        fn title(&self) -> String {
            $title.into()
        }
        fn context(&self) -> $crate::ui::keymap::Context {
            $crate::ui::keymap::Context::Popup
        }
        fn wants_text(&self) -> bool {
            true
        }
        fn opaque(&self) -> bool {
            false
        }
        fn is_popup(&self) -> bool {
            true
        }
        fn on_action(
            &mut self,
            _action: $crate::ui::action::Action,
            _ctx: &$crate::ui::layer::LayerCtx,
        ) -> $crate::ui::layer::Reply {
            // Keys arrive raw in `on_text`.
            $crate::ui::layer::Reply::Consumed
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    };
}
pub(crate) use popup_layer_basics;
