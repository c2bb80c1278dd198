//! The apps screen (`g p`): managed apps across hosts with status, health, URL, resources,
//! last backup and version; what its keys ask the engine for (update, logs, variables,
//! clone, delete with a backup offered first), at 80x24 and 160x45. URLs are OSC 8 links
//! written as one cell's symbol with its width forced.

mod views_support;

use std::collections::{BTreeMap, HashMap};
use std::time::UNIX_EPOCH;

use proximity::alerts::HealthResult;
use proximity::deploy::{AppOrigin, AppRecord};
use proximity::inventory::GuestStatus;
use proximity::ui::apps_link::{AppsEffect, AppsEvent, DeployingApp};
use proximity::ui::apps_view::AppsView;
use proximity::ui::{App, AppEvent, Effect};
use ratatui::buffer::{Buffer, CellDiffOption};
use ratatui::layout::Rect;
use ratatui::style::Style;
use views_support::*;

fn epoch_t0() -> u64 {
    t0().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A guest of the sample rack with `status`: (node, vmid).
fn guest(app: &App, status: GuestStatus, skip: usize) -> (String, u32) {
    app.inventory.hosts[0]
        .nodes
        .iter()
        .flat_map(|n| n.guests.iter().map(move |g| (n.name.clone(), g)))
        .filter(|(_, g)| g.status == status && g.kind == proximity::inventory::GuestKind::Container)
        .nth(skip)
        .map(|(n, g)| (n, g.vmid))
        .expect("the sample has such a guest")
}

fn record(
    name: &str,
    app: &str,
    (node, vmid): (String, u32),
    url: Option<&str>,
    version: &str,
) -> AppRecord {
    AppRecord {
        name: name.into(),
        app: app.into(),
        version: Some(version.into()),
        host: "lab".into(),
        node,
        vmid,
        url: url.map(String::from),
        port: None,
        deployed_ms: Some(epoch_t0() * 1000 - 86_400_000),
        origin: AppOrigin::Deployed { deployment: 1 },
        missing: false,
    }
}

fn opened(size: (u16, u16)) -> App {
    let mut app = rack_app(size);
    assert_eq!(
        typed(&mut app, "gp"),
        vec![Effect::Apps(AppsEffect::Load { reconcile: true })]
    );
    let running = guest(&app, GuestStatus::Running, 0);
    let stopped = guest(&app, GuestStatus::Stopped, 0);
    let other = guest(&app, GuestStatus::Running, 1);
    let mut gone = record(
        "old-wiki",
        "bookstack",
        (String::from("pve2"), 990),
        None,
        "latest",
    );
    gone.missing = true;
    let apps = vec![
        record(
            "media",
            "jellyfin",
            running.clone(),
            Some("http://10.0.0.21:8096/"),
            "latest",
        ),
        record(
            "git",
            "gitea",
            stopped,
            Some("http://10.0.0.22:3000/"),
            "0.9",
        ),
        record(
            "editor",
            "code-server",
            other,
            Some("http://10.0.0.23:8443/"),
            "latest",
        ),
        gone,
    ];
    let backups = HashMap::from([(("lab".to_string(), running.1), epoch_t0() - 7200)]);
    app.alerts.health.insert(
        ("lab".into(), running.1),
        HealthResult {
            host: "lab".into(),
            node: running.0.clone(),
            vmid: running.1,
            app: "media".into(),
            app_id: "jellyfin".into(),
            healthy: true,
            detail: "HTTP 200".into(),
            at_ms: epoch_t0() * 1000,
        },
    );
    app.handle(AppEvent::Apps(AppsEvent::List {
        apps,
        deploying: vec![DeployingApp {
            name: "cloud".into(),
            app: "nextcloud".into(),
            host: "lab".into(),
            node: "pve1".into(),
            step: "pull images".into(),
        }],
        backups,
    }));
    app
}

fn view(app: &App) -> &AppsView {
    app.layers
        .screens()
        .last()
        .and_then(|l| l.as_any().downcast_ref::<AppsView>())
        .expect("the apps view on top")
}

/// `e` on the selected `editor` app: the variables are asked for, and arrive (one secret).
fn open_editor_variables(app: &mut App) {
    match one_effect(typed(app, "e")) {
        AppsEffect::LoadEnv { name, .. } => assert_eq!(name, "editor"),
        other => panic!("{other:?}"),
    }
    app.handle(AppEvent::Apps(AppsEvent::Env {
        name: "editor".into(),
        result: Ok(BTreeMap::from([
            ("TZ".to_string(), "Etc/UTC".to_string()),
            ("PASSWORD".to_string(), "hunter2hunter2".to_string()),
        ])),
    }));
}

fn one_effect(effects: Vec<Effect>) -> AppsEffect {
    match effects.as_slice() {
        [Effect::Apps(e)] => e.clone(),
        other => panic!("expected one apps effect, got {other:?}"),
    }
}

/// The screen as text, an OSC 8 link shown as its visible text (the cells it covers are
/// never written, so they stay blank after it).
fn plain_screen(app: &App, size: (u16, u16)) -> String {
    let raw = screen(app, size);
    let mut out = String::new();
    let mut rest = raw.as_str();
    while let Some(at) = rest.find("\x1b]8;;") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 5..];
        let text_at = after.find("\x1b\\").expect("link opened") + 2;
        let close = after[text_at..]
            .find("\x1b]8;;\x1b\\")
            .expect("link closed");
        let visible = &after[text_at..text_at + close];
        out.push_str(visible);
        // The cells the link covers were never written: one blank each after the first.
        let covered = visible.chars().count().saturating_sub(1);
        let tail = &after[text_at + close + 7..];
        let skip: usize = tail.chars().take(covered).map(char::len_utf8).sum();
        assert!(
            tail[..skip].chars().all(|c| c == ' '),
            "covered cells stay blank"
        );
        rest = &tail[skip..];
    }
    out.push_str(rest);
    out.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn the_screen_lists_apps_with_status_health_url_backup_and_version() {
    for size in SIZES {
        let app = opened(size);
        let text = plain_screen(&app, size);
        for word in [
            "running",
            "stopped",
            "deploying",
            "missing",
            "cloud",
            "media",
        ] {
            assert!(text.contains(word), "{word} missing:\n{text}");
        }
        insta::assert_snapshot!(format!("apps_{}x{}", size.0, size.1), text);
    }
    // Deploying first, then by name; the filter narrows.
    let mut app = opened((160, 45));
    let names: Vec<String> = view(&app)
        .rows()
        .iter()
        .map(|r| r.name().to_string())
        .collect();
    assert_eq!(names, ["cloud", "editor", "git", "media", "old-wiki"]);
    typed(&mut app, "/gitea<Enter>");
    let names: Vec<String> = view(&app)
        .rows()
        .iter()
        .map(|r| r.name().to_string())
        .collect();
    assert_eq!(names, ["git"]);
}

