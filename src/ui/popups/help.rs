//! The help popup: every binding of the live keymap by context, scrollable.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{PopupKey, footer, popup_layer_basics};
use crate::ui::action::Action;
use crate::ui::keymap::Context;
use crate::ui::layer::{Layer, LayerCtx, Reply, Request};
use crate::ui::render::widgets::{popup_box, put};
use crate::ui::theme::ThemeKey;

/// Rows the help popup moves on page up/down.
const HELP_PAGE: usize = 10;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelpPopup {
    pub scroll: usize,
}

impl Layer for HelpPopup {
    popup_layer_basics!("help");

    fn on_text(&mut self, k: KeyEvent, ctx: &LayerCtx) -> Reply {
        let mut scroll = self.scroll;
        match PopupKey::read(&k, ctx.keymap).action {
            Some(Action::Back | Action::Help | Action::Quit) => {
                return Reply::Then(vec![Request::Close]);
            }
            Some(Action::Down) => scroll += 1,
            Some(Action::Up) => scroll = scroll.saturating_sub(1),
            Some(Action::PageDown) => scroll += HELP_PAGE,
            Some(Action::PageUp) => scroll = scroll.saturating_sub(HELP_PAGE),
            _ => {}
        }
        let max = ctx.keymap.help_rows().len() + 8;
        self.scroll = scroll.min(max);
        Reply::Consumed
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        let t = ctx.theme;
        let h = area.height.saturating_sub(2);
        let inner = popup_box(buf, area, 78, h, "help · keys from the keymap", t);
        let mut lines: Vec<(String, String, bool)> = Vec::new();
        let mut last = None;
        for (c, keys, desc) in ctx.keymap.help_rows() {
            if last != Some(c) {
                if last.is_some() {
                    lines.push((String::new(), String::new(), false));
                }
                lines.push((c.name().to_string(), String::new(), true));
                last = Some(c);
            }
            lines.push((keys, desc.to_string(), false));
        }
        lines.push((String::new(), String::new(), false));
        lines.push(("popups".into(), String::new(), true));
        let close = ctx.keymap.keys_for(Context::Popup, Action::Back);
        lines.push((
            close.first().cloned().unwrap_or_default(),
            format!(
                "close · {}",
                footer(
                    ctx.keymap,
                    &[
                        (Action::Submit, "confirm"),
                        (Action::NextField, "next field")
                    ]
                )
            ),
            false,
        ));
        lines.push((
            "filter".into(),
            "name, vmid, tag:x, status:x, node:x, host:x".into(),
            false,
        ));
        let rows = usize::from(inner.height);
        let scroll = self.scroll.min(lines.len().saturating_sub(rows));
        for (i, (k, d, heading)) in lines.iter().skip(scroll).take(rows).enumerate() {
            let y = inner.y + i as u16;
            if *heading {
                put(
                    buf,
                    inner.x + 1,
                    y,
                    &format!("[{k}]"),
                    t.style(ThemeKey::Title),
                    inner.width,
                );
            } else {
                put(buf, inner.x + 2, y, k, t.style(ThemeKey::Key), 18);
                put(
                    buf,
                    inner.x + 21,
                    y,
                    d,
                    t.text(),
                    inner.width.saturating_sub(22),
                );
            }
        }
    }
}
