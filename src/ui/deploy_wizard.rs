//! The deploy wizard: a full-screen layer that walks through one app's deployment, page by
//! page (name, target, resources, environment, volumes and backups, review), every field
//! checked as it is typed. Enter on the review sends `Effect::Deploy`; the engine's answer
//! comes back as `AppEvent::DeployStarted` (the app closes the wizard and opens the job's
//! log beside the rack) or `AppEvent::DeployRefused` (the wizard stays, values kept).
//!
//! It is a form, so it reads raw keys (`wants_text`), like the host form: on a page with a
//! text field typed characters are the field's; the other keys come from the keymap's
//! `[wizard]` context, then `[popup]` (by default Tab / Shift-Tab and Enter move between
//! fields and on to the next page, PgDn / PgUp between pages, Esc goes back a page and
//! closes on the first, Up / Down pick in lists). From `[popup]` too: `reveal` (Ctrl-R)
//! shows secrets, `clear_field` (Ctrl-U) clears a field, `top` / `bottom` (Home / End) jump
//! in the target list. `[wizard]` has `toggle` (Space): it flips a switch on the volumes
//! page, where `[popup]` would page down with Space. Its keys are shown on its last line,
//! from the same keymap.

use std::any::Any;

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, AppEvent, Effect};
use super::deploy_form::{DeployForm, edit, paste};
use super::keymap::{Context, Keymap};
use super::layer::{Layer, LayerCtx, Reply, Request};
use crate::catalog::AppSpec;
use crate::inventory::Inventory;

/// The wizard's pages, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Page {
    Name,
    Target,
    Resources,
    Env,
    Volumes,
    Review,
}

impl Page {
    pub const ALL: [Page; 6] = [
        Page::Name,
        Page::Target,
        Page::Resources,
        Page::Env,
        Page::Volumes,
        Page::Review,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Page::Name => "Name",
            Page::Target => "Target",
            Page::Resources => "Resources",
            Page::Env => "Environment",
            Page::Volumes => "Volumes",
            Page::Review => "Review",
        }
    }

    fn index(self) -> usize {
        Page::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    fn next(self) -> Page {
        Page::ALL.get(self.index() + 1).copied().unwrap_or(self)
    }

    fn prev(self) -> Page {
        self.index()
            .checked_sub(1)
            .and_then(|i| Page::ALL.get(i).copied())
            .unwrap_or(self)
    }
}

/// Index of the switches on the volumes page.
pub const SWITCH_BACKUPS: usize = 0;
pub const SWITCH_KEEP: usize = 1;

#[derive(Debug, Clone)]
pub struct DeployWizard {
    pub form: DeployForm,
    pub page: Page,
    /// The focused field of the page (the row of a list page).
    pub field: usize,
    /// `Effect::Deploy` was sent and no answer came yet: Enter does not send another.
    pub submitting: bool,
    /// The engine's last refusal, shown above the keys until the next edit.
    pub refusal: Option<String>,
}

impl DeployWizard {
    /// The wizard for `app`, its name made unique and its nodes taken from `inventory`.
    /// The catalog screen asks for it with `Effect::OpenDeployWizard`; the app builds it
    /// here (`App::open_deploy_wizard`).
    pub fn new(app: AppSpec, inventory: &Inventory) -> DeployWizard {
        DeployWizard::with_form(DeployForm::from_inventory(app, inventory))
    }

    pub fn with_form(form: DeployForm) -> DeployWizard {
        DeployWizard {
            form,
            page: Page::Name,
            field: 0,
            submitting: false,
            refusal: None,
        }
    }

    /// How many focusable fields a page has.
    pub fn fields(&self, page: Page) -> usize {
        match page {
            Page::Name | Page::Target | Page::Review => 1,
            Page::Resources => 3,
            Page::Env => self.form.env.len().max(1),
            Page::Volumes => 2,
        }
    }

    /// The page's problems as (field, message).
    pub fn page_errors(&self, page: Page) -> Vec<(usize, String)> {
        let f = &self.form;
        let indexed = |v: Vec<Option<String>>| -> Vec<(usize, String)> {
            v.into_iter()
                .enumerate()
                .filter_map(|(i, e)| e.map(|e| (i, e)))
                .collect()
        };
        match page {
            Page::Name => indexed(vec![f.name_error()]),
            Page::Target => indexed(vec![f.target_error()]),
            Page::Resources => indexed(f.resource_errors().to_vec()),
            Page::Env => indexed(f.env_errors()),
            Page::Volumes | Page::Review => Vec::new(),
        }
    }

    fn go(&mut self, page: Page, field: usize) {
        self.page = page;
        self.field = field.min(self.fields(page).saturating_sub(1));
    }

    /// On to the next page when this one passes; else to its first bad field.
    fn forward(&mut self) {
        if let Some((field, _)) = self.page_errors(self.page).first() {
            self.field = *field;
            return;
        }
        if self.page != Page::Review {
            self.go(self.page.next(), 0);
        }
    }

    fn back_page(&mut self) {
        self.go(self.page.prev(), 0);
    }

