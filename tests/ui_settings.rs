//! The settings screen from key sequences and clicks: one cursor over themes and the console
//! recording switches; a switch flips on screen and asks for `Effect::SaveRecording`, and the
//! store's answer (`AppEvent::Recording`) is what the screen then shows.
//! (Beside `tests/ui_update.rs`, which is already at the size limit of a file.)

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use proximity::ui::action::HostEntry;
use proximity::ui::settings::{RecordingSwitch, RecordingSwitches, SettingsItem};
use proximity::ui::{App, AppEvent, Effect, render, sample};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn entry(name: &str) -> HostEntry {
    HostEntry {
        name: name.into(),
        url: format!("https://{name}.lan:8006"),
        token_id: "root@pam!proximity".into(),
        fingerprint: None,
    }
}

/// Hosts `lab` and `edge`, `lab` with guests, at `w`x`h`.
fn app_sized(w: u16, h: u16) -> App {
    let mut app = App::with_defaults(t0());
    app.handle(AppEvent::Resize(w, h));
    app.handle(AppEvent::HostsConfigured(vec![entry("lab"), entry("edge")]));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(2, 10).into()),
        t0(),
    ));
    app
}

fn app() -> App {
    app_sized(160, 45)
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle(AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn keys(app: &mut App, s: &str) -> Vec<Effect> {
    s.chars().flat_map(|c| key(app, KeyCode::Char(c))).collect()
}

fn click(app: &mut App, column: u16, row: u16) -> Vec<Effect> {
    app.handle(AppEvent::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }))
}

fn selected(app: &App) -> SettingsItem {
    let items = app.settings_items();
    let view = app.settings_view().expect("the settings screen on top");
    items[view.selected_index(items.len())].clone()
}

fn save(switch: RecordingSwitch, on: bool) -> Vec<Effect> {
    vec![Effect::SaveRecording { switch, on }]
}

fn host(name: &str) -> RecordingSwitch {
    RecordingSwitch::Host(name.into())
}

