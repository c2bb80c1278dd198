//! The first-run screen as a layer: no host is configured yet, so instead of an empty rack
//! it offers to add a host or start the demo. It is the stack's base layer (drawn where the
//! rack goes, under the other screens) until the first host or inventory arrives; its keys
//! come from the keymap's `[onboarding]` context.

use std::any::Any;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, Effect};
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::popups::host_form::HostFormPopup;
use super::render::widgets::{boxed, put};
use super::theme::ThemeKey;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnboardingView;

impl Layer for OnboardingView {
    fn title(&self) -> String {
        "welcome".into()
    }

    fn context(&self) -> Context {
        Context::Onboarding
    }

    fn on_action(&mut self, action: Action, _ctx: &LayerCtx) -> Reply {
        match action {
            Action::AddHost => Reply::Then(vec![Request::Push(Box::new(HostFormPopup::new(None)))]),
            Action::Demo => Reply::effect(Effect::StartDemo),
            _ => Reply::Ignored,
        }
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::AddHost, "add host"),
            (Action::Demo, "demo"),
            (Action::Quit, "quit"),
        ]
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        let t = ctx.theme;
        let w = 60.min(area.width);
        let h = 12.min(area.height);
        let r = Rect::new(
            area.x + (area.width - w) / 2,
            area.y + (area.height - h) / 2,
            w,
            h,
        );
        let inner = boxed(buf, r, "welcome to proximity", t, true);
        let iw = inner.width.saturating_sub(2);
        let lines = [
            ("Your Proxmox hosts, drawn as racks.", t.text()),
            ("", t.text()),
            ("No host is configured yet.", t.dim()),
        ];
        for (i, (s, st)) in lines.iter().enumerate() {
            put(buf, inner.x + 1, inner.y + 1 + i as u16, s, *st, iw);
        }
        let first = |a: Action| {
            let keys = ctx.keymap.keys_for(Context::Onboarding, a);
            keys.first().cloned().unwrap_or_default()
        };
        let choices = [
            (
                first(Action::AddHost),
                "add a Proxmox host (URL + API token)",
            ),
            (first(Action::Demo), "start the demo (an emulated cluster)"),
        ];
        for (i, (key, what)) in choices.iter().enumerate() {
            let y = inner.y + 5 + 2 * i as u16;
            let x = put(
                buf,
                inner.x + 1,
                y,
                &format!(" {key} "),
                t.style(ThemeKey::Selection),
                iw,
            );
            put(
                buf,
                x + 1,
                y,
                what,
                t.text(),
                inner.right().saturating_sub(x + 2),
            );
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
