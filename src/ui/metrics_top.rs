//! The top lists screen (`g m`): the busiest running guests of every host by CPU, memory,
//! disk I/O and network, side by side when the terminal is wide enough, else one at a time
//! (Tab or Left/Right switch). Ranked by the engine from the inventories it already holds,
//! asked again every few seconds while the screen is up. Enter opens the metrics screen of
//! the selected guest over this one.

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, AppEvent, Effect};
use super::app::App;
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::metrics_view::MetricsView;
use crate::engine::metrics::{MetricsTarget, TopBy, TopEntry};

/// Guests per list.
pub const TOP_LIMIT: usize = 20;
/// The inventory refreshes every few seconds: ask as often.
const REFRESH: Duration = Duration::from_secs(5);

pub type TopLists = Arc<Vec<(TopBy, Vec<TopEntry>)>>;

pub struct TopView {
    pub lists: Option<TopLists>,
    /// Which list has the cursor.
    pub focus: TopBy,
    /// The cursor in each list, by `TopBy::ALL` index.
    pub selected: [usize; 4],
    asked_at: SystemTime,
}

fn index(by: TopBy) -> usize {
    TopBy::ALL.iter().position(|b| *b == by).unwrap_or(0)
}

impl TopView {
    pub fn new(now: SystemTime) -> TopView {
        TopView {
            lists: None,
            focus: TopBy::Cpu,
            selected: [0; 4],
            asked_at: now,
        }
    }

    pub fn list(&self, by: TopBy) -> &[TopEntry] {
        self.lists
            .as_ref()
            .and_then(|l| l.iter().find(|(b, _)| *b == by))
            .map_or(&[], |(_, v)| v.as_slice())
    }

    fn move_cursor(&mut self, delta: isize) {
        let len = self.list(self.focus).len();
        let i = index(self.focus);
        let at = self.selected[i] as isize + delta;
        self.selected[i] = at.clamp(0, len.saturating_sub(1) as isize) as usize;
    }

    fn cycle(&mut self, delta: isize) {
        let n = TopBy::ALL.len() as isize;
        let at = (index(self.focus) as isize + delta).rem_euclid(n) as usize;
        self.focus = TopBy::ALL[at];
    }

    fn open(&self, ctx: &LayerCtx) -> Reply {
        let i = index(self.focus);
        let Some(e) = self.list(self.focus).get(self.selected[i]) else {
            return Reply::Consumed;
        };
        let target = MetricsTarget::Guest {
            host: e.host.clone(),
            node: e.node.clone(),
            vmid: e.vmid,
            kind: e.kind,
        };
        let mut view = MetricsView::new(target, &e.name, None);
        let fetch = view.request(ctx.now);
        Reply::Then(vec![Request::Push(Box::new(view)), Request::Effect(fetch)])
    }
}

impl Layer for TopView {
    fn title(&self) -> String {
        "top".into()
    }

    fn context(&self) -> Context {
        Context::Metrics
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        match action {
            Action::Up => self.move_cursor(-1),
            Action::Down => self.move_cursor(1),
            Action::PageUp => self.move_cursor(-10),
            Action::PageDown => self.move_cursor(10),
            Action::Top => self.move_cursor(isize::MIN / 2),
            Action::Bottom => self.move_cursor(isize::MAX / 2),
            Action::NextPane | Action::Right => self.cycle(1),
            Action::PrevPane | Action::Left => self.cycle(-1),
            Action::Open | Action::Details => return self.open(ctx),
            Action::Refresh => {
                self.asked_at = ctx.now;
                return Reply::effect(Effect::LoadTopGuests);
            }
            Action::Back => return Reply::Then(vec![Request::Close]),
            _ => return Reply::Ignored,
        }
        Reply::Consumed
    }

    fn on_event(&mut self, ev: &AppEvent, _ctx: &LayerCtx) -> Reply {
        let AppEvent::TopGuests(lists) = ev else {
            return Reply::Ignored;
        };
        self.lists = Some(lists.clone());
        for by in TopBy::ALL {
            let len = self.list(by).len();
            let i = index(by);
            self.selected[i] = self.selected[i].min(len.saturating_sub(1));
        }
        Reply::Consumed
    }

    fn on_tick(&mut self, now: SystemTime) -> Vec<Effect> {
        if now
            .duration_since(self.asked_at)
            .is_ok_and(|a| a >= REFRESH)
        {
            self.asked_at = now;
            return vec![Effect::LoadTopGuests];
        }
        Vec::new()
    }

    fn next_deadline(&self) -> Option<SystemTime> {
        Some(self.asked_at + REFRESH)
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Open, "metrics"),
            (Action::NextPane, "next list"),
            (Action::Refresh, "refresh"),
            (Action::Back, "back"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::metrics_top::draw(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl App {
    /// `g m`: the top lists on top (the one open, or a new one), and a ranking now.
    pub fn open_top_view(&mut self) -> Vec<Effect> {
        let on_top = self.layers.top_screen_is::<TopView>();
        let mut effects = Vec::new();
        if !on_top {
            effects.extend(self.layers.clear_screens());
            self.layers.push(Box::new(TopView::new(self.now)));
        }
        effects.push(Effect::LoadTopGuests);
        effects
    }
}