#[test]
fn the_version_column_grows_to_its_longest_text_and_the_url_stays_whole() {
    for size in SIZES {
        let mut app = rack_app(size);
        typed(&mut app, "gp");
        let url = "http://10.10.0.117:8096/";
        let spec = view(&app)
            .spec("nextcloud")
            .expect("nextcloud in the catalog");
        let upgrade = format!("30.0.2→{}", spec.version);
        app.handle(AppEvent::Apps(AppsEvent::List {
            apps: vec![record(
                "cloud",
                "nextcloud",
                guest(&app, GuestStatus::Running, 0),
                Some(url),
                "30.0.2",
            )],
            deploying: Vec::new(),
            backups: HashMap::new(),
        }));
        let text = plain_screen(&app, size);
        assert!(text.contains(url), "{size:?}: the URL is cut:\n{text}");
        if size.0 >= 120 {
            assert!(
                text.contains(&upgrade),
                "{size:?}: {upgrade} is cut:\n{text}"
            );
        }
    }
}

#[test]
fn a_url_is_one_osc8_cell_whose_width_is_forced() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 40, 1));
    let url = "http://10.0.0.21:8096/";
    proximity::ui::render::apps_view::hyperlink(&mut buf, 2, 0, url, url, Style::default(), 30);
    let first = &buf[(2, 0)];
    assert_eq!(
        first.symbol(),
        format!("\x1b]8;;{url}\x1b\\{url}\x1b]8;;\x1b\\")
    );
    assert_eq!(
        first.diff_option,
        CellDiffOption::ForcedWidth(std::num::NonZeroU16::new(url.len() as u16).unwrap())
    );
    for x in 3..2 + url.len() as u16 {
        assert_eq!(buf[(x, 0)].diff_option, CellDiffOption::Skip, "cell {x}");
    }
    // Drawn from a blank screen: one write for the link, nothing for the cells it covers.
    let blank = Buffer::empty(buf.area);
    let writes: Vec<u16> = blank.diff(&buf).iter().map(|(x, _, _)| *x).collect();
    assert_eq!(writes, vec![2]);
    // Clipped: the link's text is what fits.
    let mut narrow = Buffer::empty(Rect::new(0, 0, 10, 1));
    proximity::ui::render::apps_view::hyperlink(&mut narrow, 0, 0, url, url, Style::default(), 10);
    assert!(narrow[(0, 0)].symbol().contains("\x1b\\http://10.\x1b]8;;"));
    // A URL that is not http(s) printable ASCII is never linked.
    assert_eq!(
        proximity::ui::apps_view::safe_url("http://x/\x1b]8;;"),
        None
    );
    assert_eq!(proximity::ui::apps_view::safe_url("file:///etc"), None);
}

