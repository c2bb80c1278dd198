//! Keys while a popup is open, from the keymap's `popup` context (`assets/keymap.toml`).
//! Popups with a text field (the palette, the typed delete confirmation, the host form) take
//! plain characters as text first; only named keys and ctrl/alt chords reach the keymap there.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Effect};
use super::app::App;
use super::keymap::{Context, KeyPress};
use super::popup::{PaletteTarget, Popup};

pub fn handle(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    let Some(popup) = app.popup.take() else {
        return Vec::new();
    };
    // Popups with a text field type plain characters before the keymap is asked, so a
    // binding like `yes = ["y"]` never eats a letter of a name being typed.
    let typing = !k
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    let typed = match k.code {
        KeyCode::Char(c) if typing => Some(c),
        _ => None,
    };
    let action = KeyPress::from_event(&k).and_then(|p| app.keymap.lookup_in(Context::Popup, &[p]));
    match popup {
        Popup::Help { mut scroll } => {
            match action {
                Some(Action::Back | Action::Help | Action::Quit) => return Vec::new(),
                Some(Action::Down) => scroll += 1,
                Some(Action::Up) => scroll = scroll.saturating_sub(1),
                Some(Action::PageDown) => scroll += HELP_PAGE,
                Some(Action::PageUp) => scroll = scroll.saturating_sub(HELP_PAGE),
                _ => {}
            }
            let max = app.keymap.help_rows().len() + 8;
            app.popup = Some(Popup::Help {
                scroll: scroll.min(max),
            });
        }
        Popup::Palette(mut p) => {
            if let Some(c) = typed {
                p.input.push(c);
                p.refilter();
                app.popup = Some(Popup::Palette(p));
                return Vec::new();
            }
            match action {
                Some(Action::Back) => return Vec::new(),
                Some(Action::Submit) => {
                    if let Some(item) = p.chosen().cloned() {
                        return run_palette(app, item.target);
                    }
                    return Vec::new();
                }
                Some(Action::Down | Action::NextField) => {
                    p.selected = (p.selected + 1).min(p.matches.len().saturating_sub(1));
                }
                Some(Action::Up | Action::PrevField) => p.selected = p.selected.saturating_sub(1),
                _ if k.code == KeyCode::Backspace => {
                    p.input.pop();
                    p.refilter();
                }
                _ => {}
            }
            app.popup = Some(Popup::Palette(p));
        }
        Popup::ConfirmDelete {
            targets,
            expected,
            mut input,
        } => {
            match (typed, action) {
                (Some(c), _) => input.push(c),
                (None, Some(Action::Back)) => return Vec::new(),
                (None, Some(Action::Submit)) if input == expected => {
                    app.marks.clear();
                    let text = format!("delete requested for {} guest(s)", targets.len());
                    app.show_toast(&text, false);
                    return targets
                        .into_iter()
                        .map(|target| Effect::Delete { target })
                        .collect();
                }
                _ if k.code == KeyCode::Backspace => {
                    input.pop();
                }
                _ => {}
            }
            app.popup = Some(Popup::ConfirmDelete {
                targets,
                expected,
                input,
            });
        }
        Popup::ConfirmQuit { running } => match action {
            Some(Action::Yes) => return vec![Effect::Quit],
            Some(Action::No | Action::Back) => {}
            _ => app.popup = Some(Popup::ConfirmQuit { running }),
        },
        Popup::ConfirmRemoveHost { name } => match action {
            Some(Action::Yes) => {
                app.show_toast(&format!("host {name} removed"), false);
                return vec![Effect::RemoveHost(name)];
            }
            Some(Action::No | Action::Back) => {}
            _ => app.popup = Some(Popup::ConfirmRemoveHost { name }),
        },
        Popup::Fingerprint {
            host,
            url,
            fingerprint,
        } => match action {
            Some(answer @ (Action::Yes | Action::No | Action::Back)) => {
                return vec![Effect::TrustFingerprint {
                    host,
                    fingerprint,
                    accept: answer == Action::Yes,
                }];
            }
            _ => {
                app.popup = Some(Popup::Fingerprint {
                    host,
                    url,
                    fingerprint,
                })
            }
        },
        Popup::HostForm(mut form) => {
            // Plain characters are the field's, as are the editing keys the form binds
            // nothing to (Backspace, Left/Right, Home/End...).
            match action.filter(|_| typed.is_none()) {
                Some(Action::Back) => return Vec::new(),
                Some(Action::NextField | Action::Down) => form.next(),
                Some(Action::PrevField | Action::Up) => form.prev(),
                Some(Action::TestHost) => {
                    let effects = form
                        .draft()
                        .map(|d| vec![Effect::TestHost(d)])
                        .unwrap_or_default();
                    if !effects.is_empty() {
                        form.test_result = Some(Ok("testing…".into()));
                    }
                    app.popup = Some(Popup::HostForm(form));
                    return effects;
                }
                Some(Action::Submit) => match form.draft() {
                    Some(draft) => {
                        return match form.editing.clone() {
                            Some(original) => vec![Effect::EditHost { original, draft }],
                            None => vec![Effect::AddHost(draft)],
                        };
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
            app.popup = Some(Popup::HostForm(form));
        }
    }
    Vec::new()
}

/// Rows the help popup moves on page up/down.
const HELP_PAGE: usize = 10;

fn run_palette(app: &mut App, target: PaletteTarget) -> Vec<Effect> {
    match target {
        PaletteTarget::Action(a) => app.update(a),
        PaletteTarget::Guest { host, vmid } => {
            app.jump_to(&host, vmid);
            Vec::new()
        }
        PaletteTarget::Theme(name) => {
            app.set_theme(&name);
            app.saved_theme = app.theme.name.clone();
            vec![Effect::SaveSettings {
                theme: app.theme.name.clone(),
            }]
        }
        PaletteTarget::Host(name) => app.open_hosts(Some(&name)),
    }
}
