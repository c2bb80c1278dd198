//! The console as a layer: it owns the console tabs (`console::Sessions`) and their copy
//! mode, and lives in the stack's console slot for the whole run, so sessions stay alive
//! while the rack has the keyboard. The stack decides whether it has the keyboard; the
//! layer decides its layout inside the body (full, or split with the rack on the left).
//!
//! While it has the keyboard it takes every key raw (`wants_text`), Ctrl-C included,
//! except its escape chord (Ctrl-] by default, `[console]` in the keymap): the key after
//! the chord is looked up in the console context only (back to the rack, switch tabs,
//! split, close, reconnect, copy mode). The rack gets the keyboard back with
//! `Request::Detach`.

use std::any::Any;
use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};

use super::action::{Action, AppEvent, Effect};
use super::console::{
    BELL_MS, ConsoleLayout, Session, SessionState, Sessions, console_layout, fold_ctrl_digit,
    notice, pane_inner, to_term_key,
};
use super::console_copy::SelectState;
use super::keymap::{Context, KeyPress};
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::term_widget::TermStyle;
use crate::pve::ConsoleTarget;
use crate::term;

/// The console tabs and the keys, data and drawing that go with them.
#[derive(Default)]
pub struct ConsoleLayer {
    pub sessions: Sessions,
}

/// Effects as a reply that goes through the app's requests (so the rack's scroll follows
/// a pane that changed size).
fn then(effects: Vec<Effect>) -> Reply {
    Reply::Then(effects.into_iter().map(Request::Effect).collect())
}

impl ConsoleLayer {
    /// Where the rack (when split) and the pane go inside the body.
    pub fn layout(&self, body: Rect) -> ConsoleLayout {
        console_layout(body, self.sessions.split)
    }

    /// Whether the pane stays beside the rack (split, with a session open), also while the
    /// rack has the keyboard.
    pub fn beside(&self) -> bool {
        self.sessions.split && !self.sessions.list.is_empty()
    }

    /// The guest screen's size: the pane's inner area in `body`.
    pub fn pane_size(&self, body: Rect) -> (u16, u16) {
        let inner = pane_inner(self.layout(body).pane);
        (inner.width.max(1), inner.height.max(1))
    }

    /// Where the terminal cursor goes when the console is drawn in `body`: copy mode's
    /// cursor, else the live guest's.
    pub fn cursor(&self, body: Rect) -> Option<Position> {
        super::render::console::cursor(self, pane_inner(self.layout(body).pane))
    }

    /// A session on `target`, or the open one on it brought to the front.
    pub fn open(
        &mut self,
        host: String,
        target: ConsoleTarget,
        name: String,
        body: Rect,
    ) -> Vec<Effect> {
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
        let (cols, rows) = self.pane_size(body);
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
        vec![Effect::OpenConsole {
            session: id,
            host,
            target,
            cols,
            rows,
        }]
    }

    fn opened(&mut self, id: u64, body: Rect) -> Reply {
        let (cols, rows) = self.pane_size(body);
        let Some(s) = self.sessions.get_mut(id) else {
            return Reply::effect(Effect::CloseConsole { session: id });
        };
        s.state = SessionState::Live;
        // The pane may have changed size while connecting.
        if s.screen.size() != (cols, rows) {
            s.resize(cols, rows);
        }
        Reply::effect(Effect::ConsoleResize {
            session: id,
            cols,
            rows,
        })
    }

    fn output(&mut self, id: u64, bytes: &[u8], ctx: &LayerCtx) -> Reply {
        // Set before every read, so a theme changed meanwhile answers with its colors.
        let colors = TermStyle::from_theme(ctx.theme).reported_colors();
        let Some(s) = self.sessions.get_mut(id) else {
            return Reply::Consumed;
        };
        let alternate = s.screen.alternate_screen();
        s.screen.set_reported_colors(colors);
        s.screen.process(bytes);
        if s.screen.alternate_screen() != alternate {
            s.select.screen_changed(&s.screen);
        }
        if s.screen.take_bell() {
            s.bell_until = Some(ctx.now + Duration::from_millis(BELL_MS));
        }
        // OSC 52 from a guest is not honoured: a guest must not write the user's clipboard.
        let _ = s.screen.take_clipboard();
        let replies = s.screen.take_replies();
        if replies.is_empty() {
            Reply::Consumed
        } else {
            Reply::effect(Effect::ConsoleInput {
                session: id,
                bytes: replies,
            })
        }
    }