#[test]
fn delete_asks_for_the_name_and_offers_a_backup_first() {
    let mut app = opened((80, 24));
    typed(&mut app, "G"); // old-wiki (missing) is last; media before it
    typed(&mut app, "k");
    assert_eq!(view(&app).selected_row().unwrap().name(), "media");
    assert_eq!(typed(&mut app, "D"), Vec::<Effect>::new());
    insta::assert_snapshot!("apps_delete_80x24", plain_screen(&app, (80, 24)));
    // Enter with the name not typed deletes nothing.
    assert_eq!(typed(&mut app, "<Enter>"), Vec::<Effect>::new());
    assert!(view(&app).dialog.is_some());
    // The first choice: back up, then delete.
    assert_eq!(
        one_effect(typed(&mut app, "media<Enter>")),
        AppsEffect::Remove {
            name: "media".into(),
            backup_first: true
        }
    );
    assert!(view(&app).dialog.is_none());
    // The second: delete without backup.
    typed(&mut app, "D");
    assert_eq!(
        one_effect(typed(&mut app, "media<Down><Enter>")),
        AppsEffect::Remove {
            name: "media".into(),
            backup_first: false
        }
    );
    // Cancel (third choice, or Esc) does nothing.
    typed(&mut app, "D");
    assert_eq!(
        typed(&mut app, "media<Down><Down><Enter>"),
        Vec::<Effect>::new()
    );
    assert!(view(&app).dialog.is_none());
    typed(&mut app, "D");
    assert_eq!(typed(&mut app, "media<Esc>"), Vec::<Effect>::new());
    assert!(view(&app).dialog.is_none());
}

