//! The apps screen (`g p`): every managed app across hosts with its status (running,
//! stopped, deploying, missing), health, URL (an OSC 8 hyperlink where the terminal takes
//! it; `y` copies it with OSC 52), resources, last backup age and version. Its keys drive
//! the app's lifecycle through the engine calls the CLI makes: start / shut down / restart,
//! `u` update and `l` logs (jobs, their log opened in the viewer), `e` the variables form
//! (`apps_env_form`), `D` delete (its name typed; "back up, then delete", "delete without
//! backup" or cancel), `c` clone (a new name; generated secrets made afresh unless kept).

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, AppEvent, Effect};
use super::app::App;
use super::apps_env_form::{EnvForm, EnvStep};
use super::apps_link::{AppsEffect, AppsEvent, DeployingApp};
use super::backups_view::{edit_line, filter_key};
use super::keymap::{Context, Keymap};
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::popups::PopupKey;
use crate::catalog::{AppSpec, Catalog};
use crate::deploy::AppRecord;
use crate::engine::app_lifecycle::CloneRequest;
use crate::engine::{GuestRef, PowerOp};
use crate::inventory::{Guest, GuestKind, GuestStatus, Inventory};

/// While open, the list is read again this often (deployments end, backups are made).
const RELOAD_EVERY: Duration = Duration::from_secs(10);
/// After an action, the list is read again this soon.
const RELOAD_AFTER_ACTION: Duration = Duration::from_secs(2);

/// The delete dialog's choices, in order.
pub const DELETE_CHOICES: [&str; 3] = ["back up, then delete", "delete without backup", "cancel"];

/// What a row of the screen is: a managed app, or a deployment under way.
#[derive(Debug, Clone, PartialEq)]
pub enum AppRow {
    App(AppRecord),
    Deploying(DeployingApp),
}

impl AppRow {
    pub fn name(&self) -> &str {
        match self {
            AppRow::App(a) => &a.name,
            AppRow::Deploying(d) => &d.name,
        }
    }
    pub fn app_id(&self) -> &str {
        match self {
            AppRow::App(a) => &a.app,
            AppRow::Deploying(d) => &d.app,
        }
    }
    pub fn host(&self) -> &str {
        match self {
            AppRow::App(a) => &a.host,
            AppRow::Deploying(d) => &d.host,
        }
    }
}

/// A row's status as the screen says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppStatus {
    Running,
    Stopped,
    Deploying,
    Missing,
    /// Busy (a lock: backup, snapshot), paused or in error: the guest's own word.
    Other(GuestStatus),
    /// Its host's inventory has not come yet.
    Unknown,
}

impl AppStatus {
    pub fn label(self) -> &'static str {
        match self {
            AppStatus::Running => "running",
            AppStatus::Stopped => "stopped",
            AppStatus::Deploying => "deploying",
            AppStatus::Missing => "missing",
            AppStatus::Other(GuestStatus::Busy) => "busy",
            AppStatus::Other(GuestStatus::Paused) => "paused",
            AppStatus::Other(GuestStatus::Error) => "error",
            AppStatus::Other(_) | AppStatus::Unknown => "unknown",
        }
    }
}

/// The guest of `app` in the inventory.
pub fn guest_of<'a>(inv: &'a Inventory, host: &str, vmid: u32) -> Option<&'a Guest> {
    inv.hosts
        .iter()
        .find(|h| h.name == host)?
        .nodes
        .iter()
        .flat_map(|n| n.guests.iter())
        .find(|g| g.vmid == vmid)
}

pub fn status_of(row: &AppRow, inv: &Inventory) -> AppStatus {
    match row {
        AppRow::Deploying(_) => AppStatus::Deploying,
        AppRow::App(a) if a.missing => AppStatus::Missing,
        AppRow::App(a) => match guest_of(inv, &a.host, a.vmid).map(|g| g.status) {
            Some(GuestStatus::Running) => AppStatus::Running,
            Some(GuestStatus::Stopped) => AppStatus::Stopped,
            Some(other) => AppStatus::Other(other),
            None => AppStatus::Unknown,
        },
    }
}

