//! The few terminal calls the simulated shell makes on its own stdin: a line read that Ctrl-C
//! can interrupt, the window size (`TIOCGWINSZ`), so `stty size` follows PTY resizes, and the
//! `ECHO` flag (`stty -echo`: the kernel echoes input in cooked mode, not the shell).
//! Only file descriptor 0 is touched; no host files are opened.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Make Ctrl-C interrupt the current line instead of killing the shell (like bash), and ignore
/// the job-control and quit keys (there is no job control to hand the terminal to).
pub fn install_signal_handlers() {
    // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the handler only
    // stores to an atomic. No SA_RESTART, so a blocked read(2) returns EINTR on Ctrl-C.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
        for signal in [libc::SIGQUIT, libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
            libc::signal(signal, libc::SIG_IGN);
        }
    }
}

/// True once after each Ctrl-C.
pub fn take_interrupt() -> bool {
    INTERRUPTED.swap(false, Ordering::SeqCst)
}

/// What one read of a line produced.
#[derive(Debug, PartialEq, Eq)]
pub enum LineRead {
    Line(String),
    /// Ctrl-D on an empty line, or the PTY hung up.
    Eof,
    Interrupted,
}

/// Reads lines from fd 0 (in the PTY's cooked mode the kernel does the editing and echo).
#[derive(Debug, Default)]
pub struct LineReader {
    pending: Vec<u8>,
}

impl LineReader {
    pub fn read_line(&mut self) -> LineRead {
        loop {
            if let Some(pos) = self.pending.iter().position(|&b| b == b'\n') {
                let rest = self.pending.split_off(pos + 1);
                let mut line = std::mem::replace(&mut self.pending, rest);
                line.truncate(pos);
                return LineRead::Line(String::from_utf8_lossy(&line).into_owned());
            }
            let mut buf = [0u8; 4096];
            // SAFETY: reading into a stack buffer of the given length.
            let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    if take_interrupt() {
                        self.pending.clear();
                        return LineRead::Interrupted;
                    }
                    continue;
                }
                return LineRead::Eof;
            }
            if n == 0 {
                // Ctrl-D after some text returns that text without a newline; on an empty line
                // it is end of input.
                if self.pending.is_empty() {
                    return LineRead::Eof;
                }
                let line = std::mem::take(&mut self.pending);
                return LineRead::Line(String::from_utf8_lossy(&line).into_owned());
            }
            let n = usize::try_from(n).unwrap_or(0);
            self.pending.extend_from_slice(&buf[..n]);
        }
    }
}

/// The terminal size of stdin as (rows, cols), if stdin is a terminal.
pub fn window_size() -> Option<(u16, u16)> {
    // SAFETY: TIOCGWINSZ fills a winsize struct we own.
    unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        if libc::ioctl(0, libc::TIOCGWINSZ, &mut size) == 0 {
            Some((size.ws_row, size.ws_col))
        } else {
            None
        }
    }
}

/// Turns the kernel's echo of typed input on or off; false when stdin is not a terminal.
pub fn set_echo(on: bool) -> bool {
    // SAFETY: tcgetattr/tcsetattr on fd 0 with a termios struct we own.
    unsafe {
        let mut mode: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut mode) != 0 {
            return false;
        }
        if on {
            mode.c_lflag |= libc::ECHO;
        } else {
            mode.c_lflag &= !libc::ECHO;
        }
        libc::tcsetattr(0, libc::TCSANOW, &mode) == 0
    }
}
