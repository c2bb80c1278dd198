//! Console sessions inside the TUI: container consoles and node shells as tabs. `App` owns
//! each session's `term::Screen` (guest bytes in, replies out); the runtime only moves bytes
//! (`Effect::OpenConsole`/`ConsoleInput`/`ConsoleResize`/`CloseConsole` out,
//! `AppEvent::ConsoleOpened`/`ConsoleOutput`/`ConsoleClosed` in).
//!
//! While a console has the keyboard it takes every key except one escape chord (Ctrl-] by
//! default, `[console]` in the keymap); the key after the chord is looked up in the console
//! context only: back to the rack, switch tabs, split, close, reconnect, copy mode.
//! Selection and copy mode live in `console_copy`, the mouse in `console_mouse`.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::action::{Action, Effect};
use super::app::{App, Screen};
use super::console_copy::SelectState;
use super::keymap::{Context, KeyPress};
use super::term_widget::TermStyle;
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
    fn resize(&mut self, cols: u16, rows: u16) {
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
    next_id: u64,
}

impl Sessions {
    pub fn active(&self) -> Option<&Session> {
        self.list.get(self.active)
    }

    pub(super) fn active_mut(&mut self) -> Option<&mut Session> {
        self.list.get_mut(self.active)
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut Session> {
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
fn fold_ctrl_digit(mut k: KeyEvent) -> KeyEvent {
    if k.modifiers.contains(KeyModifiers::CONTROL)
        && let KeyCode::Char(c @ '4'..='7') = k.code
    {
        k.code = KeyCode::Char(['\\', ']', '^', '_'][usize::from(c as u8 - b'4')]);
    }
    k
}

fn to_term_key(k: &KeyEvent) -> Option<term::KeyEvent> {
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
fn notice(screen: &mut term::Screen, text: &str) {
    let text = crate::text::clean_string(text);
    // Start on a fresh line without leaving an empty one behind.
    let nl = if screen.cursor().1 > 0 { "\r\n" } else { "" };
    let line = format!("{nl}\x1b[0;1;33m[proximity] {text}\x1b[0m\r\n");
    screen.process(line.as_bytes());
}

impl App {
    /// The cursor shape the next frame wants: the live console guest's (DECSCUSR) while
    /// its pane has the keyboard and the cursor, the user's default everywhere else.
    pub fn cursor_style(&self) -> term::CursorStyle {
        match self.sessions.active() {
            Some(s)
                if self.screen == Screen::Console
                    && self.layers.popup().is_none()
                    && s.state == SessionState::Live =>
            {
                s.screen.cursor_style()
            }
            _ => term::CursorStyle::Default,
        }
    }

    /// The guest screen's size: the pane's inner area at the current terminal size.
    pub fn console_pane_size(&self) -> (u16, u16) {
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        let inner = screen_area(area, self.sessions.split);
        (inner.width.max(1), inner.height.max(1))
    }

    /// Whether the console pane stays beside the rack (split, with a session open), also
    /// while the rack has the keyboard.
    pub fn console_beside(&self) -> bool {
        self.sessions.split && !self.sessions.list.is_empty()
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
        self.screen = Screen::Console;
        self.sessions.escape_pending = false;
        if let Some(i) = self
            .sessions
            .list
            .iter()
            .position(|s| s.host == host && s.target == target)
        {
            self.sessions.active = i;
            return Vec::new();
        }
        let (cols, rows) = self.console_pane_size();
        self.sessions.next_id += 1;
        let id = self.sessions.next_id;
        let mut screen = term::Screen::new(cols, rows);
        notice(&mut screen, &format!("connecting to {name} on {host}…"));
        self.sessions.list.push(Session {
            id,
            host: host.clone(),
            target: target.clone(),
            name,
            screen,
            state: SessionState::Connecting,
            retried: false,
            bell_until: None,
            select: SelectState::default(),
        });
        self.sessions.active = self.sessions.list.len() - 1;
        self.ensure_visible();
        vec![Effect::OpenConsole {
            session: id,
            host,
            target,
            cols,
            rows,
        }]
    }

    /// Session events from the executor.
    pub(super) fn console_opened(&mut self, id: u64) -> Vec<Effect> {
        let (cols, rows) = self.console_pane_size();
        let Some(s) = self.sessions.get_mut(id) else {
            return vec![Effect::CloseConsole { session: id }];
        };
        s.state = SessionState::Live;
        // The pane may have changed size while connecting.
        if s.screen.size() != (cols, rows) {
            s.resize(cols, rows);
        }
        vec![Effect::ConsoleResize {
            session: id,
            cols,
            rows,
        }]
    }

    pub(super) fn console_output(&mut self, id: u64, bytes: &[u8]) -> Vec<Effect> {
        let now = self.now;
        // Set before every read, so a theme changed meanwhile answers with its colors.
        let colors = TermStyle::from_theme(&self.theme).reported_colors();
        let Some(s) = self.sessions.get_mut(id) else {
            return Vec::new();
        };
        let alternate = s.screen.alternate_screen();
        s.screen.set_reported_colors(colors);
        s.screen.process(bytes);
        if s.screen.alternate_screen() != alternate {
            s.select.screen_changed(&s.screen);
        }
        if s.screen.take_bell() {
            s.bell_until = Some(now + Duration::from_millis(BELL_MS));
        }
        // OSC 52 from a guest is not honoured: a guest must not write the user's clipboard.
        let _ = s.screen.take_clipboard();
        let replies = s.screen.take_replies();
        if replies.is_empty() {
            Vec::new()
        } else {
            vec![Effect::ConsoleInput {
                session: id,
                bytes: replies,
            }]
        }
    }

    pub(super) fn console_closed(&mut self, id: u64, reason: &str, dropped: bool) -> Vec<Effect> {
        let (cols, rows) = self.console_pane_size();
        let Some(s) = self.sessions.get_mut(id) else {
            return Vec::new();
        };
        let reason = crate::text::clean_string(reason);
        if dropped && !s.retried {
            s.retried = true;
            s.state = SessionState::Connecting;
            notice(&mut s.screen, &format!("{reason}; reconnecting…"));
            return vec![Effect::OpenConsole {
                session: id,
                host: s.host.clone(),
                target: s.target.clone(),
                cols,
                rows,
            }];
        }
        notice(&mut s.screen, &format!("console closed: {reason}"));
        s.state = SessionState::Closed(reason.clone());
        let text = format!("{}: {reason}", s.name);
        let quiet = reason == "session ended";
        if !quiet {
            self.show_toast(&text, true);
        }
        Vec::new()
    }

    /// Every key while a console has the keyboard.
    pub(super) fn console_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let k = fold_ctrl_digit(k);
        let press = KeyPress::from_event(&k);
        let bound = press.and_then(|p| self.keymap.lookup_in(Context::Console, &[p]));
        if self.sessions.escape_pending {
            self.sessions.escape_pending = false;
            if bound == Some(Action::ConsoleEscape) {
                // The chord twice: the guest gets the chord itself (telnet's habit).
                return self.send_key(&k);
            }
            if let KeyCode::Char(c @ '1'..='9') = k.code {
                let i = usize::from(c as u8 - b'1');
                if i < self.sessions.list.len() {
                    self.sessions.active = i;
                }
                return Vec::new();
            }
            return match bound {
                Some(a) => self.console_action(a),
                None => Vec::new(),
            };
        }
        if bound == Some(Action::ConsoleEscape) {
            self.sessions.escape_pending = true;
            return Vec::new();
        }
        if self
            .sessions
            .active()
            .is_some_and(|s| s.select.copy.is_some())
        {
            return self.copy_mode_key(&k);
        }
        // Shift+PgUp/PgDn scroll the history, as in most terminals.
        if k.modifiers.contains(KeyModifiers::SHIFT)
            && matches!(k.code, KeyCode::PageUp | KeyCode::PageDown)
        {
            let half = (self.console_pane_size().1 / 2).max(1) as isize;
            let delta = if k.code == KeyCode::PageUp {
                half
            } else {
                -half
            };
            if let Some(s) = self.sessions.active_mut() {
                s.screen.scroll_by(delta);
            }
            return Vec::new();
        }
        self.send_key(&k)
    }

    fn send_key(&mut self, k: &KeyEvent) -> Vec<Effect> {
        let Some(key) = to_term_key(k) else {
            return Vec::new();
        };
        let Some(s) = self.sessions.active_mut() else {
            return Vec::new();
        };
        // Copy mode keeps every key from the guest, the chord's own byte included.
        if s.state != SessionState::Live || s.select.copy.is_some() {
            return Vec::new();
        }
        let bytes = s.screen.encode_key(&key);
        if bytes.is_empty() {
            return Vec::new();
        }
        // Typing returns the view to the live screen.
        s.screen.set_scroll_offset(0);
        vec![Effect::ConsoleInput {
            session: s.id,
            bytes,
        }]
    }

    pub(super) fn console_paste(&mut self, text: &str) -> Vec<Effect> {
        let Some(s) = self.sessions.active_mut() else {
            return Vec::new();
        };
        if s.state != SessionState::Live || s.select.copy.is_some() {
            return Vec::new();
        }
        s.screen.set_scroll_offset(0);
        vec![Effect::ConsoleInput {
            session: s.id,
            bytes: s.screen.paste_bytes(text),
        }]
    }

    /// Keep every session's screen (and its remote pty) at the pane's inner size.
    pub(super) fn sync_console_size(&mut self) -> Vec<Effect> {
        // The rack's own geometry depends on the split too.
        self.ensure_visible();
        let (cols, rows) = self.console_pane_size();
        let mut out = Vec::new();
        for s in &mut self.sessions.list {
            if s.screen.size() == (cols, rows) {
                continue;
            }
            s.resize(cols, rows);
            if s.state == SessionState::Live {
                out.push(Effect::ConsoleResize {
                    session: s.id,
                    cols,
                    rows,
                });
            }
        }
        out
    }

    /// Console commands: after the escape chord, or from the rack (`g c`, the palette).
    pub(super) fn console_action(&mut self, a: Action) -> Vec<Effect> {
        let n = self.sessions.list.len();
        match a {
            Action::Consoles | Action::ConsoleEscape if n > 0 => self.screen = Screen::Console,
            Action::Consoles => {
                self.show_toast("no console open (c: container, C: node shell)", false)
            }
            Action::ConsoleDetach => self.screen = Screen::Rack,
            Action::ConsoleNext if n > 0 => self.sessions.active = (self.sessions.active + 1) % n,
            Action::ConsolePrev if n > 0 => {
                self.sessions.active = (self.sessions.active + n - 1) % n
            }
            Action::ConsoleSplit => {
                self.sessions.split = !self.sessions.split;
                return self.sync_console_size();
            }
            Action::ConsoleClose if n > 0 => {
                let s = self.sessions.list.remove(self.sessions.active);
                self.sessions.active = self.sessions.active.min(n.saturating_sub(2));
                if self.sessions.list.is_empty() {
                    self.screen = Screen::Rack;
                }
                self.ensure_visible();
                return vec![Effect::CloseConsole { session: s.id }];
            }
            Action::ConsoleCopyMode if n > 0 => return self.enter_copy_mode(),
            Action::ConsoleReconnect => {
                let (cols, rows) = self.console_pane_size();
                if let Some(s) = self.sessions.active_mut()
                    && matches!(s.state, SessionState::Closed(_))
                {
                    s.state = SessionState::Connecting;
                    s.retried = false;
                    notice(&mut s.screen, "reconnecting…");
                    return vec![Effect::OpenConsole {
                        session: s.id,
                        host: s.host.clone(),
                        target: s.target.clone(),
                        cols,
                        rows,
                    }];
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
