//! The maths behind metrics, pure and terminal-free: typed series with gaps (`None`, never a
//! zero: Proxmox answers unknown periods with points that hold only `time`), their
//! latest/min/avg/max, downsampling to a chart's width that keeps each bucket's peak, units
//! a person reads at a glance (percent, binary bytes, bytes/s) and axis scales and time
//! labels (UTC, as every time the project shows).

use serde::Serialize;

use crate::pve::Timeframe;

/// What a series' values mean. Percent values are fractions (0.25 is 25%).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Percent,
    Bytes,
    BytesPerSec,
    /// A plain number (load average).
    Number,
}

/// One bucket of a series: its start (unix seconds) and its value, `None` when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub time: u64,
    pub value: Option<f64>,
}

/// One metric over time, oldest point first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Stable name for scripts: `cpu`, `mem`, `netin`, `pressure_io_some`...
    pub id: &'static str,
    /// What a person reads: `CPU`, `memory used`...
    pub label: &'static str,
    pub unit: Unit,
    /// The capacity the values are out of (memory total, disk size), when known.
    pub capacity: Option<f64>,
    pub points: Vec<Point>,
}

/// Latest known value and min/avg/max over the known points (gaps are skipped, not zeros).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Stats {
    pub latest: Option<f64>,
    pub min: Option<f64>,
    pub avg: Option<f64>,
    pub max: Option<f64>,
    /// Points with a value.
    pub known: usize,
}

impl Series {
    pub fn stats(&self) -> Stats {
        stats(&self.points)
    }

    /// Whether any point has a value (a series of gaps only is not worth a chart).
    pub fn has_data(&self) -> bool {
        self.points.iter().any(|p| p.value.is_some())
    }
}

pub fn stats(points: &[Point]) -> Stats {
    let mut s = Stats::default();
    let mut sum = 0.0;
    for v in points.iter().filter_map(|p| p.value) {
        s.known += 1;
        sum += v;
        s.min = Some(s.min.map_or(v, |m: f64| m.min(v)));
        s.max = Some(s.max.map_or(v, |m: f64| m.max(v)));
        s.latest = Some(v);
    }
    if s.known > 0 {
        s.avg = Some(sum / s.known as f64);
    }
    s
}

/// A run of points folded into one column of a chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// The first point's time.
    pub time: u64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub avg: Option<f64>,
}

/// Fold `points` into at most `columns` buckets of consecutive points. Each bucket keeps its
/// min, max and mean, so a one-minute spike in a month of data still reaches the top of its
/// column; a bucket whose points are all unknown stays a gap.
pub fn downsample(points: &[Point], columns: usize) -> Vec<Bucket> {
    if points.is_empty() || columns == 0 {
        return Vec::new();
    }
    let n = points.len();
    let columns = columns.min(n);
    let mut out = Vec::with_capacity(columns);
    for c in 0..columns {
        // Integer bounds spread the remainder evenly: every point lands in exactly one bucket.
        let (from, to) = (c * n / columns, (c + 1) * n / columns);
        let chunk = &points[from..to];
        let s = stats(chunk);
        out.push(Bucket {
            time: chunk.first().map_or(0, |p| p.time),
            min: s.min,
            max: s.max,
            avg: s.avg,
        });
    }
    out
}

const KIB: f64 = 1024.0;
const BINARY: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// `1.5 GiB`, `512 B`: binary units, three significant digits at most.
pub fn format_bytes(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let mut x = v.abs();
    let mut i = 0;
    while x >= KIB && i + 1 < BINARY.len() {
        x /= KIB;
        i += 1;
    }
    let digits = if i == 0 || x >= 100.0 {
        0
    } else if x >= 10.0 {
        1
    } else {
        2
    };
    format!("{sign}{x:.digits$} {}", BINARY[i])
}

/// A value as a person reads it: `42%`, `3.5%`, `1.50 GiB`, `12.0 MiB/s`, `0.87`.
pub fn format_value(unit: Unit, v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    match unit {
        Unit::Percent => {
            let p = v * 100.0;
            // Below 0.05% reads as nothing: `0%`, not `0.0%`.
            if p.abs() >= 10.0 || p.abs() < 0.05 {
                format!("{p:.0}%")
            } else {
                format!("{p:.1}%")
            }
        }
        Unit::Bytes => format_bytes(v),
        Unit::BytesPerSec => format!("{}/s", format_bytes(v)),
        Unit::Number => {
            if v.abs() >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        }
    }
}

