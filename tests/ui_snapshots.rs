//! Render snapshots of every view and popup at 80x24 and 160x45 on ratatui's TestBackend.
//! Review changes with `cargo insta review`; they must look good to a person.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proximity::inventory::HostState;
use proximity::ui::action::HostEntry;
use proximity::ui::settings::RecordingSwitches;
use proximity::ui::{App, AppEvent, render, sample};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 45)];

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn key(app: &mut App, code: KeyCode) {
    app.handle(AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn keys(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn entry(name: &str) -> HostEntry {
    HostEntry {
        name: name.into(),
        url: format!("https://{name}.lan:8006"),
        token_id: "root@pam!proximity".into(),
        fingerprint: None,
    }
}

/// Two hosts: `lab` (3 nodes, 40 guests) online and `edge` unreachable with no data.
fn rack_app(size: (u16, u16)) -> App {
    let mut app = App::with_defaults(t0());
    app.handle(AppEvent::Resize(size.0, size.1));
    app.handle(AppEvent::HostsConfigured(vec![entry("lab"), entry("edge")]));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(3, 40).into()),
        t0(),
    ));
    app.handle(AppEvent::Inventory(
        "edge".into(),
        Err(proximity::engine::HostFailure::Unreachable(
            "connect: connection refused (10.0.0.9:8006)".into(),
        )),
        t0(),
    ));
    app.handle(AppEvent::AppPorts {
        host: "lab".into(),
        vmid: 100,
        ports: vec![8096],
    });
    app
}

fn screen(app: &App, size: (u16, u16)) -> String {
    let mut term = Terminal::new(TestBackend::new(size.0, size.1)).expect("test backend");
    term.draw(|f| render(app, f)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            skip = unicode_width(sym).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn unicode_width(s: &str) -> usize {
    // Wide cells are followed by a blank continuation cell in the buffer.
    if s.chars()
        .any(|c| ('\u{1100}'..='\u{115f}').contains(&c) || ('\u{2e80}'..='\u{a4cf}').contains(&c))
    {
        2
    } else {
        1
    }
}

fn snap(name: &str, build: impl Fn((u16, u16)) -> App) {
    for size in SIZES {
        let app = build(size);
        let text = screen(&app, size);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), text);
    }
}

#[test]
fn onboarding() {
    snap("onboarding", |size| {
        let mut app = App::with_defaults(t0());
        app.handle(AppEvent::Resize(size.0, size.1));
        app
    });
}

#[test]
fn rack_detailed() {
    snap("rack_detailed", rack_app);
}

#[test]
fn rack_compact_scrolled() {
    snap("rack_compact", |size| {
        let mut app = rack_app(size);
        keys(&mut app, "z");
        for _ in 0..20 {
            keys(&mut app, "j");
        }
        keys(&mut app, "l");
        app
    });
}

#[test]
fn rack_heatmap_thousands() {
    snap("rack_heatmap", |size| {
        let mut app = App::with_defaults(t0());
        app.handle(AppEvent::Resize(size.0, size.1));
        app.handle(AppEvent::Inventory(
            "big".into(),
            Ok(sample::resources(12, 3000).into()),
            t0(),
        ));
        keys(&mut app, "zz");
        app
    });
}

#[test]
fn rack_detail_panel() {
    snap("rack_detail", |size| {
        let mut app = rack_app(size);
        keys(&mut app, "jj");
        key(&mut app, KeyCode::Enter);
        app.handle(AppEvent::GuestDetail {
            host: "lab".into(),
            vmid: 106,
            ips: vec!["192.168.1.46".into(), "fd00::46".into()],
            config: vec![
                ("cores".into(), "2".into()),
                ("memory".into(), "4096".into()),
                ("ostype".into(), "debian".into()),
                ("unprivileged".into(), "1".into()),
                ("lxc.cgroup2.devices.allow".into(), "c 10:200 rwm".into()),
            ],
        });
        // An hour of metrics, as the engine sends when the panel opens (the sparklines).
        let g = app.selected_ref().expect("a selection");
        let target = proximity::engine::metrics::MetricsTarget::Guest {
            host: g.host,
            node: g.node,
            vmid: g.vmid,
            kind: g.kind,
        };
        let end = t0().duration_since(UNIX_EPOCH).unwrap().as_secs() / 60 * 60;
        let tf = proximity::pve::Timeframe::Hour;
        let points = proximity::ui::sample_metrics::guest_points(tf, end);
        let report = proximity::engine::metrics::report(target.clone(), tf, &points);
        app.handle(AppEvent::MetricsReport {
            target,
            timeframe: tf,
            result: Ok(std::sync::Arc::new(report)),
        });
        app
    });
}

