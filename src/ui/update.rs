//! `App::update`: what an `Action` does: the app-wide ones here, the rest by the layer
//! that has the keyboard (the console, else the rack). Pure: state changes plus the
//! effects the runtime must perform.

use super::action::{Action, Effect};
use super::app::App;
use super::layer::Slot;
use super::popups::help::HelpPopup;
use super::popups::host_form::HostFormPopup;
use super::popups::prompts::QuitPrompt;

impl App {
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        // Screen-independent actions first.
        match action {
            Action::Quit => {
                return if self.tasks.is_empty() {
                    vec![Effect::Quit]
                } else {
                    self.layers.push(Box::new(QuitPrompt {
                        running: self.tasks.len(),
                    }));
                    Vec::new()
                };
            }
            Action::Suspend => return vec![Effect::Suspend],
            Action::Help => {
                self.layers.push(Box::new(HelpPopup::default()));
                return Vec::new();
            }
            Action::Palette => {
                self.open_palette();
                return Vec::new();
            }
            Action::Rack => {
                self.layers.focus_console(false);
                return self.layers.set_base(None);
            }
            Action::Hosts => return self.open_hosts(None),
            Action::Settings => {
                self.open_settings();
                // The alert thresholds the screen shows, as the engine has them now.
                return vec![Effect::LoadAlerts];
            }
            Action::AddHost => {
                self.layers.push(Box::new(HostFormPopup::new(None)));
                return Vec::new();
            }
            Action::Demo => return vec![Effect::StartDemo],
            Action::Tasks => return self.open_tasks_view(),
            Action::Catalog => return self.open_catalog_view(),
            Action::TopGuests => return self.open_top_view(),
            Action::Backups => return self.open_backups_view(),
            Action::Alerts => return self.open_alerts_view(),
            Action::Apps => return self.open_apps_view(),
            Action::FocusNext => {
                self.layers.cycle_focus();
                return Vec::new();
            }
            Action::TaskLogBeside => return self.open_task_log(true),
            Action::Consoles => return self.show_consoles(),
            _ => {}
        }
        // A base layer (the first-run screen) stands where the rack is: no rack action.
        if self.layers.base().is_some() {
            return Vec::new();
        }
        // The palette's console commands while a console has the keyboard.
        if self.console_open() {
            return self
                .with_layer(Slot::Console, |l, c| l.on_action(action, c))
                .unwrap_or_default();
        }
        self.with_layer(Slot::Rack, |l, c| l.on_action(action, c))
            .unwrap_or_default()
    }

    /// What the rack asks the app for (`Request::App`): a layer opened from what only the
    /// app holds, for the rack's selection.
    pub(super) fn rack_request(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Snapshots => self.open_snapshots_view(),
            Action::Metrics => self.open_guest_metrics(),
            Action::NodeMetrics => self.open_node_metrics(),
            Action::Console => self.open_console(false),
            Action::NodeShell => self.open_console(true),
            Action::TaskLog => self.open_task_log(false),
            Action::TaskLogBeside => self.open_task_log(true),
            _ => Vec::new(),
        }
    }

    /// `g h`: the hosts screen on top (the other screens closed), its cursor on `select`.
    pub fn open_hosts(&mut self, select: Option<&str>) -> Vec<Effect> {
        let effects = self.layers.clear_screens();
        // A full-screen console would keep the keys; the hosts screen covers the rack (or
        // the first-run screen, which it goes back to).
        self.layers.focus_console(false);
        let sel = select
            .and_then(|name| self.hosts.iter().position(|h| h.name == name))
            .unwrap_or(0);
        self.layers
            .push(Box::new(super::hosts_view::HostsView::new(sel)));
        effects
    }

    /// The hosts screen, when it is the top layer.
    pub fn hosts_view(&self) -> Option<&super::hosts_view::HostsView> {
        self.layers
            .screens()
            .last()
            .and_then(|l| l.as_any().downcast_ref::<super::hosts_view::HostsView>())
    }
}
