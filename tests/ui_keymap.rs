//! Keymap files: defaults parse, a user file overrides only what it names, chords work,
//! and bad files fail with the exact file, line and key while the defaults stand.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proximity::ui::Action;
use proximity::ui::keymap::{Context, KeyPress, Keymap, Lookup};

fn kp(s: &str) -> KeyPress {
    KeyPress::parse(s).expect("key")
}

#[test]
fn defaults_parse_and_cover_the_core_keys() {
    let (km, err) = Keymap::with_user_file("none", "");
    assert!(err.is_none());
    assert_eq!(km, Keymap::defaults());
    assert_eq!(
        km.lookup(Context::Rack, &[kp("j")]),
        Lookup::Action(Action::Down)
    );
    assert_eq!(km.lookup(Context::Rack, &[kp("g")]), Lookup::Pending);
    assert_eq!(
        km.lookup(Context::Rack, &[kp("g"), kp("g")]),
        Lookup::Action(Action::Top)
    );
    assert_eq!(
        km.lookup(Context::Hosts, &[kp("D")]),
        Lookup::Action(Action::RemoveHost)
    );
    assert_eq!(
        km.lookup(Context::Rack, &[kp("D")]),
        Lookup::Action(Action::Delete)
    );
    assert_eq!(
        km.lookup(Context::Rack, &[kp("ctrl-z")]),
        Lookup::Action(Action::Suspend)
    );
    // Every default binding avoids keys terminals and multiplexers swallow.
    for bad in ["ctrl-s", "ctrl-q", "ctrl-a", "ctrl-b"] {
        for ctx in Context::ALL {
            assert_eq!(
                km.lookup(ctx, &[kp(bad)]),
                Lookup::None,
                "{bad} bound in {}",
                ctx.name()
            );
        }
    }
}

#[test]
fn key_events_normalize_shift() {
    let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
    assert_eq!(KeyPress::from_event(&ev), Some(kp("G")));
    let ev = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
    assert_eq!(KeyPress::from_event(&ev), Some(kp("ctrl-d")));
}

#[test]
fn user_file_overrides_only_what_it_names() {
    let user = "[rack]\nstart = [\"ctrl-x\", \"x\"]\n[global]\ndown = [\"n\"]\n";
    let (km, err) = Keymap::with_user_file("keymap.toml", user);
    assert!(err.is_none());
    assert_eq!(
        km.lookup(Context::Rack, &[kp("x")]),
        Lookup::Action(Action::Start)
    );
    assert_eq!(
        km.lookup(Context::Rack, &[kp("s")]),
        Lookup::None,
        "old key of start is gone"
    );
    assert_eq!(
        km.lookup(Context::Rack, &[kp("n")]),
        Lookup::Action(Action::Down)
    );
    assert_eq!(km.lookup(Context::Rack, &[kp("j")]), Lookup::None);
    assert_eq!(
        km.lookup(Context::Rack, &[kp("k")]),
        Lookup::Action(Action::Up),
        "untouched"
    );
    // `X` (stop) is untouched, and help reflects the change.
    assert_eq!(km.keys_for(Context::Rack, Action::Start), vec!["C-x", "x"]);
    assert!(
        km.help_rows()
            .iter()
            .any(|(c, k, d)| *c == Context::Rack && k == "C-x, x" && *d == "start guest")
    );
}

#[test]
fn a_key_taken_by_the_user_leaves_its_old_action() {
    let (km, _) = Keymap::with_user_file("k.toml", "[rack]\nrefresh = [\"z\"]\n");
    assert_eq!(
        km.lookup(Context::Rack, &[kp("z")]),
        Lookup::Action(Action::Refresh)
    );
    assert!(km.keys_for(Context::Rack, Action::Zoom).is_empty());
}

fn err_of(text: &str) -> String {
    let (km, err) = Keymap::with_user_file("/home/u/.config/proximity/keymap.toml", text);
    assert_eq!(km, Keymap::defaults(), "a bad file leaves the defaults");
    err.expect("must fail").to_string()
}

#[test]
fn bad_keymap_files_name_file_line_and_key() {
    assert_eq!(
        err_of("[rack]\nstart = [\"s\"]\nlaunch = [\"L\"]\n"),
        "/home/u/.config/proximity/keymap.toml:3: rack.launch: unknown action"
    );
    assert_eq!(
        err_of("\n[rack]\nstop = [\"X\", \"hyper-q\"]\n"),
        "/home/u/.config/proximity/keymap.toml:3: rack.stop: bad key `hyper-q`"
    );
    assert_eq!(
        err_of("[racks]\nstop = [\"X\"]\n"),
        "/home/u/.config/proximity/keymap.toml:1: racks: unknown context (expected global, rack, hosts, onboarding, settings, console, copy, tasks, log, catalog, metrics, popup, wizard, backups, snapshots, alerts or apps)"
    );
    assert_eq!(
        err_of("[rack]\nstop = \"X\"\n"),
        "/home/u/.config/proximity/keymap.toml:2: -: invalid type: string \"X\", expected a sequence"
    );
}

