//! The typed delete confirmation: the user types `expected` (the guest's name, or the count
//! for a multi-selection) before `submit` deletes.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{PopupKey, footer, popup_layer_basics};
use crate::ui::action::{Action, Effect, GuestRef};
use crate::ui::layer::{Layer, LayerCtx, Reply, Request};
use crate::ui::render::widgets::{popup_box, put};
use crate::ui::theme::ThemeKey;

#[derive(Debug, Clone, PartialEq)]
pub struct DeletePrompt {
    pub targets: Vec<GuestRef>,
    pub expected: String,
    pub input: String,
}

impl DeletePrompt {
    pub fn new(targets: Vec<GuestRef>, expected: String) -> DeletePrompt {
        DeletePrompt {
            targets,
            expected,
            input: String::new(),
        }
    }
}

impl Layer for DeletePrompt {
    popup_layer_basics!("delete");

    fn on_text(&mut self, k: KeyEvent, ctx: &LayerCtx) -> Reply {
        let key = PopupKey::read(&k, ctx.keymap);
        match (key.typed, key.action) {
            (Some(c), _) => self.input.push(c),
            (None, Some(Action::Back)) => return Reply::Then(vec![Request::Close]),
            (None, Some(Action::Submit)) if self.input == self.expected => {
                let mut requests = vec![
                    Request::Close,
                    Request::ClearMarks,
                    Request::Toast {
                        text: format!("delete requested for {} guest(s)", self.targets.len()),
                        error: false,
                    },
                ];
                requests.extend(
                    self.targets
                        .iter()
                        .map(|t| Request::Effect(Effect::Delete { target: t.clone() })),
                );
                return Reply::Then(requests);
            }
            _ if k.code == KeyCode::Backspace => {
                self.input.pop();
            }
            _ => {}
        }
        Reply::Consumed
    }

    fn on_paste(&mut self, text: &str, _ctx: &LayerCtx) -> Reply {
        self.input.push_str(&crate::text::clean_string(
            text.lines().next().unwrap_or(""),
        ));
        Reply::Consumed
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        let t = ctx.theme;
        let (targets, expected, input) = (&self.targets, &self.expected, &self.input);
        let inner = popup_box(buf, area, 60, 10, "delete", t);
        let what = match targets.as_slice() {
            [one] => format!(
                "Delete {} {} on {}/{}?",
                one.vmid, expected, one.host, one.node
            ),
            many => format!("Delete {} guests?", many.len()),
        };
        put(
            buf,
            inner.x + 1,
            inner.y + 1,
            "Disks are destroyed; this cannot be undone.",
            t.style(ThemeKey::HostError),
            inner.width.saturating_sub(2),
        );
        put(
            buf,
            inner.x + 1,
            inner.y,
            &what,
            t.style(ThemeKey::HostError),
            inner.width.saturating_sub(2),
        );
        let prompt = if targets.len() == 1 {
            format!("Type the name `{expected}` to confirm:")
        } else {
            format!("Type {expected} to confirm:")
        };
        put(
            buf,
            inner.x + 1,
            inner.y + 3,
            &prompt,
            t.text(),
            inner.width.saturating_sub(2),
        );
        let field = Rect::new(inner.x + 1, inner.y + 4, inner.width.saturating_sub(2), 1)
            .intersection(inner);
        buf.set_style(field, t.style(ThemeKey::Input));
        put(
            buf,
            field.x,
            field.y,
            &format!("{input}▏"),
            t.style(ThemeKey::Input),
            field.width,
        );
        let ok = input == expected;
        let hint = if ok {
            footer(
                ctx.keymap,
                &[(Action::Submit, "delete"), (Action::Back, "cancel")],
            )
        } else {
            footer(ctx.keymap, &[(Action::Back, "cancel")])
        };
        put(
            buf,
            inner.x + 1,
            inner.y + 6,
            &hint,
            if ok { t.style(ThemeKey::Key) } else { t.dim() },
            inner.width.saturating_sub(2),
        );
    }
}
