//! The one terminal guard: enters raw mode, the alternate screen, bracketed paste and mouse
//! capture, and reverses exactly that on drop, in the panic hook, and around a Ctrl-Z
//! suspend. Nothing else in the program touches terminal modes.

use std::io::{self, Stdout, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, SetCursorStyle, Show};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Whether the terminal is currently in TUI mode, so restoring twice (drop after a panic
/// hook ran) is harmless.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

pub type Backend = CrosstermBackend<Stdout>;
pub type Tui = Terminal<Backend>;

pub struct TerminalGuard {
    pub terminal: Tui,
}

fn enter_modes() -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableMouseCapture,
        Hide
    )?;
    Ok(())
}

/// Undo `enter_modes`, in reverse order. Idempotent; errors are ignored where the
/// terminal may already be gone (hang-up), because restoring must never panic.
pub fn restore_terminal() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = execute!(
        out,
        Show,
        // A console guest may have changed the cursor's shape (DECSCUSR).
        SetCursorStyle::DefaultUserShape,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

impl TerminalGuard {
    /// Enter TUI mode on stdout and install the panic hook (once per process).
    pub fn enter() -> io::Result<TerminalGuard> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore_terminal();
                previous(info);
            }));
        });
        enter_modes()?;
        let terminal = match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(t) => t,
            Err(e) => {
                restore_terminal();
                return Err(e);
            }
        };
        Ok(TerminalGuard { terminal })
    }

    /// Ctrl-Z: see [`suspend`].
    pub fn suspend(&mut self) -> io::Result<()> {
        suspend(&mut self.terminal)
    }
}

/// Ctrl-Z: give the shell its terminal back, stop the process, and re-enter when the shell
/// continues it. SIGSTOP rather than SIGTSTP because our own SIGTSTP listener would
/// otherwise catch it.
pub fn suspend(terminal: &mut Tui) -> io::Result<()> {
    restore_terminal();
    #[cfg(unix)]
    // SAFETY: raise() is async-signal-safe and has no memory-safety preconditions.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
    enter_modes()?;
    // The shell drew over the screen: force a full repaint.
    terminal.clear()?;
    Ok(())
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}
