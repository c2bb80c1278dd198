//! `App`: all UI state, owned by the UI task. `handle(event)` and `update(action)` change it
//! and return the `Effect`s the runtime must perform; neither does IO, so both are tested
//! from key sequences. The layers (`layers`: popups, screens, panes, the first-run screen,
//! the console) get keys first; the rack, still drawn and driven here, gets what no layer
//! takes.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use super::action::{AppEvent, Effect, GuestRef, HostEntry};
use super::keymap::{Context, KeyPress, Keymap};
use super::theme::{ColorDepth, Theme, ThemeSet};
use super::view::{RackView, Zoom, rack_geometry, screen_layout};
use crate::engine::HostFailure;
use crate::inventory::{Filter, Guest, HostState, Inventory, Node};

/// A refresh's list as the engine publishes it.

/// How long a toast stays up.
pub const TOAST_MS: u64 = 6000;
/// Animation frame period while something pulses.
pub const ANIM_MS: u64 = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Rack,
    Detail,
}

/// A task the runtime reported on a guest.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskView {
    pub host: String,
    pub vmid: u32,
    pub upid: String,
    pub label: String,
    pub fraction: Option<f32>,
    /// The engine's job behind it (its `upid` is the Proxmox task once there is one).
    pub job: Option<crate::engine::JobId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub ok: bool,
    pub upid: Option<String>,
    pub until: SystemTime,
}

/// Extra facts for the detail panel, as events deliver them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuestExtra {
    /// The newest backup's time: `None` until read, `Some(None)` when there is none.
    pub last_backup: Option<Option<u64>>,
    pub ips: Vec<String>,
    pub config: Vec<(String, String)>,
}

pub struct App {
    pub keymap: Keymap,
    pub themes: ThemeSet,
    pub theme: Theme,
    /// The theme in the settings file (restored when a preview is cancelled).
    pub saved_theme: String,
    pub depth: ColorDepth,
    pub inventory: Inventory,
    pub view: RackView,
    /// Header totals, recomputed with the view (not per frame: they cost O(guests)).
    pub counts: crate::inventory::Counts,
    pub filter_text: String,
    pub filter_editing: bool,
    pub zoom: Zoom,
    pub focus: Pane,
    pub detail_open: bool,
    pub sel_col: usize,
    pub sel_idx: usize,
    pub col_offset: usize,
    /// First visible guest index per rack column.
    pub scroll: Vec<usize>,
    pub marks: BTreeSet<GuestRef>,
    pub tasks: Vec<TaskView>,
    pub toasts: Vec<Toast>,
    pub pending_keys: Vec<KeyPress>,
    pub hosts: Vec<HostEntry>,
    /// The console recording switches, as last reported by the store.
    pub recording: super::settings::RecordingSwitches,
    pub size: (u16, u16),
    pub now: SystemTime,
    pub extra: HashMap<(String, u32), GuestExtra>,
    pub app_ports: HashMap<(String, u32), Vec<u16>>,
    /// The newest backup time of each guest, by host then vmid (looked up per slot per
    /// frame without building a key): the slots' backup ages.
    pub backup_times: HashMap<String, HashMap<u32, u64>>,
    /// The last task that finished, for the task-log key.
    pub last_upid: Option<String>,
    /// The guest the selection should return to when a filter stops hiding it.
    pub anchor: Option<GuestRef>,
    /// Screens as components: the tasks view, log viewers, their popups and panes, the
    /// console (`console_layer`, with the console tabs).
    pub layers: super::layer::LayerStack,
    /// Proxmox tasks and Proximity jobs as the inbox delivered them.
    pub task_board: super::task_board::TaskBoard,
    /// Deployments under way, drawn on the rack until their container has a slot.
    pub deploys: super::deploy_jobs::DeployTracker,
    /// Metrics as they arrived (the detail panel's sparklines, the metrics screen's start).
    pub metrics: super::metrics_view::MetricsCache,
    /// Alerts firing, their history and the apps' health checks.
    pub alerts: super::alerts_board::AlertBoard,
}