/// `-` for an unknown value.
pub fn format_opt(unit: Unit, v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format_value(unit, v))
}

/// The top of a chart's value axis: the smallest round number at or above `max` in the
/// unit's own steps (percent 1/2/5/10/20/25/50/100%, bytes 1/2/5/10/20/50/100/200/500 of a
/// binary unit, numbers 1/2/5 x 10^k), so axis labels read as round values.
pub fn axis_max(unit: Unit, max: f64) -> f64 {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        0.0
    };
    match unit {
        Unit::Percent => {
            const STEPS: [f64; 8] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0];
            STEPS
                .iter()
                .copied()
                .find(|s| *s >= max)
                .unwrap_or_else(|| (max * 10.0).ceil() / 10.0)
        }
        Unit::Bytes | Unit::BytesPerSec => {
            if max < 1.0 {
                return 1.0;
            }
            let mut scale = 1.0;
            while max / scale >= KIB {
                scale *= KIB;
            }
            const STEPS: [f64; 10] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1024.0];
            let m = max / scale;
            let step = STEPS.iter().copied().find(|s| *s >= m).unwrap_or(1024.0);
            step * scale
        }
        Unit::Number => {
            if max <= 0.0 {
                return 1.0;
            }
            let decade = 10f64.powf(max.log10().floor());
            [1.0, 2.0, 5.0, 10.0]
                .iter()
                .map(|s| s * decade)
                .find(|s| *s >= max * (1.0 - 1e-9))
                .unwrap_or(10.0 * decade)
        }
    }
}

/// Seconds per bucket and buckets per answer of Proxmox 9's RRD for a time frame
/// (`pve-cluster` RRD.pm; WIRE.md §3).
pub fn resolution(tf: Timeframe) -> (u64, u64) {
    match tf {
        Timeframe::Hour => (60, 60),
        Timeframe::Day => (60, 1440),
        Timeframe::Week => (1800, 336),
        Timeframe::Month => (1800, 1440),
        Timeframe::Year => (21_600, 1440),
        Timeframe::Decade => (604_800, 570),
    }
}

/// The time frames a user may ask for, in switch order.
pub const TIMEFRAMES: [Timeframe; 4] = [
    Timeframe::Hour,
    Timeframe::Day,
    Timeframe::Week,
    Timeframe::Month,
];

