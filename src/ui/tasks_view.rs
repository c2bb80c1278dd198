//! The tasks view: Proximity's jobs and every host's Proxmox tasks in one table, running
//! first then newest, with a `/` filter (words match any column; `status:running`,
//! `host:lab`, `node:`, `type:`, `user:`, `source:`, `id:` match one). Enter opens the
//! selected one's log; `c` asks to cancel a running one. It asks for fresh Proxmox tasks
//! when opened and every `REFRESH_SECS` while it is on top.

use std::any::Any;
use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, Effect};
use super::confirm::ConfirmLayer;
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::log_view::open_log_requests;
use super::task_board::{LogSource, TaskBoard, TaskRow, TaskState};

/// How often the open view asks for Proxmox's task lists.
pub const REFRESH_SECS: u64 = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct TasksView {
    pub filter: String,
    pub filter_editing: bool,
    /// The selected row, by identity, so refreshes that reorder rows keep it.
    pub selected: Option<LogSource>,
    /// When the last refresh was asked for.
    pub refreshed: SystemTime,
}

impl TasksView {
    pub fn new(now: SystemTime) -> TasksView {
        TasksView {
            filter: String::new(),
            filter_editing: false,
            selected: None,
            refreshed: now,
        }
    }

    /// The rows shown, filtered and sorted: running first, then newest first.
    pub fn visible<'a>(&self, board: &'a TaskBoard) -> Vec<&'a TaskRow> {
        let filter = RowFilter::parse(&self.filter);
        let mut rows: Vec<&TaskRow> = board.rows().filter(|r| filter.matches(r)).collect();
        rows.sort_by(|a, b| {
            (b.state == TaskState::Running)
                .cmp(&(a.state == TaskState::Running))
                .then(b.started.cmp(&a.started))
                .then(a.log.cmp(&b.log))
        });
        rows
    }

    /// Index of the selection among `rows` (the first row when it is gone).
    pub fn selected_index(&self, rows: &[&TaskRow]) -> usize {
        self.selected
            .as_ref()
            .and_then(|s| rows.iter().position(|r| &r.log == s))
            .unwrap_or(0)
    }

    fn move_by(&mut self, delta: isize, board: &TaskBoard) {
        let rows = self.visible(board);
        if rows.is_empty() {
            return;
        }
        let at = self.selected_index(&rows) as isize;
        let to = (at + delta).clamp(0, rows.len() as isize - 1) as usize;
        self.selected = Some(rows[to].log.clone());
    }

    fn selected_row<'a>(&self, board: &'a TaskBoard) -> Option<&'a TaskRow> {
        let rows = self.visible(board);
        rows.get(self.selected_index(&rows)).copied()
    }
}

/// Body rows of the table drawn in `area` (border, header, footer taken off).
pub fn table_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(4))
}

impl Layer for TasksView {
    fn title(&self) -> String {
        "tasks".into()
    }

    fn context(&self) -> Context {
        Context::Tasks
    }

