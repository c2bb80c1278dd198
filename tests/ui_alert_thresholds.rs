//! The settings screen's alert thresholds editor, from key sequences: Enter on "thresholds
//! per host/app" opens it on the defaults with what `alerts.toml` sets there; Left/Right pick
//! a host or an app; a bad duration or percentage is refused naming the field (nothing is
//! saved); Enter asks to save the scope's layer (`Effect::SaveAlertLayer`), keeping the
//! rules the file turns off there; the engine's answer (`AppEvent::AlertConfig`) is what the
//! editor then shows. Snapshots of the editor at both sizes.

mod views_support;

use proximity::alerts::{AlertConfig, AlertScope, RawThresholds};
use proximity::ui::alert_thresholds_form::AlertThresholdsEditor;
use proximity::ui::settings::SettingsItem;
use proximity::ui::{App, AppEvent, Effect};
use views_support::*;

const FILE: &str =
    "[defaults]\ncpu_for = \"2m\"\n\n[host.lab]\ndisk_percent = 70\noff = [\"backup_missing\"]\n";

fn editor_app(size: (u16, u16)) -> App {
    let mut app = rack_app(size);
    app.handle(AppEvent::AlertsLoaded {
        firing: vec![],
        history: vec![],
        config: Box::new(AlertConfig::parse("alerts.toml", FILE).unwrap()),
    });
    typed(&mut app, "gs");
    let at = app
        .settings_items()
        .iter()
        .position(|i| *i == SettingsItem::EditThresholds)
        .expect("an editor row once the monitor has spoken");
    for _ in 0..at {
        typed(&mut app, "j");
    }
    assert_eq!(typed(&mut app, "<Enter>"), Vec::<Effect>::new());
    assert!(editor(&app).is_some(), "the editor is on top");
    app
}

fn editor(app: &App) -> Option<&AlertThresholdsEditor> {
    app.layers
        .screens()
        .last()
        .and_then(|l| l.as_any().downcast_ref::<AlertThresholdsEditor>())
}

fn right(app: &mut App) -> Vec<Effect> {
    press(
        app,
        crossterm::event::KeyCode::Right,
        crossterm::event::KeyModifiers::NONE,
    )
}

#[test]
fn snapshots() {
    for size in SIZES {
        let app = editor_app(size);
        insta::assert_snapshot!(
            format!("alert_thresholds_{}x{}", size.0, size.1),
            screen(&app, size)
        );
    }
}

#[test]
fn the_editor_opens_on_the_defaults_with_what_the_file_sets() {
    let app = editor_app((160, 45));
    let form = &editor(&app).unwrap().form;
    assert_eq!(form.scope, AlertScope::Defaults);
    // cpu_for is the second field; what the file does not set is empty (inherited).
    assert_eq!(form.values[1], "2m");
    assert_eq!(form.values[0], "");
    let text = screen(&app, (160, 45));
    assert!(text.contains("defaults (every host)"), "{text}");
    assert!(text.contains("empty: 90"), "{text}");
}

#[test]
fn a_bad_duration_is_refused_naming_the_field_and_nothing_is_saved() {
    let mut app = editor_app((160, 45));
    // Down to "CPU for", replace 2m with 5 minutes written wrong.
    typed(&mut app, "<Down><Down><Bs><Bs>5min");
    assert_eq!(typed(&mut app, "<Enter>"), Vec::<Effect>::new());
    let form = &editor(&app).unwrap().form;
    let error = form.error.clone().expect("a refusal");
    assert!(
        error.starts_with("cpu_for: \"5min\" is not a duration"),
        "{error}"
    );
    assert_eq!(form.focus, 2, "the refused field has the cursor");
    assert!(screen(&app, (160, 45)).contains("cpu_for: \"5min\" is not a duration"));
    // A percentage above 100 names its field too.
    typed(&mut app, "<Bs><Bs><Bs>");
    typed(&mut app, "<Up>150");
    assert_eq!(typed(&mut app, "<Enter>"), Vec::<Effect>::new());
    let error = editor(&app).unwrap().form.error.clone().unwrap();
    assert!(error.starts_with("cpu_percent: \"150\""), "{error}");
}

