//! Console throughput: parse + render of a deterministic 32 MiB terminal stream (colored
//! `ls`, htop-like full repaints, a log flood, dialog-like boxes) into a 160x45 Screen,
//! drawing it into a ratatui Buffer:
//! - `parse_render_60fps`: as the app does, at most one frame per 1/60 s of wall-clock time
//!   (the runtime's frame cap), and one at the end;
//! - `parse_render_every_64k`: a frame after every 64 KiB (512 frames), a far heavier
//!   drawing load than the app's, to keep the cost of drawing in view.
//!
//! `BENCH_TERM_STREAM_OUT=path` also writes the stream to `path`, so that
//! scripts/bench-term.sh can run xterm.js (`@xterm/headless`) on the same bytes.

use std::hint::black_box;
use std::io::Write as _;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use proximity::term::Screen;
use proximity::ui::term_widget::{TermStyle, TermWidget};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

const STREAM_BYTES: usize = 32 << 20;
const COLS: u16 = 160;
const ROWS: u16 = 45;
/// Bytes read from the guest per `process` call (a websocket frame / PTY read).
const CHUNK: usize = 16 << 10;
/// Draw after this many bytes.
const FRAME_BYTES: usize = 64 << 10;

/// A small deterministic generator (64-bit LCG), so every run sees the same bytes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

const WORDS: [&str; 12] = [
    "proxmox",
    "container",
    "backup",
    "jellyfin",
    "request",
    "storage",
    "node",
    "vmid",
    "ok",
    "latency",
    "token",
    "sled",
];

fn ls_color(out: &mut Vec<u8>, r: &mut Lcg) {
    for _ in 0..40 {
        for _ in 0..6 {
            let w = WORDS[r.below(12) as usize];
            let n = r.below(1000);
            match r.below(4) {
                0 => write!(out, "\x1b[0m\x1b[01;34m{w}_{n}\x1b[0m  "),
                1 => write!(out, "\x1b[01;32m{w}{n}.sh\x1b[0m  "),
                2 => write!(out, "\x1b[01;31m{w}-{n}.tar.gz\x1b[0m  "),
                _ => write!(out, "{w}{n}.txt  "),
            }
            .ok();
        }
        out.extend_from_slice(b"\r\n");
    }
}

fn htop_repaint(out: &mut Vec<u8>, r: &mut Lcg) {
    out.extend_from_slice(b"\x1b[?25l\x1b[H");
    for row in 1..=8 {
        let used = r.below(60) as usize;
        write!(
            out,
            "\x1b[{row};1H\x1b[1;36m{row:>3}\x1b[0m\x1b[1m[\x1b[32m{}\x1b[31m{}\x1b[0m{}\x1b[1m{:>5.1}%]\x1b[0m\x1b[K",
            "|".repeat(used / 2),
            "|".repeat(used / 2),
            " ".repeat(60 - used),
            used as f32 * 1.6
        )
        .ok();
    }
    write!(out, "\x1b[10;1H\x1b[30;42m  PID USER      PRI  NI  VIRT   RES   SHR S CPU% MEM%   TIME+  Command{}\x1b[0m", " ".repeat(88)).ok();
    for row in 11..=ROWS {
        let pid = r.below(99999);
        let cpu = r.below(1000);
        let sel = if row == 14 { "\x1b[30;46m" } else { "" };
        write!(
            out,
            "\x1b[{row};1H{sel}{pid:>5} root       20   0 {:>5}M {:>5}M  {:>4}M S {:>2}.{} {:>4.1} 0:{:02}.{:02} \x1b[1m{}\x1b[0m --flag={}\x1b[K",
            r.below(9000),
            r.below(900),
            r.below(90),
            cpu / 10,
            cpu % 10,
            r.below(100) as f32 / 10.0,
            r.below(60),
            r.below(100),
            WORDS[r.below(12) as usize],
            WORDS[r.below(12) as usize]
        )
        .ok();
    }
    out.extend_from_slice(b"\x1b[?25h");
}

fn log_flood(out: &mut Vec<u8>, r: &mut Lcg) {
    for i in 0..120 {
        let level = match r.below(10) {
            0 => "\x1b[31mERROR\x1b[0m",
            1 | 2 => "\x1b[33mWARN \x1b[0m",
            _ => "\x1b[32mINFO \x1b[0m",
        };
        write!(
            out,
            "2026-11-29T12:{:02}:{:02}.{:03}Z {level} {}::{}: request id={:08x} status=200 took={}ms\tbytes={}\r\n",
            i % 60,
            r.below(60),
            r.below(1000),
            WORDS[r.below(12) as usize],
            WORDS[r.below(12) as usize],
            r.next(),
            r.below(500),
            r.below(1 << 20)
        )
        .ok();
    }
}

fn dialog_box(out: &mut Vec<u8>, r: &mut Lcg) {
    let top = 5 + r.below(20);
    out.extend_from_slice(b"\x1b[44m\x1b[2J\x1b(0");
    write!(out, "\x1b[{top};20H\x1b[47;30ml{}k", "q".repeat(60)).ok();
    for i in 1..12 {
        write!(
            out,
            "\x1b[{};20Hx\x1b(B Configure {} {:<42}\x1b(0x",
            top + i,
            WORDS[r.below(12) as usize],
            i
        )
        .ok();
    }
    write!(
        out,
        "\x1b[{};20Hm{}j\x1b(B\x1b[0m",
        top + 12,
        "q".repeat(60)
    )
    .ok();
}

