//! The tasks view: opened with `g t` (and the palette), rows from `AppEvent::TaskRows` and
//! `AppEvent::Jobs` sorted running first then newest, the `/` filter, Enter into the log
//! viewer, `c` with its confirmation, refreshes while it is on top; and its snapshots.

mod views_support;

use std::time::Duration;

use proximity::ui::action::Action;
use proximity::ui::confirm::ConfirmLayer;
use proximity::ui::keymap::Context;
use proximity::ui::log_view::LogView;
use proximity::ui::task_board::{LogSource, TaskState};
use proximity::ui::tasks_view::TasksView;
use proximity::ui::{App, AppEvent, Effect};
use views_support::*;

fn tasks_view(app: &App) -> &TasksView {
    app.layers
        .screens()
        .last()
        .and_then(|l| l.as_any().downcast_ref::<TasksView>())
        .expect("the tasks view on top")
}

/// (source, type, id, status) of the rows as shown.
fn shown(app: &App) -> Vec<(String, String, String, TaskState)> {
    tasks_view(app)
        .visible(&app.task_board)
        .iter()
        .map(|r| {
            (
                r.origin.name().into(),
                r.kind.clone(),
                r.target.clone(),
                r.state,
            )
        })
        .collect()
}

fn opened() -> App {
    let mut app = rack_app((160, 45));
    feed_tasks(&mut app);
    assert_eq!(typed(&mut app, "gt"), vec![Effect::RefreshTasks]);
    app
}

#[test]
fn g_t_opens_it_and_rows_sort_running_first_then_newest() {
    let app = opened();
    let rows = shown(&app);
    assert_eq!(rows.len(), 9);
    let running: Vec<_> = rows.iter().take(3).map(|r| r.2.as_str()).collect();
    // Running: the job (90 s old), vzdump 100 (30 min), vzmigrate 201 (70 min).
    assert_eq!(running, ["jellyfin", "100", "201"]);
    assert!(rows[3..].iter().all(|r| r.3 != TaskState::Running));
    assert_eq!(rows[3].2, "101", "then the newest finished one");
    assert_eq!(rows.last().map(|r| r.2.as_str()), Some("gitea"));
}

#[test]
fn filter_narrows_rows_by_word_and_by_column() {
    let mut app = opened();
    typed(&mut app, "/status:running");
    assert!(tasks_view(&app).filter_editing);
    assert_eq!(shown(&app).len(), 3);
    typed(&mut app, " host:edge<Enter>");
    assert_eq!(
        shown(&app),
        vec![(
            "pve".into(),
            "vzmigrate".into(),
            "201".into(),
            TaskState::Running
        )]
    );
    assert!(!tasks_view(&app).filter_editing);
    // Esc drops the filter first, then closes the view.
    typed(&mut app, "<Esc>");
    assert_eq!(shown(&app).len(), 9);
    typed(&mut app, "/vzdump<Enter>");
    assert_eq!(shown(&app).len(), 2, "a bare word matches any column");
    typed(&mut app, "<Esc><Esc>");
    assert!(app.layers.is_empty());
}

#[test]
fn moving_keeps_the_selection_through_refreshes() {
    let mut app = opened();
    typed(&mut app, "jj");
    let picked = tasks_view(&app).selected.clone();
    assert_eq!(
        picked,
        Some(LogSource::Task {
            host: "edge".into(),
            upid: upid("e1", 7, "vzmigrate", "201"),
        })
    );
    // A refresh that adds a newer running task moves the row; the selection follows it.
    app.handle(AppEvent::TaskRows {
        host: "lab".into(),
        rows: vec![pve_row(
            "lab",
            "pve1",
            0,
            "vzstart",
            "104",
            TaskState::Running,
        )],
        at: t0(),
    });
    let view = tasks_view(&app);
    let rows = view.visible(&app.task_board);
    assert_eq!(rows[view.selected_index(&rows)].target, "201");
    typed(&mut app, "G");
    assert_eq!(
        tasks_view(&app).selected,
        Some(LogSource::Job { id: 3 }),
        "G goes to the last row"
    );
}

#[test]
fn enter_opens_the_log_viewer_and_asks_for_the_log() {
    let mut app = opened();
    let effects = typed(&mut app, "j<Enter>");
    let source = LogSource::Task {
        host: "lab".into(),
        upid: upid("pve1", 3, "vzdump", "100"),
    };
    assert!(effects.contains(&Effect::FollowLog {
        source: source.clone()
    }));
    let top = app.layers.screens().last().expect("a layer");
    let log = top
        .as_any()
        .downcast_ref::<LogView>()
        .expect("the log viewer on top");
    assert_eq!(log.source, source);
    assert_eq!(log.title, "pve vzdump 100 · lab/pve1");
    assert_eq!(app.layers.screens().len(), 2, "over the tasks view");
}

