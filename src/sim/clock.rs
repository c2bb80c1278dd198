//! Time and randomness helpers for the emulator: wall-clock epochs, civil dates (HTTP `Expires`,
//! vzdump file names) and a tiny deterministic PRNG (the model must be reproducible from `--seed`,
//! so it does not depend on any RNG crate's stream stability).

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn now_epoch_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Civil UTC date of an epoch: (year, month 1-12, day 1-31, hour, minute, second, weekday 0=Sun).
pub fn civil(epoch: u64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let days = (epoch / 86_400) as i64;
    let secs = epoch % 86_400;
    let (y, m, d) = crate::civil::civil_from_days(days);
    let weekday = (days + 4).rem_euclid(7) as u32;
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        ((secs % 3600) / 60) as u32,
        (secs % 60) as u32,
        weekday,
    )
}

/// RFC 7231 date, as Proxmox sends in `Expires` (equal to `Date`).
pub fn http_date(epoch: u64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d, hh, mm, ss, wd) = civil(epoch);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[wd as usize % 7],
        d,
        MONTHS[(m as usize + 11) % 12],
        y,
        hh,
        mm,
        ss
    )
}

/// `2025_01_15-10_30_00`, the timestamp in vzdump archive names.
pub fn vzdump_stamp(epoch: u64) -> String {
    let (y, m, d, hh, mm, ss, _) = civil(epoch);
    format!("{y:04}_{m:02}_{d:02}-{hh:02}_{mm:02}_{ss:02}")
}

/// `2025-01-15 10:30:00`, as vzdump logs start and end times.
pub fn log_stamp(epoch: u64) -> String {
    let (y, m, d, hh, mm, ss, _) = civil(epoch);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
}

/// The scheduler's clock: it starts at the wall clock and runs `scale` times faster, so a
/// daily backup job can be seen firing in seconds (`--time-scale`). Only the schedule runs on
/// it; everything the API reports (ctime, task times) stays on the wall clock, so nothing the
/// client sees ever lies in the future.
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    start: f64,
    scale: f64,
}

impl ScaledClock {
    pub fn new(scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        ScaledClock {
            start: now_epoch_f64(),
            scale,
        }
    }

    /// The scheduler's "now" in epoch seconds.
    pub fn now(&self) -> u64 {
        self.to_virtual(now_epoch_f64()) as u64
    }

    pub fn to_virtual(self, real: f64) -> f64 {
        self.start + (real - self.start) * self.scale
    }

    /// The wall-clock epoch at which the scheduler's clock reaches `virt`.
    pub fn to_real(self, virt: u64) -> u64 {
        (self.start + (virt as f64 - self.start) / self.scale).ceil() as u64
    }
}

/// SplitMix64: small, fast, and stable forever (the seeded model depends on its stream).
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in [0, n) (n > 0; 0 yields 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Stateless hash of a value (used for per-guest constants such as usage phases).
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash to [0, 1).
pub fn unit_of(z: u64) -> f64 {
    (mix64(z) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_736_937_000), "Wed, 15 Jan 2025 10:30:00 GMT");
        let stamp = vzdump_stamp(1_736_937_000);
        assert_eq!(stamp, "2025_01_15-10_30_00");
        assert_eq!(vzdump_stamp(1_709_251_199), "2024_02_29-23_59_59");
    }

    #[test]
    fn scaled_clock_maps_both_ways() {
        let c = ScaledClock::new(60.0);
        let v = c.now();
        let real = c.to_real(v + 600);
        // Ten virtual minutes are ten real seconds.
        assert!((real as i64 - now_epoch() as i64 - 10).abs() <= 1, "{real}");
        assert_eq!(log_stamp(1_736_937_000), "2025-01-15 10:30:00");
    }

    #[test]
    fn splitmix_is_deterministic() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = SplitMix::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let mut r = SplitMix::new(7);
        assert_eq!(a[0], r.next_u64());
        assert_ne!(a[0], a[1]);
    }
}
