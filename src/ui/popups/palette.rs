//! The command palette (`:`): fuzzy search with nucleo-matcher over every action and
//! target (`App::palette_items` lists them); `submit` closes it and has the app carry out
//! the chosen entry.

use crossterm::event::{KeyCode, KeyEvent};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{PopupKey, popup_layer_basics};
use crate::ui::action::Action;
use crate::ui::layer::{Layer, LayerCtx, Reply, Request};
use crate::ui::render::widgets::{popup_box, put};
use crate::ui::theme::ThemeKey;

/// What a palette entry does when chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum PaletteTarget {
    Action(Action),
    /// Jump to a guest (host index, node index, vmid).
    Guest {
        host: String,
        vmid: u32,
    },
    Theme(String),
    Host(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaletteItem {
    pub label: String,
    pub hint: String,
    pub target: PaletteTarget,
}

#[derive(Debug, Clone)]
pub struct PaletteState {
    pub input: String,
    pub items: Vec<PaletteItem>,
    /// Indices into `items`, best first.
    pub matches: Vec<usize>,
    pub selected: usize,
}

/// Show at most this many matches; the list is for choosing, not browsing.
pub const PALETTE_ROWS: usize = 200;

impl PaletteState {
    pub fn new(items: Vec<PaletteItem>) -> PaletteState {
        let mut p = PaletteState {
            input: String::new(),
            items,
            matches: Vec::new(),
            selected: 0,
        };
        p.refilter();
        p
    }

    /// Re-rank with nucleo (smart case, unicode normalization); an empty input lists
    /// actions first in their natural order.
    pub fn refilter(&mut self) {
        self.selected = 0;
        if self.input.trim().is_empty() {
            self.matches = (0..self.items.len().min(PALETTE_ROWS)).collect();
            return;
        }
        let pattern = Pattern::parse(&self.input, CaseMatching::Smart, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, usize)> = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                pattern
                    .score(Utf32Str::new(&item.label, &mut buf), &mut matcher)
                    .map(|s| (s, i))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.matches = scored
            .into_iter()
            .take(PALETTE_ROWS)
            .map(|(_, i)| i)
            .collect();
    }

    pub fn chosen(&self) -> Option<&PaletteItem> {
        self.matches
            .get(self.selected)
            .and_then(|i| self.items.get(*i))
    }
}

impl Layer for PaletteState {
    popup_layer_basics!("command palette");

    fn on_text(&mut self, k: KeyEvent, ctx: &LayerCtx) -> Reply {
        let key = PopupKey::read(&k, ctx.keymap);
        if let Some(c) = key.typed {
            self.input.push(c);
            self.refilter();
            return Reply::Consumed;
        }
        match key.action {
            Some(Action::Back) => return Reply::Then(vec![Request::Close]),
            Some(Action::Submit) => {
                let mut requests = vec![Request::Close];
                if let Some(item) = self.chosen() {
                    requests.push(Request::Palette(item.target.clone()));
                }
                return Reply::Then(requests);
            }
            Some(Action::Down | Action::NextField) => {
                self.selected = (self.selected + 1).min(self.matches.len().saturating_sub(1));
            }
            Some(Action::Up | Action::PrevField) => self.selected = self.selected.saturating_sub(1),
            _ if k.code == KeyCode::Backspace => {
                self.input.pop();
                self.refilter();
            }
            _ => {}
        }
        Reply::Consumed
    }

    fn on_paste(&mut self, text: &str, _ctx: &LayerCtx) -> Reply {
        self.input.push_str(&crate::text::clean_string(
            text.lines().next().unwrap_or(""),
        ));
        self.refilter();
        Reply::Consumed
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        let t = ctx.theme;
        let p = self;
        let h = area.height.saturating_sub(4).min(20);
        let inner = popup_box(buf, area, 70, h, "command palette", t);
        if inner.height < 2 {
            return;
        }
        let x = put(buf, inner.x + 1, inner.y, ": ", t.style(ThemeKey::Key), 2);
        buf.set_style(
            Rect::new(x, inner.y, inner.right().saturating_sub(x + 1), 1),
            t.style(ThemeKey::Input),
        );
        put(
            buf,
            x,
            inner.y,
            &format!("{}▏", p.input),
            t.style(ThemeKey::Input),
            inner.right().saturating_sub(x + 1),
        );
        let rows = usize::from(inner.height - 1);
        let first = p.selected.saturating_sub(rows.saturating_sub(1));
        for (row, idx) in p.matches.iter().skip(first).take(rows).enumerate() {
            let Some(item) = p.items.get(*idx) else {
                continue;
            };
            let y = inner.y + 1 + row as u16;
            let selected = first + row == p.selected;
            let style = if selected {
                t.style(ThemeKey::Selection)
            } else {
                t.text()
            };
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
            put(
                buf,
                inner.x + 1,
                y,
                &item.label,
                style,
                inner.width.saturating_sub(12),
            );
            let hw = item.hint.chars().count() as u16;
            put(
                buf,
                inner.right().saturating_sub(hw + 1),
                y,
                &item.hint,
                if selected {
                    style
                } else {
                    t.style(ThemeKey::Key)
                },
                hw,
            );
        }
        if p.matches.is_empty() {
            put(
                buf,
                inner.x + 1,
                inner.y + 1,
                "no match",
                t.dim(),
                inner.width,
            );
        }
    }
}