/// A dialog over the list (each takes every key while up).
pub enum AppsDialog {
    /// Type the app's name, then pick one of `DELETE_CHOICES`.
    Delete {
        name: String,
        vmid: u32,
        typed: String,
        choice: usize,
    },
    /// The clone's name; Tab keeps or regenerates the generated secrets.
    Clone {
        source: String,
        input: String,
        keep_secrets: bool,
    },
    Env(Box<EnvForm>),
}

pub struct AppsView {
    pub apps: Vec<AppRecord>,
    pub deploying: Vec<DeployingApp>,
    /// The newest backup (epoch seconds) by (host, vmid).
    pub backups: HashMap<(String, u32), u64>,
    pub loading: bool,
    pub filter: String,
    pub filtering: bool,
    /// The selected row, by name, so a reload keeps it.
    pub selected: Option<String>,
    pub dialog: Option<AppsDialog>,
    /// The catalog, read when the screen opened: what an update, a clone and the variables
    /// form work from.
    pub catalog: Arc<Catalog>,
    /// Draw URLs as OSC 8 hyperlinks (off: plain text; `y` copies either way).
    pub hyperlinks: bool,
    reload_at: SystemTime,
}

/// Whether the user's terminal should get OSC 8 hyperlinks: off on the Linux console and
/// dumb terminals, or when `PROXIMITY_HYPERLINKS=0`. (Terminals that do not know OSC 8 are
/// required to ignore it; these two are the ones known to print it.)
pub fn hyperlinks_wanted() -> bool {
    if std::env::var("PROXIMITY_HYPERLINKS").is_ok_and(|v| v == "0") {
        return false;
    }
    !matches!(
        std::env::var("TERM").as_deref(),
        Ok("linux") | Ok("dumb") | Err(_)
    )
}

impl AppsView {
    pub fn new(catalog: Arc<Catalog>, hyperlinks: bool, now: SystemTime) -> AppsView {
        AppsView {
            apps: Vec::new(),
            deploying: Vec::new(),
            backups: HashMap::new(),
            loading: true,
            filter: String::new(),
            filtering: false,
            selected: None,
            dialog: None,
            catalog,
            hyperlinks,
            reload_at: now + RELOAD_EVERY,
        }
    }