impl App {
    pub fn new(
        keymap: Keymap,
        themes: ThemeSet,
        theme_name: &str,
        depth: ColorDepth,
        now: SystemTime,
    ) -> App {
        let theme = themes
            .resolve(theme_name, depth)
            .unwrap_or_else(|_| Theme::fallback(depth));
        // No host yet: the first-run screen, until a host or an inventory arrives.
        let mut layers = super::layer::LayerStack::default();
        layers.set_base(Some(Box::new(super::onboarding::OnboardingView)));
        layers.set_console(Box::<super::console_layer::ConsoleLayer>::default());
        App {
            keymap,
            saved_theme: theme.name.clone(),
            theme,
            themes,
            depth,
            inventory: Inventory::default(),
            view: RackView::default(),
            counts: Default::default(),
            filter_text: String::new(),
            filter_editing: false,
            zoom: Zoom::Detailed,
            focus: Pane::Rack,
            detail_open: false,
            sel_col: 0,
            sel_idx: 0,
            col_offset: 0,
            scroll: Vec::new(),
            marks: BTreeSet::new(),
            tasks: Vec::new(),
            toasts: Vec::new(),
            pending_keys: Vec::new(),
            hosts: Vec::new(),
            recording: Default::default(),
            size: (80, 24),
            now,
            extra: HashMap::new(),
            app_ports: HashMap::new(),
            backup_times: HashMap::new(),
            last_upid: None,
            anchor: None,
            layers,
            task_board: Default::default(),
            deploys: Default::default(),
            metrics: Default::default(),
            alerts: Default::default(),
        }
    }

    /// Defaults everywhere (tests, benchmarks, the demo).
    pub fn with_defaults(now: SystemTime) -> App {
        App::new(
            Keymap::defaults(),
            ThemeSet::builtin(),
            "dark",
            ColorDepth::TrueColor,
            now,
        )
    }

    pub fn context(&self) -> Context {
        if let Some(base) = self.layers.base() {
            return base.context();
        }
        if self.console_open() {
            Context::Console
        } else {
            Context::Rack
        }
    }

    /// Whether the first-run screen is up (no host or inventory yet).
    pub fn onboarding(&self) -> bool {
        self.layers
            .base()
            .is_some_and(|b| b.as_any().is::<super::onboarding::OnboardingView>())
    }

    /// The first host's data arrived: the rack takes the first-run screen's place.
    fn leave_onboarding(&mut self) {
        if self.onboarding() {
            self.layers.set_base(None);
        }
    }

    /// Whether anything on screen moves by itself (pulsing LEDs, spinners): the runtime
    /// ticks only while this holds.
    pub fn is_animating(&self) -> bool {
        if !self.tasks.is_empty() || !self.deploys.pending.is_empty() {
            return true;
        }
        if self.console_open() || self.layers.covers_body() {
            return false;
        }
        // Busy slots pulse, but only visible ones matter; checking the view is O(visible).
        let g = self.geometry();
        let per_page = g.per_page(self.zoom);
        (self.col_offset..(self.col_offset + g.visible_cols).min(self.view.cols.len())).any(|c| {
            let start = self.scroll.get(c).copied().unwrap_or(0);
            let col = &self.view.cols[c];
            col.guests.iter().skip(start).take(per_page).any(|gi| {
                self.col_node(c)
                    .and_then(|n| n.guests.get(*gi as usize))
                    .is_some_and(|g| g.status == crate::inventory::GuestStatus::Busy)
            })
        })
    }

    /// When the screen next changes by itself without an event: a toast expiring, a stale
    /// age rolling over a minute, an animation frame. `None` = sleep until an event.
    pub fn next_deadline(&self) -> Option<SystemTime> {
        let mut next: Option<SystemTime> = self.toasts.iter().map(|t| t.until).min();
        let mut consider = |t: SystemTime| next = Some(next.map_or(t, |n| n.min(t)));
        if let Some(layer) = self.layers.next_deadline() {
            consider(layer);
        }
        if self.is_animating() {
            consider(self.now + Duration::from_millis(ANIM_MS));
        }
        if self
            .inventory
            .hosts
            .iter()
            .any(|h| matches!(h.state, HostState::Stale { .. }))
        {
            consider(self.now + Duration::from_secs(60));
        }
        next
    }

