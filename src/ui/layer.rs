//! Screens as components (after helix's compositor): each `Layer` owns its state, reads
//! its keys from its own keymap context and draws itself. The `LayerStack` holds the rack
//! (the bottom layer, there for the whole run: it gets the keys no other layer has), the
//! full-screen layers (the top one gets keys first, they draw bottom-up over the body), up
//! to `MAX_PANES` panes beside the rack, one of which may have the keyboard, a base layer
//! drawn where the rack goes instead of it (the first-run screen), the console (kept while
//! the rack has the keyboard, so its sessions live on; drawn full screen or beside the
//! rack), and at most one popup above everything (help, the palette, the app's prompts and
//! the host form), which takes every key while it is up and is drawn last over the whole
//! terminal.
//!
//! A layer answers a key with a `Reply`: ignored (the key goes on), consumed, or consumed
//! with `Request`s the app carries out (push or close layers, effects for the runtime,
//! toasts). Layers never see `App`: what they may read comes in a `LayerCtx`.

use std::any::Any;
use std::path::PathBuf;
use std::time::SystemTime;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, AppEvent, Effect};
use super::keymap::{Context, Keymap};
use super::rack_state::Rack;
use super::task_board::TaskBoard;
use super::theme::Theme;

/// At most this many logs beside the rack; beyond that the columns get too narrow to read.
pub const MAX_PANES: usize = 3;

/// What a layer may read while it handles input or draws.
pub struct LayerCtx<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub board: &'a TaskBoard,
    pub now: SystemTime,
    /// Where the layer is drawn (the same rectangle `render` gets), for page sizes.
    pub area: Rect,
    /// Whether this layer has the keyboard (a pane beside a focused rack does not).
    pub focused: bool,
    /// Where saved logs go (`<state dir>/logs`).
    pub log_dir: &'a std::path::Path,
    /// Alerts firing and their history.
    pub alerts: &'a super::alerts_board::AlertBoard,
    /// Every theme, and the one in the settings file (a cancelled preview goes back to it).
    pub themes: &'a super::theme::ThemeSet,
    pub saved_theme: &'a str,
    /// The configured hosts.
    pub hosts: &'a [super::action::HostEntry],
    /// The console recording switches as the store holds them.
    pub recording: &'a super::settings::RecordingSwitches,
    /// The hosts' state (online, unreachable...) and what they hold.
    pub inventory: &'a crate::inventory::Inventory,
    /// What the rack draws besides the inventory: the facts events delivered.
    pub tasks: &'a [super::app::TaskView],
    pub deploys: &'a super::deploy_jobs::DeployTracker,
    pub app_ports: &'a std::collections::HashMap<(String, u32), Vec<u16>>,
    pub backup_times: &'a std::collections::HashMap<String, std::collections::HashMap<u32, u64>>,
    pub extra: &'a std::collections::HashMap<(String, u32), super::app::GuestExtra>,
    pub metrics: &'a super::metrics_view::MetricsCache,
}

