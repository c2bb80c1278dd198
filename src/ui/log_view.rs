//! The log viewer: one log (a Proxmox task's or a Proximity job's) from the lines the inbox
//! delivers, full screen or as a pane beside the rack. It follows the end while lines
//! arrive (scrolling up stops that; `F` or End resumes), wraps, shows timestamps, searches
//! with every match highlighted and `n`/`N` around, and saves to a file.
//!
//! Scrolling is by log line even when wrapping, so every position and every frame costs
//! what is visible, never the length of the log.

use std::any::Any;
use std::time::SystemTime;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, AppEvent, Effect};
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::log_search::LogSearch;
use super::task_board::{LogLine, LogSource, clock};

/// Columns a timestamp takes (`HH:MM:SS `).
pub const STAMP_WIDTH: usize = 9;
/// Lines per wheel notch.
const WHEEL_LINES: usize = 3;
/// Columns per left/right key when not wrapping.
const HSCROLL_STEP: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub struct LogView {
    pub source: LogSource,
    pub title: String,
    /// Sanitized lines.
    pub lines: Vec<LogLine>,
    /// The log has ended (no more lines will come).
    pub done: bool,
    /// Stick to the end as lines arrive.
    pub following: bool,
    /// First visible line while not following.
    pub top: usize,
    pub wrap: bool,
    pub timestamps: bool,
    /// First visible column while not wrapping.
    pub hscroll: usize,
    pub search: LogSearch,
}

impl LogView {
    pub fn new(source: LogSource) -> LogView {
        LogView {
            title: crate::text::clean_string(&source.title()),
            source,
            lines: Vec::new(),
            done: false,
            following: true,
            top: 0,
            wrap: false,
            timestamps: false,
            hscroll: 0,
            search: LogSearch::default(),
        }
    }

    /// New lines from `from_line` on (see `AppEvent::LogLines`).
    pub fn apply_lines(&mut self, from_line: usize, lines: &[LogLine], done: bool) {
        let first = from_line.min(self.lines.len());
        let clean = lines.iter().map(|l| LogLine {
            at: l.at,
            text: crate::text::clean_string(&l.text),
        });
        if first > 0 && first + lines.len() <= self.lines.len() {
            // Lines redrawn in place (progress): the ones after them stay.
            for (slot, line) in self.lines[first..].iter_mut().zip(clean) {
                *slot = line;
            }
        } else {
            self.lines.truncate(first);
            self.lines.extend(clean);
        }
        self.done = done;
        self.top = self.top.min(self.lines.len().saturating_sub(1));
        self.search.extend(&self.lines, first);
    }

    /// Columns the timestamp column takes (0 when hidden).
    pub fn prefix_width(&self) -> usize {
        if self.timestamps { STAMP_WIDTH } else { 0 }
    }

    /// How many screen rows line `i` takes at `width` text columns.
    pub fn line_rows(&self, i: usize, width: usize) -> usize {
        if !self.wrap || width == 0 {
            return 1;
        }
        let chars = self.lines.get(i).map_or(0, |l| l.text.chars().count());
        chars.div_ceil(width).max(1)
    }

    /// The first line that still fills the window with the last line at its bottom:
    /// walks back from the end, so it costs the visible lines only.
    pub fn end_top(&self, rows: usize, width: usize) -> usize {
        let mut used = 0;
        let mut top = self.lines.len();
        while top > 0 {
            let h = self.line_rows(top - 1, width);
            if used + h > rows.max(1) {
                break;
            }
            used += h;
            top -= 1;
        }
        // A single line taller than the window still shows from its start.
        top.min(self.lines.len().saturating_sub(1))
    }

    /// The first line drawn in a window of `rows` x `width` text cells.
    pub fn first_visible(&self, rows: usize, width: usize) -> usize {
        let end = self.end_top(rows, width);
        if self.following {
            end
        } else {
            self.top.min(end)
        }
    }

    /// Scroll by `delta` lines; up stops following, down to the end resumes it.
    fn scroll(&mut self, delta: isize, rows: usize, width: usize) {
        let end = self.end_top(rows, width);
        let from = self.first_visible(rows, width) as isize;
        let to = (from + delta).clamp(0, end as isize) as usize;
        self.top = to;
        self.following = delta > 0 && to >= end;
    }

    /// Bring line `line` into view (a search match), stopping the follow.
    fn reveal(&mut self, line: usize, rows: usize, width: usize) {
        let first = self.first_visible(rows, width);
        if line < first || line >= first + rows {
            self.top = line.saturating_sub(rows / 3).min(self.end_top(rows, width));
        } else {
            self.top = first;
        }
        self.following = false;
    }

    /// The lines as a file holds them: with their time when they have one.
    pub fn export(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|l| match l.at {
                Some(at) => format!("{} {}", super::task_board::date_time(at), l.text),
                None => l.text.clone(),
            })
            .collect()
    }

    fn text_size(ctx: &LayerCtx) -> (usize, usize) {
        let inner = text_area(ctx.area);
        (usize::from(inner.height), usize::from(inner.width))
    }

    fn wrap_width(&self, width: usize) -> usize {
        width.saturating_sub(self.prefix_width())
    }
}

/// Where the lines go inside a viewer drawn in `area`: inside the border, above the footer
/// row. Shared by the handler (page sizes) and the renderer.
pub fn text_area(area: Rect) -> Rect {
    Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(1),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(3),
    }
}

impl Layer for LogView {
    fn title(&self) -> String {
        self.title.clone()
    }

    fn context(&self) -> Context {
        Context::Log
    }

