//! The deploy wizard (opened with `App::open_deploy_wizard`): every page from key
//! sequences, validation as typed, secrets masked, the review, Enter producing the exact
//! `Effect::Deploy`, the engine's answers (refused: the wizard stays; started: the job's log
//! beside the rack), the pending deployment on the rack; and snapshots of every page.

mod views_support;

use std::collections::{BTreeMap, VecDeque};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proximity::catalog::{
    AppSpec, EnvVar, HealthCheck, OsFamily, PortMap, Protocol, Resources, Service, VolumeMount,
    WebEndpoint,
};
use proximity::deploy::DeployRequest;
use proximity::engine::jobs::JobTarget;
use proximity::engine::{Caller, JobEvent, JobId, JobInfo, JobKind, JobState};
use proximity::ui::deploy_wizard::{DeployWizard, Page};
use proximity::ui::layer::Slot;
use proximity::ui::log_view::LogView;
use proximity::ui::task_board::LogSource;
use proximity::ui::{App, AppEvent, Effect};
use views_support::{rack_app, screen, t0};

fn gitea() -> AppSpec {
    AppSpec {
        id: "gitea".into(),
        name: "Gitea".into(),
        category: "Development".into(),
        description: "Git hosting with issues and pull requests.".into(),
        version: "1.22".into(),
        tags: vec!["git".into()],
        docs: "https://docs.gitea.com".into(),
        icon: "G".into(),
        os: OsFamily::Debian,
        resources: Resources {
            cores: 2,
            memory_mb: 1024,
            disk_gb: 8,
        },
        web: Some(WebEndpoint {
            port: 3000,
            path: "/".into(),
            scheme: "http".into(),
        }),
        health: HealthCheck::Http {
            port: 3000,
            path: "/".into(),
        },
        env: vec![
            EnvVar {
                key: "ADMIN_USER".into(),
                description: "The first administrator".into(),
                default: Some("admin".into()),
                required: true,
                secret_length: None,
            },
            EnvVar {
                key: "DOMAIN".into(),
                description: "Where users reach it".into(),
                default: None,
                required: true,
                secret_length: None,
            },
            EnvVar {
                key: "DB_PASSWORD".into(),
                description: "The database password".into(),
                default: None,
                required: true,
                secret_length: Some(24),
            },
        ],
        services: vec![
            Service {
                name: "gitea".into(),
                image: "gitea/gitea:1.22".into(),
                ports: vec![
                    PortMap {
                        host: 3000,
                        container: 3000,
                        protocol: Protocol::Tcp,
                    },
                    PortMap {
                        host: 2222,
                        container: 22,
                        protocol: Protocol::Tcp,
                    },
                ],
                volumes: vec![VolumeMount {
                    name: "data".into(),
                    target: "/data".into(),
                }],
                environment: BTreeMap::new(),
                command: None,
                depends_on: vec!["db".into()],
            },
            Service {
                name: "db".into(),
                image: "postgres:16".into(),
                ports: vec![],
                volumes: vec![VolumeMount {
                    name: "db".into(),
                    target: "/var/lib/postgresql/data".into(),
                }],
                environment: BTreeMap::new(),
                command: None,
                depends_on: vec![],
            },
        ],
    }
}

fn key(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    app.handle(AppEvent::Key(KeyEvent::new(code, mods)))
}

