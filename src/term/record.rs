//! Console recording and replay. Recordings are asciicast v2 (asciinema's format: a JSON
//! header line, then one `[seconds, "o"|"r", data]` array per line), written with
//! serde_json: the `asciicast` crate on crates.io is unmaintained since 2018 and pulls in
//! chrono for a header we write in five lines. Replay also accepts a raw byte stream
//! (e.g. `script -q` output) as one event.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::TermError;
use super::screen::Screen;

/// Writes asciicast v2. Output is split into chunks by the caller; a UTF-8 character cut
/// between two chunks is carried over so every event holds valid text.
pub struct AsciicastWriter<W: Write> {
    out: W,
    start: Instant,
    carry: Vec<u8>,
}

impl<W: Write> AsciicastWriter<W> {
    /// Write the header. `timestamp` is the Unix time of the start (seconds), if known.
    pub fn new(
        mut out: W,
        cols: u16,
        rows: u16,
        timestamp: Option<u64>,
    ) -> Result<Self, TermError> {
        let mut header = json!({"version": 2, "width": cols, "height": rows});
        if let Some(ts) = timestamp {
            header["timestamp"] = json!(ts);
        }
        writeln!(out, "{header}")?;
        Ok(AsciicastWriter {
            out,
            start: Instant::now(),
            carry: Vec::new(),
        })
    }

    /// Seconds since the header was written.
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Record guest output now.
    pub fn output(&mut self, data: &[u8]) -> Result<(), TermError> {
        let t = self.elapsed();
        self.output_at(t, data)
    }

    /// Record guest output at `t` seconds.
    pub fn output_at(&mut self, t: f64, data: &[u8]) -> Result<(), TermError> {
        self.carry.extend_from_slice(data);
        let valid = match std::str::from_utf8(&self.carry) {
            Ok(_) => self.carry.len(),
            // An incomplete character at the end waits for the next chunk; invalid bytes
            // in the middle are replaced.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.carry.len(),
        };
        if valid == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.carry[..valid]).into_owned();
        self.carry.drain(..valid);
        self.event(t, "o", &text)
    }

    /// Record a resize at `t` seconds (`"COLSxROWS"`).
    pub fn resize_at(&mut self, t: f64, cols: u16, rows: u16) -> Result<(), TermError> {
        self.event(t, "r", &format!("{cols}x{rows}"))
    }

    pub fn resize(&mut self, cols: u16, rows: u16) -> Result<(), TermError> {
        let t = self.elapsed();
        self.resize_at(t, cols, rows)
    }

    fn event(&mut self, t: f64, kind: &str, data: &str) -> Result<(), TermError> {
        // Microsecond precision, like asciinema.
        let t = (t * 1e6).round() / 1e6;
        writeln!(self.out, "{}", json!([t, kind, data]))?;
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), TermError> {
        self.out.flush()?;
        Ok(())
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecordingEvent {
    Output(Vec<u8>),
    Resize(u16, u16),
}

/// A recording loaded in memory: its size and timed events (seconds from the start).
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub cols: u16,
    pub rows: u16,
    pub events: Vec<(f64, RecordingEvent)>,
}

