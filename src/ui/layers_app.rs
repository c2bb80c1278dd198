//! How `App` drives its `LayerStack`: keys (through the keymap context of the layer that
//! has the keyboard, chords included), paste, the mouse, data events, and the requests
//! layers answer with. Keys a layer ignores reach only the app's global actions (quit,
//! help, palette, screen jumps), never the rack under a full-screen layer.

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::action::{Action, AppEvent, Effect};
use super::app::App;
use super::keymap::{Context, KeyPress, Lookup};
use super::layer::{Layer, LayerCtx, Reply, Request, Slot, beside_layout};
use super::log_view::open_log_requests;
use super::task_board::LogSource;
use super::tasks_view::TasksView;
use super::view::screen_layout;

/// A layer's context from the app's fields (not through a method, so a layer of the
/// stack can change while its context is lent: they are disjoint borrows).
macro_rules! layer_ctx {
    ($app:expr, $area:expr, $focused:expr) => {
        LayerCtx {
            theme: &$app.theme,
            keymap: &$app.keymap,
            board: &$app.task_board,
            now: $app.now,
            area: $area,
            focused: $focused,
            log_dir: &$app.log_dir,
            alerts: &$app.alerts,
            themes: &$app.themes,
            saved_theme: &$app.saved_theme,
            hosts: &$app.hosts,
            recording: &$app.recording,
            inventory: &$app.inventory,
            tasks: &$app.tasks,
            deploys: &$app.deploys,
            app_ports: &$app.app_ports,
            backup_times: &$app.backup_times,
            extra: &$app.extra,
            metrics: &$app.metrics,
        }
    };
}

impl App {
    /// The whole terminal.
    fn full_area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    /// Whether the log panes are drawn beside the rack now.
    pub fn logs_beside(&self) -> bool {
        !self.console_open() && !self.layers.panes().is_empty()
    }

    /// The body part the rack and its log panes share (left of a split console).
    fn beside_region(&self) -> Rect {
        screen_layout(self.rack_screen_area(), false, false).body
    }

    /// The part of the terminal the rack lays itself out in, log panes taken off.
    pub fn rack_area_beside_logs(&self) -> Rect {
        let area = self.rack_screen_area();
        if !self.logs_beside() {
            return area;
        }
        let (rack, _) = beside_layout(self.beside_region(), self.layers.panes().len());
        Rect {
            width: rack.width,
            ..area
        }
    }

    /// Where a layer is drawn.
    pub fn layer_area(&self, slot: Slot) -> Rect {
        match slot {
            // The console lays itself out in the body (full, or split beside the rack).
            Slot::Screen(_) | Slot::Base | Slot::Console => {
                screen_layout(self.full_area(), false, false).body
            }
            Slot::Popup => self.full_area(),
            Slot::Pane(i) => {
                let (_, panes) = beside_layout(self.beside_region(), self.layers.panes().len());
                panes.get(i).copied().unwrap_or_default()
            }
            Slot::Rack => self.rack_area_beside_logs(),
        }
    }

