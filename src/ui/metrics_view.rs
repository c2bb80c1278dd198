//! The metrics screen (`m` on the rack's selected guest, `M` for its rack's node): charts of
//! CPU, memory, network, disk and pressure over an hour, a day, a week or a month (`1`-`4`,
//! or Left/Right), with latest/avg/max in each chart's title. The engine fetches; answers
//! arrive as `AppEvent::MetricsReport`, are kept in the app's `MetricsCache` (the detail
//! panel's sparklines draw from it too) and shown by the view asking for them.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, AppEvent, Effect};
use super::app::App;
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};
use crate::engine::metrics::{MetricsReport, MetricsTarget};
use crate::engine::metrics_series::TIMEFRAMES;
use crate::pve::Timeframe;

/// Reports kept at most (each is a few hundred kB for a month of a node).
const CACHE_LIMIT: usize = 32;
/// How often an open screen asks again (Proxmox writes a point a minute).
const REFRESH: Duration = Duration::from_secs(60);

/// The last report per target and time frame, with when it arrived.
#[derive(Default)]
pub struct MetricsCache {
    reports: HashMap<(MetricsTarget, Timeframe), (Arc<MetricsReport>, SystemTime)>,
}

impl MetricsCache {
    pub fn get(&self, target: &MetricsTarget, tf: Timeframe) -> Option<&Arc<MetricsReport>> {
        self.reports.get(&(target.clone(), tf)).map(|(r, _)| r)
    }

    pub fn insert(&mut self, report: Arc<MetricsReport>, at: SystemTime) {
        if self.reports.len() >= CACHE_LIMIT {
            let oldest = self
                .reports
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.reports.remove(&k);
            }
        }
        let key = (report.target.clone(), report.timeframe);
        self.reports.insert(key, (report, at));
    }
}

/// What the screen shows for its target and time frame.
#[derive(Debug, Clone)]
pub enum MetricsState {
    Loading,
    Ready(Arc<MetricsReport>),
    Failed(String),
}

pub struct MetricsView {
    pub target: MetricsTarget,
    /// The guest's name (empty for a node), sanitized.
    pub name: String,
    pub timeframe: Timeframe,
    pub state: MetricsState,
    /// The last report of another frame, drawn dimmed while the new one loads.
    pub previous: Option<Arc<MetricsReport>>,
    /// First chart shown when they do not all fit.
    pub scroll: usize,
    asked_at: SystemTime,
}

impl MetricsView {
    pub fn new(target: MetricsTarget, name: &str, cached: Option<Arc<MetricsReport>>) -> Self {
        MetricsView {
            target,
            name: crate::text::clean_string(name),
            timeframe: Timeframe::Hour,
            state: cached.map_or(MetricsState::Loading, MetricsState::Ready),
            previous: None,
            scroll: 0,
            asked_at: SystemTime::UNIX_EPOCH,
        }
    }

    /// The effect that asks for the current frame (the caller sends it).
    pub fn request(&mut self, now: SystemTime) -> Effect {
        self.asked_at = now;
        Effect::LoadMetrics {
            target: self.target.clone(),
            timeframe: self.timeframe,
        }
    }

    /// The report to draw: the current one, else the last of another frame.
    pub fn shown(&self) -> Option<&Arc<MetricsReport>> {
        match &self.state {
            MetricsState::Ready(r) => Some(r),
            _ => self.previous.as_ref(),
        }
    }

    fn switch(&mut self, tf: Timeframe, ctx: &LayerCtx) -> Reply {
        if tf == self.timeframe {
            return Reply::Consumed;
        }
        if let MetricsState::Ready(r) = &self.state {
            self.previous = Some(r.clone());
        }
        self.timeframe = tf;
        self.state = MetricsState::Loading;
        Reply::effect(self.request(ctx.now))
    }

    fn step(&mut self, delta: isize, ctx: &LayerCtx) -> Reply {
        let at = TIMEFRAMES
            .iter()
            .position(|t| *t == self.timeframe)
            .unwrap_or(0) as isize;
        let to = (at + delta).clamp(0, TIMEFRAMES.len() as isize - 1) as usize;
        self.switch(TIMEFRAMES[to], ctx)
    }
}

impl Layer for MetricsView {
    fn title(&self) -> String {
        format!("metrics {}", self.target.title())
    }