/// What the app must do after a layer handled something.
pub enum Request {
    Effect(Effect),
    /// Put a layer on top of the full-screen stack (a popup goes above everything,
    /// replacing the one up).
    Push(Box<dyn Layer>),
    /// Close the layer that asked (its `on_close` effects are sent).
    Close,
    /// Move the layer that asked between full screen and a pane beside the rack.
    ToggleBeside,
    /// Move the top full-screen layer beside the rack (right after a `Push`).
    ToggleBesideTop,
    Toast {
        text: String,
        error: bool,
    },
    /// Change the theme or a setting (the app owns them; the settings screen asks).
    Settings(super::settings::SettingsChange),
    /// Carry out a palette entry (an action, a jump to a guest, a theme, a host).
    Palette(super::popups::palette::PaletteTarget),
    /// Unmark every marked guest (a confirmed delete took them).
    ClearMarks,
    /// Put this layer where the rack goes (`None`: the rack), and leave a full-screen
    /// console for it.
    Base(Option<Box<dyn Layer>>),
    /// Give the keyboard back to the rack; the layer stays (a console's sessions live on).
    Detach,
    /// An action only the app can carry out, for the rack's selection now: it opens a
    /// layer from what the app holds (the console's sessions, the metrics cache, the
    /// running tasks).
    App(Action),
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Effect(e) => write!(f, "Effect({e:?})"),
            Request::Push(l) => write!(f, "Push({})", l.title()),
            Request::Close => f.write_str("Close"),
            Request::ToggleBeside => f.write_str("ToggleBeside"),
            Request::ToggleBesideTop => f.write_str("ToggleBesideTop"),
            Request::Toast { text, error } => write!(f, "Toast({text:?}, {error})"),
            Request::Settings(c) => write!(f, "Settings({c:?})"),
            Request::Palette(t) => write!(f, "Palette({t:?})"),
            Request::ClearMarks => f.write_str("ClearMarks"),
            Request::Base(b) => write!(f, "Base({:?})", b.as_ref().map(|l| l.title())),
            Request::Detach => f.write_str("Detach"),
            Request::App(a) => write!(f, "App({a:?})"),
        }
    }
}

/// A layer's answer to an input.
#[derive(Debug)]
pub enum Reply {
    /// Not for this layer: the next one (or the app) gets it.
    Ignored,
    Consumed,
    /// Consumed, and the app must do these.
    Then(Vec<Request>),
}

impl Reply {
    pub fn effect(e: Effect) -> Reply {
        Reply::Then(vec![Request::Effect(e)])
    }
}

/// One screen, pane or popup. `Send`: the app, and so its layers, moves into the UI task.
pub trait Layer: Any + Send {
    /// For borders and debugging: `tasks`, `task vzdump 101`.
    fn title(&self) -> String;
    /// The keymap context its actions come from (`Global` is looked up after it).
    fn context(&self) -> Context;
    /// While true (a search or filter line is being typed), keys arrive raw in `on_text`.
    fn wants_text(&self) -> bool {
        false
    }
    /// Keys a modal layer ignores go to the app's global actions only, never to layers
    /// under it.
    fn modal(&self) -> bool {
        true
    }
    /// Whether it hides everything under it (a small popup does not: the layer under it
    /// is drawn first).
    fn opaque(&self) -> bool {
        true
    }
    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply;
    fn on_text(&mut self, _key: KeyEvent, _ctx: &LayerCtx) -> Reply {
        Reply::Ignored
    }
    fn on_paste(&mut self, _text: &str, _ctx: &LayerCtx) -> Reply {
        Reply::Ignored
    }
    /// A left click at (`column`, `row`) of the terminal.
    fn on_click(&mut self, _column: u16, _row: u16, _ctx: &LayerCtx) -> Reply {
        Reply::Ignored
    }
    /// The mouse wheel over the layer (`down` towards the end), in lines.
    fn on_wheel(&mut self, _down: bool, _ctx: &LayerCtx) -> Reply {
        Reply::Ignored
    }
    /// Every mouse event while it has the keyboard, before `on_wheel`/`on_click` (a
    /// console hands drags and releases to its guest or its selection).
    fn on_mouse(&mut self, _m: MouseEvent, _ctx: &LayerCtx) -> Reply {
        Reply::Ignored
    }
    /// Data from the inbox. `Ignored` leaves the event to the next layer; anything else
    /// takes it (no one else sees it).
    fn on_event(&mut self, _ev: &AppEvent, _ctx: &LayerCtx) -> Reply {
        Reply::Ignored
    }
    /// The clock moved; periodic requests (a refresh while visible) go here.
    fn on_tick(&mut self, _now: SystemTime) -> Vec<Effect> {
        Vec::new()
    }
    /// When the layer next wants a tick.
    fn next_deadline(&self) -> Option<SystemTime> {
        None
    }
    /// Effects when the layer leaves (stop following a log).
    fn on_close(&mut self) -> Vec<Effect> {
        Vec::new()
    }
    /// Whether it can sit beside the rack as a pane.
    fn can_be_beside(&self) -> bool {
        false
    }
    /// Whether it is drawn beside the rack now rather than over the body (a split
    /// console): the rack stays on screen.
    fn beside_rack(&self) -> bool {
        false
    }
    /// Whether it is a popup: pushed above everything (replacing any popup up), drawn last
    /// over the whole terminal, given every key while it is up.
    fn is_popup(&self) -> bool {
        false
    }
    /// Status-bar hints, looked up in `context()`.
    fn hints(&self) -> Vec<(Action, &'static str)> {
        Vec::new()
    }
    /// Draw into `area`; reads only.
    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx);
    fn as_any(&self) -> &dyn Any;
}

