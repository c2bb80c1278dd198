//! A yes/no question as a layer: `yes` sends its effect and closes, `no` or `back` closes,
//! with the keys of the keymap's `[popup]` context (shown in its box from the same place).
//! It is modal: nothing under it sees a key while it is up.

use crate::ui::theme::ThemeKey;
use std::any::Any;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::action::{Action, Effect};
use super::keymap::Context;
use super::layer::{Layer, LayerCtx, Reply, Request};
use super::render::widgets::{popup_box, put};

#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmLayer {
    pub title: String,
    pub question: String,
    pub on_yes: Effect,
}

impl ConfirmLayer {
    pub fn new(title: impl Into<String>, question: String, on_yes: Effect) -> ConfirmLayer {
        ConfirmLayer {
            title: title.into(),
            question: crate::text::clean_string(&question),
            on_yes,
        }
    }
}

impl Layer for ConfirmLayer {
    fn title(&self) -> String {
        self.title.clone()
    }

    fn context(&self) -> Context {
        Context::Popup
    }

    fn opaque(&self) -> bool {
        false
    }

    fn on_action(&mut self, action: Action, _ctx: &LayerCtx) -> Reply {
        match action {
            Action::Yes => Reply::Then(vec![Request::Effect(self.on_yes.clone()), Request::Close]),
            Action::No | Action::Back => Reply::Then(vec![Request::Close]),
            // Modal: every other key stops here.
            _ => Reply::Consumed,
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        let width = (self.question.chars().count() as u16 + 4).clamp(30, 70);
        let inner = popup_box(buf, area, width, 5, &self.title, ctx.theme);
        if inner.height < 2 {
            return;
        }
        put(
            buf,
            inner.x + 1,
            inner.y,
            &self.question,
            ctx.theme.text(),
            inner.width.saturating_sub(2),
        );
        let first = |a: Action| {
            let keys = ctx.keymap.keys_for(Context::Popup, a);
            keys.first().cloned().unwrap_or_default()
        };
        let (yes, no, back) = (first(Action::Yes), first(Action::No), first(Action::Back));
        let width = |s: &str| s.chars().count() as u16;
        let x = put(
            buf,
            inner.x + 1,
            inner.y + 2.min(inner.height - 1),
            &yes,
            ctx.theme.style(ThemeKey::Key),
            width(&yes),
        );
        let x = put(
            buf,
            x,
            inner.y + 2.min(inner.height - 1),
            " yes   ",
            ctx.theme.text(),
            7,
        );
        let x = put(
            buf,
            x,
            inner.y + 2.min(inner.height - 1),
            &no,
            ctx.theme.style(ThemeKey::Key),
            width(&no),
        );
        let rest = format!(" / {back} no");
        put(
            buf,
            x,
            inner.y + 2.min(inner.height - 1),
            &rest,
            ctx.theme.text(),
            width(&rest),
        );
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
