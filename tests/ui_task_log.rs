//! The task log popup: opened by `AppEvent::TaskLog`, scrolled by keys within the log's
//! bounds, refreshed in place by `r`, never stealing another popup.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proximity::ui::popup::{Popup, TaskLogView, task_log_rows};
use proximity::ui::{App, AppEvent, Effect, sample};

const UPID: &str = "UPID:pve1:000A1B2C:0012D687:6553F100:vzdump:101:root@pam:";
const HEIGHT: u16 = 24;

fn app() -> App {
    let mut app = App::with_defaults(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    app.handle(AppEvent::Resize(80, HEIGHT));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(1, 5).into()),
        SystemTime::now(),
    ));
    app
}

fn lines(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("line {i}")).collect()
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle(AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn view(app: &App) -> &TaskLogView {
    match &app.popup {
        Some(Popup::TaskLog(v)) => v,
        other => panic!("expected the task log popup, got {other:?}"),
    }
}

#[test]
fn opens_at_the_end_and_scrolls_within_bounds() {
    let mut a = app();
    let log = lines(100);
    a.handle(AppEvent::TaskLog {
        upid: UPID.into(),
        lines: log.clone(),
        running: false,
    });
    let rows = task_log_rows(HEIGHT);
    assert!(rows > 0 && rows < 100);
    let end = 100 - rows;
    let v = view(&a);
    assert_eq!(v.title, "task vzdump 101");
    assert_eq!(v.lines, log);
    assert_eq!(v.scroll, end, "opens on the outcome line");

    press(&mut a, KeyCode::Char('j'));
    assert_eq!(view(&a).scroll, end, "never scrolls past the end");
    press(&mut a, KeyCode::Char('k'));
    press(&mut a, KeyCode::Up);
    assert_eq!(view(&a).scroll, end - 2);
    press(&mut a, KeyCode::PageUp);
    assert_eq!(view(&a).scroll, end - 2 - rows);
    press(&mut a, KeyCode::Char('g'));
    assert_eq!(view(&a).scroll, 0);
    press(&mut a, KeyCode::Char('k'));
    assert_eq!(view(&a).scroll, 0);
    press(&mut a, KeyCode::PageDown);
    press(&mut a, KeyCode::Down);
    assert_eq!(view(&a).scroll, rows + 1);
    press(&mut a, KeyCode::Char('G'));
    assert_eq!(view(&a).scroll, end);
    assert!(press(&mut a, KeyCode::Esc).is_empty());
    assert!(a.popup.is_none());
}

#[test]
fn reload_keeps_following_a_running_task() {
    let mut a = app();
    a.handle(AppEvent::TaskLog {
        upid: UPID.into(),
        lines: lines(50),
        running: true,
    });
    assert_eq!(
        press(&mut a, KeyCode::Char('r')),
        vec![Effect::OpenTaskLog(UPID.into())]
    );
    // At the end: stays at the new end.
    a.handle(AppEvent::TaskLog {
        upid: UPID.into(),
        lines: lines(60),
        running: true,
    });
    assert_eq!(view(&a).scroll, 60 - task_log_rows(HEIGHT));
    // Scrolled up: keeps its place.
    press(&mut a, KeyCode::Char('g'));
    a.handle(AppEvent::TaskLog {
        upid: UPID.into(),
        lines: lines(70),
        running: false,
    });
    assert_eq!(view(&a).scroll, 0);
    assert!(!view(&a).running);
}

#[test]
fn lines_are_made_safe_and_other_popups_are_kept() {
    let mut a = app();
    press(&mut a, KeyCode::Char('?'));
    a.handle(AppEvent::TaskLog {
        upid: UPID.into(),
        lines: lines(3),
        running: false,
    });
    assert!(
        matches!(a.popup, Some(Popup::Help { .. })),
        "a late log never replaces what the user opened meanwhile"
    );
    press(&mut a, KeyCode::Esc);
    a.handle(AppEvent::TaskLog {
        upid: "not a upid".into(),
        lines: vec!["a\tb\u{7}".into(), "TASK OK".into()],
        running: false,
    });
    let v = view(&a);
    assert_eq!(v.title, "task not a upid");
    assert_eq!(v.lines[0], "a b", "controls go, as in every other view");
    assert_eq!(v.scroll, 0, "a short log needs no scrolling");
}
