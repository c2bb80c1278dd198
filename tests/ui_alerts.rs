//! The alerts in the TUI: a raise lights the slot's LED (`!`), changes the LCD line and is a
//! toast once; `g !` lists firing alerts then the history; a clear moves it to the history;
//! and their snapshots.

mod views_support;

use std::time::{Duration, UNIX_EPOCH};

use proximity::alerts::{Alert, Rule, Severity, Target};
use proximity::ui::alerts_view::AlertsView;
use proximity::ui::{App, AppEvent, Effect};
use views_support::*;

fn ms(at: std::time::SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// The selected guest of the rack: (host, node, vmid, name).
fn selected(app: &App) -> (String, String, u32, String) {
    let (h, n, g) = app.selected().expect("a selected guest");
    (h.to_string(), n.name.clone(), g.vmid, g.name.to_string())
}

fn cpu_alert(app: &App) -> Alert {
    let (host, node, vmid, name) = selected(app);
    let fired = ms(t0()) - 60_000;
    Alert {
        rule: Rule::Cpu,
        severity: Severity::Warning,
        target: Target::guest(&host, Some(&node), vmid),
        name,
        message: "CPU 97% > 90% for 5m".into(),
        value: Some(0.97),
        since_ms: fired - 300_000,
        fired_ms: fired,
        cleared_ms: None,
    }
}

fn offline_alert(app: &App) -> Alert {
    let (host, node, ..) = selected(app);
    let fired = ms(t0()) - 120_000;
    Alert {
        rule: Rule::NodeOffline,
        severity: Severity::Critical,
        target: Target::node(&host, &node),
        name: node.clone(),
        message: format!("node {node} is offline"),
        value: None,
        since_ms: fired,
        fired_ms: fired,
        cleared_ms: None,
    }
}

fn raise(app: &mut App, alert: Alert, raised: bool) {
    app.handle(AppEvent::Alert {
        alert: Box::new(alert),
        raised,
    });
}

#[test]
fn a_raise_lights_the_led_and_the_lcd_and_toasts_once() {
    let mut app = rack_app((160, 45));
    let before = screen(&app, (160, 45));
    assert!(before.contains("SYSTEM: NOMINAL"), "{before}");
    let alert = cpu_alert(&app);
    raise(&mut app, alert.clone(), true);
    let text = screen(&app, (160, 45));
    assert!(
        text.contains(&format!("ALERT: CPU {}", alert.target)),
        "{text}"
    );
    assert_eq!(app.toasts.len(), 1);
    assert!(
        app.toasts[0].text.starts_with("ALERT CPU on"),
        "{}",
        app.toasts[0].text
    );
    // The same alert again (a resync) is no second toast.
    raise(&mut app, alert.clone(), true);
    assert_eq!(app.toasts.len(), 1);
    let mut cleared = alert;
    cleared.cleared_ms = Some(ms(t0()));
    raise(&mut app, cleared, false);
    assert!(app.alerts.firing.is_empty());
    assert_eq!(app.alerts.history.len(), 1);
    assert!(screen(&app, (160, 45)).contains("SYSTEM: NOMINAL"));
}

#[test]
fn g_bang_opens_the_list_and_t_sends_a_test() {
    let mut app = rack_app((160, 45));
    let effects = typed(&mut app, "g!");
    assert_eq!(effects, vec![Effect::LoadAlerts]);
    assert!(
        app.layers
            .screens()
            .last()
            .is_some_and(|l| l.as_any().is::<AlertsView>())
    );
    assert_eq!(typed(&mut app, "t"), vec![Effect::TestNotifications]);
    assert_eq!(typed(&mut app, "<Esc>"), Vec::<Effect>::new());
    assert!(app.layers.screens().is_empty());
}

/// Two firing (critical first), one in the history.
fn with_alerts(size: (u16, u16)) -> App {
    let mut app = rack_app(size);
    let cpu = cpu_alert(&app);
    let offline = offline_alert(&app);
    let mut old = cpu.clone();
    old.rule = Rule::Memory;
    old.message = "memory 95% > 90%".into();
    old.fired_ms -= 3_600_000;
    old.since_ms = old.fired_ms;
    old.cleared_ms = Some(old.fired_ms + 600_000);
    raise(&mut app, old, false);
    raise(&mut app, cpu, true);
    raise(&mut app, offline, true);
    app.toasts.clear();
    app.now = t0() + Duration::from_secs(1);
    app
}

fn snap(name: &str, build: impl Fn((u16, u16)) -> App) {
    for size in SIZES {
        let app = build(size);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(&app, size));
    }
}

#[test]
fn snapshots() {
    snap("rack_with_alert", |size| {
        let mut app = rack_app(size);
        let alert = cpu_alert(&app);
        raise(&mut app, alert, true);
        app.toasts.clear();
        app
    });
    snap("alerts_screen", |size| {
        let mut app = with_alerts(size);
        typed(&mut app, "g!");
        app
    });
}

#[test]
fn the_settings_screen_turns_rules_off_and_moves_thresholds() {
    use proximity::alerts::RawThresholds;
    use proximity::ui::settings::SettingsItem;
    let mut app = rack_app((160, 45));
    // No monitor has spoken: no alert rows.
    assert!(
        !app.settings_items()
            .iter()
            .any(|i| matches!(i, SettingsItem::AlertRule(_)))
    );
    app.handle(AppEvent::AlertsLoaded {
        firing: vec![],
        history: vec![],
        config: Box::default(),
    });
    typed(&mut app, "gs");
    let cpu = app
        .settings_items()
        .iter()
        .position(|i| *i == SettingsItem::AlertRule(Rule::Cpu))
        .expect("a CPU row");
    // From the current theme (the first row) down to the CPU rule, with the keymap's keys.
    for _ in 0..cpu {
        typed(&mut app, "j");
    }
    let text = screen(&app, (160, 45));
    assert!(text.contains("ALERTS"), "{text}");
    assert!(text.contains("[x] CPU > 90% for 5m"), "{text}");
    let off = typed(&mut app, " ");
    let want = RawThresholds {
        off: Some(vec!["cpu".into()]),
        ..RawThresholds::default()
    };
    assert_eq!(off, vec![Effect::SaveAlertThresholds(Box::new(want))]);
    assert!(screen(&app, (160, 45)).contains("[ ] CPU > 90% for 5m"));
    let on = typed(&mut app, " ");
    assert!(
        matches!(&on[..], [Effect::SaveAlertThresholds(t)] if t.on == Some(vec!["cpu".to_string()]))
    );
    // Right raises the threshold by 5 points.
    let _ = press(
        &mut app,
        crossterm::event::KeyCode::Right,
        crossterm::event::KeyModifiers::NONE,
    );
    assert!(screen(&app, (160, 45)).contains("[x] CPU > 95% for 5m"));
    // The row after the rules sends a test notification; audit stays the last row.
    let items = app.settings_items();
    assert_eq!(items.last(), Some(&SettingsItem::Audit));
    let notify = items
        .iter()
        .position(|i| *i == SettingsItem::TestNotify)
        .unwrap();
    for _ in cpu..notify {
        typed(&mut app, "j");
    }
    assert_eq!(typed(&mut app, "<Enter>"), vec![Effect::TestNotifications]);
}
