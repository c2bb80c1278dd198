//! The metrics screen (`m` on a guest, `M` for its rack's node), its time-frame keys, the top
//! lists (`g m`) and the detail panel's sparklines: the effects they ask for, how answers
//! land, and snapshots at 80x24 and 160x45.

mod views_support;

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use proximity::engine::metrics::{self, MetricsTarget, TopBy, TopEntry};
use proximity::inventory::GuestKind;
use proximity::pve::Timeframe;
use proximity::ui::metrics_view::{MetricsState, MetricsView};
use proximity::ui::sample_metrics::{guest_points, node_points};
use proximity::ui::{App, AppEvent, Effect};
use views_support::*;

fn end() -> u64 {
    t0().duration_since(UNIX_EPOCH).unwrap().as_secs() / 60 * 60
}

fn view(app: &App) -> &MetricsView {
    app.layers
        .screens()
        .last()
        .and_then(|l| l.as_any().downcast_ref::<MetricsView>())
        .expect("the metrics view on top")
}

fn answer(app: &mut App, target: &MetricsTarget, tf: Timeframe) {
    let points = match target {
        MetricsTarget::Node { .. } => node_points(tf, end()),
        MetricsTarget::Guest { .. } => guest_points(tf, end()),
    };
    let report = metrics::report(target.clone(), tf, &points);
    app.handle(AppEvent::MetricsReport {
        target: target.clone(),
        timeframe: tf,
        result: Ok(Arc::new(report)),
    });
}

fn selected_target(app: &App) -> MetricsTarget {
    let g = app.selected_ref().expect("a selection");
    MetricsTarget::Guest {
        host: g.host,
        node: g.node,
        vmid: g.vmid,
        kind: g.kind,
    }
}

#[test]
fn m_opens_the_selected_guests_metrics_and_keys_switch_the_frame() {
    let mut app = rack_app((160, 45));
    typed(&mut app, "jj");
    let target = selected_target(&app);
    let effects = typed(&mut app, "m");
    assert_eq!(
        effects,
        [Effect::LoadMetrics {
            target: target.clone(),
            timeframe: Timeframe::Hour
        }]
    );
    assert!(matches!(view(&app).state, MetricsState::Loading));
    answer(&mut app, &target, Timeframe::Hour);
    assert!(matches!(view(&app).state, MetricsState::Ready(_)));
    // `4`: a month is asked for; the hour stays drawn until it comes.
    let effects = typed(&mut app, "4");
    assert_eq!(
        effects,
        [Effect::LoadMetrics {
            target: target.clone(),
            timeframe: Timeframe::Month
        }]
    );
    assert!(
        view(&app).shown().is_some(),
        "the last report while loading"
    );
    // An answer for another frame or target is not this view's.
    answer(&mut app, &target, Timeframe::Day);
    assert!(matches!(view(&app).state, MetricsState::Loading));
    app.handle(AppEvent::MetricsReport {
        target: target.clone(),
        timeframe: Timeframe::Month,
        result: Err("no answer within 15 s".into()),
    });
    assert!(matches!(&view(&app).state, MetricsState::Failed(e) if e.contains("15 s")));
    // Left goes back a frame; the same frame again asks for nothing.
    assert_eq!(
        typed(&mut app, "h"),
        [Effect::LoadMetrics {
            target: target.clone(),
            timeframe: Timeframe::Week
        }]
    );
    assert!(typed(&mut app, "3").is_empty());
    typed(&mut app, "<Esc>");
    assert!(app.layers.screens().is_empty(), "Esc goes back to the rack");
}

#[test]
fn capital_m_opens_the_node_of_the_selected_rack() {
    let mut app = rack_app((160, 45));
    let node = app.selected_ref().unwrap().node;
    let effects = typed(&mut app, "M");
    assert_eq!(
        effects,
        [Effect::LoadMetrics {
            target: MetricsTarget::Node {
                host: "lab".into(),
                node,
            },
            timeframe: Timeframe::Hour
        }]
    );
}