#[test]
fn a_host_scope_is_saved_with_its_rules_off_kept() {
    let mut app = editor_app((160, 45));
    // Typing unsaved: changing scope is refused with a word, not lost.
    typed(&mut app, "<Down>95");
    typed(&mut app, "<Up>");
    right(&mut app);
    assert_eq!(editor(&app).unwrap().form.scope, AlertScope::Defaults);
    assert!(editor(&app).unwrap().form.error.is_some());
    typed(&mut app, "<Down><Bs><Bs><Up>");
    // A save of the defaults as they were clears the dirty mark.
    let saved = typed(&mut app, "<Enter>");
    assert!(matches!(
        &saved[..],
        [Effect::SaveAlertLayer {
            scope: AlertScope::Defaults,
            ..
        }]
    ));
    right(&mut app);
    let form = &editor(&app).unwrap().form;
    assert_eq!(form.scope, AlertScope::Host("lab".into()));
    assert_eq!(form.values[4], "70", "disk above % of host.lab");
    // disk_for (row 6) to 10m, memory above % (row 3) to 80.
    typed(&mut app, "<Down><Down><Down><Down><Down><Down>10m");
    typed(&mut app, "<Up><Up><Up>80");
    let effects = typed(&mut app, "<Enter>");
    let want = RawThresholds {
        memory_percent: Some(80.0),
        disk_percent: Some(70.0),
        disk_for: Some("10m".into()),
        off: Some(vec!["backup_missing".into()]),
        ..RawThresholds::default()
    };
    assert_eq!(
        effects,
        vec![Effect::SaveAlertLayer {
            scope: AlertScope::Host("lab".into()),
            layer: Box::new(want.clone()),
        }]
    );
    // The engine's answer replaces the UI's thresholds; the settings list reads them.
    let mut config = AlertConfig::parse("alerts.toml", FILE).unwrap();
    config.hosts.insert("lab".into(), want);
    app.handle(AppEvent::AlertConfig(Box::new(config.clone())));
    assert_eq!(app.alerts.config, config);
    // Esc closes the editor; the settings screen is under it.
    typed(&mut app, "<Esc>");
    assert!(editor(&app).is_none());
    assert!(app.settings_view().is_some());
}

#[test]
fn apps_the_rack_shows_are_scopes() {
    let mut app = editor_app((160, 45));
    let mut seen = Vec::new();
    for _ in 0..40 {
        right(&mut app);
        let scope = editor(&app).unwrap().form.scope.clone();
        if scope == AlertScope::Defaults {
            break;
        }
        seen.push(scope);
    }
    assert_eq!(seen.first(), Some(&AlertScope::Host("lab".into())));
    assert!(
        seen.iter().any(|s| matches!(s, AlertScope::App(_))),
        "{seen:?}"
    );
}

/// The editor reads its keys in the keymap's `[popup]` context: a user file that moves
/// submit, back, clear_field and the scope keys moves what the editor obeys (the old keys
/// do nothing) and its footer and refusal name the new keys.
#[test]
fn the_editor_takes_its_keys_from_the_keymap() {
    let (km, err) = proximity::ui::keymap::Keymap::with_user_file(
        "keymap.toml",
        "[popup]\nsubmit = [\"ctrl-o\"]\nback = [\"ctrl-g\"]\nclear_field = [\"ctrl-k\"]\n\
         left = [\"ctrl-b\"]\nright = [\"ctrl-f\"]\n",
    );
    assert!(err.is_none(), "{err:?}");
    let mut app = editor_app((160, 45));
    app.keymap = km;
    let text = screen(&app, (160, 45));
    // (The footer wraps before "closes" at this width.)
    assert!(text.contains("C-b/C-f scope · C-o saves · C-g"), "{text}");
    // The scope moves with the new keys only.
    typed(&mut app, "<Right>");
    assert_eq!(editor(&app).unwrap().form.scope, AlertScope::Defaults);
    typed(&mut app, "<C-f>");
    assert_eq!(
        editor(&app).unwrap().form.scope,
        AlertScope::Host("lab".into())
    );
    typed(&mut app, "<C-b>");
    assert_eq!(editor(&app).unwrap().form.scope, AlertScope::Defaults);
    // Ctrl-U clears no more; the new clear_field does.
    typed(&mut app, "<Down>95<C-u>");
    assert_eq!(editor(&app).unwrap().form.values[0], "95");
    typed(&mut app, "<C-k>80");
    assert_eq!(editor(&app).unwrap().form.values[0], "80");
    // Unsaved: the scope change is refused naming the bound keys.
    typed(&mut app, "<Up><C-f>");
    let error = editor(&app).unwrap().form.error.clone().unwrap();
    assert!(
        error.ends_with("C-o saves the changes first (C-g leaves without saving)"),
        "{error}"
    );
    // Enter saves no more; the new submit does.
    assert_eq!(typed(&mut app, "<Enter>"), Vec::<Effect>::new());
    assert!(matches!(
        &typed(&mut app, "<C-o>")[..],
        [Effect::SaveAlertLayer {
            scope: AlertScope::Defaults,
            ..
        }]
    ));
    // Esc closes no more; the new back does.
    typed(&mut app, "<Esc>");
    assert!(editor(&app).is_some(), "Esc is not back any more");
    typed(&mut app, "<C-g>");
    assert!(editor(&app).is_none());
}

/// In a field, letters the `[popup]` context binds (`j` down, `q` quit, `y` yes) are typed;
/// on the scope row, which takes no text, `j` moves down like the arrow.
#[test]
fn letters_type_into_a_field_and_move_on_the_scope_row() {
    let mut app = editor_app((160, 45));
    typed(&mut app, "j");
    assert_eq!(
        editor(&app).unwrap().form.focus,
        1,
        "j moves off the scope row"
    );
    typed(&mut app, "jqy k");
    let form = &editor(&app).unwrap().form;
    assert_eq!(form.focus, 1);
    assert_eq!(form.values[0], "jqy k");
}