fn stream() -> Vec<u8> {
    let mut r = Lcg(0x5eed);
    let mut out = Vec::with_capacity(STREAM_BYTES + (64 << 10));
    while out.len() < STREAM_BYTES {
        match r.below(10) {
            0..=2 => ls_color(&mut out, &mut r),
            3..=5 => htop_repaint(&mut out, &mut r),
            6..=8 => log_flood(&mut out, &mut r),
            _ => dialog_box(&mut out, &mut r),
        }
    }
    out
}

/// When the next frame is due.
#[derive(Clone, Copy)]
enum Cadence {
    /// The app's frame cap: one frame per 1/60 s of wall-clock time at most.
    Fps60,
    /// After every `FRAME_BYTES`.
    Every64k,
}

const FRAME_TIME: Duration = Duration::from_nanos(1_000_000_000 / 60);

fn feed_and_draw(data: &[u8], buf: &mut Buffer, cadence: Cadence) -> usize {
    let mut screen = Screen::new(COLS, ROWS);
    let area = Rect::new(0, 0, COLS, ROWS);
    let mut since_frame = 0;
    let mut last_frame = Instant::now();
    let mut frames = 0;
    for chunk in data.chunks(CHUNK) {
        screen.process(chunk);
        since_frame += chunk.len();
        let due = match cadence {
            Cadence::Fps60 => last_frame.elapsed() >= FRAME_TIME,
            Cadence::Every64k => since_frame >= FRAME_BYTES,
        };
        if due {
            since_frame = 0;
            last_frame = Instant::now();
            frames += 1;
            TermWidget::new(&screen, TermStyle::default()).render(area, buf);
        }
    }
    TermWidget::new(&screen, TermStyle::default()).render(area, buf);
    frames + 1
}

/// Each part alone, to see where the time goes (`BENCH_TERM_QUICK=1`).
fn quick(data: &[u8]) {
    let mib = data.len() as f64 / (1 << 20) as f64;
    // The best of 3 runs: on a busy machine the fastest run is the least disturbed one.
    // `BENCH_TERM_QUICK=NAME` runs only the parts whose name contains NAME (for a profiler;
    // `=1` runs them all).
    let only = std::env::var("BENCH_TERM_QUICK").unwrap_or_default();
    let only = if only == "1" { String::new() } else { only };
    let time = |name: &str, f: &mut dyn FnMut()| {
        if !name.contains(only.as_str()) {
            return;
        }
        let s = (0..3)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        println!("{name:<30} {:>8.3} s {:>8.1} MiB/s", s, mib / s);
    };
    time("vt100 alone", &mut || {
        let mut p = vt100::Parser::new(ROWS.try_into().unwrap(), COLS.try_into().unwrap(), 5000);
        for chunk in data.chunks(CHUNK) {
            p.process(chunk);
        }
        black_box(p.screen().cursor_position());
    });
    time("vt100, no ASCII fast path", &mut || {
        let mut p = vt100::Parser::new(ROWS.try_into().unwrap(), COLS.try_into().unwrap(), 5000);
        p.screen_mut().set_ascii_fast_path(false);
        for chunk in data.chunks(CHUNK) {
            p.process(chunk);
        }
        black_box(p.screen().cursor_position());
    });
    time("Screen (filter + vt100)", &mut || {
        let mut s = Screen::new(COLS, ROWS);
        for chunk in data.chunks(CHUNK) {
            s.process(chunk);
        }
        black_box(s.cursor());
    });
    let mut buf = Buffer::empty(Rect::new(0, 0, COLS, ROWS));
    let mut frames = 0;
    time("parse + render, 60 fps", &mut || {
        frames = black_box(feed_and_draw(data, &mut buf, Cadence::Fps60));
    });
    println!("  ({frames} frames)");
    time("parse + render, every 64 KiB", &mut || {
        black_box(feed_and_draw(data, &mut buf, Cadence::Every64k));
    });
}

fn main() {
    let data = stream();
    if let Some(path) = std::env::var_os("BENCH_TERM_STREAM_OUT") {
        if let Err(e) = std::fs::write(&path, &data) {
            eprintln!("cannot write {}: {e}", path.to_string_lossy());
            std::process::exit(1);
        }
    }
    if std::env::var_os("BENCH_TERM_QUICK").is_some() {
        quick(&data);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("term");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Bytes(data.len() as u64));
    let mut buf = Buffer::empty(Rect::new(0, 0, COLS, ROWS));
    g.bench_function("parse_render_60fps", |b| {
        b.iter(|| black_box(feed_and_draw(&data, &mut buf, Cadence::Fps60)))
    });
    g.bench_function("parse_render_every_64k", |b| {
        b.iter(|| black_box(feed_and_draw(&data, &mut buf, Cadence::Every64k)))
    });
    g.finish();
    c.final_summary();
}