#[test]
fn snapshots_guest_hour_and_node_month() {
    for size in SIZES {
        let mut app = rack_app(size);
        typed(&mut app, "jj");
        let target = selected_target(&app);
        typed(&mut app, "m");
        answer(&mut app, &target, Timeframe::Hour);
        insta::assert_snapshot!(
            format!("metrics_guest_hour_{}x{}", size.0, size.1),
            screen(&app, size)
        );

        let mut app = rack_app(size);
        typed(&mut app, "M");
        let MetricsTarget::Node { host, node } = &view(&app).target.clone() else {
            panic!("a node")
        };
        let target = MetricsTarget::Node {
            host: host.clone(),
            node: node.clone(),
        };
        typed(&mut app, "4");
        answer(&mut app, &target, Timeframe::Month);
        insta::assert_snapshot!(
            format!("metrics_node_month_{}x{}", size.0, size.1),
            screen(&app, size)
        );
    }
}

#[test]
fn the_detail_panel_draws_sparklines_from_the_cache() {
    for size in SIZES {
        let mut app = rack_app(size);
        typed(&mut app, "jj");
        let target = selected_target(&app);
        let effects = typed(&mut app, "<Enter>");
        assert!(matches!(effects.as_slice(), [Effect::LoadDetail { .. }]));
        // What the engine sends when the panel opens: an hour of the guest.
        answer(&mut app, &target, Timeframe::Hour);
        let text = screen(&app, size);
        for label in ["cpu 1h", "mem 1h", "net 1h", "disk 1h"] {
            assert!(text.contains(label), "{label} at {size:?}:\n{text}");
        }
        insta::assert_snapshot!(format!("detail_sparklines_{}x{}", size.0, size.1), text);
        // Cached: opening the metrics screen draws the hour at once.
        typed(&mut app, "m");
        assert!(matches!(view(&app).state, MetricsState::Ready(_)));
    }
}

fn entry(vmid: u32, value: f64, of: Option<f64>) -> TopEntry {
    TopEntry {
        host: "lab".into(),
        node: "pve1".into(),
        vmid,
        kind: GuestKind::Container,
        name: format!("app-{vmid}"),
        value,
        of,
        measured: true,
    }
}

#[test]
fn g_m_shows_the_top_lists_and_enter_opens_a_guest() {
    for size in SIZES {
        let mut app = rack_app(size);
        assert_eq!(typed(&mut app, "gm"), [Effect::LoadTopGuests]);
        let mib = (1u64 << 20) as f64;
        let lists = vec![
            (
                TopBy::Cpu,
                vec![entry(104, 0.93, Some(4.0)), entry(101, 0.41, Some(2.0))],
            ),
            (
                TopBy::Memory,
                vec![
                    entry(102, 3000.0 * mib, Some(4096.0 * mib)),
                    entry(104, 900.0 * mib, Some(1024.0 * mib)),
                ],
            ),
            (TopBy::Disk, vec![entry(103, 12.5 * mib, None)]),
            (
                TopBy::Network,
                vec![entry(101, 2.0 * mib, None), entry(105, 80_000.0, None)],
            ),
        ];
        app.handle(AppEvent::TopGuests(Arc::new(lists)));
        insta::assert_snapshot!(
            format!("metrics_top_{}x{}", size.0, size.1),
            screen(&app, size)
        );
        // Down, Enter: the second of the CPU list, over the top lists.
        typed(&mut app, "j");
        let effects = typed(&mut app, "<Enter>");
        assert_eq!(
            effects,
            [Effect::LoadMetrics {
                target: MetricsTarget::Guest {
                    host: "lab".into(),
                    node: "pve1".into(),
                    vmid: 101,
                    kind: GuestKind::Container
                },
                timeframe: Timeframe::Hour
            }]
        );
        assert_eq!(app.layers.screens().len(), 2);
        typed(&mut app, "<Esc>");
        assert_eq!(app.layers.screens().len(), 1, "Esc returns to the lists");
    }
}