/// Where a layer lives in the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The full-screen stack, 0 = bottom.
    Screen(usize),
    /// Beside the rack, 0 = leftmost.
    Pane(usize),
    /// The popup above everything.
    Popup,
    /// Where the rack goes.
    Base,
    /// The console: full screen or beside the rack, or kept unseen while detached.
    Console,
    /// The rack: the bottom layer, it has the keyboard when no other layer does.
    Rack,
}

/// The rack, the full-screen layers and the panes beside the rack.
#[derive(Default)]
pub struct LayerStack {
    /// The rack screen: its view, selection, filter, zoom, marks and detail panel.
    rack: Rack,
    screens: Vec<Box<dyn Layer>>,
    panes: Vec<Box<dyn Layer>>,
    popup: Option<Box<dyn Layer>>,
    /// Drawn instead of the rack; `None`: the rack.
    base: Option<Box<dyn Layer>>,
    /// Which pane has the keyboard; `None`: the rack has it.
    pane_focus: Option<usize>,
    /// The console, kept for the whole run (its sessions outlive being seen).
    console: Option<Box<dyn Layer>>,
    /// The console has the keyboard (before any screen or pane; only a popup goes first).
    console_focus: bool,
    /// The user's catalog files (`<config dir>/catalog`); `None`: the shipped ones only.
    pub catalog_dir: Option<PathBuf>,
}

impl std::fmt::Debug for LayerStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |v: &[Box<dyn Layer>]| v.iter().map(|l| l.title()).collect::<Vec<_>>();
        f.debug_struct("LayerStack")
            .field("screens", &names(&self.screens))
            .field("panes", &names(&self.panes))
            .field("popup", &self.popup.as_ref().map(|l| l.title()))
            .field("base", &self.base.as_ref().map(|l| l.title()))
            .field("pane_focus", &self.pane_focus)
            .field("console_focus", &self.console_focus)
            .finish()
    }
}

impl LayerStack {
    /// The rack's state (selection, filter, marks...).
    pub fn rack(&self) -> &Rack {
        &self.rack
    }

    pub fn rack_mut(&mut self) -> &mut Rack {
        &mut self.rack
    }

    /// No layer up but the rack and the console (which are always there; the console is
    /// empty until a session opens).
    pub fn is_empty(&self) -> bool {
        self.screens.is_empty()
            && self.panes.is_empty()
            && self.popup.is_none()
            && self.base.is_none()
    }

    /// The layer drawn instead of the rack, if any.
    pub fn base(&self) -> Option<&dyn Layer> {
        self.base.as_deref()
    }

    /// Put a layer where the rack goes (`None`: the rack); the close effects of the one
    /// it replaces.
    pub fn set_base(&mut self, base: Option<Box<dyn Layer>>) -> Vec<Effect> {
        let old = std::mem::replace(&mut self.base, base);
        old.map(|mut l| l.on_close()).unwrap_or_default()
    }

    /// Install the console layer (once, when the app starts).
    pub fn set_console(&mut self, console: Box<dyn Layer>) {
        self.console = Some(console);
    }

    pub fn console(&self) -> Option<&dyn Layer> {
        self.console.as_deref()
    }

    /// Whether the console has the keyboard.
    pub fn console_focused(&self) -> bool {
        self.console_focus && self.console.is_some()
    }

    /// Give the keyboard to the console (from any pane) or back to the rack.
    pub fn focus_console(&mut self, focus: bool) {
        self.console_focus = focus;
        if focus {
            self.pane_focus = None;
        }
    }

