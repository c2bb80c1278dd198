//! One frame of the rack at 200x60: 10,000 guests on 50 nodes (budget: 1 ms median), and
//! the same screen with 1,000 and 100,000 guests to show the cost follows what is visible,
//! not what exists. Run: `cargo bench --bench rack_frame`.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use proximity::ui::render::draw;
use proximity::ui::{App, AppEvent, sample};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn app_with(guests: usize, nodes: usize, zoom_presses: usize) -> App {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut app = App::with_defaults(now);
    app.handle(AppEvent::Resize(200, 60));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(nodes, guests).into()),
        now,
    ));
    for _ in 0..zoom_presses {
        app.update(proximity::ui::Action::Zoom);
    }
    // Start mid-rack so scrolling is part of what is measured.
    for _ in 0..25 {
        app.update(proximity::ui::Action::Down);
    }
    app.handle(AppEvent::Tick(
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_001),
    ));
    app
}

fn frames(c: &mut Criterion) {
    let area = Rect::new(0, 0, 200, 60);
    let mut group = c.benchmark_group("rack_frame_200x60");
    group.sample_size(200);
    for (label, guests, zoom) in [
        ("detailed/1k", 1_000, 0),
        ("detailed/10k", 10_000, 0),
        ("detailed/100k", 100_000, 0),
        ("compact/10k", 10_000, 1),
        ("heatmap/10k", 10_000, 2),
        ("heatmap/100k", 100_000, 2),
    ] {
        let app = app_with(guests, 50, zoom);
        let mut buf = Buffer::empty(area);
        group.bench_function(label, |b| {
            b.iter(|| {
                buf.reset();
                draw(black_box(&app), area, &mut buf);
                black_box(&buf);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