    fn wants_text(&self) -> bool {
        self.filter_editing
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        let page = table_rows(ctx.area).max(1) as isize;
        match action {
            Action::Up => self.move_by(-1, ctx.board),
            Action::Down => self.move_by(1, ctx.board),
            Action::PageUp => self.move_by(-page, ctx.board),
            Action::PageDown => self.move_by(page, ctx.board),
            Action::Top => self.move_by(isize::MIN / 2, ctx.board),
            Action::Bottom => self.move_by(isize::MAX / 2, ctx.board),
            Action::Filter => self.filter_editing = true,
            Action::Refresh => {
                self.refreshed = ctx.now;
                return Reply::effect(Effect::RefreshTasks);
            }
            Action::Open | Action::Details => {
                return match self.selected_row(ctx.board) {
                    Some(row) => {
                        let title = format!(
                            "{} {} {} · {}/{}",
                            row.origin.name(),
                            row.kind,
                            row.target,
                            row.host,
                            row.node
                        );
                        Reply::Then(open_log_requests(row.log.clone(), Some(title), false))
                    }
                    None => Reply::Consumed,
                };
            }
            Action::CancelTask => {
                let Some(row) = self.selected_row(ctx.board) else {
                    return Reply::Consumed;
                };
                if row.state != TaskState::Running {
                    return Reply::Then(vec![Request::Toast {
                        text: format!("{} {} is not running", row.kind, row.target),
                        error: false,
                    }]);
                }
                let question = format!(
                    "Cancel {} {} on {}/{}?",
                    row.kind, row.target, row.host, row.node
                );
                let effect = Effect::CancelTask {
                    source: row.log.clone(),
                };
                return Reply::Then(vec![Request::Push(Box::new(ConfirmLayer::new(
                    "cancel task",
                    question,
                    effect,
                )))]);
            }
            // Esc first drops the filter, then closes.
            Action::Back if !self.filter.is_empty() => self.filter.clear(),
            Action::Back => return Reply::Then(vec![Request::Close]),
            _ => return Reply::Ignored,
        }
        Reply::Consumed
    }

    fn on_text(&mut self, key: KeyEvent, ctx: &LayerCtx) -> Reply {
        match key.code {
            KeyCode::Esc => {
                self.filter.clear();
                self.filter_editing = false;
            }
            KeyCode::Enter => self.filter_editing = false,
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Up => self.move_by(-1, ctx.board),
            KeyCode::Down => self.move_by(1, ctx.board),
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.filter.push(c);
            }
            _ => {}
        }
        Reply::Consumed
    }

    fn on_paste(&mut self, text: &str, _ctx: &LayerCtx) -> Reply {
        if !self.filter_editing {
            return Reply::Ignored;
        }
        self.filter.push_str(&crate::text::clean_string(
            text.lines().next().unwrap_or(""),
        ));
        Reply::Consumed
    }

    fn on_wheel(&mut self, down: bool, ctx: &LayerCtx) -> Reply {
        self.move_by(if down { 3 } else { -3 }, ctx.board);
        Reply::Consumed
    }

    fn on_tick(&mut self, now: SystemTime) -> Vec<Effect> {
        if now >= self.refreshed + Duration::from_secs(REFRESH_SECS) {
            self.refreshed = now;
            return vec![Effect::RefreshTasks];
        }
        Vec::new()
    }

    fn next_deadline(&self) -> Option<SystemTime> {
        Some(self.refreshed + Duration::from_secs(REFRESH_SECS))
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Open, "log"),
            (Action::Filter, "filter"),
            (Action::CancelTask, "cancel"),
            (Action::Refresh, "refresh"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::tasks_view::draw(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The `/` filter: every word must match; `key:value` words match one column.
#[derive(Debug, Default)]
pub struct RowFilter {
    words: Vec<(Option<String>, String)>,
}

impl RowFilter {
    pub fn parse(text: &str) -> RowFilter {
        let words = text
            .split_whitespace()
            .map(|w| {
                let w = w.to_lowercase();
                match w.split_once(':') {
                    Some((k, v)) if COLUMNS.contains(&k) => (Some(k.to_string()), v.to_string()),
                    _ => (None, w),
                }
            })
            .collect();
        RowFilter { words }
    }

    pub fn matches(&self, row: &TaskRow) -> bool {
        self.words.iter().all(|(key, value)| {
            let col = |k: &str| column(row, k).to_lowercase().contains(value.as_str());
            match key {
                Some(k) => col(k),
                None => COLUMNS.iter().any(|k| col(k)),
            }
        })
    }
}

/// Filter keys, one per column.
const COLUMNS: [&str; 7] = ["source", "host", "node", "type", "id", "user", "status"];

fn column<'a>(row: &'a TaskRow, key: &str) -> &'a str {
    match key {
        "source" => row.origin.name(),
        "host" => &row.host,
        "node" => &row.node,
        "type" => &row.kind,
        "id" => &row.target,
        "user" => &row.user,
        "status" => row.state.name(),
        _ => "",
    }
}
