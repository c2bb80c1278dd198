//! Console sessions inside the TUI: container consoles and node shells as tabs, each with
//! its `term::Screen` (guest bytes in, replies out); the runtime only moves bytes
//! (`Effect::OpenConsole`/`ConsoleInput`/`ConsoleResize`/`CloseConsole` out,
//! `AppEvent::ConsoleOpened`/`ConsoleOutput`/`ConsoleClosed` in).
//!
//! This module holds the sessions, the pane's layout and the key translation, and what the
//! rack asks of the console (open one on the selection, where the pane is). The layer that
//! owns the sessions and takes the keys is `console_layer`; selection and copy mode live in
//! `console_copy`, the mouse in `console_mouse`.

use std::time::SystemTime;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::action::Effect;
use super::app::App;
use super::console_copy::SelectState;
use super::console_layer::ConsoleLayer;
use super::layer::Slot;
use super::view::screen_layout;
use crate::inventory::GuestKind;
use crate::pve::ConsoleTarget;
use crate::term;

/// How long the border flashes after a bell.
pub const BELL_MS: u64 = 200;

/// Where a session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    Connecting,
    Live,
    /// Ended; the reason is shown in the pane border and was written into the pane.
    Closed(String),
}

/// One console tab.
pub struct Session {
    pub id: u64,
    pub host: String,
    pub target: ConsoleTarget,
    /// `CT 101 web` or `shell pve1` (sanitized).
    pub name: String,
    pub screen: term::Screen,
    pub state: SessionState,
    /// The one automatic reconnect after a dropped connection has been used.
    pub retried: bool,
    pub bell_until: Option<SystemTime>,
    /// The selection and copy mode.
    pub select: SelectState,
}

impl Session {
    /// A new size for the guest's screen; what was selected no longer lines up, so the
    /// selection goes with it.
    pub(super) fn resize(&mut self, cols: u16, rows: u16) {
        self.screen.resize(cols, rows);
        self.select.screen_changed(&self.screen);
    }
}

/// All console tabs and how the pane is laid out.
#[derive(Default)]
pub struct Sessions {
    pub list: Vec<Session>,
    pub active: usize,
    /// The pane beside the rack instead of full screen.
    pub split: bool,
    /// The escape chord was pressed: the next key is a console command.
    pub escape_pending: bool,
    pub(super) next_id: u64,
}

impl Sessions {
    /// No session (what the accessors answer if the console layer is out).
    pub const EMPTY: Sessions = Sessions {
        list: Vec::new(),
        active: 0,
        split: false,
        escape_pending: false,
        next_id: 0,
    };

    pub fn active(&self) -> Option<&Session> {
        self.list.get(self.active)
    }

    pub(super) fn active_mut(&mut self) -> Option<&mut Session> {
        self.list.get_mut(self.active)
    }

    pub(super) fn get_mut(&mut self, id: u64) -> Option<&mut Session> {
        self.list.iter_mut().find(|s| s.id == id)
    }

    /// When a bell flash ends (the runtime wakes to redraw the border).
    pub fn next_deadline(&self) -> Option<SystemTime> {
        self.list.iter().filter_map(|s| s.bell_until).min()
    }

    pub fn expire(&mut self, now: SystemTime) {
        for s in &mut self.list {
            if s.bell_until.is_some_and(|t| t <= now) {
                s.bell_until = None;
            }
        }
    }
}

/// The rack (when split) and the console pane (with its border) inside the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleLayout {
    pub rack: Option<Rect>,
    pub pane: Rect,
}

/// Split puts the rack on the left two fifths; too narrow a screen stays full.
pub fn console_layout(body: Rect, split: bool) -> ConsoleLayout {
    if split && body.width >= 60 {
        let rack_w = body.width * 2 / 5;
        return ConsoleLayout {
            rack: Some(Rect {
                width: rack_w,
                ..body
            }),
            pane: Rect {
                x: body.x + rack_w,
                width: body.width - rack_w,
                ..body
            },
        };
    }
    ConsoleLayout {
        rack: None,
        pane: body,
    }
}

/// Where the guest's screen is drawn in a terminal of `area`: the console pane (full
/// screen or `split` beside the rack) without its border.
pub fn screen_area(area: Rect, split: bool) -> Rect {
    let body = screen_layout(area, false, false).body;
    pane_inner(console_layout(body, split).pane)
}

/// The pane without its border: where the guest's screen is drawn.
pub fn pane_inner(pane: Rect) -> Rect {
    Rect {
        x: pane.x.saturating_add(1),
        y: pane.y.saturating_add(1),
        width: pane.width.saturating_sub(2),
        height: pane.height.saturating_sub(2),
    }
}

/// Crossterm reports Ctrl-\ Ctrl-] Ctrl-^ Ctrl-_ as Ctrl-4..7 (the bytes are the same);
/// fold them back so the keymap's `ctrl-]` matches.
pub(super) fn fold_ctrl_digit(mut k: KeyEvent) -> KeyEvent {
    if k.modifiers.contains(KeyModifiers::CONTROL)
        && let KeyCode::Char(c @ '4'..='7') = k.code
    {
        k.code = KeyCode::Char(['\\', ']', '^', '_'][usize::from(c as u8 - b'4')]);
    }
    k
}