    /// Deployments under way first (they are what moves), then the apps by name; the
    /// filter's words must each match the name, app, host or URL.
    pub fn rows(&self) -> Vec<AppRow> {
        let words: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let mut apps = self.apps.clone();
        apps.sort_by(|a, b| a.name.cmp(&b.name));
        self.deploying
            .iter()
            .filter(|d| !self.apps.iter().any(|a| a.name == d.name))
            .cloned()
            .map(AppRow::Deploying)
            .chain(apps.into_iter().map(AppRow::App))
            .filter(|r| {
                let url = match r {
                    AppRow::App(a) => a.url.as_deref().unwrap_or(""),
                    AppRow::Deploying(_) => "",
                };
                let hay = format!("{} {} {} {url}", r.name(), r.app_id(), r.host()).to_lowercase();
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .collect()
    }

    pub fn selected_index(&self, rows: &[AppRow]) -> usize {
        self.selected
            .as_ref()
            .and_then(|n| rows.iter().position(|r| r.name() == n))
            .unwrap_or(0)
    }

    pub fn selected_row(&self) -> Option<AppRow> {
        let rows = self.rows();
        let i = self.selected_index(&rows);
        rows.into_iter().nth(i)
    }

    fn move_by(&mut self, delta: isize) {
        let rows = self.rows();
        if rows.is_empty() {
            return;
        }
        let at = self.selected_index(&rows) as isize;
        let to = (at + delta).clamp(0, rows.len() as isize - 1) as usize;
        self.selected = Some(rows[to].name().to_string());
    }

    pub fn spec(&self, id: &str) -> Option<&AppSpec> {
        self.catalog.get(id)
    }

    fn effect(&mut self, e: AppsEffect) -> Reply {
        self.reload_at = SystemTime::now() + RELOAD_AFTER_ACTION;
        Reply::effect(Effect::Apps(e))
    }

    fn toast(text: String, error: bool) -> Reply {
        Reply::Then(vec![Request::Toast { text, error }])
    }

    /// The selected managed app, or a toast saying why there is none to act on.
    fn selected_app(&self) -> Result<AppRecord, Reply> {
        match self.selected_row() {
            Some(AppRow::App(a)) => Ok(a),
            Some(AppRow::Deploying(d)) => {
                Err(Self::toast(format!("{} is still deploying", d.name), true))
            }
            None => Err(Reply::Consumed),
        }
    }

    fn spec_or_toast(&self, app: &AppRecord) -> Result<AppSpec, Reply> {
        self.spec(&app.app).cloned().ok_or_else(|| {
            Self::toast(
                format!(
                    "{} is not in the catalog: {} cannot be changed here",
                    app.app, app.name
                ),
                true,
            )
        })
    }

    fn act(&mut self, action: Action) -> Reply {
        let app = match self.selected_app() {
            Ok(a) => a,
            Err(reply) => return reply,
        };
        let live = !app.missing;
        match action {
            Action::Start | Action::Shutdown | Action::Reboot if live => {
                let op = match action {
                    Action::Start => PowerOp::Start,
                    Action::Shutdown => PowerOp::Shutdown,
                    _ => PowerOp::Reboot,
                };
                self.reload_at = SystemTime::now() + RELOAD_AFTER_ACTION;
                Reply::effect(Effect::Power {
                    target: GuestRef {
                        host: app.host.clone(),
                        node: app.node.clone(),
                        vmid: app.vmid,
                        kind: GuestKind::Container,
                    },
                    op,
                })
            }
            Action::AppUpdate if live => match self.spec_or_toast(&app) {
                Ok(spec) => self.effect(AppsEffect::Update {
                    name: app.name,
                    spec: Box::new(spec),
                }),
                Err(r) => r,
            },
            Action::AppLogs if live => self.effect(AppsEffect::Logs { name: app.name }),
            Action::AppComposeRestart if live => {
                self.reload_at = SystemTime::now() + RELOAD_AFTER_ACTION;
                self.effect(AppsEffect::ComposeRestart { name: app.name })
            }
            Action::AppEnv if live => match self.spec_or_toast(&app) {
                Ok(spec) => {
                    let form = EnvForm::new(&app.name, &spec);
                    self.dialog = Some(AppsDialog::Env(Box::new(form)));
                    self.effect(AppsEffect::LoadEnv {
                        name: app.name,
                        spec: Box::new(spec),
                    })
                }
                Err(r) => r,
            },
            Action::AppClone if live => match self.spec_or_toast(&app) {
                Ok(_) => {
                    let input = self.free_name(&app.name);
                    self.dialog = Some(AppsDialog::Clone {
                        source: app.name,
                        input,
                        keep_secrets: false,
                    });
                    Reply::Consumed
                }
                Err(r) => r,
            },
            Action::Delete => {
                self.dialog = Some(AppsDialog::Delete {
                    name: app.name,
                    vmid: app.vmid,
                    typed: String::new(),
                    choice: if live { 0 } else { 1 },
                });
                Reply::Consumed
            }
            Action::CopyUrl => match app.url.as_deref().and_then(safe_url) {
                Some(url) => Reply::Then(vec![
                    Request::Effect(Effect::CopyToClipboard(url.to_string())),
                    Request::Toast {
                        text: format!("copied {url}"),
                        error: false,
                    },
                ]),
                None => Self::toast(format!("{} has no web address", app.name), true),
            },
            _ => Self::toast(format!("{}: its container is missing", app.name), true),
        }
    }

    /// `NAME-2`, `NAME-3`...: the first name no app here has.
    fn free_name(&self, name: &str) -> String {
        let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
        let base = if base.is_empty() { name } else { base };
        (2..1000)
            .map(|n| format!("{base}-{n}"))
            .find(|n| !self.apps.iter().any(|a| &a.name == n))
            .unwrap_or_else(|| format!("{name}-copy"))
    }

    /// A key while a dialog is up, read in the keymap's `[popup]` context: a plain
    /// character goes into the dialog's text field (a name typed may hold `j` or `q`);
    /// submit, back, the field and entry moves come from the keymap.
    fn dialog_key(&mut self, key: KeyEvent, keymap: &Keymap) -> Reply {
        let Some(dialog) = self.dialog.as_mut() else {
            return Reply::Ignored;
        };
        let read = PopupKey::read(&key, keymap);
        let action = read.command();
        match dialog {
            AppsDialog::Delete {
                name,
                typed,
                choice,
                ..
            } => match action {
                Some(Action::Up | Action::PrevField) => {
                    *choice = choice.saturating_sub(1);
                    Reply::Consumed
                }
                Some(Action::Down | Action::NextField) => {
                    *choice = (*choice + 1).min(DELETE_CHOICES.len() - 1);
                    Reply::Consumed
                }
                _ => match edit_line(typed, key, keymap) {
                    None => Reply::Consumed,
                    Some(false) => {
                        self.dialog = None;
                        Reply::Consumed
                    }
                    Some(true) => {
                        let (name, typed, choice) = (name.clone(), typed.clone(), *choice);
                        if choice == 2 {
                            self.dialog = None;
                            return Reply::Consumed;
                        }
                        if typed.trim() != name {
                            return Self::toast(format!("type {name} to delete it"), true);
                        }
                        self.dialog = None;
                        self.effect(AppsEffect::Remove {
                            name,
                            backup_first: choice == 0,
                        })
                    }
                },
            },
            AppsDialog::Clone {
                source,
                input,
                keep_secrets,
            } => match action {
                // The switch is the dialog's other field: moving to it flips it.
                Some(Action::NextField | Action::PrevField) => {
                    *keep_secrets = !*keep_secrets;
                    Reply::Consumed
                }
                _ => match edit_line(input, key, keymap) {
                    None => Reply::Consumed,
                    Some(false) => {
                        self.dialog = None;
                        Reply::Consumed
                    }
                    Some(true) => {
                        let name = input.trim().to_string();
                        if let Err(e) = crate::deploy::request::validate_name(&name) {
                            return Self::toast(e.to_string(), true);
                        }
                        let (source, keep_secrets) = (source.clone(), *keep_secrets);
                        let Some(spec) = self
                            .apps
                            .iter()
                            .find(|a| a.name == source)
                            .and_then(|a| self.spec(&a.app))
                            .cloned()
                        else {
                            self.dialog = None;
                            return Reply::Consumed;
                        };
                        self.dialog = None;
                        self.effect(AppsEffect::Clone {
                            source,
                            spec: Box::new(spec),
                            request: CloneRequest {
                                name,
                                host: None,
                                node: None,
                                keep_secrets,
                            },
                        })
                    }
                },
            },
            AppsDialog::Env(form) => match form.key(key, keymap) {
                EnvStep::Editing => Reply::Consumed,
                EnvStep::Cancelled => {
                    self.dialog = None;
                    Reply::Consumed
                }
                EnvStep::Unchanged => {
                    self.dialog = None;
                    Self::toast("no variable changed".into(), false)
                }
                EnvStep::Submitted(changes) => {
                    let name = form.app.clone();
                    let spec = form.spec.clone();
                    self.dialog = None;
                    self.effect(AppsEffect::EditEnv {
                        name,
                        spec: Box::new(spec),
                        changes,
                    })
                }
            },
        }
    }
}

/// `url` when it is safe to hand to the user's terminal (an http(s) URL of printable ASCII,
/// no spaces): it goes inside an OSC 8 sequence and onto the clipboard.
pub fn safe_url(url: &str) -> Option<&str> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 2000
        && url.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(url)
}

impl Layer for AppsView {
    fn title(&self) -> String {
        "apps".into()
    }

