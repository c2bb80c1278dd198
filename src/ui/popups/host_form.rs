//! The host form as a popup (add, or edit a configured host): fields from `forms::HostForm`,
//! `test_host` tries the draft, `submit` saves it; the test's answer arrives as an event.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use super::{PopupKey, footer, popup_layer_basics};
use crate::ui::action::{Action, AppEvent, Effect, HostEntry};
use crate::ui::forms::{FIELD_LABELS, HostForm};
use crate::ui::layer::{Layer, LayerCtx, Reply, Request};
use crate::ui::render::widgets::{popup_box, put};
use crate::ui::theme::ThemeKey;

#[derive(Debug, Clone)]
pub struct HostFormPopup {
    pub form: Box<HostForm>,
}

impl HostFormPopup {
    /// A blank form, or one filled from a configured host to edit.
    pub fn new(existing: Option<&HostEntry>) -> HostFormPopup {
        HostFormPopup {
            form: Box::new(HostForm::new(existing)),
        }
    }
}

impl Layer for HostFormPopup {
    popup_layer_basics!("host form");

    fn on_text(&mut self, k: KeyEvent, ctx: &LayerCtx) -> Reply {
        let key = PopupKey::read(&k, ctx.keymap);
        let form = &mut self.form;
        // Plain characters are the field's, as are the editing keys the form binds
        // nothing to (Backspace, Left/Right, Home/End...).
        match key.command() {
            Some(Action::Back) => return Reply::Then(vec![Request::Close]),
            Some(Action::NextField | Action::Down) => form.next(),
            Some(Action::PrevField | Action::Up) => form.prev(),
            Some(Action::TestHost) => {
                if let Some(d) = form.draft() {
                    form.test_result = Some(Ok("testing…".into()));
                    return Reply::effect(Effect::TestHost(d));
                }
            }
            Some(Action::Submit) => match form.draft() {
                Some(draft) => {
                    let effect = match form.editing.clone() {
                        Some(original) => Effect::EditHost { original, draft },
                        None => Effect::AddHost(draft),
                    };
                    return Reply::Then(vec![Request::Close, Request::Effect(effect)]);
                }
                None => {
                    // Jump to the first field that needs attention.
                    if let Some(i) = form.errors().iter().position(Option::is_some) {
                        form.focus = i;
                    }
                }
            },
            _ => form.input(k.into()),
        }
        Reply::Consumed
    }

    fn on_paste(&mut self, text: &str, _ctx: &LayerCtx) -> Reply {
        self.form.paste(text);
        Reply::Consumed
    }

    /// The answer to the form's own test (a test from the hosts screen becomes a toast).
    fn on_event(&mut self, ev: &AppEvent, _ctx: &LayerCtx) -> Reply {
        let AppEvent::HostTestResult { result, .. } = ev else {
            return Reply::Ignored;
        };
        let clean = |s: &String| crate::text::clean_string(s);
        self.form.test_result = Some(result.as_ref().map(clean).map_err(clean));
        Reply::Consumed
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        let t = ctx.theme;
        let form = &self.form;
        let title = match &form.editing {
            Some(n) => format!("edit host {n}"),
            None => "add host".to_string(),
        };
        let inner = popup_box(buf, area, 72, 20, &title, t);
        let errors = form.errors();
        let label_w = 13u16;
        for (i, label) in FIELD_LABELS.iter().enumerate() {
            let y = inner.y + (i as u16) * 3;
            if y + 1 >= inner.bottom() {
                break;
            }
            let focused = form.focus == i;
            put(
                buf,
                inner.x + 1,
                y,
                label,
                if focused {
                    t.style(ThemeKey::Key)
                } else {
                    t.text()
                },
                label_w,
            );
            let field = Rect::new(
                inner.x + 1 + label_w,
                y,
                inner.width.saturating_sub(label_w + 2),
                1,
            );
            buf.set_style(field.intersection(inner), t.style(ThemeKey::Input));
            let mut ta = form.fields[i].clone();
            ta.set_style(t.style(ThemeKey::Input));
            ta.set_placeholder_style(t.style(ThemeKey::Input).patch(t.dim()));
            ta.set_cursor_style(if focused {
                Style::default().add_modifier(ratatui::style::Modifier::REVERSED)
            } else {
                t.style(ThemeKey::Input)
            });
            (&ta).render(field, buf);
            if let Some(e) = &errors[i] {
                // Under the field; a long message starts further left, under the label,
                // rather than losing its end.
                let msg = format!("✖ {e}");
                let len = msg.chars().count() as u16;
                let x = if len <= field.width {
                    field.x
                } else {
                    field.right().saturating_sub(len).max(inner.x + 1)
                };
                put(
                    buf,
                    x,
                    y + 1,
                    &msg,
                    t.style(ThemeKey::InputInvalid),
                    field.right().saturating_sub(x),
                );
            } else if !form.value(i).is_empty() {
                put(buf, field.x, y + 1, "✔", t.style(ThemeKey::HostOnline), 1);
            }
        }
        let y = inner.bottom().saturating_sub(2);
        if let Some(r) = &form.test_result {
            let (s, st) = match r {
                Ok(s) => (format!("✔ {s}"), t.style(ThemeKey::HostOnline)),
                Err(e) => (format!("✖ {e}"), t.style(ThemeKey::HostError)),
            };
            put(buf, inner.x + 1, y, &s, st, inner.width.saturating_sub(2));
        }
        let hint = footer(
            ctx.keymap,
            &[
                (Action::NextField, "next"),
                (Action::Submit, "save"),
                (Action::TestHost, "test"),
                (Action::Back, "cancel"),
            ],
        );
        put(
            buf,
            inner.x + 1,
            y + 1,
            &hint,
            t.dim(),
            inner.width.saturating_sub(2),
        );
    }
}