    /// The popup up, if any.
    pub fn popup(&self) -> Option<&dyn Layer> {
        self.popup.as_deref()
    }

    /// The popup up, if it is a `T`.
    pub fn popup_as<T: Layer>(&self) -> Option<&T> {
        self.popup()?.as_any().downcast_ref::<T>()
    }

    /// A full-screen layer or the base layer has the body and the mouse: the rack is under
    /// it (drawn only under a screen that is not opaque, and then still).
    pub fn covers_body(&self) -> bool {
        !self.screens.is_empty() || self.base.is_some()
    }

    pub fn screens(&self) -> &[Box<dyn Layer>] {
        &self.screens
    }

    /// Whether the top full-screen layer is a `T` (opening a screen already on top does
    /// nothing).
    pub fn top_screen_is<T: Layer + 'static>(&self) -> bool {
        self.screens.last().is_some_and(|l| l.as_any().is::<T>())
    }

    pub fn panes(&self) -> &[Box<dyn Layer>] {
        &self.panes
    }

    pub fn pane_focus(&self) -> Option<usize> {
        self.pane_focus
    }

    /// The layer that gets keys: the focused console, else the top screen, else the base
    /// layer, else the focused pane, else the rack.
    pub fn keyboard(&self) -> Slot {
        self.keyboard_above_rack().unwrap_or(Slot::Rack)
    }

    fn keyboard_above_rack(&self) -> Option<Slot> {
        if self.console_focused() {
            return Some(Slot::Console);
        }
        if !self.screens.is_empty() {
            return Some(Slot::Screen(self.screens.len() - 1));
        }
        if self.base.is_some() {
            return Some(Slot::Base);
        }
        self.pane_focus
            .filter(|i| *i < self.panes.len())
            .map(Slot::Pane)
    }

    pub fn get(&self, slot: Slot) -> Option<&dyn Layer> {
        match slot {
            Slot::Screen(i) => self.screens.get(i).map(|l| l.as_ref()),
            Slot::Pane(i) => self.panes.get(i).map(|l| l.as_ref()),
            Slot::Popup => self.popup.as_deref(),
            Slot::Base => self.base.as_deref(),
            Slot::Console => self.console.as_deref(),
            Slot::Rack => Some(&self.rack),
        }
    }

    /// The layer in `slot`, to change. It borrows only the stack, so the app can lend a
    /// layer its `LayerCtx` (read from its other fields) while the layer changes.
    pub fn get_mut(&mut self, slot: Slot) -> Option<&mut dyn Layer> {
        fn un_box(l: &mut Box<dyn Layer>) -> &mut dyn Layer {
            l.as_mut()
        }
        match slot {
            Slot::Screen(i) => self.screens.get_mut(i).map(un_box),
            Slot::Pane(i) => self.panes.get_mut(i).map(un_box),
            Slot::Popup => self.popup.as_mut().map(un_box),
            Slot::Base => self.base.as_mut().map(un_box),
            Slot::Console => self.console.as_mut().map(un_box),
            Slot::Rack => Some(&mut self.rack),
        }
    }

    /// The first layer of `key_route` (the popup, else the one with the keyboard), with no
    /// list built: a console keystroke needs no more.
    pub fn key_top(&self) -> Slot {
        if self.popup.is_some() {
            return Slot::Popup;
        }
        self.keyboard()
    }

    /// The layers keys are offered to, top-down: the popup alone, else the focused console
    /// alone, else screens from the top until a modal one, or the focused pane, or the
    /// rack.
    pub fn key_route(&self) -> Vec<Slot> {
        if self.popup.is_some() {
            return vec![Slot::Popup];
        }
        if self.screens.is_empty() || self.console_focused() {
            return vec![self.keyboard()];
        }
        let mut route = Vec::new();
        for i in (0..self.screens.len()).rev() {
            route.push(Slot::Screen(i));
            if self.screens[i].modal() {
                return route;
            }
        }
        if self.base.is_some() {
            route.push(Slot::Base);
        }
        route
    }

    /// Put a layer on top of the full-screen stack, or a popup up (the one up before it
    /// is dropped: one popup at a time).
    pub fn push(&mut self, layer: Box<dyn Layer>) {
        if layer.is_popup() {
            self.popup = Some(layer);
        } else {
            self.screens.push(layer);
        }
    }

    /// Put a layer beside the rack and give it the keyboard; `Err` gives it back when
    /// `MAX_PANES` are open.
    pub fn add_pane(&mut self, layer: Box<dyn Layer>) -> Result<(), Box<dyn Layer>> {
        if self.panes.len() >= MAX_PANES {
            return Err(layer);
        }
        self.panes.push(layer);
        self.pane_focus = Some(self.panes.len() - 1);
        Ok(())
    }

    /// Take a layer out (never the console); the focus moves to the pane that takes its
    /// place, else the rack.
    pub fn remove(&mut self, slot: Slot) -> Option<Box<dyn Layer>> {
        match slot {
            Slot::Screen(i) if i < self.screens.len() => Some(self.screens.remove(i)),
            Slot::Popup => self.popup.take(),
            Slot::Base => self.base.take(),
            // The console and the rack stay for the whole run.
            Slot::Console | Slot::Rack => None,
            Slot::Pane(i) if i < self.panes.len() => {
                let layer = self.panes.remove(i);
                self.pane_focus = match self.pane_focus {
                    _ if self.panes.is_empty() => None,
                    Some(f) if f > i => Some(f - 1),
                    Some(f) if f == i => Some(i.min(self.panes.len() - 1)),
                    other => other,
                };
                Some(layer)
            }
            _ => None,
        }
    }

    /// Close every full-screen layer (a jump to another screen); their close effects.
    pub fn clear_screens(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        while let Some(mut l) = self.screens.pop() {
            effects.extend(l.on_close());
        }
        effects
    }

    /// Rack -> first pane -> ... -> last pane -> rack.
    pub fn cycle_focus(&mut self) {
        self.pane_focus = match self.pane_focus {
            _ if self.panes.is_empty() => None,
            None => Some(0),
            Some(i) if i + 1 < self.panes.len() => Some(i + 1),
            Some(_) => None,
        };
    }

    pub fn focus_pane(&mut self, pane: Option<usize>) {
        self.pane_focus = pane.filter(|i| *i < self.panes.len());
        if self.pane_focus.is_some() {
            self.console_focus = false;
        }
    }

    /// The order data events are offered in: the popup first, then the screens top-down,
    /// the base layer, the panes, the console.
    pub fn event_route(&self) -> Vec<Slot> {
        let popup = self.popup.is_some().then_some(Slot::Popup);
        let screens = (0..self.screens.len()).rev().map(Slot::Screen);
        let base = self.base.is_some().then_some(Slot::Base);
        let panes = (0..self.panes.len()).map(Slot::Pane);
        let console = self.console.is_some().then_some(Slot::Console);
        popup
            .into_iter()
            .chain(screens)
            .chain(base)
            .chain(panes)
            .chain(console)
            .collect()
    }

    /// The layers on screen, bottom-up: the screens from the topmost opaque one (over the
    /// base layer, else the rack, when none is), else the base layer, else the rack with
    /// a split console and the panes (not while the console has the keyboard), or the
    /// console alone when it fills the body.
    pub fn visible(&self) -> Vec<Slot> {
        let base = self.base.is_some().then_some(Slot::Base);
        if !self.screens.is_empty() {
            let opaque = (0..self.screens.len())
                .rev()
                .find(|i| self.screens[*i].opaque());
            let under = match opaque {
                None => Some(base.unwrap_or(Slot::Rack)),
                Some(_) => None,
            };
            return under
                .into_iter()
                .chain((opaque.unwrap_or(0)..self.screens.len()).map(Slot::Screen))
                .collect();
        }
        if let Some(b) = base {
            return vec![b];
        }
        let split = self.console.as_ref().is_some_and(|c| c.beside_rack());
        let console_shown = self.console_focused() || split;
        if console_shown && !split {
            return vec![Slot::Console];
        }
        let mut shown = vec![Slot::Rack];
        if console_shown {
            shown.push(Slot::Console);
        }
        if !self.console_focused() {
            shown.extend((0..self.panes.len()).map(Slot::Pane));
        }
        shown
    }

    /// What is on screen, and the console seen or not (a bell's flash ends on time
    /// either way).
    fn live(&self) -> Vec<Slot> {
        let mut slots = self.visible();
        if self.console.is_some() && !slots.contains(&Slot::Console) {
            slots.push(Slot::Console);
        }
        slots
    }

    /// Only what is on screen ticks (the tasks view refreshes while it is seen), and the
    /// console.
    pub fn tick(&mut self, now: SystemTime) -> Vec<Effect> {
        let mut effects = Vec::new();
        for slot in self.live() {
            if let Some(l) = self.get_mut(slot) {
                effects.extend(l.on_tick(now));
            }
        }
        effects
    }

    pub fn next_deadline(&self) -> Option<SystemTime> {
        self.live()
            .into_iter()
            .filter_map(|s| self.get(s).and_then(|l| l.next_deadline()))
            .min()
    }
}

