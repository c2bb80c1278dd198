//! One frame of the metrics screen for a node with a month of data (1440 points in each of
//! its 14 series) on a `TestBackend` at 160x45 and 80x24 (budget: 2 ms median), beside a
//! peer measured in the same run: ratatui's own `Chart` in the same places, one raw dataset
//! per series (every known point, no folding to the width, bounds from the raw maximum).
//! Run: `cargo bench --bench metrics_screen`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use proximity::engine::metrics::{self, MetricsTarget};
use proximity::pve::Timeframe;
use proximity::ui::render::metrics_view::{chart_areas, groups};
use proximity::ui::sample_metrics::node_points;
use proximity::ui::{App, AppEvent, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::symbols::Marker;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType};

const END: u64 = 1_700_000_000 / 1800 * 1800;

fn report() -> metrics::MetricsReport {
    let target = MetricsTarget::Node {
        host: "lab".into(),
        node: "pve1".into(),
    };
    metrics::report(
        target,
        Timeframe::Month,
        &node_points(Timeframe::Month, END),
    )
}

/// The app with the metrics screen of `pve1` open on a month.
fn app_at(size: (u16, u16)) -> App {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut app = App::with_defaults(now);
    app.handle(AppEvent::Resize(size.0, size.1));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(proximity::ui::sample::resources(3, 30).into()),
        now,
    ));
    let r = report();
    app.open_metrics(r.target.clone(), "");
    // `4`: the month, as a user picks it.
    app.handle(AppEvent::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('4'),
        crossterm::event::KeyModifiers::NONE,
    )));
    app.handle(AppEvent::MetricsReport {
        target: r.target.clone(),
        timeframe: Timeframe::Month,
        result: Ok(Arc::new(r)),
    });
    app
}

/// The peer: the same chart places, each a ratatui `Chart` fed every raw point.
fn peer_frame(frame: &mut ratatui::Frame, r: &metrics::MetricsReport, raw: &[Vec<(f64, f64)>]) {
    let area = frame.area();
    let body = Rect::new(area.x + 1, area.y + 3, area.width - 2, area.height - 5);
    let groups = groups(r);
    let (t0, t1) = r.span().unwrap_or((0, 1));
    for (i, cell) in chart_areas(body, groups.len(), 0) {
        let (title, series) = &groups[i];
        let mut top: f64 = 0.0;
        let datasets: Vec<Dataset> = series
            .iter()
            .map(|s| {
                let at = r.series.iter().position(|x| x.id == s.id).unwrap_or(0);
                top = raw[at].iter().fold(top, |m, p| m.max(p.1));
                Dataset::default()
                    .name(s.label)
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .data(&raw[at])
            })
            .collect();
        let chart = Chart::new(datasets)
            .block(Block::bordered().title(*title))
            .x_axis(Axis::default().bounds([t0 as f64, t1 as f64]))
            .y_axis(Axis::default().bounds([0.0, top.max(1.0)]));
        frame.render_widget(chart, cell);
    }
}

fn frames(c: &mut Criterion) {
    let r = report();
    let raw: Vec<Vec<(f64, f64)>> = r
        .series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .filter_map(|p| Some((p.time as f64, p.value?)))
                .collect()
        })
        .collect();
    assert!(
        raw.iter().all(|s| s.len() > 1300),
        "a month of points per series"
    );
    let mut group = c.benchmark_group("metrics_screen_node_month");
    group.sample_size(200);
    for size in [(160u16, 45u16), (80, 24)] {
        let app = app_at(size);
        let mut term = Terminal::new(TestBackend::new(size.0, size.1)).expect("test backend");
        group.bench_function(format!("proximity/{}x{}", size.0, size.1), |b| {
            b.iter(|| {
                term.draw(|f| render(black_box(&app), f)).expect("draw");
            })
        });
        let mut term = Terminal::new(TestBackend::new(size.0, size.1)).expect("test backend");
        group.bench_function(format!("ratatui_chart_raw/{}x{}", size.0, size.1), |b| {
            b.iter(|| {
                term.draw(|f| peer_frame(f, black_box(&r), &raw))
                    .expect("draw");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