    pub fn geometry(&self) -> super::view::RackGeometry {
        let area = self.rack_area_beside_logs();
        let layout = screen_layout(area, self.detail_open, self.focus == Pane::Detail);
        rack_geometry(layout.racks, self.zoom, self.view.cols.len())
    }

    pub fn col_node(&self, col: usize) -> Option<&Node> {
        let c = self.view.cols.get(col)?;
        self.inventory.hosts.get(c.host)?.nodes.get(c.node?)
    }

    /// The selected guest with its host and node names.
    pub fn selected(&self) -> Option<(&str, &Node, &Guest)> {
        let c = self.view.cols.get(self.sel_col)?;
        let h = self.inventory.hosts.get(c.host)?;
        let n = h.nodes.get(c.node?)?;
        let g = n.guests.get(*c.guests.get(self.sel_idx)? as usize)?;
        Some((&h.name, n, g))
    }

    pub fn selected_ref(&self) -> Option<GuestRef> {
        self.selected().map(|(h, n, g)| GuestRef {
            host: h.to_string(),
            node: n.name.clone(),
            vmid: g.vmid,
            kind: g.kind,
        })
    }

    pub fn task_for(&self, host: &str, vmid: u32) -> Option<&TaskView> {
        self.tasks.iter().find(|t| t.vmid == vmid && t.host == host)
    }

    pub(super) fn toast(&mut self, text: String, error: bool, ok: bool, upid: Option<String>) {
        self.toasts.push(Toast {
            text: crate::text::clean_string(&text),
            error,
            ok,
            upid,
            until: self.now + Duration::from_millis(TOAST_MS),
        });
        if self.toasts.len() > 4 {
            self.toasts.remove(0);
        }
    }