    pub fn layer_ctx(&self, slot: Slot) -> LayerCtx<'_> {
        let area = self.layer_area(slot);
        let focused = self.layers.keyboard() == slot;
        layer_ctx!(self, area, focused)
    }

    /// Run `f` on the layer in `slot` with its context, then carry out its reply.
    pub(super) fn with_layer(
        &mut self,
        slot: Slot,
        f: impl FnOnce(&mut dyn Layer, &LayerCtx) -> Reply,
    ) -> Option<Vec<Effect>> {
        let area = self.layer_area(slot);
        let focused = self.layers.keyboard() == slot;
        // The layer borrows the stack, its context the app's other fields.
        let layer = self.layers.get_mut(slot)?;
        let reply = f(layer, &layer_ctx!(self, area, focused));
        match reply {
            Reply::Ignored => None,
            Reply::Consumed => Some(Vec::new()),
            Reply::Then(requests) => Some(self.carry_out(slot, requests)),
        }
    }

    /// A key for the layer with the keyboard (the rack when no other has it), then the
    /// layers under it up to a modal one, then the app's global actions.
    pub(super) fn layers_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let top = self.layers.key_top();
        if self.layers.get(top).is_some_and(|l| l.wants_text()) {
            self.pending_keys.clear();
            return self
                .with_layer(top, |l, ctx| l.on_text(k, ctx))
                .unwrap_or_default();
        }
        let ctx = self
            .layers
            .get(top)
            .map_or(Context::Global, |l| l.context());
        let Some(action) = self.resolve_chord(ctx, k) else {
            return Vec::new();
        };
        for slot in self.layers.key_route() {
            if let Some(effects) = self.with_layer(slot, |l, c| l.on_action(action, c)) {
                return effects;
            }
        }
        self.global_action(action)
    }

    /// The keymap with chords, in `ctx`: an action, or `None` while a chord is pending or
    /// the keys mean nothing.
    pub(super) fn resolve_chord(&mut self, ctx: Context, k: KeyEvent) -> Option<Action> {
        let press = KeyPress::from_event(&k)?;
        let chord = !self.pending_keys.is_empty();
        self.pending_keys.push(press);
        match self.step_chord(ctx) {
            Lookup::Action(a) => Some(a),
            // A dead chord: retry the last key alone so `g j` still moves down.
            Lookup::None if chord => {
                self.pending_keys.push(press);
                match self.step_chord(ctx) {
                    Lookup::Action(a) => Some(a),
                    _ => None,
                }
            }
            Lookup::Pending | Lookup::None => None,
        }
    }

    /// Look the pending keys up; they are kept only while they may still become a chord.
    fn step_chord(&mut self, ctx: Context) -> Lookup {
        let found = self.keymap.lookup(ctx, &self.pending_keys);
        if found != Lookup::Pending {
            self.pending_keys.clear();
        }
        found
    }

    /// What a key no layer took may still do: the app-wide actions.
    fn global_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Rack | Action::Hosts | Action::Settings | Action::Consoles => {
                let mut effects = self.layers.clear_screens();
                self.layers.focus_pane(None);
                effects.extend(self.update(action));
                effects
            }
            Action::Quit
            | Action::Suspend
            | Action::Help
            | Action::Palette
            | Action::Tasks
            | Action::Catalog
            | Action::TopGuests
            | Action::Backups
            | Action::Alerts
            | Action::Apps
            | Action::FocusNext => self.update(action),
            _ => Vec::new(),
        }
    }

    pub(super) fn layers_paste(&mut self, text: &str) -> Option<Vec<Effect>> {
        let top = *self.layers.key_route().first()?;
        let text = text.to_string();
        // A full-screen layer or a popup swallows a paste it does not want: nothing under
        // it takes it.
        let fallback = matches!(
            top,
            Slot::Screen(_) | Slot::Popup | Slot::Base | Slot::Console
        )
        .then(Vec::new);
        self.with_layer(top, |l, c| l.on_paste(&text, c))
            .or(fallback)
    }

    /// The wheel scrolls the layer under the pointer; a click on a pane or a split
    /// console gives it the keyboard, a click on the rack gives it back (and selects the
    /// slot there).
    pub(super) fn layers_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        let wheel = match m.kind {
            MouseEventKind::ScrollDown => Some(true),
            MouseEventKind::ScrollUp => Some(false),
            _ => None,
        };
        let left_click = m.kind == MouseEventKind::Down(MouseButton::Left);
        let slot = if self.layers.covers_body() {
            self.layers.keyboard()
        } else {
            match self.beside_rack_hit(m) {
                Some(slot) => slot,
                None => return Vec::new(),
            }
        };
        match wheel {
            Some(down) => self.with_layer(slot, |l, c| l.on_wheel(down, c)),
            None if left_click => self.with_layer(slot, |l, c| l.on_click(m.column, m.row, c)),
            None => None,
        }
        .unwrap_or_default()
    }

    /// Which layer of the rack screen a mouse event is for: a pane beside the rack or
    /// the rack. A press on a pane or a split console gives it the keyboard and goes no
    /// further (`None`), a press elsewhere gives the keyboard back to the rack.
    fn beside_rack_hit(&mut self, m: MouseEvent) -> Option<Slot> {
        let press = matches!(m.kind, MouseEventKind::Down(_));
        if self.logs_beside() {
            let (x, y) = (m.column, m.row);
            let hit = (0..self.layers.panes().len()).find(|i| {
                let r = self.layer_area(Slot::Pane(*i));
                x >= r.x && x < r.right() && y >= r.y && y < r.bottom()
            });
            match hit {
                Some(i) if press => {
                    self.layers.focus_pane(Some(i));
                    return None;
                }
                Some(i) => return Some(Slot::Pane(i)),
                None if press => self.layers.focus_pane(None),
                None => {}
            }
        }
        if self.console_beside() && press && m.column >= self.rack_screen_area().right() {
            self.layers.focus_console(true);
            return None;
        }
        Some(Slot::Rack)
    }

    /// Data events the views own: the task board, log lines, saved logs. The task log
    /// popup's event goes to a viewer showing that task, else to the popup.
    pub(super) fn view_event(&mut self, ev: AppEvent) -> Vec<Effect> {
        match ev {
            AppEvent::TaskRows { host, rows, at } => self.task_board.set_host_rows(host, rows, at),
            AppEvent::Jobs(rows) => self.task_board.set_jobs(rows),
            AppEvent::LogSaved { path, result } => {
                let shown = crate::text::clean_string(&path.display().to_string());
                match result {
                    Ok(()) => self.show_toast(&format!("log saved to {shown}"), false),
                    Err(e) => self.show_toast(&format!("saving {shown}: {e}"), true),
                }
            }
            AppEvent::Backups(super::backups_link::BackupEvent::LastBackup {
                host,
                vmid,
                ctime,
            }) => {
                if let Some(at) = ctime {
                    self.backup_times
                        .entry(host.clone())
                        .or_default()
                        .insert(vmid, at);
                }
                self.extra.entry((host, vmid)).or_default().last_backup = Some(ctime);
            }
            AppEvent::Backups(super::backups_link::BackupEvent::HostBackups { host, newest }) => {
                self.backup_times.insert(host, (*newest).clone());
            }
            AppEvent::Apps(super::apps_link::AppsEvent::OpenJobLog { job, title }) => {
                let requests = open_log_requests(LogSource::Job { id: job.0 }, Some(title), false);
                let top = Slot::Screen(self.layers.screens().len());
                return self.carry_out(top, requests);
            }
            // Lines for a log nobody shows any more are dropped.
            other => return self.offer_event(&other).unwrap_or_default(),
        }
        Vec::new()
    }

    /// Offer a data event to the layers (`LayerStack::event_route`) until one takes it;
    /// `None`: no one did.
    pub(super) fn offer_event(&mut self, ev: &AppEvent) -> Option<Vec<Effect>> {
        for slot in self.layers.event_route() {
            if let Some(effects) = self.with_layer(slot, |l, c| l.on_event(ev, c)) {
                return Some(effects);
            }
        }
        None
    }

    /// A console event (or a resize) for the console layer.
    pub(super) fn console_event(&mut self, ev: &AppEvent) -> Vec<Effect> {
        self.with_layer(Slot::Console, |l, c| l.on_event(ev, c))
            .unwrap_or_default()
    }

    /// `g t`: the tasks view on top (the one already open, or a new one), and a refresh.
    pub fn open_tasks_view(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        let on_top = self.layers.top_screen_is::<TasksView>();
        if !on_top {
            effects.extend(self.layers.clear_screens());
            self.layers.push(Box::new(TasksView::new(self.now)));
        }
        effects.push(Effect::RefreshTasks);
        effects
    }

    /// `g a`: the catalog screen on top (the one already open, or a new one with the
    /// catalog read now, so the user's edited files show); problems with the user's files
    /// become a toast (the rest of the catalog stands).
    pub fn open_catalog_view(&mut self) -> Vec<Effect> {
        use super::catalog_view::CatalogView;
        let on_top = self.layers.top_screen_is::<CatalogView>();
        if on_top {
            return Vec::new();
        }
        let effects = self.layers.clear_screens();
        let (view, issues) = CatalogView::load(self.layers.catalog_dir.as_deref());
        self.layers.push(Box::new(view));
        if let Some(first) = issues.first() {
            for issue in &issues {
                tracing::warn!("catalog: {issue}");
            }
            let more = match issues.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            self.show_toast(&format!("catalog: {first}{more}"), true);
        }
        effects
    }

    /// `t` (full screen) and `T` (a pane beside the rack): the selected guest's running
    /// task, else the last one, in the log viewer (followed, searchable, savable).
    pub fn open_task_log(&mut self, beside: bool) -> Vec<Effect> {
        let running = self
            .selected()
            .and_then(|(h, _, g)| self.task_for(h, g.vmid))
            .map(|t| (t.host.clone(), t.upid.clone()));
        let source = running.or_else(|| {
            let upid = self.last_upid.clone()?;
            Some((self.host_of_upid(&upid), upid))
        });
        let Some((host, upid)) = source else {
            self.show_toast("no task to show yet", false);
            return Vec::new();
        };
        let requests = open_log_requests(LogSource::Task { host, upid }, None, beside);
        let top = Slot::Screen(self.layers.screens().len());
        self.carry_out(top, requests)
    }

    /// The host whose inventory has the UPID's node (the UPID names a node, not a host).
    fn host_of_upid(&self, upid: &str) -> String {
        let node = upid
            .parse::<crate::pve::Upid>()
            .ok()
            .map(|u| u.node().to_string());
        self.inventory
            .hosts
            .iter()
            .find(|h| h.nodes.iter().any(|n| Some(&n.name) == node.as_ref()))
            .map(|h| h.name.clone())
            .unwrap_or_default()
    }

    /// Carry out what the layer in `slot` asked for.
    pub(super) fn carry_out(&mut self, slot: Slot, requests: Vec<Request>) -> Vec<Effect> {
        // Bytes for a guest (a console keystroke) move nothing on screen: no rack relayout
        // on that hot path. Anything else may, an empty list too (a console split with no
        // session live asks for nothing, yet the rack's width changed).
        let relayout = requests.is_empty()
            || requests
                .iter()
                .any(|r| !matches!(r, Request::Effect(Effect::ConsoleInput { .. })));
        let mut effects = Vec::with_capacity(requests.len());
        for r in requests {
            match r {
                // The catalog screen asks; the wizard needs the inventory, which layers
                // never see.
                Request::Effect(Effect::OpenDeployWizard(app)) => self.open_deploy_wizard(*app),
                Request::Effect(e) => effects.push(e),
                Request::Push(layer) => self.layers.push(layer),
                Request::Toast { text, error } => self.show_toast(&text, error),
                Request::Settings(change) => effects.extend(self.settings_change(change)),
                Request::Palette(target) => effects.extend(self.run_palette(target)),
                Request::ClearMarks => self.rack_mut().marks.clear(),
                Request::Base(base) => {
                    effects.extend(self.layers.set_base(base));
                    self.layers.focus_console(false);
                }
                Request::Detach => self.layers.focus_console(false),
                Request::App(action) => effects.extend(self.rack_request(action)),
                Request::Close => {
                    if let Some(mut l) = self.layers.remove(slot) {
                        effects.extend(l.on_close());
                    }
                }
                Request::ToggleBeside => effects.extend(self.toggle_beside(slot)),
                Request::ToggleBesideTop => {
                    let top = self.layers.screens().len().checked_sub(1);
                    if let Some(i) = top {
                        effects.extend(self.toggle_beside(Slot::Screen(i)));
                    }
                }
            }
        }
        if relayout {
            self.ensure_visible();
        }
        effects
    }

    /// Full screen -> beside the rack (which comes back, the other screens closed), or
    /// back to full screen.
    fn toggle_beside(&mut self, slot: Slot) -> Vec<Effect> {
        let Some(layer) = self.layers.remove(slot) else {
            return Vec::new();
        };
        match slot {
            // (The rack and the console are never removed.)
            Slot::Pane(_) | Slot::Popup | Slot::Base | Slot::Console | Slot::Rack => {
                self.layers.push(layer);
                Vec::new()
            }
            Slot::Screen(_) if !layer.can_be_beside() => {
                self.layers.push(layer);
                Vec::new()
            }
            Slot::Screen(_) => match self.layers.add_pane(layer) {
                Ok(()) => {
                    let mut effects = self.layers.clear_screens();
                    effects.extend(self.layers.set_base(None));
                    self.layers.focus_console(false);
                    effects
                }
                Err(layer) => {
                    self.layers.push(layer);
                    let text = format!(
                        "at most {} logs beside the rack: close one first",
                        super::layer::MAX_PANES
                    );
                    self.show_toast(&text, false);
                    Vec::new()
                }
            },
        }
    }
}
