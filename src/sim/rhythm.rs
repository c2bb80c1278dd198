//! Slow shapes for the emulator's metrics, so a day, a week or a month of RRD history looks
//! like a real machine's: a working-hours rhythm (quiet nights, quieter weekends), a slow
//! drift (memory creeping up until a clean-up), and smooth noise. Pure functions of (key,
//! time) like the rest of `usage`: the live answers and the history agree.

use std::f64::consts::TAU;

use super::clock::unit_of;

const DAY: f64 = 86_400.0;

/// A factor around 1: about 0.35 at night, 1.25 in the (UTC) afternoon, 30% less on
/// weekends. Each key peaks at its own hour, within three hours.
pub fn daily(key: u64, t: f64) -> f64 {
    let shift = unit_of(key ^ 0xDA7) * 3.0 * 3600.0;
    let local = t - shift;
    let day = (local / DAY).rem_euclid(1.0);
    // 0 at about 02:24, 1 at about 14:24.
    let wave = 0.5 - 0.5 * (TAU * (day - 0.1)).cos();
    // 1970-01-01 was a Thursday: day 0 is weekday 4 (0 = Sunday).
    let weekday = ((local / DAY).floor() as i64 + 4).rem_euclid(7);
    let weekend = if weekday == 0 || weekday == 6 {
        0.7
    } else {
        1.0
    };
    (0.35 + 0.9 * wave) * weekend
}

/// 0..1 rising over a period of 6-12 days, then falling back: a leak and its restart.
pub fn drift(key: u64, t: f64) -> f64 {
    let period = (6.0 + 6.0 * unit_of(key ^ 0x5A)) * DAY;
    let phase = unit_of(key ^ 0xA5) * period;
    ((t + phase) / period).rem_euclid(1.0)
}

/// Smooth noise in -1..1 with a grain of `grain_s` seconds (values at grid points, linear
/// between), so neighbouring minutes are related and a month still looks ragged.
pub fn noise(key: u64, t: f64, grain_s: f64) -> f64 {
    let x = t / grain_s;
    let i = x.floor();
    let f = x - i;
    let at =
        |n: f64| unit_of(key ^ (n as i64 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) * 2.0 - 1.0;
    at(i) * (1.0 - f) + at(i + 1.0) * f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_have_a_rhythm_and_weeks_a_weekend() {
        // Mon 2026-12-07: 03:00 and 15:00 UTC.
        let night = 1_796_612_400.0;
        let afternoon = night + 12.0 * 3600.0;
        assert!(daily(1, afternoon) > 2.0 * daily(1, night));
        let saturday = afternoon + 5.0 * DAY;
        assert!(daily(1, saturday) < daily(1, afternoon));
        for k in 0..50 {
            let d = drift(k, night + k as f64 * 7777.0);
            assert!((0.0..1.0).contains(&d));
            let n = noise(k, night + k as f64 * 13.0, 60.0);
            assert!((-1.0..=1.0).contains(&n));
        }
        // Noise is continuous: a second apart, nearly the same.
        let (a, b) = (noise(3, night + 30.0, 60.0), noise(3, night + 31.0, 60.0));
        assert!((a - b).abs() < 0.1);
    }
}