    fn context(&self) -> Context {
        Context::Apps
    }

    fn wants_text(&self) -> bool {
        self.filtering || self.dialog.is_some()
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        let page = usize::from(ctx.area.height.saturating_sub(4)).max(1) as isize;
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::Filter => self.filtering = true,
            Action::Refresh => {
                self.loading = true;
                return self.effect(AppsEffect::Load { reconcile: true });
            }
            Action::Back if !self.filter.is_empty() => self.filter.clear(),
            Action::Back => return Reply::Then(vec![Request::Close]),
            Action::Start
            | Action::Shutdown
            | Action::Reboot
            | Action::AppUpdate
            | Action::AppLogs
            | Action::AppComposeRestart
            | Action::AppEnv
            | Action::AppClone
            | Action::Delete
            | Action::CopyUrl => return self.act(action),
            _ => return Reply::Ignored,
        }
        Reply::Consumed
    }

    fn on_text(&mut self, key: KeyEvent, ctx: &LayerCtx) -> Reply {
        if self.dialog.is_some() {
            return self.dialog_key(key, ctx.keymap);
        }
        if let Some(delta) = filter_key(&mut self.filter, &mut self.filtering, key, ctx.keymap) {
            self.move_by(delta);
        }
        Reply::Consumed
    }

    fn on_paste(&mut self, text: &str, _ctx: &LayerCtx) -> Reply {
        let line = crate::text::clean_string(text.lines().next().unwrap_or(""));
        match &mut self.dialog {
            Some(AppsDialog::Env(form)) => form.paste(&line),
            Some(AppsDialog::Clone { input, .. }) => input.push_str(&line),
            Some(AppsDialog::Delete { typed, .. }) => typed.push_str(&line),
            None if self.filtering => self.filter.push_str(&line),
            None => return Reply::Ignored,
        }
        Reply::Consumed
    }

