//! The app's yes/no prompts: quit while tasks run, remove a host, trust an unknown
//! certificate. `yes`/`no`/`back` from the keymap's `[popup]` context; any other key stays
//! in the prompt.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{PopupKey, footer, popup_layer_basics};
use crate::ui::action::{Action, Effect};
use crate::ui::layer::{Layer, LayerCtx, Reply, Request};
use crate::ui::render::widgets::{popup_box, put};
use crate::ui::theme::ThemeKey;

fn close_with(mut requests: Vec<Request>) -> Reply {
    requests.insert(0, Request::Close);
    Reply::Then(requests)
}

/// Quit while tasks still run on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuitPrompt {
    pub running: usize,
}

impl Layer for QuitPrompt {
    popup_layer_basics!("quit");

    fn on_text(&mut self, k: KeyEvent, ctx: &LayerCtx) -> Reply {
        match PopupKey::read(&k, ctx.keymap).action {
            Some(Action::Yes) => close_with(vec![Request::Effect(Effect::Quit)]),
            Some(Action::No | Action::Back) => close_with(Vec::new()),
            _ => Reply::Consumed,
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        let t = ctx.theme;
        let inner = popup_box(buf, area, 50, 6, "quit", t);
        put(
            buf,
            inner.x + 1,
            inner.y,
            &format!("{} task(s) still running.", self.running),
            t.style(ThemeKey::HostStale),
            inner.width,
        );
        put(
            buf,
            inner.x + 1,
            inner.y + 1,
            "They continue on the server. Quit anyway?",
            t.text(),
            inner.width.saturating_sub(2),
        );
        put(
            buf,
            inner.x + 1,
            inner.y + 3,
            &footer(ctx.keymap, &[(Action::Yes, "quit"), (Action::No, "stay")]),
            t.style(ThemeKey::Key),
            inner.width.saturating_sub(2),
        );
    }
}

/// Remove a configured host and its stored token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveHostPrompt {
    pub name: String,
}

impl Layer for RemoveHostPrompt {
    popup_layer_basics!("remove host");

    fn on_text(&mut self, k: KeyEvent, ctx: &LayerCtx) -> Reply {
        match PopupKey::read(&k, ctx.keymap).action {
            Some(Action::Yes) => close_with(vec![
                Request::Toast {
                    text: format!("host {} removed", self.name),
                    error: false,
                },
                Request::Effect(Effect::RemoveHost(self.name.clone())),
            ]),
            Some(Action::No | Action::Back) => close_with(Vec::new()),
            _ => Reply::Consumed,
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        let t = ctx.theme;
        let inner = popup_box(buf, area, 50, 6, "remove host", t);
        put(
            buf,
            inner.x + 1,
            inner.y,
            &format!("Remove host {} and its stored token?", self.name),
            t.text(),
            inner.width.saturating_sub(2),
        );
        put(
            buf,
            inner.x + 1,
            inner.y + 2,
            &footer(ctx.keymap, &[(Action::Yes, "remove"), (Action::No, "keep")]),
            t.style(ThemeKey::Key),
            inner.width.saturating_sub(2),
        );
    }
}

/// A host presented a certificate no trusted authority signed: pin it or reject it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintPrompt {
    pub host: String,
    pub url: String,
    pub fingerprint: String,
}

impl FingerprintPrompt {
    /// The server's text, cleaned before it is kept.
    pub fn new(host: &str, url: &str, fingerprint: &str) -> FingerprintPrompt {
        FingerprintPrompt {
            host: crate::text::clean_string(host),
            url: crate::text::clean_string(url),
            fingerprint: crate::text::clean_string(fingerprint),
        }
    }
}

impl Layer for FingerprintPrompt {
    popup_layer_basics!("unknown certificate");

    fn on_text(&mut self, k: KeyEvent, ctx: &LayerCtx) -> Reply {
        match PopupKey::read(&k, ctx.keymap).action {
            Some(answer @ (Action::Yes | Action::No | Action::Back)) => {
                close_with(vec![Request::Effect(Effect::TrustFingerprint {
                    host: self.host.clone(),
                    fingerprint: self.fingerprint.clone(),
                    accept: answer == Action::Yes,
                })])
            }
            _ => Reply::Consumed,
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
        let t = ctx.theme;
        let inner = popup_box(buf, area, 76, 12, "unknown certificate", t);
        let w = inner.width.saturating_sub(2);
        put(
            buf,
            inner.x + 1,
            inner.y,
            &format!("{} ({}) presented a certificate", self.host, self.url),
            t.text(),
            w,
        );
        put(
            buf,
            inner.x + 1,
            inner.y + 1,
            "that is not signed by a trusted authority. Its SHA-256 is:",
            t.text(),
            w,
        );
        // 95 characters: split into two lines of 16 pairs so it fits at 80 columns.
        let pairs: Vec<&str> = self.fingerprint.split(':').collect();
        let half = pairs.len().div_ceil(2);
        put(
            buf,
            inner.x + 3,
            inner.y + 3,
            &pairs[..half].join(":"),
            t.style(ThemeKey::Key),
            w,
        );
        if pairs.len() > half {
            put(
                buf,
                inner.x + 3,
                inner.y + 4,
                &pairs[half..].join(":"),
                t.style(ThemeKey::Key),
                w,
            );
        }
        put(
            buf,
            inner.x + 1,
            inner.y + 6,
            "Compare it with: pvenode cert info (on the node).",
            t.dim(),
            w,
        );
        put(
            buf,
            inner.x + 1,
            inner.y + 8,
            &footer(
                ctx.keymap,
                &[(Action::Yes, "trust and pin"), (Action::No, "reject")],
            ),
            t.style(ThemeKey::Key),
            w,
        );
    }
}
