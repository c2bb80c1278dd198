//! `App::update`: what each keymap `Action` does on each screen. Pure: state changes plus
//! the effects the runtime must perform.

use super::action::{Action, Effect, GuestRef, PowerOp};
use super::app::{App, Pane};
use super::layer::Slot;
use super::popups::delete::DeletePrompt;
use super::popups::help::HelpPopup;
use super::popups::host_form::HostFormPopup;
use super::popups::prompts::QuitPrompt;
use super::view::Zoom;

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
        self.update_rack(action)
    }

    fn update_rack(&mut self, action: Action) -> Vec<Effect> {
        let before = self.selected_ref();
        let mut effects = self.rack_action(action);
        // An open detail panel follows the selection: ask for the new guest's facts.
        if self.rack.detail_open
            && effects.is_empty()
            && let Some(r) = self.selected_ref()
            && before.as_ref() != Some(&r)
        {
            effects.push(Effect::LoadDetail {
                host: r.host,
                node: r.node,
                vmid: r.vmid,
            });
        }
        effects
    }

    fn rack_action(&mut self, action: Action) -> Vec<Effect> {
        let area = self.rack_area_beside_logs();
        let g = self.rack.geometry(area);
        let page = g.slot_rows.max(1) as isize;
        // With the detail pane focused on a narrow screen, movement keys are inert there.
        let rack_hidden = self.rack.focus == Pane::Detail && g.area.width == 0;
        let zoom = self.rack.zoom;
        let rack = &mut self.rack;
        match action {
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Left
            | Action::Right
                if rack_hidden => {}
            Action::Up => rack.move_rows(-1, area),
            Action::Down => rack.move_rows(1, area),
            Action::PageUp => rack.move_rows(-page, area),
            Action::PageDown => rack.move_rows(page, area),
            Action::Top => rack.move_by(isize::MIN / 2, area),
            Action::Bottom => rack.move_by(isize::MAX / 2, area),
            Action::Left if zoom == Zoom::Heatmap => rack.heat_step(-1, area),
            Action::Right if zoom == Zoom::Heatmap => rack.heat_step(1, area),
            Action::Left => rack.move_col(-1, area),
            Action::Right => rack.move_col(1, area),
            Action::PageLeft => rack.move_col(-(g.visible_cols as isize), area),
            Action::PageRight => rack.move_col(g.visible_cols as isize, area),
            Action::Details => {
                if let Some(r) = self.selected_ref() {
                    self.rack.open_detail(area);
                    return vec![Effect::LoadDetail {
                        host: r.host,
                        node: r.node,
                        vmid: r.vmid,
                    }];
                }
            }
            Action::NextPane | Action::PrevPane if rack.detail_open => rack.toggle_pane(area),
            Action::Filter => rack.filter_editing = true,
            Action::Back => {
                if rack.detail_open {
                    rack.close_detail(area);
                } else if !rack.marks.is_empty() {
                    rack.marks.clear();
                } else if !rack.filter_text.is_empty() {
                    rack.filter_text.clear();
                    self.rebuild_view();
                }
            }
            Action::Zoom => rack.next_zoom(area),
            Action::Refresh => return vec![Effect::RefreshAll],
            Action::Mark => {
                if let Some(r) = self.selected_ref() {
                    self.rack.toggle_mark(r);
                    self.rack.move_by(1, area);
                }
            }
            Action::ClearMarks => rack.marks.clear(),
            Action::BackupNow => return self.backup_selected(),
            Action::Snapshots => return self.open_snapshots_view(),
            Action::Start => return self.power(PowerOp::Start),
            Action::Shutdown => return self.power(PowerOp::Shutdown),
            Action::Stop => return self.power(PowerOp::Stop),
            Action::Reboot => return self.power(PowerOp::Reboot),
            Action::Delete => {
                let targets = self.targets();
                let expected = match targets.as_slice() {
                    [] => return Vec::new(),
                    [one] => self
                        .inventory
                        .guest(&one.host, one.vmid)
                        .map(|(_, g)| g.name.to_string())
                        .unwrap_or_else(|| one.vmid.to_string()),
                    many => many.len().to_string(),
                };
                self.layers
                    .push(Box::new(DeletePrompt::new(targets, expected)));
            }
            Action::Metrics => return self.open_guest_metrics(),
            Action::NodeMetrics => return self.open_node_metrics(),
            Action::Console => return self.open_console(false),
            Action::NodeShell => return self.open_console(true),
            Action::TaskLog => return self.open_task_log(false),
            _ => {}
        }
        Vec::new()
    }

    /// The marked guests, or the selection when nothing is marked.
    pub fn targets(&self) -> Vec<GuestRef> {
        self.rack.targets(&self.inventory)
    }

    fn power(&mut self, op: PowerOp) -> Vec<Effect> {
        let targets = self.targets();
        if targets.is_empty() {
            return Vec::new();
        }
        let text = match targets.as_slice() {
            [one] => format!("{} {} requested", op.verb(), one.vmid),
            many => format!("{} requested for {} guests", op.verb(), many.len()),
        };
        self.show_toast(&text, false);
        self.rack.marks.clear();
        targets
            .into_iter()
            .map(|target| Effect::Power { target, op })
            .collect()
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