/// Load a recording: asciicast v2, or with `raw` the whole file as one output at 0 s
/// in an 80x24 screen.
pub fn read_recording(path: &Path, raw: bool) -> Result<Recording, TermError> {
    let shown = path.display().to_string();
    let read_err = |source| TermError::Read {
        path: shown.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    if raw {
        let mut data = Vec::new();
        BufReader::new(file)
            .read_to_end(&mut data)
            .map_err(read_err)?;
        return Ok(Recording {
            cols: 80,
            rows: 24,
            events: vec![(0.0, RecordingEvent::Output(data))],
        });
    }
    parse_asciicast(BufReader::new(file), &shown)
}

fn parse_asciicast(reader: impl BufRead, shown: &str) -> Result<Recording, TermError> {
    let fmt = |line: usize, msg: &str| TermError::Format {
        path: shown.to_string(),
        line,
        msg: msg.to_string(),
    };
    let mut lines = reader.lines().enumerate();
    let header = loop {
        match lines.next() {
            Some((_, Ok(l))) if l.trim().is_empty() => continue,
            Some((_, Ok(l))) => break l,
            Some((_, Err(e))) => {
                return Err(TermError::Read {
                    path: shown.to_string(),
                    source: e,
                });
            }
            None => return Err(fmt(1, "empty file: no asciicast header")),
        }
    };
    let header: Value =
        serde_json::from_str(&header).map_err(|e| fmt(1, &format!("header is not JSON: {e}")))?;
    if header.get("version").and_then(Value::as_u64) != Some(2) {
        return Err(fmt(
            1,
            "not an asciicast v2 header (\"version\": 2 missing); use --raw for a byte stream",
        ));
    }
    let dim = |k: &str| {
        header
            .get(k)
            .and_then(Value::as_u64)
            .and_then(|v| u16::try_from(v).ok())
            .filter(|&v| v > 0)
    };
    let (Some(cols), Some(rows)) = (dim("width"), dim("height")) else {
        return Err(fmt(1, "header needs positive \"width\" and \"height\""));
    };
    let mut events = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let line = line.map_err(|e| TermError::Read {
            path: shown.to_string(),
            source: e,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value =
            serde_json::from_str(&line).map_err(|e| fmt(n, &format!("event is not JSON: {e}")))?;
        let (Some(t), Some(kind), Some(data)) = (
            v.get(0).and_then(Value::as_f64),
            v.get(1).and_then(Value::as_str),
            v.get(2).and_then(Value::as_str),
        ) else {
            return Err(fmt(n, "event must be [time, type, data]"));
        };
        match kind {
            "o" => events.push((t, RecordingEvent::Output(data.as_bytes().to_vec()))),
            "r" => {
                let size = data
                    .split_once('x')
                    .and_then(|(c, r)| Some((c.parse::<u16>().ok()?, r.parse::<u16>().ok()?)))
                    .filter(|&(c, r)| c > 0 && r > 0);
                let Some((c, r)) = size else {
                    return Err(fmt(n, "resize data must be COLSxROWS"));
                };
                events.push((t, RecordingEvent::Resize(c, r)));
            }
            // Input ("i") and markers ("m") do not change the screen.
            _ => {}
        }
    }
    Ok(Recording { cols, rows, events })
}

/// Play `path` into a screen and return the final screen as text: exactly ROWS lines,
/// each ending in `\n`, trailing spaces trimmed. `size` (cols, rows) overrides the
/// recording's size and then resize events are ignored.
pub fn replay_dump(
    path: impl AsRef<Path>,
    raw: bool,
    size: Option<(u16, u16)>,
) -> Result<String, TermError> {
    let rec = read_recording(path.as_ref(), raw)?;
    let (cols, rows) = size.unwrap_or((rec.cols, rec.rows));
    let mut screen = Screen::with_scrollback(cols, rows, 0);
    for (_, ev) in &rec.events {
        match ev {
            RecordingEvent::Output(data) => screen.process(data),
            RecordingEvent::Resize(c, r) if size.is_none() => screen.resize(*c, *r),
            RecordingEvent::Resize(..) => {}
        }
    }
    let mut out = String::new();
    for line in screen.text_lines() {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// One step of a replay: wait `delay`, then apply `event`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub delay: Duration,
    pub event: RecordingEvent,
}

/// Yields a recording's events with their delays divided by `speed`; pauses longer than
/// `max_idle` (after scaling) are shortened to it, as `asciinema play -i` does.
#[derive(Debug, Clone)]
pub struct Player {
    rec: Recording,
    next: usize,
    last_t: f64,
    speed: f64,
    max_idle: Option<Duration>,
}

impl Player {
    /// `speed` <= 0 or not finite is taken as 1.
    pub fn new(rec: Recording, speed: f64) -> Player {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Player {
            rec,
            next: 0,
            last_t: 0.0,
            speed,
            max_idle: None,
        }
    }

    pub fn with_max_idle(mut self, max_idle: Duration) -> Player {
        self.max_idle = Some(max_idle);
        self
    }

    /// The recording's initial (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        (self.rec.cols, self.rec.rows)
    }

    pub fn set_speed(&mut self, speed: f64) {
        if speed.is_finite() && speed > 0.0 {
            self.speed = speed;
        }
    }
}

impl Iterator for Player {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        let (t, ev) = self.rec.events.get(self.next)?.clone();
        self.next += 1;
        let gap = ((t - self.last_t) / self.speed).max(0.0);
        self.last_t = self.last_t.max(t);
        let mut delay = Duration::try_from_secs_f64(gap).unwrap_or(Duration::ZERO);
        if let Some(m) = self.max_idle {
            delay = delay.min(m);
        }
        Some(Step { delay, event: ev })
    }
}
