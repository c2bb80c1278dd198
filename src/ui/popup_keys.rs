//! Keys while a popup is open. Popups hold text inputs, so they read raw keys (fixed,
//! shown in each popup's footer) instead of the keymap; Esc always backs out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Effect};
use super::app::App;
use super::popup::{PaletteTarget, Popup};

pub fn handle(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    let Some(popup) = app.popup.take() else {
        return Vec::new();
    };
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    match popup {
        Popup::Help { mut scroll } => {
            match k.code {
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') => return Vec::new(),
                KeyCode::Down | KeyCode::Char('j') => scroll += 1,
                KeyCode::Up | KeyCode::Char('k') => scroll = scroll.saturating_sub(1),
                KeyCode::PageDown => scroll += 10,
                KeyCode::PageUp => scroll = scroll.saturating_sub(10),
                _ => {}
            }
            let max = app.keymap.help_rows().len() + 8;
            app.popup = Some(Popup::Help {
                scroll: scroll.min(max),
            });
        }
        Popup::Palette(mut p) => match k.code {
            KeyCode::Esc => {}
            KeyCode::Enter => {
                if let Some(item) = p.chosen().cloned() {
                    return run_palette(app, item.target);
                }
            }
            KeyCode::Down | KeyCode::Tab => {
                p.selected = (p.selected + 1).min(p.matches.len().saturating_sub(1));
                app.popup = Some(Popup::Palette(p));
            }
            KeyCode::Char('n') if ctrl => {
                p.selected = (p.selected + 1).min(p.matches.len().saturating_sub(1));
                app.popup = Some(Popup::Palette(p));
            }
            KeyCode::Up | KeyCode::BackTab => {
                p.selected = p.selected.saturating_sub(1);
                app.popup = Some(Popup::Palette(p));
            }
            KeyCode::Char('p') if ctrl => {
                p.selected = p.selected.saturating_sub(1);
                app.popup = Some(Popup::Palette(p));
            }
            KeyCode::Backspace => {
                p.input.pop();
                p.refilter();
                app.popup = Some(Popup::Palette(p));
            }
            KeyCode::Char(c) if !ctrl => {
                p.input.push(c);
                p.refilter();
                app.popup = Some(Popup::Palette(p));
            }
            _ => app.popup = Some(Popup::Palette(p)),
        },
        Popup::ConfirmDelete {
            targets,
            expected,
            mut input,
        } => match k.code {
            KeyCode::Esc => {}
            KeyCode::Enter if input == expected => {
                app.marks.clear();
                let text = format!("delete requested for {} guest(s)", targets.len());
                app.show_toast(&text, false);
                return targets
                    .into_iter()
                    .map(|target| Effect::Delete { target })
                    .collect();
            }
            KeyCode::Backspace => {
                input.pop();
                app.popup = Some(Popup::ConfirmDelete {
                    targets,
                    expected,
                    input,
                });
            }
            KeyCode::Char(c) if !ctrl => {
                input.push(c);
                app.popup = Some(Popup::ConfirmDelete {
                    targets,
                    expected,
                    input,
                });
            }
            _ => {
                app.popup = Some(Popup::ConfirmDelete {
                    targets,
                    expected,
                    input,
                })
            }
        },
        Popup::ConfirmQuit { running } => match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => return vec![Effect::Quit],
            KeyCode::Char('n') | KeyCode::Esc => {}
            _ => app.popup = Some(Popup::ConfirmQuit { running }),
        },
        Popup::ConfirmRemoveHost { name } => match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                app.show_toast(&format!("host {name} removed"), false);
                return vec![Effect::RemoveHost(name)];
            }
            KeyCode::Char('n') | KeyCode::Esc => {}
            _ => app.popup = Some(Popup::ConfirmRemoveHost { name }),
        },
        Popup::Fingerprint {
            host,
            url,
            fingerprint,
        } => match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                return vec![Effect::TrustFingerprint {
                    host,
                    fingerprint,
                    accept: true,
                }];
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                return vec![Effect::TrustFingerprint {
                    host,
                    fingerprint,
                    accept: false,
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
        Popup::HostForm(mut form) => match k.code {
            KeyCode::Esc => {}
            KeyCode::Tab | KeyCode::Down => {
                form.next();
                app.popup = Some(Popup::HostForm(form));
            }
            KeyCode::BackTab | KeyCode::Up => {
                form.prev();
                app.popup = Some(Popup::HostForm(form));
            }
            KeyCode::Char('t') if ctrl => {
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
            KeyCode::Enter => match form.draft() {
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
                    app.popup = Some(Popup::HostForm(form));
                }
            },
            _ => {
                form.input(k.into());
                app.popup = Some(Popup::HostForm(form));
            }
        },
    }
    Vec::new()
}

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
        PaletteTarget::Host(name) => {
            let effects = app.update(Action::Hosts);
            if let Some(i) = app.hosts.iter().position(|h| h.name == name) {
                app.host_sel = i;
            }
            effects
        }
    }
}
