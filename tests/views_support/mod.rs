//! Shared by the tasks view and log viewer tests: an app with a rack, task rows, key
//! typing with `<Name>` for special keys, and the screen as text for snapshots.

#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proximity::ui::action::HostEntry;
use proximity::ui::task_board::{LogLine, LogSource, RowOrigin, TaskRow, TaskState};
use proximity::ui::{App, AppEvent, Effect, render, sample};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub const SIZES: [(u16, u16); 2] = [(80, 24), (160, 45)];

pub fn t0() -> SystemTime {
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

/// `lab` with 3 nodes and 40 guests, at `size`.
pub fn rack_app(size: (u16, u16)) -> App {
    let mut app = App::with_defaults(t0());
    app.handle(AppEvent::Resize(size.0, size.1));
    app.handle(AppEvent::HostsConfigured(vec![entry("lab")]));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(3, 40).into()),
        t0(),
    ));
    app
}

pub fn upid(node: &str, n: u32, kind: &str, id: &str) -> String {
    format!("UPID:{node}:000A1B{n:02X}:0012D6{n:02X}:6553F1{n:02X}:{kind}:{id}:root@pam:")
}

pub fn pve_row(host: &str, node: &str, n: u32, kind: &str, id: &str, state: TaskState) -> TaskRow {
    let started = t0() - Duration::from_secs(u64::from(n) * 600);
    TaskRow {
        origin: RowOrigin::Pve,
        host: host.into(),
        node: node.into(),
        kind: kind.into(),
        target: id.into(),
        user: "root@pam".into(),
        state,
        started,
        ended: (state != TaskState::Running).then(|| started + Duration::from_secs(42)),
        log: LogSource::Task {
            host: host.into(),
            upid: upid(node, n, kind, id),
        },
    }
}

pub fn job_row(id: u64, kind: &str, target: &str, state: TaskState, age_s: u64) -> TaskRow {
    let started = t0() - Duration::from_secs(age_s);
    TaskRow {
        origin: RowOrigin::Job,
        host: "lab".into(),
        node: "pve2".into(),
        kind: kind.into(),
        target: target.into(),
        user: "proximity".into(),
        state,
        started,
        ended: (state != TaskState::Running).then(|| started + Duration::from_secs(75)),
        log: LogSource::Job { id },
    }
}

/// Rows on two hosts plus two jobs.
pub fn feed_tasks(app: &mut App) {
    use TaskState::*;
    app.handle(AppEvent::TaskRows {
        host: "lab".into(),
        rows: vec![
            pve_row("lab", "pve1", 1, "vzdump", "101", Ok),
            pve_row("lab", "pve2", 2, "qmstart", "103", Error),
            pve_row("lab", "pve1", 3, "vzdump", "100", Running),
            pve_row("lab", "pve3", 4, "vzcreate", "130", Ok),
            pve_row("lab", "pve2", 5, "aptupdate", "", Cancelled),
        ],
        at: t0(),
    });
    app.handle(AppEvent::TaskRows {
        host: "edge".into(),
        rows: vec![
            pve_row("edge", "e1", 6, "qmshutdown", "200", Ok),
            pve_row("edge", "e1", 7, "vzmigrate", "201", Running),
        ],
        at: t0(),
    });
    app.handle(AppEvent::Jobs(vec![
        job_row(7, "deploy", "jellyfin", Running, 90),
        job_row(3, "backup", "gitea", Ok, 5000),
    ]));
}

pub fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    app.handle(AppEvent::Key(KeyEvent::new(code, mods)))
}

/// Type a sequence; `<Enter>`-style names for special keys, `<C-w>` for ctrl.
pub fn typed(app: &mut App, seq: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    let mut rest = seq;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest.find('>')
            && end > 1
        {
            let (code, mods) = match &rest[1..end] {
                "Enter" => (KeyCode::Enter, KeyModifiers::NONE),
                "Esc" => (KeyCode::Esc, KeyModifiers::NONE),
                "Tab" => (KeyCode::Tab, KeyModifiers::NONE),
                "Down" => (KeyCode::Down, KeyModifiers::NONE),
                "Up" => (KeyCode::Up, KeyModifiers::NONE),
                "End" => (KeyCode::End, KeyModifiers::NONE),
                "Home" => (KeyCode::Home, KeyModifiers::NONE),
                "PgUp" => (KeyCode::PageUp, KeyModifiers::NONE),
                "PgDn" => (KeyCode::PageDown, KeyModifiers::NONE),
                "Bs" => (KeyCode::Backspace, KeyModifiers::NONE),
                "C-w" => (KeyCode::Char('w'), KeyModifiers::CONTROL),
                "Left" => (KeyCode::Left, KeyModifiers::NONE),
                "Right" => (KeyCode::Right, KeyModifiers::NONE),
                "C-u" => (KeyCode::Char('u'), KeyModifiers::CONTROL),
                "C-k" => (KeyCode::Char('k'), KeyModifiers::CONTROL),
                "C-o" => (KeyCode::Char('o'), KeyModifiers::CONTROL),
                "C-g" => (KeyCode::Char('g'), KeyModifiers::CONTROL),
                "C-f" => (KeyCode::Char('f'), KeyModifiers::CONTROL),
                "C-b" => (KeyCode::Char('b'), KeyModifiers::CONTROL),
                other => panic!("unknown key {other}"),
            };
            out.extend(press(app, code, mods));
            rest = &rest[end + 1..];
            continue;
        }
        out.extend(press(app, KeyCode::Char(c), KeyModifiers::NONE));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `n` numbered lines; every fifth says `error`.
pub fn numbered(n: usize) -> Vec<LogLine> {
    (1..=n)
        .map(|i| LogLine {
            at: Some(t0() + Duration::from_secs(i as u64)),
            text: if i % 5 == 0 {
                format!("line {i}: error: disk full on /dev/sda{}", i % 3)
            } else {
                format!("line {i}: copying chunk {i} of the archive")
            },
        })
        .collect()
}

pub fn screen(app: &App, size: (u16, u16)) -> String {
    let mut term = Terminal::new(TestBackend::new(size.0, size.1)).expect("test backend");
    term.draw(|f| render(app, f)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