/// Split the rack's part of the body among the rack and `panes` log panes: the rack keeps
/// an equal share but at least 30 columns when there is room.
pub fn beside_layout(area: Rect, panes: usize) -> (Rect, Vec<Rect>) {
    if panes == 0 {
        return (area, Vec::new());
    }
    let n = panes as u16;
    let share = area.width / (n + 1);
    let rack_w = share.max(30.min(area.width / 2));
    let rack = Rect {
        width: rack_w,
        ..area
    };
    let rest = area.width - rack_w;
    let mut x = area.x + rack_w;
    let mut out = Vec::with_capacity(panes);
    for i in 0..n {
        // The last pane takes the remainder, so the panes end at the area's edge.
        let w = if i + 1 == n {
            area.right() - x
        } else {
            rest / n
        };
        out.push(Rect {
            x,
            width: w,
            ..area
        });
        x += w;
    }
    (rack, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_share_the_width() {
        let (rack, panes) = beside_layout(Rect::new(0, 1, 160, 40), 3);
        assert_eq!(rack.width, 40);
        assert_eq!(panes.len(), 3);
        assert_eq!(panes[2].right(), 160);
        let (rack, panes) = beside_layout(Rect::new(0, 1, 80, 22), 2);
        assert_eq!(rack.width, 30);
        assert_eq!(panes[0].x, 30);
        assert_eq!(panes[1].right(), 80);
    }

    /// A popup for the route test.
    struct Pop(bool);

    impl Layer for Pop {
        fn title(&self) -> String {
            String::new()
        }
        fn context(&self) -> Context {
            Context::Global
        }
        fn is_popup(&self) -> bool {
            self.0
        }
        fn on_action(&mut self, _action: Action, _ctx: &LayerCtx) -> Reply {
            Reply::Ignored
        }
        fn render(&self, _area: Rect, _buf: &mut Buffer, _ctx: &LayerCtx) {}
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    #[test]
    fn key_top_is_the_head_of_the_key_route() {
        let mut s = LayerStack::default();
        let same = |s: &LayerStack| assert_eq!(Some(s.key_top()), s.key_route().first().copied());
        same(&s);
        assert_eq!(s.key_top(), Slot::Rack);
        s.set_console(Box::new(Pop(false)));
        same(&s);
        s.focus_console(true);
        same(&s);
        assert_eq!(s.key_top(), Slot::Console);
        s.push(Box::new(Pop(false)));
        s.push(Box::new(Pop(false)));
        same(&s);
        s.focus_console(false);
        same(&s);
        assert_eq!(s.key_top(), Slot::Screen(1));
        s.set_base(Some(Box::new(Pop(false))));
        same(&s);
        s.push(Box::new(Pop(true)));
        same(&s);
        assert_eq!(s.key_top(), Slot::Popup);
    }
}