#[test]
fn c_asks_before_cancelling_a_running_task() {
    let mut app = opened();
    // The top row is the running job.
    assert!(typed(&mut app, "c").is_empty());
    assert!(
        app.layers
            .screens()
            .last()
            .is_some_and(|l| l.as_any().is::<ConfirmLayer>()),
        "a confirmation on top"
    );
    // Keys go to the top layer: `j` does not move the table under the question.
    typed(&mut app, "j");
    assert_eq!(tasks_view_below(&app).selected, None);
    assert_eq!(
        typed(&mut app, "y"),
        vec![Effect::CancelTask {
            source: LogSource::Job { id: 7 }
        }]
    );
    assert!(tasks_view(&app).selected.is_none(), "the question is gone");
    // `n` says no; a finished task gets a toast instead of a question.
    typed(&mut app, "c");
    assert!(typed(&mut app, "n").is_empty());
    assert!(
        app.layers
            .screens()
            .last()
            .is_some_and(|l| l.as_any().is::<TasksView>())
    );
    typed(&mut app, "jjj");
    assert!(typed(&mut app, "c").is_empty());
    assert!(app.toasts.iter().any(|t| t.text.contains("is not running")));
}

fn tasks_view_below(app: &App) -> &TasksView {
    app.layers.screens()[0]
        .as_any()
        .downcast_ref::<TasksView>()
        .expect("the tasks view under the question")
}

#[test]
fn refreshes_every_few_seconds_while_on_top() {
    let mut app = opened();
    let deadline = app.next_deadline().expect("a refresh deadline");
    assert_eq!(deadline, t0() + Duration::from_secs(5));
    assert!(
        app.handle(AppEvent::Tick(t0() + Duration::from_secs(2)))
            .is_empty()
    );
    assert_eq!(
        app.handle(AppEvent::Tick(t0() + Duration::from_secs(5))),
        vec![Effect::RefreshTasks]
    );
    // Under a log viewer it is not seen, so it does not ask.
    typed(&mut app, "<Enter>");
    assert!(
        app.handle(AppEvent::Tick(t0() + Duration::from_secs(60)))
            .is_empty()
    );
    // `r` asks at once.
    typed(&mut app, "<Esc>");
    assert_eq!(typed(&mut app, "r"), vec![Effect::RefreshTasks]);
}

#[test]
fn global_keys_still_work_and_jumps_close_it() {
    let mut app = opened();
    typed(&mut app, "?");
    assert!(app.layers.popup().is_some(), "help over the tasks view");
    typed(&mut app, "<Esc>");
    typed(&mut app, "gh");
    assert!(
        app.layers.screens().len() == 1 && app.hosts_view().is_some(),
        "g h leaves the tasks view for the hosts screen: {:?}",
        app.layers
    );
    // From the palette too.
    typed(&mut app, ":tasks: Prox<Enter>");
    assert!(
        app.layers
            .screens()
            .last()
            .is_some_and(|l| l.as_any().is::<TasksView>())
    );
}

#[test]
fn help_lists_the_new_contexts() {
    let app = App::with_defaults(t0());
    let rows = app.keymap.help_rows();
    assert!(
        rows.iter()
            .any(|(c, k, _)| *c == Context::Tasks && k == "c")
    );
    assert!(rows.iter().any(|(c, k, _)| *c == Context::Log && k == "F"));
    assert_eq!(
        app.keymap.keys_for(Context::Rack, Action::Tasks),
        vec!["g t"]
    );
}

#[test]
fn text_from_hosts_is_cleaned() {
    let mut app = opened();
    let mut row = pve_row("lab", "pve1", 9, "vzdump", "1\x1b[2J01", TaskState::Ok);
    row.user = "evil\x07@pam".into();
    app.handle(AppEvent::TaskRows {
        host: "lab".into(),
        rows: vec![row],
        at: t0(),
    });
    let text = screen(&app, (160, 45));
    assert!(!text.contains('\x1b') && !text.contains('\x07'));
    assert!(text.contains("evil@pam"));
}

fn snap(name: &str, build: impl Fn((u16, u16)) -> App) {
    for size in SIZES {
        let app = build(size);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(&app, size));
    }
}

#[test]
fn snapshot_tasks_view() {
    snap("tasks_view", |size| {
        let mut app = rack_app(size);
        feed_tasks(&mut app);
        typed(&mut app, "gtjj");
        app
    });
}

#[test]
fn snapshot_tasks_view_filtered() {
    snap("tasks_view_filtered", |size| {
        let mut app = rack_app(size);
        feed_tasks(&mut app);
        typed(&mut app, "gt/host:lab vz");
        app
    });
}

#[test]
fn snapshot_cancel_question() {
    snap("tasks_view_cancel", |size| {
        let mut app = rack_app(size);
        feed_tasks(&mut app);
        typed(&mut app, "gtjc");
        app
    });
}