    /// One event from the inbox.
    pub fn handle(&mut self, ev: AppEvent) -> Vec<Effect> {
        match ev {
            AppEvent::Key(k) => return self.handle_key(k),
            AppEvent::Mouse(m) => return self.handle_mouse(m),
            AppEvent::Paste(text) => return self.handle_paste(&text),
            AppEvent::Resize(w, h) => {
                self.size = (w, h);
                self.ensure_visible();
                return self.console_event(&AppEvent::Resize(w, h));
            }
            AppEvent::Tick(now) => {
                self.now = now;
                self.toasts.retain(|t| t.until > now);
                return self.layers.tick(now);
            }
            ev @ (AppEvent::ConsoleOpened { .. }
            | AppEvent::ConsoleOutput { .. }
            | AppEvent::ConsoleClosed { .. }) => return self.console_event(&ev),
            AppEvent::Inventory(host, result, at) => {
                match result {
                    Ok(nodes) => {
                        // The engine sends the same nodes again for an unchanged answer.
                        if self
                            .inventory
                            .host(&host)
                            .is_some_and(|h| h.nodes.same(&nodes))
                        {
                            self.inventory.mark_refreshed(&host, at);
                        } else {
                            self.inventory.apply_nodes(&host, nodes, at);
                            self.attach_deploy_slots();
                        }
                    }
                    // Keep the last picture (its nodes stay, drawn as cached) and record
                    // why; the age shows next to the reason.
                    Err(HostFailure::AuthFailed(_)) => {
                        self.inventory.set_state(&host, HostState::AuthFailed)
                    }
                    Err(HostFailure::Unreachable(reason)) => self.inventory.set_state(
                        &host,
                        HostState::Unreachable(crate::text::clean_string(&reason)),
                    ),
                }
                self.leave_onboarding();
                self.rebuild_view();
            }
            AppEvent::Cached(host, nodes, at) => {
                self.inventory.apply_cached(&host, nodes, at);
                self.leave_onboarding();
                self.rebuild_view();
            }
            AppEvent::HostState(host, state) => {
                self.inventory.set_state(&host, state);
                self.rebuild_view();
            }
            AppEvent::HostsConfigured(list) => {
                for h in &list {
                    self.inventory.ensure_host(&h.name);
                }
                let names: Vec<String> = list.iter().map(|h| h.name.clone()).collect();
                let removed: Vec<String> = self
                    .inventory
                    .hosts
                    .iter()
                    .map(|h| h.name.clone())
                    .filter(|n| !names.contains(n))
                    .collect();
                for r in removed {
                    self.inventory.remove_host(&r);
                }
                self.hosts = list;
                if !self.hosts.is_empty() {
                    self.leave_onboarding();
                }
                self.rebuild_view();
            }
            AppEvent::TaskProgress {
                host,
                vmid,
                upid,
                label,
                fraction,
            } => {
                let label = crate::text::clean_string(&label);
                match self.tasks.iter_mut().find(|t| t.upid == upid) {
                    Some(t) => {
                        t.label = label;
                        t.fraction = fraction;
                    }
                    None => self.tasks.push(TaskView {
                        host,
                        vmid,
                        upid,
                        label,
                        fraction,
                        job: None,
                    }),
                }
            }
            AppEvent::TaskDone {
                host,
                vmid,
                upid,
                ok,
                message,
            } => {
                self.tasks.retain(|t| t.upid != upid);
                let name = self
                    .inventory
                    .guest(&host, vmid)
                    .map(|(_, g)| g.name.clone())
                    .unwrap_or_default();
                let text = format!("{} {vmid} {name}: {message}", if ok { "✔" } else { "✖" });
                self.last_upid = Some(upid.clone());
                self.toast(text, !ok, ok, Some(upid));
            }
            ev @ (AppEvent::MetricsReport { .. } | AppEvent::TopGuests(_)) => {
                self.metrics_event(ev);
            }
            AppEvent::GuestDetail {
                host,
                vmid,
                ips,
                config,
            } => {
                let e = self.extra.entry((host, vmid)).or_default();
                e.ips = ips.iter().map(|s| crate::text::clean_string(s)).collect();
                e.config = config
                    .iter()
                    .map(|(k, v)| (crate::text::clean_string(k), crate::text::clean_string(v)))
                    .collect();
            }
            AppEvent::AppPorts { host, vmid, ports } => {
                self.app_ports.insert((host, vmid), ports);
            }
            AppEvent::FingerprintPrompt {
                host,
                url,
                fingerprint,
            } => {
                self.layers
                    .push(Box::new(super::popups::prompts::FingerprintPrompt::new(
                        &host,
                        &url,
                        &fingerprint,
                    )));
            }
            ev @ AppEvent::HostTestResult { .. } => {
                // The host form up takes its own test's answer.
                if self.offer_event(&ev).is_none()
                    && let AppEvent::HostTestResult { name, result } = ev
                {
                    let result = result
                        .map(|s| crate::text::clean_string(&s))
                        .map_err(|s| crate::text::clean_string(&s));
                    let (text, err) = match result {
                        Ok(s) => (format!("{name}: {s}"), false),
                        Err(e) => (format!("{name}: {e}"), true),
                    };
                    self.toast(text, err, !err, None);
                }
            }
            AppEvent::Recording(switches) => self.recording = switches,
            AppEvent::Toast { text, error } => self.toast(text, error, false, None),
            AppEvent::Job(event) => self.job_event(event),
            ev @ (AppEvent::DeployStarted { .. } | AppEvent::DeployRefused { .. }) => {
                return self.deploy_answer(ev);
            }
            ev @ (AppEvent::LogLines { .. }
            | AppEvent::TaskRows { .. }
            | AppEvent::Jobs(_)
            | AppEvent::LogSaved { .. }
            | AppEvent::Backups(_)
            | AppEvent::Apps(_)) => return self.view_event(ev),
            ev @ (AppEvent::Alert { .. }
            | AppEvent::AppHealth(_)
            | AppEvent::AlertConfig(_)
            | AppEvent::AlertsLoaded { .. }) => return self.alert_event(ev),
        }
        Vec::new()
    }