    fn wants_text(&self) -> bool {
        self.search.input.is_some()
    }

    fn can_be_beside(&self) -> bool {
        true
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        let (rows, width) = Self::text_size(ctx);
        let width = self.wrap_width(width);
        let page = rows.max(1) as isize;
        match action {
            Action::Up => self.scroll(-1, rows, width),
            Action::Down => self.scroll(1, rows, width),
            Action::PageUp => self.scroll(-page, rows, width),
            Action::PageDown => self.scroll(page, rows, width),
            Action::Top => {
                self.top = 0;
                self.following = false;
            }
            Action::Bottom | Action::LogFollow => self.following = true,
            Action::Left if !self.wrap => {
                self.hscroll = self.hscroll.saturating_sub(HSCROLL_STEP);
            }
            Action::Right if !self.wrap => self.hscroll += HSCROLL_STEP,
            Action::LogWrap => {
                // Keep the same first line in view across the change.
                let first = self.first_visible(rows, width);
                self.wrap = !self.wrap;
                self.hscroll = 0;
                self.top = first;
            }
            Action::LogTimestamps => self.timestamps = !self.timestamps,
            Action::LogSearch => self.search.input = Some(String::new()),
            Action::LogNextMatch | Action::LogPrevMatch => {
                if let Some(line) = self.search.step(action == Action::LogNextMatch) {
                    self.reveal(line, rows, width);
                }
            }
            Action::LogSave => {
                let path = ctx.log_dir.join(format!("{}.log", self.source.file_stem()));
                return Reply::effect(Effect::SaveLog {
                    source: self.source.clone(),
                    path,
                    lines: self.export(),
                });
            }
            Action::LogSplit => return Reply::Then(vec![Request::ToggleBeside]),
            Action::Refresh => {
                let requests = ask_for_lines(&self.source)
                    .into_iter()
                    .map(Request::Effect)
                    .collect();
                return Reply::Then(requests);
            }
            // Esc first drops the search, then closes.
            Action::Back if self.search.is_active() => self.search.clear(),
            Action::Back => return Reply::Then(vec![Request::Close]),
            _ => return Reply::Ignored,
        }
        Reply::Consumed
    }

    fn on_text(&mut self, key: KeyEvent, ctx: &LayerCtx) -> Reply {
        let Some(input) = self.search.input.as_mut() else {
            return Reply::Ignored;
        };
        match key.code {
            KeyCode::Esc => self.search.input = None,
            KeyCode::Backspace => {
                input.pop();
            }
            KeyCode::Enter => {
                let query = std::mem::take(input);
                self.search.input = None;
                let (rows, width) = Self::text_size(ctx);
                let width = self.wrap_width(width);
                let from = self.first_visible(rows, width);
                self.search.commit(query, &self.lines, from);
                if let Some(&(line, _)) =
                    self.search.current.and_then(|c| self.search.matches.get(c))
                {
                    self.reveal(line, rows, width);
                }
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => input.push(c),
            _ => {}
        }
        Reply::Consumed
    }

    fn on_paste(&mut self, text: &str, _ctx: &LayerCtx) -> Reply {
        match self.search.input.as_mut() {
            Some(input) => {
                input.push_str(&crate::text::clean_string(
                    text.lines().next().unwrap_or(""),
                ));
                Reply::Consumed
            }
            None => Reply::Ignored,
        }
    }

    fn on_wheel(&mut self, down: bool, ctx: &LayerCtx) -> Reply {
        let (rows, width) = Self::text_size(ctx);
        let width = self.wrap_width(width);
        let delta = WHEEL_LINES as isize;
        self.scroll(if down { delta } else { -delta }, rows, width);
        Reply::Consumed
    }

    fn on_event(&mut self, ev: &AppEvent, _ctx: &LayerCtx) -> Reply {
        match ev {
            AppEvent::LogLines {
                source,
                from_line,
                lines,
                done,
            } if *source == self.source => {
                self.apply_lines(*from_line, lines, *done);
                Reply::Consumed
            }
            _ => Reply::Ignored,
        }
    }

    fn on_close(&mut self) -> Vec<Effect> {
        vec![Effect::StopLog {
            source: self.source.clone(),
        }]
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::LogSearch, "search"),
            (Action::LogFollow, "follow"),
            (Action::LogWrap, "wrap"),
            (Action::LogTimestamps, "time"),
            (Action::LogSave, "save"),
            (Action::LogSplit, "beside"),
            (Action::Back, "close"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::log_view::draw(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A clock for the timestamp column, blank for lines without a time.
pub fn stamp(at: Option<SystemTime>) -> String {
    match at {
        Some(t) => format!("{} ", clock(t)),
        None => " ".repeat(STAMP_WIDTH),
    }
}

/// Open a viewer on `source` (full screen, or `beside` the rack) and ask for its lines;
/// `title` when the opener knows better than the source (a job's kind and target).
pub fn open_log_requests(source: LogSource, title: Option<String>, beside: bool) -> Vec<Request> {
    let mut view = LogView::new(source.clone());
    if let Some(t) = title {
        view.title = crate::text::clean_string(&t);
    }
    let mut requests = vec![Request::Push(Box::new(view))];
    if beside {
        requests.push(Request::ToggleBesideTop);
    }
    requests.extend(ask_for_lines(&source).into_iter().map(Request::Effect));
    requests
}

/// The effects that bring a log's lines (on open and on `r`).
fn ask_for_lines(source: &LogSource) -> Vec<Effect> {
    vec![Effect::FollowLog {
        source: source.clone(),
    }]
}