pub(super) fn to_term_key(k: &KeyEvent) -> Option<term::KeyEvent> {
    use term::KeyCode as T;
    let code = match k.code {
        KeyCode::Char(c) => T::Char(c),
        KeyCode::Enter => T::Enter,
        KeyCode::Backspace => T::Backspace,
        KeyCode::Tab => T::Tab,
        KeyCode::BackTab => T::BackTab,
        KeyCode::Esc => T::Esc,
        KeyCode::Up => T::Up,
        KeyCode::Down => T::Down,
        KeyCode::Left => T::Left,
        KeyCode::Right => T::Right,
        KeyCode::Home => T::Home,
        KeyCode::End => T::End,
        KeyCode::PageUp => T::PageUp,
        KeyCode::PageDown => T::PageDown,
        KeyCode::Insert => T::Insert,
        KeyCode::Delete => T::Delete,
        KeyCode::F(n) => T::F(n),
        _ => return None,
    };
    let m = k.modifiers;
    // Shift is already folded into a typed character; xterm sends `A`, not a modified `a`.
    let shift = m.contains(KeyModifiers::SHIFT) && !matches!(code, T::Char(_));
    Some(term::KeyEvent::new(
        code,
        term::Modifiers {
            shift,
            alt: m.contains(KeyModifiers::ALT),
            ctrl: m.contains(KeyModifiers::CONTROL),
        },
    ))
}

/// A line written into the pane itself (not sent to the guest).
pub(super) fn notice(screen: &mut term::Screen, text: &str) {
    let text = crate::text::clean_string(text);
    // Start on a fresh line without leaving an empty one behind.
    let nl = if screen.cursor().1 > 0 { "\r\n" } else { "" };
    let line = format!("{nl}\x1b[0;1;33m[proximity] {text}\x1b[0m\r\n");
    screen.process(line.as_bytes());
}

impl App {
    /// The console layer (always installed; `None` only while it is lent out).
    pub fn console(&self) -> Option<&ConsoleLayer> {
        self.layers.console()?.as_any().downcast_ref()
    }

    fn console_mut(&mut self) -> Option<&mut ConsoleLayer> {
        let layer: &mut dyn std::any::Any = self.layers.get_mut(Slot::Console)?;
        layer.downcast_mut()
    }

    /// Whether a console has the keyboard (full screen or beside the rack).
    pub fn console_open(&self) -> bool {
        self.layers.console_focused()
    }

    /// The console tabs.
    pub fn console_sessions(&self) -> &Sessions {
        static NONE: Sessions = Sessions::EMPTY;
        self.console().map_or(&NONE, |c| &c.sessions)
    }

    /// The console tabs, to change (tests put a selection in place).
    pub fn console_sessions_mut(&mut self) -> Option<&mut Sessions> {
        self.console_mut().map(|c| &mut c.sessions)
    }

    /// The cursor shape the next frame wants: the live console guest's (DECSCUSR) while
    /// its pane has the keyboard and the cursor, the user's default everywhere else.
    pub fn cursor_style(&self) -> term::CursorStyle {
        match self.console_sessions().active() {
            Some(s)
                if self.console_open()
                    && self.layers.popup().is_none()
                    && s.state == SessionState::Live =>
            {
                s.screen.cursor_style()
            }
            _ => term::CursorStyle::Default,
        }
    }

    /// Whether the console pane stays beside the rack (split, with a session open), also
    /// while the rack has the keyboard.
    pub fn console_beside(&self) -> bool {
        self.console().is_some_and(|c| c.beside())
    }

    /// The part of the terminal the rack screen lays itself out in: all of it, or the left
    /// side when a console is split beside it.
    pub fn rack_screen_area(&self) -> Rect {
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        if self.console_beside() {
            let body = screen_layout(area, false, false).body;
            if let Some(r) = console_layout(body, true).rack {
                return Rect {
                    width: r.width,
                    ..area
                };
            }
        }
        area
    }

    /// `c` (container console) and `C` (node shell) from the rack; an open session on the
    /// same target is brought back instead of opening a second one.
    pub(super) fn open_console(&mut self, node_shell: bool) -> Vec<Effect> {
        let Some((host, node, guest)) = self.selected() else {
            self.show_toast("nothing selected", false);
            return Vec::new();
        };
        let (target, name) = if node_shell {
            (
                ConsoleTarget::Node {
                    node: node.name.clone(),
                },
                format!("shell {}", crate::text::clean_string(&node.name)),
            )
        } else if guest.kind == GuestKind::Container {
            (
                ConsoleTarget::Lxc {
                    node: node.name.clone(),
                    vmid: guest.vmid,
                },
                format!(
                    "CT {} {}",
                    guest.vmid,
                    crate::text::clean_string(&guest.name)
                ),
            )
        } else {
            let text = format!(
                "VM {} has no text console here (Proxmox offers VNC/SPICE for VMs); `C` opens the node shell",
                guest.vmid
            );
            self.show_toast(&text, true);
            return Vec::new();
        };
        let host = host.to_string();
        let body = self.layer_area(Slot::Console);
        let Some(console) = self.console_mut() else {
            return Vec::new();
        };
        let effects = console.open(host, target, name, body);
        self.layers.focus_console(true);
        self.ensure_visible();
        effects
    }

    /// `g c` (and the palette): the keyboard to the console, if a session is open.
    pub(super) fn show_consoles(&mut self) -> Vec<Effect> {
        if self.console_sessions().list.is_empty() {
            self.show_toast("no console open (c: container, C: node shell)", false);
        } else {
            self.layers.focus_console(true);
        }
        Vec::new()
    }
}