    fn closed(&mut self, id: u64, reason: &str, dropped: bool, body: Rect) -> Reply {
        let (cols, rows) = self.pane_size(body);
        let Some(s) = self.sessions.get_mut(id) else {
            return Reply::Consumed;
        };
        let reason = crate::text::clean_string(reason);
        if dropped && !s.retried {
            s.retried = true;
            s.state = SessionState::Connecting;
            notice(&mut s.screen, &format!("{reason}; reconnecting…"));
            return Reply::effect(Effect::OpenConsole {
                session: id,
                host: s.host.clone(),
                target: s.target.clone(),
                cols,
                rows,
            });
        }
        notice(&mut s.screen, &format!("console closed: {reason}"));
        s.state = SessionState::Closed(reason.clone());
        if reason == "session ended" {
            return Reply::Consumed;
        }
        Reply::Then(vec![Request::Toast {
            text: format!("{}: {reason}", s.name),
            error: true,
        }])
    }

    /// Every key while the console has the keyboard.
    fn key(&mut self, k: KeyEvent, ctx: &LayerCtx) -> Reply {
        let k = fold_ctrl_digit(k);
        let press = KeyPress::from_event(&k);
        let bound = press.and_then(|p| ctx.keymap.lookup_in(Context::Console, &[p]));
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
                return Reply::Consumed;
            }
            return match bound {
                Some(a) => self.command(a, ctx),
                None => Reply::Consumed,
            };
        }
        if bound == Some(Action::ConsoleEscape) {
            self.sessions.escape_pending = true;
            return Reply::Consumed;
        }
        if self
            .sessions
            .active()
            .is_some_and(|s| s.select.copy.is_some())
        {
            return self.copy_mode_key(&k, ctx.keymap);
        }
        // Shift+PgUp/PgDn scroll the history, as in most terminals.
        if k.modifiers.contains(KeyModifiers::SHIFT)
            && matches!(k.code, KeyCode::PageUp | KeyCode::PageDown)
        {
            let half = (self.pane_size(ctx.area).1 / 2).max(1) as isize;
            let delta = if k.code == KeyCode::PageUp {
                half
            } else {
                -half
            };
            if let Some(s) = self.sessions.active_mut() {
                s.screen.scroll_by(delta);
            }
            return Reply::Consumed;
        }
        self.send_key(&k)
    }

    fn send_key(&mut self, k: &KeyEvent) -> Reply {
        let Some(key) = to_term_key(k) else {
            return Reply::Consumed;
        };
        let Some(s) = self.sessions.active_mut() else {
            return Reply::Consumed;
        };
        // Copy mode keeps every key from the guest, the chord's own byte included.
        if s.state != SessionState::Live || s.select.copy.is_some() {
            return Reply::Consumed;
        }
        let bytes = s.screen.encode_key(&key);
        if bytes.is_empty() {
            return Reply::Consumed;
        }
        // Typing returns the view to the live screen.
        s.screen.set_scroll_offset(0);
        Reply::effect(Effect::ConsoleInput {
            session: s.id,
            bytes,
        })
    }

    /// Keep every session's screen (and its remote pty) at the pane's inner size.
    fn resize_all(&mut self, body: Rect) -> Vec<Effect> {
        let (cols, rows) = self.pane_size(body);
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

    /// Console commands: after the escape chord, or from the palette.
    fn command(&mut self, a: Action, ctx: &LayerCtx) -> Reply {
        let n = self.sessions.list.len();
        match a {
            Action::Consoles if n == 0 => Reply::Then(vec![Request::Toast {
                text: "no console open (c: container, C: node shell)".into(),
                error: false,
            }]),
            Action::ConsoleDetach => Reply::Then(vec![Request::Detach]),
            Action::ConsoleNext if n > 0 => {
                self.sessions.active = (self.sessions.active + 1) % n;
                Reply::Consumed
            }
            Action::ConsolePrev if n > 0 => {
                self.sessions.active = (self.sessions.active + n - 1) % n;
                Reply::Consumed
            }
            Action::ConsoleSplit => {
                self.sessions.split = !self.sessions.split;
                then(self.resize_all(ctx.area))
            }
            Action::ConsoleClose if n > 0 => {
                let s = self.sessions.list.remove(self.sessions.active);
                self.sessions.active = self.sessions.active.min(n.saturating_sub(2));
                let mut requests = vec![Request::Effect(Effect::CloseConsole { session: s.id })];
                if self.sessions.list.is_empty() {
                    requests.push(Request::Detach);
                }
                Reply::Then(requests)
            }
            Action::ConsoleCopyMode if n > 0 => {
                self.enter_copy_mode();
                Reply::Consumed
            }
            Action::ConsoleReconnect => {
                let (cols, rows) = self.pane_size(ctx.area);
                if let Some(s) = self.sessions.active_mut()
                    && matches!(s.state, SessionState::Closed(_))
                {
                    s.state = SessionState::Connecting;
                    s.retried = false;
                    notice(&mut s.screen, "reconnecting…");
                    return Reply::effect(Effect::OpenConsole {
                        session: s.id,
                        host: s.host.clone(),
                        target: s.target.clone(),
                        cols,
                        rows,
                    });
                }
                Reply::Consumed
            }
            _ => Reply::Consumed,
        }
    }

    fn in_copy_mode(&self) -> bool {
        self.sessions
            .active()
            .is_some_and(|s| s.select.copy.is_some())
    }
}