    fn next_field(&mut self) {
        if self.field + 1 < self.fields(self.page) {
            self.field += 1;
        } else {
            self.forward();
        }
    }

    fn prev_field(&mut self) {
        if self.field > 0 {
            self.field -= 1;
        } else if self.page != Page::Name {
            let prev = self.page.prev();
            self.go(prev, self.fields(prev).saturating_sub(1));
        }
    }

    /// Enter on the review: the request, or the first page that needs attention.
    fn submit(&mut self) -> Reply {
        if self.submitting {
            return Reply::Consumed;
        }
        if let Some(page) = Page::ALL
            .into_iter()
            .find(|p| !self.page_errors(*p).is_empty())
        {
            let field = self.page_errors(page).first().map_or(0, |(f, _)| *f);
            self.go(page, field);
            return Reply::Consumed;
        }
        match self.form.request() {
            Some(req) => {
                self.submitting = true;
                self.refusal = None;
                Reply::effect(Effect::Deploy(Box::new(req)))
            }
            None => Reply::Consumed,
        }
    }

    /// The text field with the keyboard, if the page has one.
    fn text_field(&mut self) -> Option<&mut ratatui_textarea::TextArea<'static>> {
        match self.page {
            Page::Name => Some(&mut self.form.name),
            Page::Resources => self.form.resources.get_mut(self.field),
            Page::Env => self.form.env.get_mut(self.field),
            _ => None,
        }
    }

    fn move_target(&mut self, delta: isize) {
        let last = self.form.nodes.len() as isize;
        self.form.target = (self.form.target as isize + delta).clamp(0, last) as usize;
    }

    fn toggle(&mut self) {
        match self.field {
            SWITCH_BACKUPS => self.form.backups = !self.form.backups,
            _ => self.form.keep_on_failure = !self.form.keep_on_failure,
        }
    }

    fn key(&mut self, key: KeyEvent, keymap: &Keymap) -> Reply {
        let read = super::popups::PopupKey::read_in(&key, keymap, Context::Wizard);
        // A typed character is the field's, whatever the keymap binds it to; on a page
        // without one (target, volumes, review) it is a key like the others.
        let typing = read.typed.is_some() && self.text_field().is_some();
        let action = read.action.filter(|_| !typing);
        let on_target = self.page == Page::Target;
        match action {
            Some(Action::Back) if self.page == Page::Name => {
                return Reply::Then(vec![Request::Close]);
            }
            Some(Action::Back) => self.back_page(),
            Some(Action::PageDown) => self.forward(),
            Some(Action::PageUp) => self.back_page(),
            Some(Action::Submit) if self.page == Page::Review => return self.submit(),
            Some(Action::NextField | Action::Submit) => self.next_field(),
            Some(Action::PrevField) => self.prev_field(),
            Some(Action::Up) if on_target => self.move_target(-1),
            Some(Action::Down) if on_target => self.move_target(1),
            Some(Action::Up) => self.field = self.field.saturating_sub(1),
            Some(Action::Down) => {
                self.field = (self.field + 1).min(self.fields(self.page).saturating_sub(1));
            }
            Some(Action::Top) if on_target => self.form.target = 0,
            Some(Action::Bottom) if on_target => self.form.target = self.form.nodes.len(),
            Some(Action::Toggle) if self.page == Page::Volumes => self.toggle(),
            Some(Action::Reveal) => self.form.reveal = !self.form.reveal,
            // As in a shell: clears to the start of the field.
            Some(Action::ClearField) => {
                if let Some(t) = self.text_field() {
                    t.delete_line_by_head();
                    self.refusal = None;
                }
            }
            _ => return self.edit_key(key),
        }
        Reply::Consumed
    }

    /// The keys the keymap does not bind here: the text field's own editing keys.
    fn edit_key(&mut self, key: KeyEvent) -> Reply {
        if let Some(t) = self.text_field() {
            edit(t, key.into());
            self.refusal = None;
        }
        Reply::Consumed
    }
}

impl Layer for DeployWizard {
    fn title(&self) -> String {
        format!("deploy {}", self.form.app.id)
    }

    fn context(&self) -> Context {
        Context::Wizard
    }

    fn wants_text(&self) -> bool {
        true
    }

    fn on_action(&mut self, _action: Action, _ctx: &LayerCtx) -> Reply {
        Reply::Consumed
    }

    fn on_text(&mut self, key: KeyEvent, ctx: &LayerCtx) -> Reply {
        self.key(key, ctx.keymap)
    }

    fn on_paste(&mut self, text: &str, _ctx: &LayerCtx) -> Reply {
        if let Some(t) = self.text_field() {
            paste(t, text);
            self.refusal = None;
        }
        Reply::Consumed
    }

    fn on_event(&mut self, ev: &AppEvent, _ctx: &LayerCtx) -> Reply {
        match ev {
            AppEvent::DeployRefused { text } => {
                self.submitting = false;
                self.refusal = Some(crate::text::clean_string(text));
                Reply::Consumed
            }
            _ => Reply::Ignored,
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::deploy_wizard::draw(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