/// `hour`, `day`, `week` or `month` (what `--timeframe` takes); the error names the choices.
pub fn parse_timeframe(s: &str) -> Result<Timeframe, String> {
    TIMEFRAMES
        .iter()
        .copied()
        .find(|t| t.as_str() == s.trim().to_ascii_lowercase())
        .ok_or_else(|| {
            format!(
                "unknown time frame '{}': use hour, day, week or month",
                crate::text::clean_string(s)
            )
        })
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A time-axis label for `epoch` (UTC) that fits the frame: `14:05` for an hour or a day,
/// `Tue 14h` for a week, `Nov 07` for a month.
pub fn time_label(tf: Timeframe, epoch: u64) -> String {
    let days = (epoch / 86_400) as i64;
    let secs = epoch % 86_400;
    let (hh, mm) = (secs / 3600, secs / 60 % 60);
    match tf {
        Timeframe::Hour | Timeframe::Day => format!("{hh:02}:{mm:02}"),
        Timeframe::Week => format!("{} {hh:02}h", WEEKDAYS[days.rem_euclid(7) as usize]),
        Timeframe::Month | Timeframe::Year | Timeframe::Decade => {
            let (_, m, d) = crate::civil::civil_from_days(days);
            format!("{} {d:02}", MONTHS[(m as usize + 11) % 12])
        }
    }
}

/// How far a frame reaches back, for titles: `last hour`, `last 30 days`.
pub fn span_label(tf: Timeframe) -> &'static str {
    match tf {
        Timeframe::Hour => "last hour",
        Timeframe::Day => "last 24 hours",
        Timeframe::Week => "last 7 days",
        Timeframe::Month => "last 30 days",
        Timeframe::Year => "last year",
        Timeframe::Decade => "last 10 years",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(values: &[Option<f64>]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                time: 1000 + 60 * i as u64,
                value: *v,
            })
            .collect()
    }

    #[test]
    fn gaps_are_skipped_not_counted_as_zero() {
        let s = stats(&pts(&[None, Some(2.0), None, Some(4.0), None]));
        assert_eq!(s.known, 2);
        assert_eq!(s.min, Some(2.0));
        assert_eq!(s.max, Some(4.0));
        assert_eq!(s.avg, Some(3.0), "the mean of known values only");
        assert_eq!(
            s.latest,
            Some(4.0),
            "the last known value, not the trailing gap"
        );
        assert_eq!(stats(&pts(&[None, None])), Stats::default());
    }

    #[test]
    fn downsampling_keeps_the_peak_and_the_gaps() {
        let mut values = vec![Some(0.1); 1440];
        values[777] = Some(0.97);
        for v in &mut values[100..140] {
            *v = None;
        }
        let buckets = downsample(&pts(&values), 80);
        assert_eq!(buckets.len(), 80);
        let peak = buckets.iter().filter_map(|b| b.max).fold(0.0f64, f64::max);
        assert_eq!(peak, 0.97, "a one-point spike survives 18:1 folding");
        // 1440 / 80 = 18 points a bucket: points 108..126 are all unknown.
        assert_eq!(buckets[6].max, None, "an all-unknown bucket is a gap");
        assert!(
            buckets[5].max.is_some(),
            "a half-known bucket keeps its values"
        );
        assert_eq!(buckets[0].time, 1000);
        // Fewer points than columns: one bucket per point.
        assert_eq!(downsample(&pts(&[Some(1.0), None]), 80).len(), 2);
        assert!(downsample(&[], 80).is_empty());
    }

    #[test]
    fn every_point_lands_in_one_bucket() {
        let values: Vec<Option<f64>> = (0..1000).map(|i| Some(i as f64)).collect();
        let buckets = downsample(&pts(&values), 7);
        assert_eq!(buckets.first().unwrap().min, Some(0.0));
        assert_eq!(buckets.last().unwrap().max, Some(999.0));
        for w in buckets.windows(2) {
            assert_eq!(w[0].max.unwrap() + 1.0, w[1].min.unwrap(), "no point lost");
        }
    }

    #[test]
    fn units_read_at_a_glance() {
        assert_eq!(format_value(Unit::Percent, 0.4234), "42%");
        assert_eq!(format_value(Unit::Percent, 0.035), "3.5%");
        assert_eq!(format_value(Unit::Percent, 0.0), "0%");
        assert_eq!(format_value(Unit::Bytes, 512.0), "512 B");
        assert_eq!(
            format_value(Unit::Bytes, 1536.0 * 1024.0 * 1024.0),
            "1.50 GiB"
        );
        assert_eq!(format_value(Unit::Bytes, 20.0 * 1024.0), "20.0 KiB");
        assert_eq!(
            format_value(Unit::BytesPerSec, 3.0 * 1024.0 * 1024.0),
            "3.00 MiB/s"
        );
        assert_eq!(
            format_value(Unit::Bytes, 300.0 * 1024.0 * 1024.0),
            "300 MiB"
        );
        assert_eq!(format_value(Unit::Number, 0.8712), "0.87");
        assert_eq!(format_opt(Unit::Bytes, None), "-");
        assert_eq!(format_value(Unit::Bytes, f64::NAN), "-");
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(axis_max(Unit::Percent, 0.034), 0.05);
        assert_eq!(axis_max(Unit::Percent, 0.3), 0.5);
        assert_eq!(axis_max(Unit::Percent, 0.99), 1.0);
        assert_eq!(axis_max(Unit::Percent, 0.0), 0.01);
        let mib = 1024.0 * 1024.0;
        assert_eq!(axis_max(Unit::BytesPerSec, 3.2 * mib), 5.0 * mib);
        assert_eq!(axis_max(Unit::Bytes, 700.0 * mib), 1024.0 * mib);
        assert_eq!(axis_max(Unit::Bytes, 0.0), 1.0);
        assert_eq!(axis_max(Unit::Number, 3.7), 5.0);
        assert_eq!(axis_max(Unit::Number, 0.42), 0.5);
        assert_eq!(axis_max(Unit::Number, f64::INFINITY), 1.0);
    }

    #[test]
    fn time_labels_fit_the_frame() {
        // 2026-12-07 14:05 UTC, a Monday.
        let t = 1_796_652_300;
        assert_eq!(time_label(Timeframe::Hour, t), "14:05");
        assert_eq!(time_label(Timeframe::Week, t), "Mon 14h");
        assert_eq!(time_label(Timeframe::Month, t), "Dec 07");
        assert_eq!(parse_timeframe("Week"), Ok(Timeframe::Week));
        assert_eq!(
            parse_timeframe("fortnight"),
            Err("unknown time frame 'fortnight': use hour, day, week or month".into())
        );
    }
}