/// Type a sequence; `<Name>` for special keys (`<S-Tab>`, `<C-r>`, `<C-u>`, `<Space>`).
fn typed(app: &mut App, seq: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    let mut rest = seq;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest.find('>')
            && end > 1
        {
            let none = KeyModifiers::NONE;
            let (code, mods) = match &rest[1..end] {
                "Enter" => (KeyCode::Enter, none),
                "Esc" => (KeyCode::Esc, none),
                "Tab" => (KeyCode::Tab, none),
                "S-Tab" => (KeyCode::BackTab, KeyModifiers::SHIFT),
                "Down" => (KeyCode::Down, none),
                "Up" => (KeyCode::Up, none),
                "PgUp" => (KeyCode::PageUp, none),
                "PgDn" => (KeyCode::PageDown, none),
                "Bs" => (KeyCode::Backspace, none),
                "Space" => (KeyCode::Char(' '), none),
                "C-r" => (KeyCode::Char('r'), KeyModifiers::CONTROL),
                "C-u" => (KeyCode::Char('u'), KeyModifiers::CONTROL),
                "Home" => (KeyCode::Home, none),
                "End" => (KeyCode::End, none),
                // Keys a test's own keymap binds.
                "C-e" => (KeyCode::Char('e'), KeyModifiers::CONTROL),
                "C-k" => (KeyCode::Char('k'), KeyModifiers::CONTROL),
                "C-a" => (KeyCode::Char('a'), KeyModifiers::CONTROL),
                "C-z" => (KeyCode::Char('z'), KeyModifiers::CONTROL),
                other => panic!("unknown key {other}"),
            };
            out.extend(key(app, code, mods));
            rest = &rest[end + 1..];
            continue;
        }
        out.extend(key(app, KeyCode::Char(c), KeyModifiers::NONE));
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn wizard(app: &App) -> &DeployWizard {
    app.layers
        .screens()
        .last()
        .and_then(|l| l.as_any().downcast_ref::<DeployWizard>())
        .expect("the wizard on top")
}

fn opened(size: (u16, u16)) -> App {
    let mut app = rack_app(size);
    app.open_deploy_wizard(gitea());
    app
}

/// The wizard filled in to the review: DOMAIN set, everything else as proposed.
fn at_review(size: (u16, u16)) -> App {
    let mut app = opened(size);
    typed(
        &mut app,
        "<Tab><Tab><Tab><Tab><Tab><Tab>git.lan<Tab><Tab><Tab><Tab>",
    );
    assert_eq!(wizard(&app).page, Page::Review);
    app
}

#[test]
fn opens_on_the_name_made_unique_against_the_rack() {
    let app = opened((100, 30));
    let w = wizard(&app);
    assert_eq!(w.page, Page::Name);
    // gitea, gitea-2 and gitea-3 are guests of the sample rack.
    assert_eq!(w.form.name_value(), "gitea-4");
    assert_eq!(w.form.name_error(), None);
    assert_eq!(w.form.nodes.len(), 3);
}

#[test]
fn the_name_is_checked_as_typed_and_blocks_the_next_page() {
    let mut app = opened((100, 30));
    typed(&mut app, "<C-u>");
    assert_eq!(
        wizard(&app).form.name_error().as_deref(),
        Some("must not be empty")
    );
    typed(&mut app, "Gitea");
    assert_eq!(
        wizard(&app).form.name_error().as_deref(),
        Some("only lowercase letters, digits and '-' (found 'G')")
    );
    assert!(screen(&app, (100, 30)).contains("✖ only lowercase letters, digits and '-'"));
    typed(&mut app, "<Tab><PgDn>");
    assert_eq!(wizard(&app).page, Page::Name, "a bad name keeps the page");
    typed(&mut app, "<C-u>jellyfin");
    assert_eq!(
        wizard(&app).form.name_error().as_deref(),
        Some("already used on the rack")
    );
    typed(&mut app, "<C-u>my-git<Tab>");
    assert_eq!(wizard(&app).page, Page::Target);
}

#[test]
fn target_is_automatic_with_the_engines_reason_or_a_chosen_node() {
    let mut app = opened((100, 30));
    typed(&mut app, "<Tab>");
    let w = wizard(&app);
    assert_eq!(w.form.target, 0);
    let p = w.form.placement().expect("a node has room");
    assert_eq!(p.reason, "pve1: most free memory (108.0 GiB)");
    assert!(screen(&app, (100, 30)).contains("automatic: pve1: most free memory (108.0 GiB)"));
    typed(&mut app, "<Down><Down>");
    let w = wizard(&app);
    let chosen = w.form.chosen().expect("a node");
    assert_eq!(
        (chosen.host.as_str(), chosen.node.as_str()),
        ("lab", "pve2")
    );
    typed(&mut app, "<Down><Down><Down>");
    assert_eq!(
        wizard(&app).form.target,
        3,
        "the list ends at the last node"
    );
    typed(&mut app, "<Up><Up><Up><Up><Up>");
    assert_eq!(wizard(&app).form.target, 0);
}

#[test]
fn resources_are_checked_against_the_app_and_the_node() {
    let mut app = opened((100, 30));
    typed(&mut app, "<Tab><Down><Down><Tab>");
    assert_eq!(wizard(&app).page, Page::Resources);
    assert_eq!(
        [0, 1, 2].map(|i| wizard(&app).form.resource_value(i)),
        ["2", "1024", "8"]
    );
    typed(&mut app, "<Tab><Bs><Bs><Bs><Bs>512");
    assert_eq!(
        wizard(&app).form.resource_errors()[1].as_deref(),
        Some("512 MiB is below what Gitea needs (1024 MiB)")
    );
    // pve2 has 128 - 37 GiB free.
    typed(&mut app, "<C-u>200000");
    assert_eq!(
        wizard(&app).form.resource_errors()[1].as_deref(),
        Some("above the free memory of pve2 (93184 MiB)")
    );
    typed(&mut app, "<C-u>2x");
    assert_eq!(
        wizard(&app).form.resource_errors()[1].as_deref(),
        Some("a whole number")
    );
    assert!(screen(&app, (100, 30)).contains("✖ a whole number"));
    typed(&mut app, "<PgDn>");
    assert_eq!(wizard(&app).page, Page::Resources);
    assert_eq!(wizard(&app).field, 1, "the bad field gets the keyboard");
    typed(&mut app, "<C-u>4096<Tab><C-u>64<Tab>");
    assert_eq!(wizard(&app).page, Page::Env);
}

#[test]
fn variables_enforce_required_ones_and_mask_secrets() {
    let mut app = opened((100, 30));
    typed(&mut app, "<PgDn><PgDn><PgDn>");
    assert_eq!(wizard(&app).page, Page::Env);
    let w = wizard(&app);
    assert_eq!(w.form.env_value(0), "admin", "the default is proposed");
    assert_eq!(
        w.form.env_errors(),
        vec![None, Some("required".into()), None],
        "an empty secret is generated, an empty DOMAIN is refused"
    );
    let shown = screen(&app, (100, 30));
    assert!(shown.contains("generated if left empty"), "{shown}");
    // Required DOMAIN: the next page is refused, the field gets the keyboard.
    typed(&mut app, "<PgDn>");
    assert_eq!((wizard(&app).page, wizard(&app).field), (Page::Env, 1));
    typed(&mut app, "git.lan<Tab>s3cret");
    let shown = screen(&app, (100, 30));
    assert!(shown.contains("••••••"), "{shown}");
    assert!(!shown.contains("s3cret"));
    typed(&mut app, "<C-r>");
    assert!(screen(&app, (100, 30)).contains("s3cret"));
    typed(&mut app, "<C-r>");
    assert!(!screen(&app, (100, 30)).contains("s3cret"));
}

#[test]
fn volumes_are_listed_and_space_flips_the_switches() {
    let mut app = opened((100, 30));
    typed(&mut app, "<PgDn><PgDn><PgDn><Tab>git.lan<PgDn>");
    assert_eq!(wizard(&app).page, Page::Volumes);
    let shown = screen(&app, (100, 30));
    assert!(
        shown.contains("gitea: data -> /data  /opt/proximity/gitea-4/data/data"),
        "{shown}"
    );
    let w = wizard(&app);
    assert!(w.form.backups && !w.form.keep_on_failure);
    typed(&mut app, "<Space><Down><Space>");
    let w = wizard(&app);
    assert!(!w.form.backups && w.form.keep_on_failure);
}

#[test]
fn review_lists_everything_and_enter_sends_the_exact_request() {
    let mut app = at_review((100, 30));
    let shown = screen(&app, (100, 30));
    for want in [
        "Gitea 1.22 (gitea)",
        "gitea-4",
        "automatic, now lab/pve1 (pve1: most free memory (108.0 GiB))",
        "2 cores · 1024 MiB memory · 8 GiB disk",
        "ADMIN_USER = admin",
        "DOMAIN = git.lan",
        "DB_PASSWORD = (generated)",
        "gitea (gitea/gitea:1.22) · ports 3000->3000, 2222->22",
        "db: db -> /var/lib/postgresql/data (/opt/proximity/gitea-4/data/db)",
        "on · keep on failure off",
    ] {
        assert!(shown.contains(want), "{want:?} in\n{shown}");
    }
    let effects = typed(&mut app, "<Enter>");
    let mut want = DeployRequest::new(gitea());
    want.name = Some("gitea-4".into());
    want.env = BTreeMap::from([
        ("ADMIN_USER".to_string(), "admin".to_string()),
        ("DOMAIN".to_string(), "git.lan".to_string()),
    ]);
    want.resources = Some(gitea().resources);
    assert_eq!(effects, vec![Effect::Deploy(Box::new(want))]);
    assert!(wizard(&app).submitting);
    assert_eq!(typed(&mut app, "<Enter>"), vec![], "one request per answer");
}

#[test]
fn a_chosen_node_and_switches_reach_the_request() {
    let mut app = opened((100, 30));
    typed(
        &mut app,
        "<Tab><Down><Down><Down><Tab><C-u>4<Tab><Tab><Tab>",
    );
    typed(
        &mut app,
        "<Tab>git.lan<Tab>pw<Tab><Space><Down><Space><Tab><Tab>",
    );
    let effects = typed(&mut app, "<Enter>");
    let Some(Effect::Deploy(req)) = effects.first() else {
        panic!("a deploy: {effects:?}");
    };
    assert_eq!(
        (req.host.as_deref(), req.node.as_deref()),
        (Some("lab"), Some("pve3"))
    );
    assert_eq!(req.resources.map(|r| r.cores), Some(4));
    assert_eq!(req.env.get("DB_PASSWORD").map(String::as_str), Some("pw"));
    assert!(!req.backups && req.keep_on_failure);
}

#[test]
fn a_required_variable_emptied_later_stops_the_way_again() {
    let mut app = opened((100, 30));
    // To the review with DOMAIN set, back to clear it: the way forward is refused again.
    typed(&mut app, "<PgDn><PgDn><PgDn><Tab>x<PgDn><PgDn>");
    assert_eq!(wizard(&app).page, Page::Review);
    typed(&mut app, "<PgUp><PgUp><Tab><Bs><PgDn><PgDn>");
    assert_eq!(
        wizard(&app).page,
        Page::Env,
        "a required variable stops the way"
    );
    assert_eq!(wizard(&app).field, 1);
}

#[test]
fn a_refusal_keeps_the_wizard_and_its_values() {
    let mut app = at_review((100, 30));
    typed(&mut app, "<Enter>");
    app.handle(AppEvent::DeployRefused {
        text: "name \"gitea-4\" is already used on the cluster".into(),
    });
    let w = wizard(&app);
    assert!(!w.submitting);
    assert_eq!(w.page, Page::Review);
    assert_eq!(w.form.env_value(1), "git.lan");
    assert!(
        app.toasts.iter().any(|t| t.error
            && t.text == "deploy refused: name \"gitea-4\" is already used on the cluster")
    );
    assert!(screen(&app, (100, 30)).contains("✖ refused: name \"gitea-4\""));
    // Enter tries again.
    assert!(matches!(
        typed(&mut app, "<Enter>").as_slice(),
        [Effect::Deploy(_)]
    ));
}

#[test]
fn a_started_deploy_closes_the_wizard_and_opens_its_log_beside_the_rack() {
    let mut app = at_review((100, 30));
    typed(&mut app, "<Enter>");
    let effects = app.handle(AppEvent::DeployStarted {
        job: JobId(12),
        name: "gitea-4".into(),
        host: None,
        node: None,
    });
    assert!(app.layers.screens().is_empty(), "the wizard is closed");
    assert!(
        app.toasts
            .iter()
            .any(|t| t.text == "deploying gitea-4 (job-12)")
    );
    let pane = app
        .layers
        .get(Slot::Pane(0))
        .and_then(|l| l.as_any().downcast_ref::<LogView>())
        .expect("the job's log beside the rack");
    assert_eq!(pane.source, LogSource::Job { id: 12 });
    assert!(effects.contains(&Effect::FollowLog {
        source: LogSource::Job { id: 12 }
    }));
    // The wizard's guess places it until the job says where it went.
    let p = &app.deploys.pending[0];
    assert_eq!(
        (p.name.as_str(), p.host.as_str(), p.node.as_str()),
        ("gitea-4", "lab", "pve1")
    );
}

#[test]
fn esc_closes_on_the_first_page_and_goes_back_on_the_others() {
    let mut app = opened((100, 30));
    typed(&mut app, "<Tab><Tab>");
    assert_eq!(wizard(&app).page, Page::Resources);
    typed(&mut app, "<Esc>");
    assert_eq!(wizard(&app).page, Page::Target);
    typed(&mut app, "<S-Tab>");
    assert_eq!(wizard(&app).page, Page::Name);
    typed(&mut app, "<Esc>");
    assert!(app.layers.screens().is_empty());
}

#[test]
fn no_key_panics_on_any_page() {
    let codes = [
        KeyCode::Enter,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Insert,
        KeyCode::F(1),
        KeyCode::Char(' '),
        KeyCode::Char('q'),
        KeyCode::Char('é'),
        KeyCode::Char('r'),
        KeyCode::Char('z'),
        KeyCode::Null,
    ];
    let mods = [
        KeyModifiers::NONE,
        KeyModifiers::CONTROL,
        KeyModifiers::ALT,
        KeyModifiers::SHIFT,
    ];
    for size in [(100, 30), (80, 24), (30, 10)] {
        let mut app = opened(size);
        app.task_board = Default::default();
        for page_keys in ["", "<Tab>", "<Tab><Tab>", "<PgDn><PgDn><PgDn>"] {
            typed(&mut app, page_keys);
            for code in codes {
                for m in mods {
                    if code == KeyCode::Char('c') || code == KeyCode::Esc {
                        continue;
                    }
                    key(&mut app, code, m);
                    screen(&app, size);
                }
            }
        }
    }
}

fn deploy_job(id: u64, step: &str, fraction: f32) -> JobInfo {
    JobInfo {
        id: JobId(id),
        kind: JobKind::Deploy,
        caller: Caller::Tui,
        target: JobTarget {
            host: String::new(),
            node: None,
            vmid: None,
        },
        state: JobState::Running,
        step: Some(step.into()),
        fraction: Some(fraction),
        upid: None,
        started_ms: 0,
        ended_ms: None,
        log: VecDeque::new(),
        log_total: 0,
    }
}

fn log(app: &mut App, id: u64, index: usize, text: &str) {
    app.handle(AppEvent::Job(JobEvent::Log {
        id: JobId(id),
        index,
        line: proximity::engine::jobs::LogLine {
            at_ms: 0,
            text: text.into(),
        },
    }));
}

/// A deployment placed on pve2, pulling images.
fn deploying(size: (u16, u16)) -> App {
    let mut app = rack_app(size);
    app.handle(AppEvent::Job(JobEvent::Started(Box::new(deploy_job(
        5,
        "checking the request",
        0.0,
    )))));
    log(&mut app, 5, 0, "deploying Gitea as gitea-4");
    log(&mut app, 5, 1, "placed on lab/pve2: pve2: chosen");
    app.handle(AppEvent::Job(JobEvent::Step {
        id: JobId(5),
        step: Some("pulling images".into()),
        fraction: Some(0.45),
        upid: None,
    }));
    app
}

#[test]
fn a_running_deploy_shows_on_its_rack_until_its_slot_exists() {
    let mut app = deploying((100, 30));
    let p = &app.deploys.pending[0];
    assert_eq!(
        (p.name.as_str(), p.node.as_str(), p.label.as_str()),
        ("gitea-4", "pve2", "pulling images")
    );
    let shown = screen(&app, (100, 30));
    assert!(shown.contains("deploying gitea-4"), "{shown}");
    assert!(app.is_animating());
    // The id is known: the job pulses that slot once the inventory has it.
    log(&mut app, 5, 2, "id 140");
    assert!(app.task_for("lab", 140).is_some());
    assert_eq!(app.pending_deploys().count(), 1, "no slot yet");
    let mut list = proximity::ui::sample::resources(3, 40);
    let mut ct = list.last().cloned().expect("a guest");
    ct.id = "lxc/140".into();
    ct.vmid = Some(140);
    ct.name = Some("gitea-4".into());
    ct.node = Some("pve2".into());
    ct.kind = "lxc".into();
    ct.tags = Some("proximity;px-app-gitea".into());
    list.push(ct);
    app.handle(AppEvent::Inventory("lab".into(), Ok(list.into()), t0()));
    assert_eq!(app.pending_deploys().count(), 0, "the slot took over");
    assert!(!screen(&app, (100, 30)).contains("deploying gitea-4"));
    let mut done = deploy_job(5, "done", 1.0);
    done.state = JobState::Succeeded;
    app.handle(AppEvent::Job(JobEvent::Finished(Box::new(done))));
    assert!(app.deploys.pending.is_empty());
    assert!(app.task_for("lab", 140).is_none());
    assert!(
        app.toasts
            .iter()
            .any(|t| t.ok && t.text.contains("deploy done"))
    );
}

#[test]
fn a_deploy_that_fails_before_its_slot_says_so() {
    let mut app = deploying((100, 30));
    let mut failed = deploy_job(5, "pulling images", 0.45);
    failed.state = JobState::Failed("pull: no such image".into());
    app.handle(AppEvent::Job(JobEvent::Finished(Box::new(failed))));
    assert!(app.deploys.pending.is_empty());
    assert!(
        app.toasts
            .iter()
            .any(|t| t.error && t.text == "✖ deploying gitea-4 failed: pull: no such image")
    );
    // A late answer from the engine does not bring it back.
    app.handle(AppEvent::DeployStarted {
        job: JobId(5),
        name: "gitea-4".into(),
        host: None,
        node: None,
    });
    assert!(app.deploys.pending.is_empty());
}

fn snap(name: &str, build: impl Fn((u16, u16)) -> App) {
    for size in [(100, 30), (80, 24)] {
        let app = build(size);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(&app, size));
    }
}