    fn context(&self) -> Context {
        Context::Metrics
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        match action {
            Action::TimeframeHour => return self.switch(Timeframe::Hour, ctx),
            Action::TimeframeDay => return self.switch(Timeframe::Day, ctx),
            Action::TimeframeWeek => return self.switch(Timeframe::Week, ctx),
            Action::TimeframeMonth => return self.switch(Timeframe::Month, ctx),
            Action::Left => return self.step(-1, ctx),
            Action::Right => return self.step(1, ctx),
            Action::Refresh => return Reply::effect(self.request(ctx.now)),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll = self.scroll.saturating_add(1).min(8),
            Action::Top => self.scroll = 0,
            Action::Back => return Reply::Then(vec![Request::Close]),
            _ => return Reply::Ignored,
        }
        Reply::Consumed
    }

    fn on_wheel(&mut self, down: bool, _ctx: &LayerCtx) -> Reply {
        self.scroll = if down {
            self.scroll.saturating_add(1).min(8)
        } else {
            self.scroll.saturating_sub(1)
        };
        Reply::Consumed
    }

    fn on_event(&mut self, ev: &AppEvent, _ctx: &LayerCtx) -> Reply {
        let AppEvent::MetricsReport {
            target,
            timeframe,
            result,
        } = ev
        else {
            return Reply::Ignored;
        };
        if *target != self.target || *timeframe != self.timeframe {
            return Reply::Ignored;
        }
        self.state = match result {
            Ok(r) => {
                self.previous = None;
                MetricsState::Ready(r.clone())
            }
            Err(e) => MetricsState::Failed(crate::text::clean_string(e)),
        };
        // The cache keeps it too: never taken from the others.
        Reply::Ignored
    }

    fn on_tick(&mut self, now: SystemTime) -> Vec<Effect> {
        let due = now
            .duration_since(self.asked_at)
            .is_ok_and(|age| age >= REFRESH);
        if due && !matches!(self.state, MetricsState::Loading) {
            return vec![self.request(now)];
        }
        Vec::new()
    }

    fn next_deadline(&self) -> Option<SystemTime> {
        // While an answer is awaited no tick is due (a past deadline would spin the loop);
        // the answer itself wakes the screen.
        match self.state {
            MetricsState::Loading => None,
            _ => Some(self.asked_at + REFRESH),
        }
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::TimeframeHour, "hour"),
            (Action::TimeframeDay, "day"),
            (Action::TimeframeWeek, "week"),
            (Action::TimeframeMonth, "month"),
            (Action::Refresh, "refresh"),
            (Action::Back, "back"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::metrics_view::draw(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl App {
    /// A metrics answer: kept in the cache when it is data, then offered to the screens.
    pub(super) fn metrics_event(&mut self, ev: AppEvent) {
        if let AppEvent::MetricsReport { result: Ok(r), .. } = &ev {
            self.metrics.insert(r.clone(), self.now);
        }
        // The screens only read it; what they answer goes nowhere.
        let _ = self.offer_event(&ev);
    }

    /// `m`: the selected guest's metrics.
    pub fn open_guest_metrics(&mut self) -> Vec<Effect> {
        let Some((host, node, g)) = self.selected() else {
            self.show_toast("nothing selected", false);
            return Vec::new();
        };
        let target = MetricsTarget::Guest {
            host: host.to_string(),
            node: node.name.clone(),
            vmid: g.vmid,
            kind: g.kind,
        };
        let name = g.name.clone();
        self.open_metrics(target, &name)
    }

    /// `M`: the metrics of the selected rack's node (an empty rack has one too).
    pub fn open_node_metrics(&mut self) -> Vec<Effect> {
        let node = self
            .rack()
            .view
            .cols
            .get(self.rack().sel_col)
            .and_then(|c| {
                let host = self.inventory.hosts.get(c.host)?;
                Some((host.name.clone(), host.nodes.get(c.node?)?.name.clone()))
            });
        let Some((host, node)) = node else {
            self.show_toast("no node selected", false);
            return Vec::new();
        };
        self.open_metrics(MetricsTarget::Node { host, node }, "")
    }

    /// The metrics screen on top for `target` (the cached hour drawn at once), and a fetch.
    pub fn open_metrics(&mut self, target: MetricsTarget, name: &str) -> Vec<Effect> {
        let mut effects = self.layers.clear_screens();
        let cached = self.metrics.get(&target, Timeframe::Hour).cloned();
        let mut view = MetricsView::new(target, name, cached);
        effects.push(view.request(self.now));
        self.layers.push(Box::new(view));
        effects
    }
}
