//! The catalog screen (`g a`, or `catalog` in the palette): categories on the left ("All"
//! first, with counts), the apps of the chosen category in the middle, narrowed by a `/`
//! fuzzy search, and on the right what a deploy of the selected app would create. Enter on
//! an app opens the deploy wizard (`Effect::OpenDeployWizard`); Left/Right (or Tab) move between the two lists.

use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, Effect};
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};
use crate::catalog::{AppSpec, Catalog, CatalogIssue, load::search_apps};

/// Which list has the arrows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogFocus {
    Categories,
    Apps,
}

#[derive(Debug, Clone)]
pub struct CatalogView {
    pub catalog: Catalog,
    /// `("All", n)` first, then each category with its count.
    pub categories: Vec<(String, usize)>,
    /// Index into `categories`.
    pub category: usize,
    pub query: String,
    pub searching: bool,
    pub focus: CatalogFocus,
    /// The selected app, by id, so a new search keeps it when it still matches.
    pub selected: Option<String>,
    /// Lines the detail pane is scrolled down.
    pub detail_scroll: u16,
}

impl CatalogView {
    pub fn new(catalog: Catalog) -> CatalogView {
        let mut categories = vec![("All".to_string(), catalog.len())];
        categories.extend(catalog.categories());
        CatalogView {
            catalog,
            categories,
            category: 0,
            query: String::new(),
            searching: false,
            focus: CatalogFocus::Apps,
            selected: None,
            detail_scroll: 0,
        }
    }

    /// The shipped catalog and the user's files in `user_dir`, with the user's issues.
    pub fn load(user_dir: Option<&std::path::Path>) -> (CatalogView, Vec<CatalogIssue>) {
        let (catalog, issues) = Catalog::load(user_dir);
        (CatalogView::new(catalog), issues)
    }

    /// The chosen category's name; `None` for "All".
    pub fn category_name(&self) -> Option<&str> {
        match self.category {
            0 => None,
            i => self.categories.get(i).map(|(c, _)| c.as_str()),
        }
    }

    /// The apps listed: the category's, ranked by the search (by name when it is empty).
    pub fn visible(&self) -> Vec<&AppSpec> {
        let category = self.category_name();
        let apps = self
            .catalog
            .apps()
            .filter(|a| category.is_none_or(|c| a.category == c));
        search_apps(apps, &self.query)
    }

    pub fn selected_index(&self, apps: &[&AppSpec]) -> usize {
        self.selected
            .as_ref()
            .and_then(|id| apps.iter().position(|a| &a.id == id))
            .unwrap_or(0)
    }

    pub fn selected_app(&self) -> Option<&AppSpec> {
        let apps = self.visible();
        apps.get(self.selected_index(&apps)).copied()
    }

    fn move_apps(&mut self, delta: isize) {
        let apps = self.visible();
        if apps.is_empty() {
            return;
        }
        let at = self.selected_index(&apps) as isize;
        let to = (at + delta).clamp(0, apps.len() as isize - 1) as usize;
        self.selected = Some(apps[to].id.clone());
        self.detail_scroll = 0;
    }

    fn move_category(&mut self, delta: isize) {
        let last = self.categories.len().saturating_sub(1) as isize;
        self.category = (self.category as isize + delta).clamp(0, last) as usize;
        self.selected = None;
        self.detail_scroll = 0;
    }

    fn move_by(&mut self, delta: isize) {
        match self.focus {
            CatalogFocus::Categories => self.move_category(delta),
            CatalogFocus::Apps => self.move_apps(delta),
        }
    }

    fn query_changed(&mut self) {
        // Keep the selection when it still matches; else the best match is selected.
        if let Some(id) = &self.selected
            && !self.visible().iter().any(|a| &a.id == id)
        {
            self.selected = None;
        }
        self.detail_scroll = 0;
    }

    fn deploy(&self) -> Reply {
        match self.selected_app() {
            Some(app) => Reply::effect(Effect::OpenDeployWizard(Box::new(app.clone()))),
            None => Reply::Consumed,
        }
    }
}

/// Rows of a list drawn in the layer's `area` (borders, title and search line taken off).
pub fn list_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3))
}

impl Layer for CatalogView {
    fn title(&self) -> String {
        "catalog".into()
    }

    fn context(&self) -> Context {
        Context::Catalog
    }

    fn wants_text(&self) -> bool {
        self.searching
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        let page = list_rows(ctx.area).max(1) as isize;
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::Left | Action::PrevPane if self.focus == CatalogFocus::Apps => {
                self.focus = CatalogFocus::Categories;
            }
            Action::Right | Action::NextPane if self.focus == CatalogFocus::Categories => {
                self.focus = CatalogFocus::Apps;
            }
            Action::Left | Action::Right | Action::NextPane | Action::PrevPane => {}
            Action::Open | Action::Details => match self.focus {
                CatalogFocus::Categories => self.focus = CatalogFocus::Apps,
                CatalogFocus::Apps => return self.deploy(),
            },
            Action::Filter => {
                self.searching = true;
                self.focus = CatalogFocus::Apps;
            }
            Action::DetailDown => self.detail_scroll = self.detail_scroll.saturating_add(1),
            Action::DetailUp => self.detail_scroll = self.detail_scroll.saturating_sub(1),
            // Esc first drops the search, then closes.
            Action::Back if !self.query.is_empty() => {
                self.query.clear();
                self.query_changed();
            }
            Action::Back => return Reply::Then(vec![Request::Close]),
            _ => return Reply::Ignored,
        }
        Reply::Consumed
    }

    fn on_text(&mut self, key: KeyEvent, _ctx: &LayerCtx) -> Reply {
        match key.code {
            KeyCode::Esc => {
                self.query.clear();
                self.searching = false;
                self.query_changed();
            }
            KeyCode::Enter => self.searching = false,
            KeyCode::Backspace => {
                self.query.pop();
                self.query_changed();
            }
            KeyCode::Up => self.move_apps(-1),
            KeyCode::Down => self.move_apps(1),
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.query.push(c);
                self.query_changed();
            }
            _ => {}
        }
        Reply::Consumed
    }

    fn on_paste(&mut self, text: &str, _ctx: &LayerCtx) -> Reply {
        if !self.searching {
            return Reply::Ignored;
        }
        self.query.push_str(&crate::text::clean_string(
            text.lines().next().unwrap_or(""),
        ));
        self.query_changed();
        Reply::Consumed
    }

    fn on_wheel(&mut self, down: bool, _ctx: &LayerCtx) -> Reply {
        self.move_apps(if down { 3 } else { -3 });
        Reply::Consumed
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Open, "deploy"),
            (Action::Filter, "search"),
            (Action::NextPane, "lists"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::catalog_view::draw(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