#[test]
fn rack_filter_and_marks() {
    snap("rack_filter", |size| {
        let mut app = rack_app(size);
        keys(&mut app, "/");
        keys(&mut app, "tag:media");
        key(&mut app, KeyCode::Enter);
        keys(&mut app, "  ");
        app
    });
}

#[test]
fn rack_stale_and_busy() {
    snap("rack_stale_busy", |size| {
        let mut app = App::with_defaults(t0() + Duration::from_secs(600));
        app.handle(AppEvent::Resize(size.0, size.1));
        app.handle(AppEvent::HostsConfigured(vec![entry("lab"), entry("home")]));
        app.handle(AppEvent::Cached(
            "lab".into(),
            sample::resources(2, 14).into(),
            t0(),
        ));
        app.handle(AppEvent::Inventory(
            "home".into(),
            Ok(sample::resources(1, 6).into()),
            t0() + Duration::from_secs(600),
        ));
        app.handle(AppEvent::HostState("home".into(), HostState::Online));
        app.handle(AppEvent::TaskProgress {
            host: "home".into(),
            vmid: 102,
            upid: "UPID:pve1:0001:task".into(),
            label: "deploy pihole: compose up".into(),
            fraction: Some(0.6),
        });
        app.handle(AppEvent::TaskDone {
            host: "home".into(),
            vmid: 101,
            upid: "UPID:pve1:0002:task".into(),
            ok: true,
            message: "started".into(),
        });
        app
    });
}

#[test]
fn hosts_screen() {
    snap("hosts", |size| {
        let mut app = rack_app(size);
        keys(&mut app, "gh");
        app
    });
}

#[test]
fn settings_screen() {
    snap("settings", |size| {
        let mut app = rack_app(size);
        keys(&mut app, "gsj");
        app
    });
}

/// The recording switches: `lab` on (as the store reported it), the cursor on `edge`.
#[test]
fn settings_recording() {
    snap("settings_recording", |size| {
        let mut app = rack_app(size);
        let mut stored = RecordingSwitches::default();
        stored.hosts.insert("lab".into(), true);
        app.handle(AppEvent::Recording(stored));
        keys(&mut app, "gsGk");
        app
    });
}

#[test]
fn popup_help() {
    snap("popup_help", |size| {
        let mut app = rack_app(size);
        keys(&mut app, "?");
        app
    });
}

#[test]
fn popup_palette() {
    snap("popup_palette", |size| {
        let mut app = rack_app(size);
        keys(&mut app, ":");
        keys(&mut app, "jelly");
        app
    });
}

#[test]
fn popup_delete() {
    snap("popup_delete", |size| {
        let mut app = rack_app(size);
        keys(&mut app, "D");
        keys(&mut app, "jelly");
        app
    });
}

#[test]
fn popup_quit() {
    snap("popup_quit", |size| {
        let mut app = rack_app(size);
        app.handle(AppEvent::TaskProgress {
            host: "lab".into(),
            vmid: 100,
            upid: "UPID:x".into(),
            label: "backup".into(),
            fraction: None,
        });
        keys(&mut app, "q");
        app
    });
}

#[test]
fn popup_fingerprint() {
    snap("popup_fingerprint", |size| {
        let mut app = rack_app(size);
        let fp = (0..32)
            .map(|i| format!("{:02X}", i * 7 % 256))
            .collect::<Vec<_>>()
            .join(":");
        app.handle(AppEvent::FingerprintPrompt {
            host: "edge".into(),
            url: "https://edge.lan:8006".into(),
            fingerprint: fp,
        });
        app
    });
}