    /// Recompute the filtered racks and keep the same guest selected when it still shows.
    pub fn rebuild_view(&mut self) {
        let keep = self.selected_ref().or_else(|| self.anchor.clone());
        let old_col = self.view.cols.get(self.sel_col).map(|c| (c.host, c.node));
        self.view = RackView::build(&self.inventory, &Filter::parse(&self.filter_text));
        self.counts = self.inventory.counts();
        self.scroll.resize(self.view.cols.len(), 0);
        // Columns may have shrunk (filter, refresh): never scroll past a rack's end.
        for (s, c) in self.scroll.iter_mut().zip(&self.view.cols) {
            if *s >= c.guests.len() {
                *s = 0;
            }
        }
        let mut found = false;
        if let Some(k) = keep {
            for (ci, c) in self.view.cols.iter().enumerate() {
                let Some(n) = self.col_node(ci) else { continue };
                if self.inventory.hosts[c.host].name != k.host {
                    continue;
                }
                if let Some(i) = c
                    .guests
                    .iter()
                    .position(|gi| n.guests.get(*gi as usize).is_some_and(|g| g.vmid == k.vmid))
                {
                    self.sel_col = ci;
                    self.sel_idx = i;
                    found = true;
                    self.anchor = Some(k.clone());
                    break;
                }
            }
        }
        if !found {
            if let Some(pos) =
                old_col.and_then(|o| self.view.cols.iter().position(|c| (c.host, c.node) == o))
            {
                self.sel_col = pos;
            }
            self.sel_col = self.sel_col.min(self.view.cols.len().saturating_sub(1));
            // Never leave the selection on an empty rack when another has guests.
            if self
                .view
                .cols
                .get(self.sel_col)
                .is_some_and(|c| c.guests.is_empty())
                && let Some(first) = self.view.cols.iter().position(|c| !c.guests.is_empty())
            {
                self.sel_col = first;
            }
            let len = self
                .view
                .cols
                .get(self.sel_col)
                .map_or(0, |c| c.guests.len());
            self.sel_idx = self.sel_idx.min(len.saturating_sub(1));
        }
        self.ensure_visible();
    }

    /// Scroll so the selection is on screen (columns and rows).
    pub fn ensure_visible(&mut self) {
        let g = self.geometry();
        let vis = g.visible_cols.max(1);
        if self.sel_col < self.col_offset {
            self.col_offset = self.sel_col;
        } else if self.sel_col >= self.col_offset + vis {
            self.col_offset = self.sel_col + 1 - vis;
        }
        self.col_offset = self
            .col_offset
            .min(self.view.cols.len().saturating_sub(vis));
        let per_page = g.per_page(self.zoom);
        let unit = if self.zoom == Zoom::Heatmap {
            g.cells_per_row
        } else {
            1
        };
        if let Some(s) = self.scroll.get_mut(self.sel_col) {
            if self.sel_idx < *s {
                *s = self.sel_idx - self.sel_idx % unit;
            } else if self.sel_idx >= *s + per_page {
                let row_start = self.sel_idx - self.sel_idx % unit;
                *s = (row_start + unit).saturating_sub(per_page);
            }
            *s -= *s % unit;
        }
    }

    /// Select a guest by host and vmid (palette jump); clears a filter that hides it.
    pub fn jump_to(&mut self, host: &str, vmid: u32) {
        for attempt in 0..2 {
            for (ci, c) in self.view.cols.iter().enumerate() {
                if self.inventory.hosts[c.host].name != host {
                    continue;
                }
                let Some(n) = self.col_node(ci) else { continue };
                if let Some(i) = c
                    .guests
                    .iter()
                    .position(|gi| n.guests.get(*gi as usize).is_some_and(|g| g.vmid == vmid))
                {
                    self.sel_col = ci;
                    self.sel_idx = i;
                    self.layers.focus_console(false);
                    self.layers.set_base(None);
                    self.ensure_visible();
                    return;
                }
            }
            if attempt == 0 {
                self.filter_text.clear();
                self.rebuild_view();
            }
        }
    }

    /// Switch to a theme by name (live); errors become a toast.
    pub fn set_theme(&mut self, name: &str) {
        match self.themes.resolve(name, self.depth) {
            Ok(t) => self.theme = t,
            Err(e) => self.toast(e.to_string(), true, false, None),
        }
    }

    pub fn show_toast(&mut self, text: &str, error: bool) {
        self.toast(text.to_string(), error, false, None);
    }
}
