//! Draws the metrics screen: a time-frame bar, then one ratatui `Chart` per group of series
//! (CPU, memory, network, disk I/O, disk, load, pressure), two columns when there is room.
//! Each series is folded to the chart's braille resolution keeping every column's min and
//! max (a spike in a month of data still shows), unknown buckets are gaps (the line is cut,
//! never drawn to zero), and the value axis tops at the capacity (memory, disk) or a round
//! number in the series' unit. Titles carry now/avg/max. Times are UTC.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, BorderType, Chart, Dataset, GraphType, Widget};

use super::widgets::{boxed, put};
use crate::engine::metrics::MetricsReport;
use crate::engine::metrics_series::{
    Series, Unit, axis_max, downsample, format_opt, format_value, span_label, time_label,
};
use crate::pve::Timeframe;
use crate::ui::layer::LayerCtx;
use crate::ui::metrics_view::{MetricsState, MetricsView};
use crate::ui::theme::{Theme, ThemeKey};

/// Charts of related series, in screen order.
pub struct Group {
    pub title: &'static str,
    pub ids: &'static [&'static str],
}

pub const GROUPS: &[Group] = &[
    Group {
        title: "CPU",
        ids: &["cpu", "iowait"],
    },
    Group {
        title: "memory",
        ids: &["mem", "memhost", "arcsize", "swap"],
    },
    Group {
        title: "network",
        ids: &["netin", "netout"],
    },
    Group {
        title: "disk I/O",
        ids: &["diskread", "diskwrite"],
    },
    Group {
        title: "disk",
        ids: &["disk", "root"],
    },
    Group {
        title: "load",
        ids: &["loadavg"],
    },
    Group {
        title: "pressure stall",
        ids: &[
            "pressure_cpu_some",
            "pressure_cpu_full",
            "pressure_io_some",
            "pressure_io_full",
            "pressure_memory_some",
            "pressure_memory_full",
        ],
    },
];

/// Series colors, from the theme (the n-th series of a chart takes the n-th key).
const SERIES_KEYS: [ThemeKey; 6] = [
    ThemeKey::BarCpu,
    ThemeKey::BarMem,
    ThemeKey::BarDisk,
    ThemeKey::Port,
    ThemeKey::Tag,
    ThemeKey::Progress,
];

/// A chart is at least this tall (title, 4 plot rows, the time axis and its labels).
const MIN_CHART_H: u16 = 8;

pub fn draw(view: &MetricsView, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    let t = ctx.theme;
    let title = if view.name.is_empty() {
        format!("metrics · {}", view.target.title())
    } else {
        format!("metrics · {} {}", view.target.title(), view.name)
    };
    let inner = boxed(buf, area, &title, t, ctx.focused);
    if inner.height < 2 || inner.width < 20 {
        return;
    }
    draw_frame_bar(view, inner, buf, t);
    let body = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    let Some(report) = view.shown() else {
        let msg = match &view.state {
            MetricsState::Failed(e) => format!("no metrics: {e}"),
            _ => format!("loading the {}…", span_label(view.timeframe)),
        };
        let style = match view.state {
            MetricsState::Failed(_) => t.style(ThemeKey::HostError),
            _ => t.dim(),
        };
        put(buf, body.x + 1, body.y + 1, &msg, style, body.width - 1);
        return;
    };
    let hidden = draw_charts(report, view.scroll, body, buf, t);
    if hidden > 0 {
        // Said on the bottom border, where it does not cover a chart.
        let note = format!(
            " j/k: {hidden} more chart{} ",
            if hidden == 1 { "" } else { "s" }
        );
        let w = note.chars().count() as u16;
        if area.width > w + 4 {
            put(
                buf,
                area.right() - w - 2,
                area.bottom() - 1,
                &note,
                t.dim(),
                w,
            );
        }
    }
}

/// `1 hour  2 day  3 week  4 month   last 24 hours · 1 min points · UTC   loading…`
fn draw_frame_bar(view: &MetricsView, inner: Rect, buf: &mut Buffer, t: &Theme) {
    let mut x = inner.x + 1;
    let right = inner.right();
    for (i, tf) in crate::engine::metrics_series::TIMEFRAMES.iter().enumerate() {
        let style = if *tf == view.timeframe {
            t.style(ThemeKey::Selection)
        } else {
            t.text()
        };
        x = put(
            buf,
            x,
            inner.y,
            &format!("{}", i + 1),
            t.style(ThemeKey::Key),
            right - x,
        );
        x = put(
            buf,
            x,
            inner.y,
            &format!(" {} ", tf.as_str()),
            style,
            right.saturating_sub(x),
        );
        x = put(buf, x, inner.y, " ", t.text(), right.saturating_sub(x));
    }
    let step = crate::engine::metrics_series::resolution(view.timeframe).0;
    let points = if step >= 3600 {
        format!("{} h points", step / 3600)
    } else {
        format!("{} min points", step / 60)
    };
    let state = match &view.state {
        MetricsState::Loading => " · loading…".to_string(),
        MetricsState::Failed(e) => format!(" · {e}"),
        MetricsState::Ready(_) => String::new(),
    };
    let info = format!(" {} · {points} · UTC{state}", span_label(view.timeframe));
    put(buf, x, inner.y, &info, t.dim(), right.saturating_sub(x));
}

/// The groups this report has series for, each with its series in order.
pub fn groups(report: &MetricsReport) -> Vec<(&'static str, Vec<&Series>)> {
    GROUPS
        .iter()
        .filter_map(|g| {
            let series: Vec<&Series> = g.ids.iter().filter_map(|id| report.series(id)).collect();
            (!series.is_empty()).then_some((g.title, series))
        })
        .collect()
}