impl Layer for ConsoleLayer {
    fn title(&self) -> String {
        "console".into()
    }

    fn beside_rack(&self) -> bool {
        self.beside()
    }

    /// Copy mode's keys while it lasts (the status-bar hints come from there).
    fn context(&self) -> Context {
        if self.in_copy_mode() {
            Context::Copy
        } else {
            Context::Console
        }
    }

    /// Every key arrives raw: the chord is looked up here, not by the app.
    fn wants_text(&self) -> bool {
        true
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        self.command(action, ctx)
    }

    fn on_text(&mut self, key: KeyEvent, ctx: &LayerCtx) -> Reply {
        self.key(key, ctx)
    }

    fn on_paste(&mut self, text: &str, _ctx: &LayerCtx) -> Reply {
        let Some(s) = self.sessions.active_mut() else {
            return Reply::Ignored;
        };
        if s.state != SessionState::Live || s.select.copy.is_some() {
            return Reply::Consumed;
        }
        s.screen.set_scroll_offset(0);
        Reply::effect(Effect::ConsoleInput {
            session: s.id,
            bytes: s.screen.paste_bytes(text),
        })
    }

    fn on_mouse(&mut self, m: MouseEvent, ctx: &LayerCtx) -> Reply {
        self.mouse(m, ctx.area)
    }

    fn on_event(&mut self, ev: &AppEvent, ctx: &LayerCtx) -> Reply {
        match ev {
            AppEvent::ConsoleOpened { session } => self.opened(*session, ctx.area),
            AppEvent::ConsoleOutput { session, bytes } => self.output(*session, bytes, ctx),
            AppEvent::ConsoleClosed {
                session,
                reason,
                dropped,
            } => self.closed(*session, reason, *dropped, ctx.area),
            // The rack's geometry depends on the split too: through the app's requests.
            AppEvent::Resize(..) => then(self.resize_all(ctx.area)),
            _ => Reply::Ignored,
        }
    }

    /// A bell's flash ends.
    fn on_tick(&mut self, now: SystemTime) -> Vec<Effect> {
        self.sessions.expire(now);
        Vec::new()
    }

    fn next_deadline(&self) -> Option<SystemTime> {
        self.sessions.next_deadline()
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.in_copy_mode() {
            return vec![
                (Action::CopyUp, "move"),
                (Action::CopySelect, "mark"),
                (Action::CopyYank, "copy"),
                (Action::CopyLeave, "leave"),
            ];
        }
        vec![(
            Action::ConsoleEscape,
            "escape chord, then a key from the pane's border",
        )]
    }

    /// `area` is the body: the pane goes in its part of it. Beside a focused rack it is
    /// drawn only when split with room for both; detached, not at all.
    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        let layout = self.layout(area);
        if !ctx.focused && layout.rack.is_none() {
            return;
        }
        super::render::console::draw_pane(&self.sessions, layout.pane, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