#[test]
fn popup_host_form() {
    snap("popup_host_form", |size| {
        let mut app = rack_app(size);
        keys(&mut app, "gh");
        keys(&mut app, "a");
        keys(&mut app, "new lab");
        key(&mut app, KeyCode::Tab);
        keys(&mut app, "pve.lan:8006");
        key(&mut app, KeyCode::Tab);
        keys(&mut app, "root@pam!px");
        app
    });
}

#[test]
fn popup_remove_host() {
    snap("popup_remove_host", |size| {
        let mut app = rack_app(size);
        keys(&mut app, "ghD");
        app
    });
}

/// A failed start, opened with `t` in the log viewer: 40 lines, followed to the end so the
/// `TASK ERROR` line shows.
fn open_failed_task_log(app: &mut App) {
    use proximity::ui::task_board::{LogLine, LogSource};
    let upid = "UPID:pve1:000A1B2C:0012D687:6553F100:qmstart:100:root@pam:";
    app.handle(AppEvent::TaskDone {
        host: "lab".into(),
        vmid: 100,
        upid: upid.into(),
        ok: false,
        message: "start failed".into(),
    });
    keys(app, "t");
    let mut lines: Vec<LogLine> = (1..=37)
        .map(|i| {
            LogLine::new(format!(
                "  0x{i:04x}: mapping volume local-lvm:vm-100-disk-{i} (step {i})"
            ))
        })
        .collect();
    lines.push(LogLine::new("kvm: -drive file=/dev/pve/vm-100-disk-0,if=none,id=drive-scsi0,format=raw,cache=none,aio=io_uring,detect-zeroes=on: Could not open '/dev/pve/vm-100-disk-0': No such file or directory"));
    lines.push(LogLine::new("start failed: QEMU exited with code 1"));
    lines.push(LogLine::new(
        "TASK ERROR: start failed: QEMU exited with code 1",
    ));
    app.handle(AppEvent::LogLines {
        source: LogSource::Task {
            host: "lab".into(),
            upid: upid.into(),
        },
        from_line: 0,
        lines,
        done: true,
    });
}

#[test]
fn task_log_viewer() {
    snap("task_log_viewer", |size| {
        let mut app = rack_app(size);
        open_failed_task_log(&mut app);
        app
    });
}

/// Every screen and popup draws at tiny, odd and huge sizes without panicking.
#[test]
fn renders_at_any_size() {
    type Setup = fn(&mut App);
    let scenarios: Vec<(&str, Setup)> = vec![
        ("rack", |_| {}),
        ("compact", |a| keys(a, "z")),
        ("heatmap", |a| keys(a, "zz")),
        ("detail", |a| key(a, KeyCode::Enter)),
        ("help", |a| keys(a, "?")),
        ("palette", |a| keys(a, ":st")),
        ("delete", |a| keys(a, "D")),
        ("hosts", |a| keys(a, "gh")),
        ("form", |a| keys(a, "gha")),
        ("settings", |a| keys(a, "gs")),
        ("settings_switches", |a| keys(a, "gsG")),
        ("task_log", |a| {
            open_failed_task_log(a);
            keys(a, "kkg");
        }),
        ("fingerprint", |a| {
            a.handle(AppEvent::FingerprintPrompt {
                host: "h".into(),
                url: "u".into(),
                fingerprint: "AB:CD".into(),
            });
        }),
    ];
    for (w, h) in [
        (1, 1),
        (2, 3),
        (10, 5),
        (20, 8),
        (33, 11),
        (79, 23),
        (81, 25),
        (120, 7),
        (7, 120),
        (300, 100),
    ] {
        for (name, setup) in &scenarios {
            let mut app = rack_app((w, h));
            setup(&mut app);
            let mut term = Terminal::new(TestBackend::new(w, h)).expect("backend");
            term.draw(|f| render(&app, f))
                .unwrap_or_else(|e| panic!("{name} at {w}x{h}: {e}"));
        }
        let mut empty = App::with_defaults(t0());
        empty.handle(AppEvent::Resize(w, h));
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("backend");
        term.draw(|f| render(&empty, f)).expect("onboarding");
    }
}
