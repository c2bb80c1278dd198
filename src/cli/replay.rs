//! `proximity replay`: `--dump` prints the final screen; otherwise the recording plays in
//! the TUI. The loop here owns the clock and the terminal; `ui::replay` decides what is
//! due and what keys do, `ui::render::replay` draws. While paused (or at the end) the loop
//! blocks on the keyboard: no timer, no redraw.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event};

use super::{CliError, ReplayArgs};
use crate::term::read_recording;
use crate::ui::color::ColorDepth;
use crate::ui::render::replay::{ReplayView, cursor, draw};
use crate::ui::replay::{Replay, ReplayKey, ReplayScreen};
use crate::ui::terminal_guard::{TerminalGuard, Tui};
use crate::ui::theme::Theme;

/// While playing, the position on the border ticks at least this often even when the
/// recording is silent; events closer together than this share a frame.
const TICK: Duration = Duration::from_millis(200);
const MIN_FRAME: Duration = Duration::from_millis(16);

pub fn run(args: &ReplayArgs) -> Result<ExitCode, CliError> {
    let size = args
        .size
        .as_deref()
        .map(|s| crate::term::parse_size(s).map_err(|e| CliError::new(format!("--size: {e}"))))
        .transpose()?;
    if args.dump {
        let text = crate::term::replay_dump(&args.file, args.raw, size).map_err(CliError::new)?;
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    // Read before taking the terminal, so a bad file is one plain error line.
    let rec = read_recording(&args.file, args.raw).map_err(CliError::new)?;
    let mut screen = ReplayScreen::new(&rec, size);
    let mut replay = Replay::new(rec, args.speed);
    let title = title(&args.file);
    let theme = Theme::fallback(ColorDepth::from_env());

    let mut guard = TerminalGuard::enter()
        .map_err(|e| CliError::new(format!("cannot take over the terminal: {e}")))?;
    let term_err = |e: std::io::Error| CliError::new(format!("terminal: {e}"));
    let mut last = Instant::now();
    let mut dirty = true;
    loop {
        let now = Instant::now();
        for ev in replay.advance(now - last) {
            screen.apply(&ev);
            dirty = true;
        }
        last = now;
        if dirty {
            let view = ReplayView {
                title: &title,
                replay: &replay,
                screen: screen.screen(),
                theme: &theme,
            };
            frame(&mut guard.terminal, &view).map_err(term_err)?;
            dirty = false;
        }
        let wait = replay.next_due().map(|d| d.clamp(MIN_FRAME, TICK));
        let ready = match wait {
            Some(d) => event::poll(d).map_err(term_err)?,
            None => true,
        };
        if !ready {
            // Only the clock on the border moved.
            dirty = !replay.paused();
            continue;
        }
        match event::read().map_err(term_err)? {
            Event::Key(k) => {
                let Some(key) = ReplayKey::from_key(&k) else {
                    continue;
                };
                // Time up to the key counts at the old speed / pause state.
                let now = Instant::now();
                for ev in replay.advance(now - last) {
                    screen.apply(&ev);
                }
                last = now;
                if !screen.react(&replay.key(key)) {
                    break;
                }
                dirty = true;
            }
            Event::Resize(..) => dirty = true,
            _ => {}
        }
    }
    drop(guard);
    Ok(ExitCode::SUCCESS)
}

fn frame(terminal: &mut Tui, view: &ReplayView) -> std::io::Result<()> {
    terminal.draw(|f| {
        let area = f.area();
        draw(view, area, f.buffer_mut());
        if let Some(pos) = cursor(view.screen, area) {
            f.set_cursor_position(pos);
        }
    })?;
    Ok(())
}

/// The file name for the border, safe to draw.
fn title(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_else(|| path.to_string_lossy());
    crate::text::clean_string(&name)
}
