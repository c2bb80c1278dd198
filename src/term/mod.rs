//! The console terminal core: vt100 screen bridging, xterm key encoding, scrollback,
//! recording and replay (asciicast v2). No ratatui or crossterm here: the console pane
//! (`ui::term_widget`) draws a [`Screen`] and feeds it our own [`KeyEvent`]/[`MouseEvent`].
//!
//! Layout: `charset`+`filter` bridge what vt100 0.18 lacks (DEC special graphics, tab
//! stops, DECSTBM homing); `screen` owns the parser and the guest queries; `keys` and
//! `mouse` encode input as xterm does; `selection` copies text; `record` writes and reads
//! asciicast v2. Guest text shown outside the console is cleaned by `crate::text`.

mod charset;
mod filter;
pub mod keys;
mod margins;
pub mod mouse;
pub mod record;
pub mod screen;
pub mod selection;

pub use keys::{KeyCode, KeyEvent, KeyModes, Modifiers, encode_key};
pub use mouse::{MouseButton, MouseEvent, MouseKind, encode_mouse};
pub use record::{
    AsciicastWriter, Player, Recording, RecordingEvent, Step, read_recording, replay_dump,
};
pub use screen::{DEFAULT_SCROLLBACK, ReportedColors, Screen};
pub use selection::{CellPos, Selection, osc52_copy};
pub use vt100::{Color, CursorStyle, MouseProtocolEncoding, MouseProtocolMode};

/// Errors of the terminal core (recording files, replay).
#[derive(Debug, thiserror::Error)]
pub enum TermError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write recording: {0}")]
    Write(#[from] std::io::Error),
    #[error("{path}: line {line}: {msg}")]
    Format {
        path: String,
        line: usize,
        msg: String,
    },
    #[error("bad size {0:?}: expected COLSxROWS with both in 1..=1000")]
    Size(String),
}

/// Parse `COLSxROWS` (e.g. `80x24`), as used by `proximity replay --size`.
pub fn parse_size(s: &str) -> Result<(u16, u16), TermError> {
    let bad = || TermError::Size(s.to_string());
    let (c, r) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let cols: u16 = c.trim().parse().map_err(|_| bad())?;
    let rows: u16 = r.trim().parse().map_err(|_| bad())?;
    if !(1..=1000).contains(&cols) || !(1..=1000).contains(&rows) {
        return Err(bad());
    }
    Ok((cols, rows))
}