    fn on_wheel(&mut self, down: bool, _ctx: &LayerCtx) -> Reply {
        self.move_by(if down { 3 } else { -3 });
        Reply::Consumed
    }

    fn on_event(&mut self, ev: &AppEvent, _ctx: &LayerCtx) -> Reply {
        match ev {
            AppEvent::Apps(AppsEvent::List {
                apps,
                deploying,
                backups,
            }) => {
                self.apps = apps.clone();
                self.deploying = deploying.clone();
                self.backups = backups.clone();
                self.loading = false;
                Reply::Consumed
            }
            AppEvent::Apps(AppsEvent::Env { name, result }) => match &mut self.dialog {
                Some(AppsDialog::Env(form)) if &form.app == name => {
                    form.loaded(result.clone());
                    Reply::Consumed
                }
                _ => Reply::Ignored,
            },
            _ => Reply::Ignored,
        }
    }

    fn on_tick(&mut self, now: SystemTime) -> Vec<Effect> {
        if now < self.reload_at {
            return Vec::new();
        }
        self.reload_at = now + RELOAD_EVERY;
        vec![Effect::Apps(AppsEffect::Load { reconcile: false })]
    }

    fn next_deadline(&self) -> Option<SystemTime> {
        Some(self.reload_at)
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::AppUpdate, "update"),
            (Action::AppLogs, "logs"),
            (Action::AppEnv, "variables"),
            (Action::AppClone, "clone"),
            (Action::Delete, "delete"),
            (Action::CopyUrl, "copy URL"),
            (Action::Start, "start"),
            (Action::Shutdown, "stop"),
            (Action::Reboot, "restart"),
            (Action::AppComposeRestart, "restart compose"),
            (Action::Filter, "filter"),
            (Action::Back, "back"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::apps_view::draw(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl App {
    /// `g p`: the apps screen on top (the one open, or a new one loading, reconciled with
    /// the hosts first), with the catalog read now.
    pub fn open_apps_view(&mut self) -> Vec<Effect> {
        let on_top = self.layers.top_screen_is::<AppsView>();
        if on_top {
            return Vec::new();
        }
        let mut effects = self.layers.clear_screens();
        let (catalog, issues) = Catalog::load(self.layers.catalog_dir.as_deref());
        for issue in &issues {
            tracing::warn!("catalog: {issue}");
        }
        let view = AppsView::new(Arc::new(catalog), hyperlinks_wanted(), self.now);
        self.layers.push(Box::new(view));
        effects.push(Effect::Apps(AppsEffect::Load { reconcile: true }));
        effects
    }
}
