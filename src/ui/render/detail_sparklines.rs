//! The detail panel's sparklines: the last hour of CPU, memory, network and disk I/O, one
//! row each, from the app's metrics cache (filled when the panel opens, never per frame).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Sparkline, SparklineBar, Widget};

use super::widgets::put;
use crate::engine::metrics::MetricsTarget;
use crate::engine::metrics_series::{Point, Unit, axis_max, downsample, format_opt};
use crate::ui::rack_model::RackModel;
use crate::ui::theme::ThemeKey;

/// Label, points, unit, the capacity they are out of (else a round top), color.
type SparkRow<'a> = (&'a str, Option<Vec<Point>>, Unit, Option<f64>, ThemeKey);

/// One row per metric: label, the last hour folded to the panel's width (gaps left blank,
/// peaks kept), the latest value. Returns the next free row.
#[allow(clippy::too_many_arguments)]
pub(super) fn draw(
    model: &RackModel,
    host: &str,
    node: &str,
    g: &crate::inventory::Guest,
    (x0, w): (u16, u16),
    mut y: u16,
    bottom: u16,
    buf: &mut Buffer,
) -> u16 {
    let t = model.theme;
    let target = MetricsTarget::Guest {
        host: host.to_string(),
        node: node.to_string(),
        vmid: g.vmid,
        kind: g.kind,
    };
    let Some(report) = model.metrics.get(&target, crate::pve::Timeframe::Hour) else {
        return y;
    };
    // Two series summed into one (in + out, read + write): unknown when both are.
    let sum = |a: &str, b: &str| -> Option<Vec<Point>> {
        let (a, b) = (report.series(a)?, report.series(b)?);
        Some(
            a.points
                .iter()
                .zip(&b.points)
                .map(|(p, q)| Point {
                    time: p.time,
                    value: match (p.value, q.value) {
                        (None, None) => None,
                        (x, y) => Some(x.unwrap_or(0.0) + y.unwrap_or(0.0)),
                    },
                })
                .collect(),
        )
    };
    let rows: [SparkRow; 4] = [
        (
            "cpu 1h",
            report.series("cpu").map(|s| s.points.clone()),
            Unit::Percent,
            None,
            ThemeKey::BarCpu,
        ),
        (
            "mem 1h",
            report.series("mem").map(|s| s.points.clone()),
            Unit::Bytes,
            report.series("mem").and_then(|s| s.capacity),
            ThemeKey::BarMem,
        ),
        (
            "net 1h",
            sum("netin", "netout"),
            Unit::BytesPerSec,
            None,
            ThemeKey::Port,
        ),
        (
            "disk 1h",
            sum("diskread", "diskwrite"),
            Unit::BytesPerSec,
            None,
            ThemeKey::BarDisk,
        ),
    ];
    let key_w = 9u16;
    let value_w = 11u16;
    let spark_w = w.saturating_sub(key_w + value_w + 1);
    if spark_w < 4 {
        return y;
    }
    for (label, points, unit, scale, key) in rows {
        let Some(points) = points else { continue };
        if y >= bottom {
            break;
        }
        let stats = crate::engine::metrics_series::stats(&points);
        // Out of the capacity when there is one, else a round top above the hour's peak.
        let top = scale.unwrap_or_else(|| axis_max(unit, stats.max.unwrap_or(0.0)));
        let bars: Vec<SparklineBar> = downsample(&points, usize::from(spark_w))
            .iter()
            .map(|b| SparklineBar::from(b.max.map(|v| ((v / top).clamp(0.0, 1.0) * 100.0) as u64)))
            .collect();
        put(buf, x0, y, label, t.dim(), key_w);
        Sparkline::default()
            .data(bars)
            .max(100)
            .absent_value_symbol(" ")
            .style(t.style(key))
            .render(Rect::new(x0 + key_w, y, spark_w, 1), buf);
        let now = format_opt(unit, stats.latest);
        put(buf, x0 + key_w + spark_w + 1, y, &now, t.text(), value_w);
        y += 1;
    }
    y
}