/// The chart grid: two columns from 72 cells, as many rows as fit, from `scroll` (in rows).
pub fn chart_areas(body: Rect, charts: usize, scroll: usize) -> Vec<(usize, Rect)> {
    let cols: u16 = if body.width >= 72 { 2 } else { 1 };
    let rows_fit = (body.height / MIN_CHART_H).max(1);
    let total_rows = charts.div_ceil(usize::from(cols));
    let rows = (total_rows as u16).min(rows_fit).max(1);
    let first_row = scroll.min(total_rows.saturating_sub(usize::from(rows)));
    let h = body.height / rows;
    let w = body.width / cols;
    let mut out = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let i = (first_row + usize::from(r)) * usize::from(cols) + usize::from(c);
            if i >= charts {
                break;
            }
            let last_col = c + 1 == cols;
            let last_row = r + 1 == rows;
            out.push((
                i,
                Rect {
                    x: body.x + c * w,
                    y: body.y + r * h,
                    width: if last_col {
                        body.right() - (body.x + c * w)
                    } else {
                        w
                    },
                    height: if last_row {
                        body.bottom() - (body.y + r * h)
                    } else {
                        h
                    },
                },
            ));
        }
    }
    out
}

/// Draws the charts that fit; returns how many did not.
fn draw_charts(
    report: &MetricsReport,
    scroll: usize,
    body: Rect,
    buf: &mut Buffer,
    t: &Theme,
) -> usize {
    let groups = groups(report);
    let areas = chart_areas(body, groups.len(), scroll);
    for (i, area) in &areas {
        let (title, series) = &groups[*i];
        draw_chart(report, title, series, *area, buf, t);
    }
    groups.len() - areas.len()
}

/// The block title: the group, then each series' color mark, label and latest value; the
/// first series adds its average and maximum.
fn chart_title<'a>(title: &'a str, series: &[&Series], t: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(format!(" {title} "), t.style(ThemeKey::Title))];
    for (n, s) in series.iter().enumerate() {
        let st = s.stats();
        let style = t.style(SERIES_KEYS[n % SERIES_KEYS.len()]);
        spans.push(Span::styled("━ ", style));
        let mut text = format!("{} {}", s.label, format_opt(s.unit, st.latest));
        if n == 0 {
            text.push_str(&format!(
                " avg {} max {}",
                format_opt(s.unit, st.avg),
                format_opt(s.unit, st.max)
            ));
        }
        if let Some(cap) = s.capacity.filter(|_| n == 0) {
            text.push_str(&format!(" of {}", format_value(s.unit, cap)));
        }
        spans.push(Span::styled(format!("{text}  "), t.text()));
    }
    Line::from(spans)
}

/// The top of the value axis: the first series' capacity when it has one (memory of its
/// total, disk of its size), else a round number above every shown value.
fn y_top(series: &[&Series]) -> (Unit, f64) {
    let unit = series.first().map_or(Unit::Number, |s| s.unit);
    let max = series
        .iter()
        .filter_map(|s| s.stats().max)
        .fold(0.0f64, f64::max);
    let cap = series.first().and_then(|s| s.capacity);
    match cap {
        Some(c) if c >= max => (unit, c),
        _ => (unit, axis_max(unit, max)),
    }
}

/// Points for one series at `columns` braille columns: each column's min then max, split
/// at unknown columns into runs (a run is drawn as one line).
pub fn series_runs(series: &Series, columns: usize) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for b in downsample(&series.points, columns) {
        match (b.min, b.max) {
            (Some(lo), Some(hi)) => {
                let x = b.time as f64;
                current.push((x, lo));
                if hi > lo {
                    current.push((x, hi));
                }
            }
            _ => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

fn draw_chart(
    report: &MetricsReport,
    title: &str,
    series: &[&Series],
    area: Rect,
    buf: &mut Buffer,
    t: &Theme,
) {
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(t.border(false))
        .title(chart_title(title, series, t));
    if !series.iter().any(|s| s.has_data()) {
        let inner = block.inner(area);
        block.render(area, buf);
        let msg = "no data in this period (stopped, or not yet recorded)";
        put(
            buf,
            inner.x + 1,
            inner.y + inner.height / 2,
            msg,
            t.dim(),
            inner.width.saturating_sub(1),
        );
        return;
    }
    let Some((t0, t1)) = report.span() else {
        return;
    };
    let (unit, top) = y_top(series);
    let y_labels = [0.0, top / 2.0, top].map(|v| Span::styled(format_value(unit, v), t.dim()));
    let label_w = y_labels.iter().map(|s| s.width()).max().unwrap_or(1) as u16;
    // Braille: two dots per cell across the plot (the area less borders and the labels).
    let columns = usize::from(area.width.saturating_sub(label_w + 3)) * 2;
    let runs: Vec<(usize, Vec<(f64, f64)>)> = series
        .iter()
        .enumerate()
        .flat_map(|(n, s)| {
            series_runs(s, columns.max(1))
                .into_iter()
                .map(move |r| (n, r))
        })
        .collect();
    let datasets: Vec<Dataset> = runs
        .iter()
        .map(|(n, points)| {
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(t.style(SERIES_KEYS[n % SERIES_KEYS.len()]))
                .data(points)
        })
        .collect();
    let tf: Timeframe = report.timeframe;
    let x_labels = [t0, t0 + (t1 - t0) / 2, t1].map(|x| Span::styled(time_label(tf, x), t.dim()));
    Chart::new(datasets)
        .block(block)
        .style(Style::default())
        .legend_position(None)
        .x_axis(
            Axis::default()
                .bounds([t0 as f64, t1.max(t0 + 1) as f64])
                .labels(x_labels)
                .style(t.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels(y_labels)
                .style(t.dim()),
        )
        .render(area, buf);
}
