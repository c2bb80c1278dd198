//! The popup layer: help (generated from the keymap), the command palette, typed delete
//! confirmation, quit and remove confirmations, the fingerprint prompt and the host form.
//! Footers name the keys bound in the keymap's `[popup]` context, never fixed text.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use super::widgets::{popup_box, put};
use crate::ui::action::Action;
use crate::ui::app::App;
use crate::ui::forms::FIELD_LABELS;
use crate::ui::keymap::Context;
use crate::ui::popup::Popup;
use crate::ui::theme::ThemeKey;

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(p) = &app.popup else { return };
    let t = &app.theme;
    match p {
        Popup::Help { scroll } => help(app, area, *scroll, buf),
        Popup::Palette(p) => {
            let h = area.height.saturating_sub(4).min(20);
            let inner = popup_box(buf, area, 70, h, "command palette", t);
            if inner.height < 2 {
                return;
            }
            let x = put(buf, inner.x + 1, inner.y, ": ", t.style(ThemeKey::Key), 2);
            buf.set_style(
                Rect::new(x, inner.y, inner.right().saturating_sub(x + 1), 1),
                t.style(ThemeKey::Input),
            );
            put(
                buf,
                x,
                inner.y,
                &format!("{}▏", p.input),
                t.style(ThemeKey::Input),
                inner.right().saturating_sub(x + 1),
            );
            let rows = usize::from(inner.height - 1);
            let first = p.selected.saturating_sub(rows.saturating_sub(1));
            for (row, idx) in p.matches.iter().skip(first).take(rows).enumerate() {
                let Some(item) = p.items.get(*idx) else {
                    continue;
                };
                let y = inner.y + 1 + row as u16;
                let selected = first + row == p.selected;
                let style = if selected {
                    t.style(ThemeKey::Selection)
                } else {
                    t.text()
                };
                buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
                put(
                    buf,
                    inner.x + 1,
                    y,
                    &item.label,
                    style,
                    inner.width.saturating_sub(12),
                );
                let hw = item.hint.chars().count() as u16;
                put(
                    buf,
                    inner.right().saturating_sub(hw + 1),
                    y,
                    &item.hint,
                    if selected {
                        style
                    } else {
                        t.style(ThemeKey::Key)
                    },
                    hw,
                );
            }
            if p.matches.is_empty() {
                put(
                    buf,
                    inner.x + 1,
                    inner.y + 1,
                    "no match",
                    t.dim(),
                    inner.width,
                );
            }
        }
        Popup::ConfirmDelete {
            targets,
            expected,
            input,
        } => {
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
                footer(app, &[(Action::Submit, "delete"), (Action::Back, "cancel")])
            } else {
                footer(app, &[(Action::Back, "cancel")])
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
        Popup::ConfirmQuit { running } => {
            let inner = popup_box(buf, area, 50, 6, "quit", t);
            put(
                buf,
                inner.x + 1,
                inner.y,
                &format!("{running} task(s) still running."),
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
                &footer(app, &[(Action::Yes, "quit"), (Action::No, "stay")]),
                t.style(ThemeKey::Key),
                inner.width.saturating_sub(2),
            );
        }
        Popup::ConfirmRemoveHost { name } => {
            let inner = popup_box(buf, area, 50, 6, "remove host", t);
            put(
                buf,
                inner.x + 1,
                inner.y,
                &format!("Remove host {name} and its stored token?"),
                t.text(),
                inner.width.saturating_sub(2),
            );
            put(
                buf,
                inner.x + 1,
                inner.y + 2,
                &footer(app, &[(Action::Yes, "remove"), (Action::No, "keep")]),
                t.style(ThemeKey::Key),
                inner.width.saturating_sub(2),
            );
        }
        Popup::Fingerprint {
            host,
            url,
            fingerprint,
        } => {
            let inner = popup_box(buf, area, 76, 12, "unknown certificate", t);
            let w = inner.width.saturating_sub(2);
            put(
                buf,
                inner.x + 1,
                inner.y,
                &format!("{host} ({url}) presented a certificate"),
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
            let pairs: Vec<&str> = fingerprint.split(':').collect();
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
                    app,
                    &[(Action::Yes, "trust and pin"), (Action::No, "reject")],
                ),
                t.style(ThemeKey::Key),
                w,
            );
        }
        Popup::HostForm(form) => {
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
                    // Under the field; a long message starts further left, under the
                    // label, rather than losing its end.
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
                app,
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
}

fn help(app: &App, area: Rect, scroll: usize, buf: &mut Buffer) {
    let t = &app.theme;
    let h = area.height.saturating_sub(2);
    let inner = popup_box(buf, area, 78, h, "help · keys from the keymap", t);
    let mut lines: Vec<(String, String, bool)> = Vec::new();
    let mut last = None;
    for (ctx, keys, desc) in app.keymap.help_rows() {
        if last != Some(ctx) {
            if last.is_some() {
                lines.push((String::new(), String::new(), false));
            }
            lines.push((ctx.name().to_string(), String::new(), true));
            last = Some(ctx);
        }
        lines.push((keys, desc.to_string(), false));
    }
    lines.push((String::new(), String::new(), false));
    lines.push(("popups".into(), String::new(), true));
    let close = app.keymap.keys_for(Context::Popup, Action::Back);
    lines.push((
        close.first().cloned().unwrap_or_default(),
        format!(
            "close · {}",
            footer(
                app,
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
    let scroll = scroll.min(lines.len().saturating_sub(rows));
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

/// A popup's key hints, from the keymap's `[popup]` context (the keys its handler reads).
fn footer(app: &App, hints: &[(Action, &str)]) -> String {
    app.keymap.hint_line(Context::Popup, hints)
}