#[test]
fn snapshot_wizard_pages() {
    let pages: [(&str, &str); 6] = [
        ("wizard_name", "<C-u>Gitea"),
        ("wizard_target", "<Tab><Down><Down>"),
        ("wizard_resources", "<PgDn><PgDn><Tab><C-u>500000"),
        ("wizard_env", "<PgDn><PgDn><PgDn><Tab><Tab>s3cret"),
        (
            "wizard_volumes",
            "<PgDn><PgDn><PgDn><Tab>git.lan<PgDn><Down>",
        ),
        (
            "wizard_review",
            "<PgDn><PgDn><PgDn><Tab>git.lan<PgDn><PgDn>",
        ),
    ];
    for (name, keys) in pages {
        snap(name, |size| {
            let mut app = opened(size);
            typed(&mut app, keys);
            app
        });
    }
}

#[test]
fn snapshot_pending_deploy_on_the_rack() {
    snap("rack_pending_deploy", deploying);
}

/// The wizard's keys and its footer come from the keymap's `[popup]` context: rebound,
/// the footer names the new keys, and they (not the old ones) move through the wizard.
#[test]
fn the_wizard_takes_its_keys_from_the_keymap() {
    let mut app = opened((160, 45));
    let (km, err) = proximity::ui::keymap::Keymap::with_user_file(
        "keymap.toml",
        "[popup]\nnext_field = [\"ctrl-f\"]\nback = [\"ctrl-g\"]\n",
    );
    assert!(err.is_none(), "{err:?}");
    app.keymap = km;
    let text = screen(&app, (160, 45));
    assert!(
        text.contains("C-f next") && text.contains("C-g cancel"),
        "{text}"
    );
    assert!(
        !text.contains("Tab next") && !text.contains("Esc cancel"),
        "{text}"
    );
    key(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    assert_eq!(wizard(&app).page, Page::Target);
    assert!(screen(&app, (160, 45)).contains("C-g back"));
    key(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(wizard(&app).page, Page::Target, "Esc is no longer back");
    key(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert_eq!(wizard(&app).page, Page::Name);
    key(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert!(
        !app.layers
            .screens()
            .iter()
            .any(|l| l.as_any().is::<DeployWizard>()),
        "back on the first page closes the wizard"
    );
}

#[test]
fn the_form_keys_come_from_the_popup_keymap() {
    // The defaults: Home / End jump in the target list, Ctrl-U clears, Ctrl-R reveals.
    let mut app = opened((100, 30));
    typed(&mut app, "<Tab><End>");
    assert_eq!(wizard(&app).form.target, 3, "End: the last node");
    typed(&mut app, "<Home>");
    assert_eq!(wizard(&app).form.target, 0, "Home: automatic");

    // A user file moves them: the old keys do nothing, the new ones do the work, and the
    // hints follow.
    let user = "[popup]\nreveal = [\"ctrl-e\"]\nclear_field = [\"ctrl-k\"]\n\
                top = [\"ctrl-a\"]\nbottom = [\"ctrl-z\"]\n";
    let (keymap, err) = proximity::ui::keymap::Keymap::with_user_file("keymap.toml", user);
    assert!(err.is_none(), "{err:?}");
    let mut app = opened((100, 30));
    app.keymap = keymap;
    typed(&mut app, "<C-u>");
    assert_ne!(
        wizard(&app).form.name.lines().concat(),
        "",
        "C-u clears no more"
    );
    typed(&mut app, "<C-k>gitea-two");
    assert_eq!(wizard(&app).form.name.lines().concat(), "gitea-two");
    typed(&mut app, "<Tab><End>");
    assert_eq!(wizard(&app).form.target, 0, "End is not bound any more");
    typed(&mut app, "<C-z>");
    assert_eq!(wizard(&app).form.target, 3);
    typed(&mut app, "<C-a>");
    assert_eq!(wizard(&app).form.target, 0);
    // To the variables; the required DOMAIN stops the next page and gets the keyboard.
    typed(&mut app, "<PgDn><PgDn><PgDn>git.lan<Tab>s3cret");
    assert_eq!(wizard(&app).page, Page::Env);
    let shown = screen(&app, (100, 30));
    assert!(shown.contains("C-e reveal"), "{shown}");
    typed(&mut app, "<C-r>");
    assert!(
        !screen(&app, (100, 30)).contains("s3cret"),
        "C-r reveals no more"
    );
    typed(&mut app, "<C-e>");
    assert!(screen(&app, (100, 30)).contains("s3cret"));
}

/// Space is `toggle` in the keymap's `[wizard]` context: by default it flips the switches
/// and still types a space in the text fields. A user file that moves `toggle` moves what
/// flips them and the hint follows; Space is then `[popup]`'s again (the next page).
#[test]
fn the_switches_flip_with_the_wizard_keymap_toggle() {
    let mut app = opened((100, 30));
    typed(&mut app, "<C-u>my git");
    assert_eq!(
        wizard(&app).form.name_value(),
        "my git",
        "typed in the name"
    );
    typed(&mut app, "<C-u>gitea-4<PgDn><PgDn><PgDn><Tab>git lan");
    assert_eq!(wizard(&app).form.env_value(1), "git lan", "typed in DOMAIN");
    typed(&mut app, "<C-u>git.lan<PgDn>");
    assert_eq!(wizard(&app).page, Page::Volumes);
    let shown = screen(&app, (100, 30));
    assert!(shown.contains("space toggle"), "{shown}");
    typed(&mut app, "<Space>");
    assert!(!wizard(&app).form.backups);
    assert_eq!(wizard(&app).page, Page::Volumes);

    let (keymap, err) = proximity::ui::keymap::Keymap::with_user_file(
        "keymap.toml",
        "[wizard]\ntoggle = [\"t\"]\n",
    );
    assert!(err.is_none(), "{err:?}");
    let mut app = opened((100, 30));
    app.keymap = keymap;
    typed(&mut app, "<C-u>gitea-t");
    assert_eq!(
        wizard(&app).form.name_value(),
        "gitea-t",
        "t is typed in a text field"
    );
    typed(&mut app, "<PgDn><PgDn><PgDn><Tab>git.lan<PgDn>");
    assert_eq!(wizard(&app).page, Page::Volumes);
    let shown = screen(&app, (100, 30));
    assert!(
        shown.contains("t toggle") && !shown.contains("space toggle"),
        "{shown}"
    );
    // Plain keys are keys on a page without a text field: `t` flips, `j` moves down.
    typed(&mut app, "tjt");
    let w = wizard(&app);
    assert!(!w.form.backups && w.form.keep_on_failure);
    typed(&mut app, "<Space>");
    let w = wizard(&app);
    assert!(
        !w.form.backups && w.form.keep_on_failure,
        "space flips no more"
    );
    assert_eq!(w.page, Page::Review, "space pages down as in [popup]");
}