#[test]
fn update_logs_clone_variables_and_copy_go_to_the_engine() {
    let mut app = opened((160, 45));
    typed(&mut app, "gg");
    typed(&mut app, "j"); // editor (code-server)
    assert_eq!(view(&app).selected_row().unwrap().name(), "editor");
    match one_effect(typed(&mut app, "u")) {
        AppsEffect::Update { name, spec } => {
            assert_eq!(name, "editor");
            assert_eq!(spec.id, "code-server");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        one_effect(typed(&mut app, "l")),
        AppsEffect::Logs {
            name: "editor".into()
        }
    );
    assert_eq!(
        one_effect(typed(&mut app, "C")),
        AppsEffect::ComposeRestart {
            name: "editor".into()
        },
        "C restarts the compose project, not the container"
    );
    match typed(&mut app, "y").as_slice() {
        [Effect::CopyToClipboard(url)] => assert_eq!(url, "http://10.0.0.23:8443/"),
        other => panic!("{other:?}"),
    }

    // Clone: a free name offered, a bad one refused, Tab keeps the secrets.
    assert_eq!(typed(&mut app, "c"), Vec::<Effect>::new());
    assert_eq!(typed(&mut app, "<Bs><Bs>X<Enter>"), Vec::<Effect>::new());
    assert!(
        view(&app).dialog.is_some(),
        "a bad name keeps the dialog up"
    );
    typed(&mut app, "<Bs>");
    match one_effect(typed(&mut app, "-b<Tab><Enter>")) {
        AppsEffect::Clone {
            source,
            spec,
            request,
        } => {
            assert_eq!(source, "editor");
            assert_eq!(spec.id, "code-server");
            assert_eq!(request.name, "editor-b");
            assert!(request.keep_secrets);
        }
        other => panic!("{other:?}"),
    }

    // Variables: read first, secrets masked, only changes applied.
    open_editor_variables(&mut app);
    let shown = plain_screen(&app, (160, 45));
    assert!(!shown.contains("hunter2"), "a secret is masked:\n{shown}");
    assert!(shown.contains("Etc/UTC"), "{shown}");
    insta::assert_snapshot!("apps_variables_160x45", shown);
    // Emptying the secret is refused where it is typed.
    typed(&mut app, "<Down>");
    for _ in 0..14 {
        typed(&mut app, "<Bs>");
    }
    assert_eq!(typed(&mut app, "<Enter>"), Vec::<Effect>::new());
    assert!(plain_screen(&app, (160, 45)).contains("a secret cannot be emptied"));
    typed(&mut app, "hunter2hunter2<Up>");
    for _ in 0.."Etc/UTC".len() {
        typed(&mut app, "<Bs>");
    }
    match one_effect(typed(&mut app, "Europe/Rome<Enter>")) {
        AppsEffect::EditEnv { name, changes, .. } => {
            assert_eq!(name, "editor");
            assert_eq!(
                changes,
                BTreeMap::from([("TZ".to_string(), "Europe/Rome".to_string())])
            );
        }
        other => panic!("{other:?}"),
    }

    // A missing app only offers delete.
    typed(&mut app, "G");
    assert_eq!(typed(&mut app, "u"), Vec::<Effect>::new());
    // A started job's log opens in the viewer.
    app.handle(AppEvent::Apps(AppsEvent::OpenJobLog {
        job: proximity::engine::JobId(42),
        title: "update editor".into(),
    }));
    let top = app.layers.screens().last().unwrap();
    assert_eq!(top.title(), "update editor");
}

/// The variables form and the delete and clone dialogs read their keys in the keymap's
/// `[popup]` context: a user file that moves submit, back, clear_field and reveal moves
/// what they obey (Enter, Esc, Ctrl-U and Ctrl-R do nothing there any more) and what their
/// footers say. Letters the context binds (`j`, `q`) are typed into the fields.
#[test]
fn the_forms_and_dialogs_take_their_keys_from_the_keymap() {
    let mut app = opened((160, 45));
    let (km, err) = proximity::ui::keymap::Keymap::with_user_file(
        "keymap.toml",
        "[popup]\nsubmit = [\"ctrl-o\"]\nback = [\"ctrl-g\"]\nclear_field = [\"ctrl-k\"]\n\
         reveal = [\"ctrl-f\"]\n",
    );
    assert!(err.is_none(), "{err:?}");
    app.keymap = km;
    typed(&mut app, "gg");
    typed(&mut app, "j"); // editor (code-server)
    assert_eq!(view(&app).selected_row().unwrap().name(), "editor");
    open_editor_variables(&mut app);
    let shown = plain_screen(&app, (160, 45));
    assert!(
        shown.contains("Tab next · C-o apply (re-creates the app) · C-f secrets · C-g cancel"),
        "{shown}"
    );
    // Ctrl-U clears no more; the new clear_field does; j and q are typed.
    typed(&mut app, "<C-u>");
    assert!(plain_screen(&app, (160, 45)).contains("Etc/UTC"));
    typed(&mut app, "<C-k>Europe/jq");
    // Ctrl-R reveals no more; the new reveal does.
    typed(&mut app, "<Down>");
    press(
        &mut app,
        crossterm::event::KeyCode::Char('r'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    assert!(!plain_screen(&app, (160, 45)).contains("hunter2"));
    typed(&mut app, "<C-f>");
    assert!(plain_screen(&app, (160, 45)).contains("hunter2hunter2"));
    // Enter and Esc do nothing; the new submit applies.
    assert_eq!(typed(&mut app, "<Enter><Esc>"), Vec::<Effect>::new());
    assert!(view(&app).dialog.is_some(), "Esc is not back any more");
    match one_effect(typed(&mut app, "<C-o>")) {
        AppsEffect::EditEnv { changes, .. } => assert_eq!(
            changes,
            BTreeMap::from([("TZ".to_string(), "Europe/jq".to_string())])
        ),
        other => panic!("{other:?}"),
    }
    // The delete dialog: the name typed, Enter does not delete, the new submit does.
    typed(&mut app, "D");
    assert!(plain_screen(&app, (160, 45)).contains("↑↓ choose · C-o confirm · C-g cancel"));
    assert_eq!(typed(&mut app, "editor<Enter>"), Vec::<Effect>::new());
    assert_eq!(
        one_effect(typed(&mut app, "<C-o>")),
        AppsEffect::Remove {
            name: "editor".into(),
            backup_first: true
        }
    );
    // The clone dialog: the new back closes it, Esc does not.
    typed(&mut app, "c<Esc>");
    assert!(view(&app).dialog.is_some());
    typed(&mut app, "<C-g>");
    assert!(view(&app).dialog.is_none());
}
