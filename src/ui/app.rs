//! `App`: all UI state, owned by the UI task. `handle(event)` and `update(action)` change it
//! and return the `Effect`s the runtime must perform; neither does IO, so both are tested
//! from key sequences. The layers (`layers`: the rack, popups, screens, panes, the
//! first-run screen, the console) own their state, keys and drawing; the app owns what
//! they share (the inventory, the theme, tasks, toasts) and carries out their requests.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::action::{AppEvent, Effect, GuestRef, HostEntry};
use super::keymap::{Context, KeyPress, Keymap};
use super::theme::{ColorDepth, Theme, ThemeSet};
use crate::engine::HostFailure;
use crate::inventory::{Guest, HostState, Inventory, Node};

/// How long a toast stays up.
pub const TOAST_MS: u64 = 6000;
/// Animation frame period while something pulses.
pub const ANIM_MS: u64 = 250;

pub use super::rack_state::Pane;

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
    /// Header totals, recomputed with the view (not per frame: they cost O(guests)).
    pub counts: crate::inventory::Counts,
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
    /// Screens as components: the rack (`rack_layer`), the tasks view, log viewers, their
    /// popups and panes, the console (`console_layer`, with the console tabs).
    pub layers: super::layer::LayerStack,
    /// Where saved logs go; the runtime sets `<state dir>/logs`.
    pub log_dir: std::path::PathBuf,
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
            counts: Default::default(),
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
            layers,
            log_dir: std::path::PathBuf::from("logs"),
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

    /// The keymap context of the layer that has the keyboard (a popup's excepted).
    pub fn context(&self) -> Context {
        self.layers
            .get(self.layers.keyboard())
            .map_or(Context::Global, |l| l.context())
    }

    /// The rack screen's view, selection, filter, zoom, marks and detail panel.
    pub fn rack(&self) -> &super::rack_state::Rack {
        self.layers.rack()
    }

    pub fn rack_mut(&mut self) -> &mut super::rack_state::Rack {
        self.layers.rack_mut()
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
        // Busy slots pulse, but only visible ones matter.
        self.rack()
            .busy_visible(&self.inventory, self.rack_area_beside_logs())
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
        self.rack().geometry(self.rack_area_beside_logs())
    }

    pub fn col_node(&self, col: usize) -> Option<&Node> {
        self.rack().col_node(&self.inventory, col)
    }

    /// The selected guest with its host and node names.
    pub fn selected(&self) -> Option<(&str, &Node, &Guest)> {
        self.rack().selected(&self.inventory)
    }

    pub fn selected_ref(&self) -> Option<GuestRef> {
        self.rack().selected_ref(&self.inventory)
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
        let area = self.rack_area_beside_logs();
        self.layers.rack_mut().rebuild(&self.inventory, area);
        self.counts = self.inventory.counts();
    }

    /// Scroll so the selection is on screen (columns and rows).
    pub fn ensure_visible(&mut self) {
        let area = self.rack_area_beside_logs();
        self.rack_mut().ensure_visible(area);
    }

    /// Select a guest by host and vmid (palette jump); clears a filter that hides it.
    pub fn jump_to(&mut self, host: &str, vmid: u32) {
        if !self.layers.rack_mut().select(&self.inventory, host, vmid) {
            self.rack_mut().filter_text.clear();
            self.rebuild_view();
            if !self.layers.rack_mut().select(&self.inventory, host, vmid) {
                return;
            }
        }
        self.layers.focus_console(false);
        self.layers.set_base(None);
        self.ensure_visible();
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