#[test]
fn app_from_config_dir_reports_bad_files_as_toasts() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("keymap.toml"),
        "[rack]\nstart = [\"s\"]\nlaunch = [\"L\"]\n",
    )
    .expect("write");
    std::fs::create_dir(dir.path().join("themes")).expect("mkdir");
    std::fs::write(
        dir.path().join("themes/mine.toml"),
        "inherits = \"light\"\n",
    )
    .expect("write");
    let app =
        proximity::ui::App::from_config(dir.path(), "mine", std::time::SystemTime::UNIX_EPOCH);
    assert_eq!(app.theme.name, "mine");
    assert_eq!(app.keymap, Keymap::defaults());
    assert_eq!(app.toasts.len(), 1);
    let text = &app.toasts[0].text;
    assert!(
        text.ends_with("keymap.toml:3: rack.launch: unknown action (using the default keymap)"),
        "{text}"
    );
    assert!(app.toasts[0].error);
}

fn app_with_keymap(user: &str) -> proximity::ui::App {
    use proximity::ui::{App, AppEvent, HostEntry};
    let (km, err) = Keymap::with_user_file("keymap.toml", user);
    assert!(err.is_none(), "{err:?}");
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let mut app = App::new(
        km,
        proximity::ui::theme::ThemeSet::builtin(),
        "dark",
        proximity::ui::color::ColorDepth::TrueColor,
        now,
    );
    app.handle(AppEvent::Resize(160, 45));
    app.handle(AppEvent::HostsConfigured(vec![HostEntry {
        name: "lab".into(),
        url: "https://pve.lan:8006".into(),
        token_id: "root@pam!px".into(),
        fingerprint: None,
    }]));
    app
}

