//! A yes/no question as a layer: `y` sends its effect and closes, `n` or Esc closes. It
//! reads raw keys (its answer keys are fixed and shown in its box), and is modal: nothing
//! under it sees a key while it is up.

use crate::ui::theme::ThemeKey;
use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent};
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
        Context::Global
    }

    fn wants_text(&self) -> bool {
        true
    }

    fn opaque(&self) -> bool {
        false
    }

    fn on_action(&mut self, _action: Action, _ctx: &LayerCtx) -> Reply {
        Reply::Consumed
    }

    fn on_text(&mut self, key: KeyEvent, _ctx: &LayerCtx) -> Reply {
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                Reply::Then(vec![Request::Effect(self.on_yes.clone()), Request::Close])
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                Reply::Then(vec![Request::Close])
            }
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
        let x = put(
            buf,
            inner.x + 1,
            inner.y + 2.min(inner.height - 1),
            "y",
            ctx.theme.style(ThemeKey::Key),
            1,
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
            "n",
            ctx.theme.style(ThemeKey::Key),
            1,
        );
        put(
            buf,
            x,
            inner.y + 2.min(inner.height - 1),
            " / Esc no",
            ctx.theme.text(),
            9,
        );
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
