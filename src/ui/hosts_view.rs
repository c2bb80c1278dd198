//! The hosts screen as a layer: the configured endpoints and their state. It owns the
//! cursor, takes its keys from the keymap's `[hosts]` context and draws itself
//! (`render::hosts_view`). The host list is the app's (read from the `LayerCtx`); the host
//! form and the removal prompt are popup layers it pushes.

use std::any::Any;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, Effect, HostDraft};
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::onboarding::OnboardingView;
use super::popups::host_form::HostFormPopup;
use super::popups::prompts::RemoveHostPrompt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostsView {
    /// Index into the configured hosts; hosts can be removed while the screen is open, so
    /// every reader clamps it (`selected_index`).
    pub sel: usize,
}

impl HostsView {
    pub fn new(sel: usize) -> HostsView {
        HostsView { sel }
    }

    /// The cursor, kept on a list of `len` hosts.
    pub fn selected_index(&self, len: usize) -> usize {
        self.sel.min(len.saturating_sub(1))
    }
}

impl Layer for HostsView {
    fn title(&self) -> String {
        "hosts".into()
    }

    fn context(&self) -> Context {
        Context::Hosts
    }

    fn on_action(&mut self, action: Action, ctx: &LayerCtx) -> Reply {
        let len = ctx.hosts.len();
        self.sel = self.selected_index(len);
        let selected = ctx.hosts.get(self.sel);
        let popup = |p: Box<dyn Layer>| Reply::Then(vec![Request::Push(p)]);
        match action {
            Action::Up => self.sel = self.sel.saturating_sub(1),
            Action::Down => self.sel = (self.sel + 1).min(len.saturating_sub(1)),
            Action::Top => self.sel = 0,
            Action::Bottom => self.sel = len.saturating_sub(1),
            Action::AddHost => return popup(Box::new(HostFormPopup::new(None))),
            Action::EditHost => {
                if let Some(h) = selected {
                    return popup(Box::new(HostFormPopup::new(Some(h))));
                }
            }
            Action::RemoveHost => {
                if let Some(h) = selected {
                    return popup(Box::new(RemoveHostPrompt {
                        name: h.name.clone(),
                    }));
                }
            }
            Action::TestHost => {
                if let Some(h) = selected {
                    let draft = HostDraft {
                        name: h.name.clone(),
                        url: h.url.clone(),
                        token_id: h.token_id.clone(),
                        secret: Default::default(),
                        fingerprint: h.fingerprint.clone(),
                    };
                    return Reply::Then(vec![
                        Request::Toast {
                            text: format!("testing {}…", h.name),
                            error: false,
                        },
                        Request::Effect(Effect::TestHost(draft)),
                    ]);
                }
            }
            Action::Refresh => {
                if let Some(h) = selected {
                    return Reply::effect(Effect::Refresh(h.name.clone()));
                }
            }
            // Without a host there is no rack to go back to: the first-run screen instead.
            Action::Back => {
                let under: Option<Box<dyn Layer>> = if ctx.hosts.is_empty() {
                    Some(Box::new(OnboardingView))
                } else {
                    None
                };
                return Reply::Then(vec![Request::Close, Request::Base(under)]);
            }
            _ => return Reply::Ignored,
        }
        Reply::Consumed
    }

    /// Border, header, then one row per host.
    fn on_click(&mut self, _column: u16, row: u16, ctx: &LayerCtx) -> Reply {
        let top = ctx.area.y + 2;
        let at = usize::from(row.saturating_sub(top));
        if row >= top && at < ctx.hosts.len() {
            self.sel = at;
        }
        Reply::Consumed
    }

    fn on_wheel(&mut self, down: bool, ctx: &LayerCtx) -> Reply {
        let action = if down { Action::Down } else { Action::Up };
        self.on_action(action, ctx)
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::AddHost, "add"),
            (Action::EditHost, "edit"),
            (Action::RemoveHost, "remove"),
            (Action::TestHost, "test"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        super::render::hosts_view::draw(self, area, buf, ctx);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
