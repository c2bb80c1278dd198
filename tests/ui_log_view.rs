//! The log viewer from key sequences: following and scrolling, search with wraparound,
//! save, the layer stack (Esc pops only the top, keys go to the top first), panes beside
//! the rack with focus cycling; and snapshots full screen and beside the rack.

mod views_support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::{KeyModifiers, MouseEvent, MouseEventKind};
use proximity::ui::layer::Slot;
use proximity::ui::log_view::LogView;
use proximity::ui::task_board::{LogLine, LogSource};
use proximity::ui::tasks_view::TasksView;
use proximity::ui::{App, AppEvent, Effect};
use views_support::*;

const JOB: LogSource = LogSource::Job { id: 7 };

/// The tasks view, then the job's log over it with `n` lines.
fn with_log(size: (u16, u16), n: usize) -> App {
    let mut app = rack_app(size);
    feed_tasks(&mut app);
    let effects = typed(&mut app, "gt<Enter>");
    assert!(effects.contains(&Effect::FollowLog { source: JOB }));
    lines(&mut app, 0, numbered(n), false);
    app
}

fn lines(app: &mut App, from_line: usize, lines: Vec<LogLine>, done: bool) {
    app.handle(AppEvent::LogLines {
        source: JOB,
        from_line,
        lines,
        done,
    });
}

fn log_in(app: &App, slot: Slot) -> &LogView {
    app.layers
        .get(slot)
        .and_then(|l| l.as_any().downcast_ref::<LogView>())
        .expect("a log viewer there")
}

fn top_log(app: &App) -> &LogView {
    log_in(app, Slot::Screen(app.layers.screens().len() - 1))
}

/// Rows of log text at 160x45: body 43 rows, border 2, footer 1.
const ROWS: usize = 40;

fn first_visible(app: &App) -> usize {
    top_log(app).first_visible(ROWS, 158)
}

#[test]
fn follows_the_end_until_scrolled_up_and_resumes_with_f_or_end() {
    let mut app = with_log((160, 45), 100);
    assert!(top_log(&app).following);
    assert_eq!(first_visible(&app), 60);
    lines(&mut app, 100, numbered(120)[100..].to_vec(), false);
    assert_eq!(first_visible(&app), 80, "new lines keep it at the end");

    typed(&mut app, "k");
    assert!(!top_log(&app).following, "scrolling up stops following");
    assert_eq!(first_visible(&app), 79);
    lines(&mut app, 120, numbered(130)[120..].to_vec(), false);
    assert_eq!(
        first_visible(&app),
        79,
        "it keeps its place while lines arrive"
    );

    typed(&mut app, "F");
    assert!(top_log(&app).following);
    assert_eq!(first_visible(&app), 90);
    typed(&mut app, "<PgUp><Home>");
    assert_eq!(first_visible(&app), 0);
    typed(&mut app, "<End>");
    assert!(top_log(&app).following, "End resumes");
    // Scrolling down onto the end resumes too.
    typed(&mut app, "kj");
    assert!(top_log(&app).following);
}