fn screen_text(app: &App) -> String {
    let (w, h) = app.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("backend");
    term.draw(|f| render(app, f)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_list_holds_themes_then_each_configured_host_then_audit() {
    let a = app();
    let items = a.settings_items();
    let themes = a.themes.names().len();
    assert_eq!(items[0], SettingsItem::Theme("dark".into()));
    assert_eq!(
        items[themes..],
        [
            SettingsItem::RecordHost("lab".into()),
            SettingsItem::RecordHost("edge".into()),
            SettingsItem::Audit,
        ]
    );
    // Everything is off until the store says otherwise: recording is opt-in.
    assert_eq!(a.recording, RecordingSwitches::default());
}

#[test]
fn enter_or_space_flips_a_host_switch_and_asks_to_save_it() {
    let mut a = app();
    keys(&mut a, "gsGk");
    assert_eq!(selected(&a), SettingsItem::RecordHost("edge".into()));
    assert_eq!(key(&mut a, KeyCode::Enter), save(host("edge"), true));
    assert!(a.recording.host("edge") && !a.recording.host("lab"));
    assert!(a.recording.records("edge") && !a.recording.records("lab"));
    assert!(
        a.toasts
            .last()
            .is_some_and(|t| t.text.contains("edge") && t.text.contains("next session")),
        "{:?}",
        a.toasts
    );
    assert_eq!(keys(&mut a, " "), save(host("edge"), false));
    assert!(!a.recording.host("edge"));
    keys(&mut a, "k");
    assert_eq!(keys(&mut a, " "), save(host("lab"), true));
    assert!(
        a.settings_view().is_some(),
        "a switch never leaves the screen"
    );
}

#[test]
fn the_audit_switch_is_last_and_flips_alone() {
    let mut a = app();
    keys(&mut a, "gsG");
    assert_eq!(selected(&a), SettingsItem::Audit);
    assert_eq!(keys(&mut a, " "), save(RecordingSwitch::Audit, true));
    assert!(a.recording.audit);
    assert!(
        !a.recording.host("lab"),
        "audit leaves the host switches as they are"
    );
    assert!(a.recording.records("lab") && a.recording.records("edge"));
    assert_eq!(
        key(&mut a, KeyCode::Enter),
        save(RecordingSwitch::Audit, false)
    );
    assert!(!a.recording.audit);
}

#[test]
fn space_on_a_theme_does_nothing_and_enter_still_saves_the_theme() {
    let mut a = app();
    keys(&mut a, "gsj");
    assert_eq!(keys(&mut a, " "), vec![]);
    assert_eq!(a.recording, RecordingSwitches::default());
    assert_eq!(
        key(&mut a, KeyCode::Enter),
        vec![Effect::SaveSettings {
            theme: "light".into()
        }]
    );
}

#[test]
fn moving_over_switches_keeps_the_preview_and_esc_restores_the_saved_theme() {
    let mut a = app();
    keys(&mut a, "gsj");
    assert_eq!(a.theme.name, "light");
    // Down to the switches: the preview stays on the last theme highlighted.
    keys(&mut a, "G");
    assert_eq!(a.theme.name, "light");
    // Wrapping from the audit switch lands on the first theme, which previews.
    keys(&mut a, "j");
    assert_eq!(selected(&a), SettingsItem::Theme("dark".into()));
    assert_eq!(a.theme.name, "dark");
    keys(&mut a, "k");
    assert_eq!(selected(&a), SettingsItem::Audit);
    keys(&mut a, "kkk");
    assert_eq!(selected(&a), SettingsItem::Theme("nord".into()));
    assert_eq!(a.theme.name, "nord");
    key(&mut a, KeyCode::Esc);
    assert_eq!((a.console_open(), a.theme.name.as_str()), (false, "dark"));
    assert!(a.settings_view().is_none(), "esc closes the screen");
}

#[test]
fn the_stores_answer_replaces_what_the_screen_shows() {
    let mut a = app();
    keys(&mut a, "gsGk ");
    assert!(a.recording.host("edge"));
    // Saving failed: the runtime reports what still stands.
    a.handle(AppEvent::Recording(RecordingSwitches::default()));
    assert!(!a.recording.host("edge"));
    let mut stored = RecordingSwitches::default();
    stored.hosts.insert("lab".into(), true);
    a.handle(AppEvent::Recording(stored.clone()));
    assert_eq!(a.recording, stored);
    let text = screen_text(&a);
    assert!(text.contains("[x] lab"), "{text}");
    assert!(text.contains("[ ] edge"), "{text}");
    assert!(text.contains("[ ] record every session"), "{text}");
}

#[test]
fn with_audit_on_an_unswitched_host_says_audit_records_it() {
    let mut a = app();
    keys(&mut a, "gs");
    a.handle(AppEvent::Recording(RecordingSwitches {
        audit: true,
        ..Default::default()
    }));
    let text = screen_text(&a);
    assert!(text.contains("[ ] lab (audit)"), "{text}");
    assert!(text.contains("[x] record every session"), "{text}");
}

#[test]
fn a_click_on_a_switch_flips_it_and_a_click_on_a_title_does_nothing() {
    let mut a = app();
    keys(&mut a, "gs");
    // Body from row 1, the list's border, then: THEME, six themes, a gap, the recording
    // title (row 10), lab (row 11), edge, a gap, AUDIT, the audit switch (row 15).
    assert_eq!(a.themes.names().len(), 6);
    assert_eq!(click(&mut a, 5, 10), vec![]);
    assert_eq!(click(&mut a, 5, 11), save(host("lab"), true));
    assert_eq!(selected(&a), SettingsItem::RecordHost("lab".into()));
    assert_eq!(click(&mut a, 5, 15), save(RecordingSwitch::Audit, true));
    // A theme row previews; outside the list nothing happens.
    assert_eq!(click(&mut a, 5, 4), vec![]);
    assert_eq!(a.theme.name, "light");
    assert_eq!(click(&mut a, 60, 11), vec![]);
    assert!(a.recording.host("lab") && a.recording.audit);
}

#[test]
fn a_short_screen_scrolls_the_list_to_the_cursor_and_clicks_follow() {
    let mut a = app_sized(80, 12);
    keys(&mut a, "gsG");
    let text = screen_text(&a);
    assert!(text.contains("[ ] record every session"), "{text}");
    assert!(!text.contains("THEME"), "scrolled past the top: {text}");
    // The list's inner rows are 2..=9; the cursor (audit) is on the last one.
    assert_eq!(click(&mut a, 5, 9), save(RecordingSwitch::Audit, true));
    // One up is the AUDIT title, a gap, then edge.
    assert_eq!(click(&mut a, 5, 8), vec![]);
    assert_eq!(click(&mut a, 5, 6), save(host("edge"), true));
}

#[test]
fn hosts_removed_while_the_screen_is_open_keep_the_cursor_on_the_list() {
    let mut a = app();
    keys(&mut a, "gsG");
    a.handle(AppEvent::HostsConfigured(vec![entry("lab")]));
    // The cursor was past the shortened list: it lands on its last item, audit.
    assert_eq!(keys(&mut a, " "), save(RecordingSwitch::Audit, true));
    a.handle(AppEvent::HostsConfigured(vec![]));
    keys(&mut a, "gs");
    assert_eq!(
        a.settings_items().last(),
        Some(&SettingsItem::Audit),
        "audit stays without hosts"
    );
    screen_text(&a);
}

/// The screen's keys come from the keymap's `[settings]` context: a user file that moves
/// `toggle` and `apply` moves what flips and saves, and the hints follow.
#[test]
fn the_screens_keys_and_hints_come_from_the_keymap() {
    let user = "[settings]\ntoggle = [\"x\"]\napply = [\"o\"]\n";
    let (keymap, err) = proximity::ui::keymap::Keymap::with_user_file("keymap.toml", user);
    assert!(err.is_none(), "{err:?}");
    let mut a = App::new(
        keymap,
        proximity::ui::theme::ThemeSet::builtin(),
        "dark",
        proximity::ui::color::ColorDepth::TrueColor,
        t0(),
    );
    a.handle(AppEvent::Resize(160, 45));
    a.handle(AppEvent::HostsConfigured(vec![entry("lab")]));
    keys(&mut a, "gsG");
    assert_eq!(selected(&a), SettingsItem::Audit);
    assert_eq!(
        keys(&mut a, " "),
        vec![],
        "space is no longer the switch key"
    );
    assert_eq!(keys(&mut a, "x"), save(RecordingSwitch::Audit, true));
    assert_eq!(key(&mut a, KeyCode::Enter), vec![]);
    assert_eq!(keys(&mut a, "o"), save(RecordingSwitch::Audit, false));
    let text = screen_text(&a);
    assert!(
        text.contains("x switch") && text.contains("o apply"),
        "{text}"
    );
    assert!(!text.contains("space switch"), "{text}");
}