fn press(app: &mut proximity::ui::App, c: char) -> Vec<proximity::ui::Effect> {
    app.handle(proximity::ui::AppEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn screen_text(app: &proximity::ui::App) -> String {
    let (w, h) = app.size;
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("term");
    term.draw(|f| proximity::ui::render(app, f)).expect("draw");
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
        .collect()
}

/// The hosts screen reads its keys from `[hosts]`: a user file that moves `test_host`
/// moves what tests the selected host, and the status bar follows.
#[test]
fn the_hosts_screen_takes_its_keys_from_the_keymap() {
    use proximity::ui::Effect;
    let mut app = app_with_keymap("[hosts]\ntest_host = [\"x\"]\n");
    press(&mut app, 'g');
    press(&mut app, 'h');
    assert!(app.hosts_view().is_some(), "{:?}", app.layers);
    assert_eq!(press(&mut app, 't'), vec![], "t is no longer the test key");
    assert!(
        matches!(&press(&mut app, 'x')[..], [Effect::TestHost(d)] if d.name == "lab"),
        "x tests the host"
    );
    let text = screen_text(&app);
    assert!(
        text.contains("x test") && !text.contains("t test"),
        "{text}"
    );
}

/// Popup footers are generated from `[popup]`: rebinding yes/no changes what the remove
/// prompt says and what answers it; the host form's footer follows `test_host` too.
#[test]
fn rebinding_popup_keys_changes_the_popup_footers() {
    use proximity::ui::Effect;
    let mut app =
        app_with_keymap("[popup]\nyes = [\"o\"]\nno = [\"x\"]\ntest_host = [\"ctrl-e\"]\n");
    press(&mut app, 'g');
    press(&mut app, 'h');
    press(&mut app, 'D');
    let text = screen_text(&app);
    assert!(text.contains("o remove · x keep"), "{text}");
    assert!(!text.contains("y remove"), "{text}");
    assert_eq!(press(&mut app, 'y'), vec![], "y no longer answers yes");
    assert_eq!(press(&mut app, 'o'), vec![Effect::RemoveHost("lab".into())]);
    press(&mut app, 'e');
    let text = screen_text(&app);
    assert!(
        text.contains("Tab next · Enter save · C-e test · Esc cancel"),
        "{text}"
    );

    // The defaults say what they always said.
    let mut app = app_with_keymap("");
    press(&mut app, 'g');
    press(&mut app, 'h');
    press(&mut app, 'D');
    assert!(screen_text(&app).contains("y remove · n keep"));
}

/// The deploy wizard's form keys are `[popup]` bindings, listed in the help like the rest.
#[test]
fn form_keys_are_popup_bindings() {
    let km = Keymap::defaults();
    for (key, action) in [
        ("ctrl-r", Action::Reveal),
        ("ctrl-u", Action::ClearField),
        ("home", Action::Top),
        ("end", Action::Bottom),
        ("pagedown", Action::PageDown),
        ("space", Action::PageDown),
    ] {
        assert_eq!(
            km.lookup_in(Context::Popup, &[kp(key)]),
            Some(action),
            "{key}"
        );
    }
    let rows = km.help_rows();
    assert!(
        rows.iter()
            .any(|(c, k, d)| *c == Context::Popup && k == "C-r" && d.contains("secrets")),
        "{rows:?}"
    );
}

/// The wizard's context has its own keys (Space flips a switch) and falls back to `[popup]`
/// for the rest, never to `global` for a single key; `[popup]` keeps Space for paging.
#[test]
fn the_wizard_context_falls_back_to_popup() {
    let km = Keymap::defaults();
    assert_eq!(
        km.lookup_in(Context::Wizard, &[kp("space")]),
        Some(Action::Toggle)
    );
    assert_eq!(
        km.lookup_in(Context::Popup, &[kp("space")]),
        Some(Action::PageDown),
        "the help still pages down with space"
    );
    for (key, action) in [
        ("pagedown", Action::PageDown),
        ("ctrl-r", Action::Reveal),
        ("ctrl-u", Action::ClearField),
        ("tab", Action::NextField),
        ("esc", Action::Back),
        ("home", Action::Top),
    ] {
        assert_eq!(
            km.lookup_in(Context::Wizard, &[kp(key)]),
            Some(action),
            "{key}"
        );
    }
    assert_eq!(km.lookup_in(Context::Wizard, &[kp("ctrl-z")]), None);
    assert_eq!(
        km.lookup(Context::Wizard, &[kp("space")]),
        Lookup::Action(Action::Toggle)
    );
    assert_eq!(
        km.lookup(Context::Wizard, &[kp("ctrl-z")]),
        Lookup::Action(Action::Suspend),
        "with chords, global comes last"
    );
    // Hints: space is not a page key in the wizard, it is in the popups.
    assert_eq!(km.keys_for(Context::Wizard, Action::Toggle), vec!["space"]);
    assert_eq!(km.keys_for(Context::Wizard, Action::PageDown), vec!["PgDn"]);
    assert_eq!(
        km.keys_for(Context::Popup, Action::PageDown),
        vec!["PgDn", "space"]
    );
    let rows = km.help_rows();
    assert!(
        rows.iter()
            .any(|(c, k, d)| *c == Context::Wizard && k == "space" && *d == "flip the switch"),
        "{rows:?}"
    );
}

/// A user file rebinds the wizard's toggle: the new key flips, Space goes back to what
/// `[popup]` binds it to, and `[popup]` itself is untouched.
#[test]
fn a_user_file_rebinds_the_wizard_toggle() {
    let (km, err) = Keymap::with_user_file("keymap.toml", "[wizard]\ntoggle = [\"t\"]\n");
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        km.lookup_in(Context::Wizard, &[kp("t")]),
        Some(Action::Toggle)
    );
    assert_eq!(
        km.lookup_in(Context::Wizard, &[kp("space")]),
        Some(Action::PageDown)
    );
    assert_eq!(km.keys_for(Context::Wizard, Action::Toggle), vec!["t"]);
    assert_eq!(
        km.keys_for(Context::Wizard, Action::PageDown),
        vec!["PgDn", "space"]
    );
    assert_eq!(km.lookup_in(Context::Popup, &[kp("t")]), None);
}

#[test]
fn a_hint_never_shows_a_global_key_the_screen_took_for_another_action() {
    let km = Keymap::defaults();
    // Tab is `next_pane` globally; the log viewer gives it to `focus_next`.
    assert_eq!(km.keys_for(Context::Global, Action::NextPane), vec!["Tab"]);
    assert_eq!(
        km.lookup(Context::Log, &[kp("tab")]),
        Lookup::Action(Action::FocusNext)
    );
    assert!(
        !km.keys_for(Context::Log, Action::NextPane)
            .contains(&"Tab".to_string()),
        "{:?}",
        km.keys_for(Context::Log, Action::NextPane)
    );
    assert_eq!(km.keys_for(Context::Log, Action::FocusNext)[0], "Tab");
    // A global key no screen takes is still listed there.
    assert_eq!(km.keys_for(Context::Log, Action::Palette), vec![":"]);
    // `q` quits globally; the log viewer's `q` goes back.
    assert!(
        !km.keys_for(Context::Log, Action::Quit)
            .contains(&"q".to_string())
    );
}

#[test]
fn help_names_the_movement_keys_for_where_they_are_bound() {
    let rows = Keymap::defaults().help_rows();
    let row = |ctx: Context, keys: &str| {
        rows.iter()
            .find(|(c, k, _)| *c == ctx && k == keys)
            .map(|(_, _, d)| *d)
    };
    assert_eq!(row(Context::Global, "h, ←"), Some("previous rack"));
    assert_eq!(
        row(Context::Popup, "←"),
        Some("previous choice (a form's scope)")
    );
    assert_eq!(row(Context::Popup, "Home"), Some("first entry"));
}