#[test]
fn the_wheel_scrolls_the_log_under_it() {
    let mut app = with_log((160, 45), 100);
    let wheel = |kind| {
        AppEvent::Mouse(MouseEvent {
            kind,
            column: 50,
            row: 10,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.handle(wheel(MouseEventKind::ScrollUp));
    assert_eq!(first_visible(&app), 57);
    assert!(!top_log(&app).following);
    app.handle(wheel(MouseEventKind::ScrollDown));
    assert!(top_log(&app).following);
}

#[test]
fn search_counts_matches_and_n_wraps_around() {
    let mut app = with_log((160, 45), 100);
    typed(&mut app, "/error");
    assert_eq!(top_log(&app).search.input.as_deref(), Some("error"));
    typed(&mut app, "<Enter>");
    let log = top_log(&app);
    assert_eq!(log.search.matches.len(), 20);
    // From the first visible line (60): line 65 is the 13th match.
    assert_eq!(log.search.counter(), "13/20");
    for _ in 0..7 {
        typed(&mut app, "n");
    }
    assert_eq!(top_log(&app).search.counter(), "20/20");
    typed(&mut app, "n");
    assert_eq!(
        top_log(&app).search.counter(),
        "1/20",
        "n wraps to the first"
    );
    assert_eq!(first_visible(&app), 0, "and shows it");
    typed(&mut app, "N");
    assert_eq!(
        top_log(&app).search.counter(),
        "20/20",
        "N wraps to the last"
    );
    // New lines are searched as they come.
    lines(&mut app, 100, numbered(110)[100..].to_vec(), false);
    assert_eq!(top_log(&app).search.matches.len(), 22);
    // Smart case: a capital letter matches case.
    typed(&mut app, "/Error<Enter>");
    assert_eq!(top_log(&app).search.counter(), "no match");
    // Esc drops the search before it closes anything.
    typed(&mut app, "<Esc>");
    assert!(!top_log(&app).search.is_active());
    assert_eq!(app.layers.screens().len(), 2);
}

#[test]
fn esc_pops_only_the_top_layer() {
    let mut app = with_log((160, 45), 10);
    assert_eq!(
        typed(&mut app, "<Esc>"),
        vec![Effect::StopLog { source: JOB }]
    );
    assert_eq!(app.layers.screens().len(), 1);
    assert!(app.layers.screens()[0].as_any().is::<TasksView>());
    typed(&mut app, "<Esc>");
    assert!(app.layers.is_empty());
    typed(&mut app, "<Esc>");
    assert!(!app.console_open(), "the rack stays");
}

#[test]
fn keys_go_to_the_top_layer_first() {
    let mut app = with_log((160, 45), 100);
    // `j`, `/`, `t` mean different things in the tasks view and the log: the log gets them.
    typed(&mut app, "kt/x<Esc>");
    let log = top_log(&app);
    assert!(!log.following && log.timestamps);
    let tasks = app.layers.screens()[0]
        .as_any()
        .downcast_ref::<TasksView>()
        .expect("tasks view under the log");
    assert!(tasks.filter.is_empty() && !tasks.filter_editing);
    // The rack under both never moved.
    assert_eq!(app.selected().map(|(_, _, g)| g.vmid), Some(100));
}

#[test]
fn save_asks_for_a_file_under_the_state_dir_and_toasts_the_result() {
    let mut app = with_log((160, 45), 3);
    app.log_dir = PathBuf::from("/state/logs");
    let effects = typed(&mut app, "S");
    let [
        Effect::SaveLog {
            source,
            path,
            lines,
        },
    ] = effects.as_slice()
    else {
        panic!("expected one SaveLog, got {effects:?}");
    };
    assert_eq!(source, &JOB);
    assert_eq!(path, &PathBuf::from("/state/logs/job-7.log"));
    assert_eq!(
        lines[0],
        "2023-11-14 22:13:21 line 1: copying chunk 1 of the archive"
    );
    app.handle(AppEvent::LogSaved {
        path: path.clone(),
        result: Err("permission denied".into()),
    });
    assert!(
        app.toasts
            .iter()
            .any(|t| t.error && t.text == "saving /state/logs/job-7.log: permission denied")
    );
}

#[test]
fn lines_are_cleaned_and_overlaps_replace() {
    let mut app = with_log((160, 45), 5);
    lines(
        &mut app,
        3,
        vec![LogLine::new("four\x1b[31m red"), LogLine::new("six")],
        true,
    );
    let log = top_log(&app);
    assert_eq!(log.lines.len(), 5);
    assert_eq!(log.lines[3].text, "four red");
    assert!(log.done);
    // Lines for a log nobody shows are dropped quietly.
    app.handle(AppEvent::LogLines {
        source: LogSource::Job { id: 99 },
        from_line: 0,
        lines: vec![LogLine::new("lost")],
        done: true,
    });
    assert_eq!(top_log(&app).lines.len(), 5);
    // `r` asks for the whole log again; its first batch (from line 0) replaces the lines.
    assert_eq!(
        typed(&mut app, "r"),
        vec![Effect::FollowLog { source: JOB }]
    );
    lines(&mut app, 0, vec![LogLine::new("again")], false);
    assert_eq!(top_log(&app).lines.len(), 1);
}

#[test]
fn small_t_opens_the_selected_guests_task_log_full_screen() {
    let mut app = rack_app((160, 45));
    let u = upid("pve1", 2, "vzstart", "100");
    app.handle(AppEvent::TaskProgress {
        host: "lab".into(),
        vmid: 100,
        upid: u.clone(),
        label: "start".into(),
        fraction: None,
    });
    let source = LogSource::Task {
        host: "lab".into(),
        upid: u,
    };
    assert_eq!(
        typed(&mut app, "t"),
        vec![Effect::FollowLog {
            source: source.clone()
        }]
    );
    assert!(app.layers.popup().is_none(), "no popup: the log viewer");
    assert!(app.layers.panes().is_empty(), "full screen, not beside");
    assert_eq!(top_log(&app).source, source);
    app.handle(AppEvent::LogLines {
        source: source.clone(),
        from_line: 0,
        lines: vec![
            LogLine::new("starting \x1b[31mCT 100"),
            LogLine::new("TASK OK"),
        ],
        done: true,
    });
    assert_eq!(top_log(&app).lines.len(), 2);
    assert!(top_log(&app).done);
    // Esc closes it and stops following.
    assert_eq!(typed(&mut app, "<Esc>"), vec![Effect::StopLog { source }]);
    assert!(app.layers.screens().is_empty());
}

#[test]
fn logs_sit_beside_the_rack_and_focus_cycles() {
    let mut app = with_log((160, 45), 50);
    typed(&mut app, "s");
    assert!(app.layers.screens().is_empty(), "back to the rack");
    assert_eq!(app.layers.panes().len(), 1);
    assert_eq!(app.layers.pane_focus(), Some(0));
    // The pane has the keyboard: `k` scrolls it, not the rack.
    typed(&mut app, "k");
    assert!(!log_in(&app, Slot::Pane(0)).following);
    assert_eq!(app.selected().map(|(_, _, g)| g.vmid), Some(100));
    // ctrl-w gives the rack the keyboard; the rack is usable.
    typed(&mut app, "<C-w>j");
    assert_eq!(app.layers.pane_focus(), None);
    assert_eq!(app.selected().map(|(_, _, g)| g.vmid), Some(103));
    // Two more logs beside it; a fourth is refused.
    for id in [3u64, 7, 3] {
        typed(&mut app, "gt");
        let row = if id == 3 { "G" } else { "gg" };
        typed(&mut app, row);
        typed(&mut app, "<Enter>s");
    }
    assert_eq!(app.layers.panes().len(), 3);
    assert!(app.toasts.iter().any(|t| t.text.contains("at most 3 logs")));
    typed(&mut app, "<Esc><Esc>");
    assert!(app.layers.screens().is_empty());
    assert_eq!(app.layers.panes().len(), 3);
    // Focus goes round: rack -> 0 -> 1 -> 2 -> rack.
    app.layers.focus_pane(None);
    typed(&mut app, "<C-w>");
    assert_eq!(app.layers.pane_focus(), Some(0));
    typed(&mut app, "<Tab><Tab>");
    assert_eq!(app.layers.pane_focus(), Some(2));
    typed(&mut app, "<Tab>");
    assert_eq!(app.layers.pane_focus(), None);
    // Esc closes the focused pane only.
    typed(&mut app, "<C-w><Tab><Esc>");
    assert_eq!(app.layers.panes().len(), 2);
    assert_eq!(app.layers.pane_focus(), Some(1));
    // `s` in a pane puts it back full screen.
    typed(&mut app, "s");
    assert_eq!(app.layers.panes().len(), 1);
    assert_eq!(app.layers.screens().len(), 1);
}

#[test]
fn a_hundred_thousand_lines_draw_in_visible_time() {
    let mut app = with_log((160, 45), 0);
    let many: Vec<LogLine> = (0..100_000)
        .map(|i| LogLine::new(format!("line {i}: {}", "x".repeat(i % 300))))
        .collect();
    lines(&mut app, 0, many, false);
    typed(&mut app, "w");
    // Not a benchmark: a generous bound that only an O(lines) frame would break.
    let start = Instant::now();
    for _ in 0..20 {
        screen(&app, (160, 45));
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(screen(&app, (160, 45)).contains("line 99999"));
}

fn snap(name: &str, build: impl Fn((u16, u16)) -> App) {
    for size in SIZES {
        let app = build(size);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(&app, size));
    }
}

#[test]
fn snapshot_log_full_with_search() {
    snap("log_full", |size| {
        let mut app = with_log(size, 100);
        typed(&mut app, "t/error<Enter>n");
        app
    });
}

#[test]
fn snapshot_log_wrapped_typing_a_search() {
    snap("log_wrapped", |size| {
        let mut app = with_log(size, 30);
        lines(
            &mut app,
            30,
            vec![LogLine::new(format!(
                "a long line: {}",
                "0123456789 ".repeat(30)
            ))],
            false,
        );
        typed(&mut app, "w/chunk 2");
        app
    });
}

#[test]
fn snapshot_logs_beside_the_rack() {
    snap("log_beside", |size| {
        let mut app = with_log(size, 60);
        typed(&mut app, "s");
        typed(&mut app, "gtG<Enter>");
        app.handle(AppEvent::LogLines {
            source: LogSource::Job { id: 3 },
            from_line: 0,
            lines: vec![LogLine::new("backup gitea: done"), LogLine::new("TASK OK")],
            done: true,
        });
        typed(&mut app, "s<C-w>");
        app
    });
}

#[test]
fn capital_t_puts_the_last_task_log_beside_the_rack() {
    let mut app = rack_app((160, 45));
    assert!(typed(&mut app, "T").is_empty());
    assert!(app.toasts.iter().any(|t| t.text == "no task to show yet"));
    let u = upid("pve1", 1, "qmstart", "103");
    app.handle(AppEvent::TaskDone {
        host: "lab".into(),
        vmid: 103,
        upid: u.clone(),
        ok: true,
        message: "started".into(),
    });
    let effects = typed(&mut app, "T");
    let source = LogSource::Task {
        host: "lab".into(),
        upid: u.clone(),
    };
    assert_eq!(
        effects,
        vec![Effect::FollowLog {
            source: source.clone()
        }]
    );
    assert!(app.layers.screens().is_empty());
    assert_eq!(log_in(&app, Slot::Pane(0)).source, source);
    assert_eq!(app.layers.pane_focus(), Some(0));
    // The rack narrowed: its geometry ends where the pane starts.
    let pane = app.layer_area(Slot::Pane(0));
    assert_eq!(app.geometry().area.right(), pane.x);
}

#[test]
fn a_click_gives_a_pane_or_the_rack_the_keyboard_and_paste_fills_the_search() {
    let mut app = with_log((160, 45), 50);
    typed(&mut app, "s<C-w>");
    assert_eq!(app.layers.pane_focus(), None);
    let pane = app.layer_area(Slot::Pane(0));
    let click = |column, row| {
        AppEvent::Mouse(MouseEvent {
            kind: MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.handle(click(pane.x + 3, pane.y + 3));
    assert_eq!(app.layers.pane_focus(), Some(0));
    typed(&mut app, "/");
    app.handle(AppEvent::Paste("disk\x1b full\nsecond line".into()));
    assert_eq!(
        log_in(&app, Slot::Pane(0)).search.input.as_deref(),
        // `ESC SP f` is one whole escape sequence (an intermediate and a final byte): gone.
        Some("diskull")
    );
    typed(&mut app, "<Esc>");
    app.handle(click(5, 10));
    assert_eq!(
        app.layers.pane_focus(),
        None,
        "a click on the rack gives it back"
    );
}
