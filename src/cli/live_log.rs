//! A job's log streamed to stdout while it runs, with progress drawn in place: a line the
//! engine publishes again under its number (`JobEvent::Log` with an index already seen)
//! rewrites that line on a terminal, and on a pipe or file only final lines are printed.
//!
//! A pipe cannot take a line back, so lines are held until they are final: until the job
//! moves on to its next step or ends ([`LiveLog::settle`]), until nothing redrew them for
//! [`QUIET`] ([`LiveLog::settle_older`]), or until more than [`HELD_LINES`] newer lines follow
//! (a redrawn block is never that tall).

use std::collections::VecDeque;
use std::io::Write;

use crate::text::clean_string;

/// A held line that nothing redrew for this long is final (docker compose redraws its
/// progress about ten times a second; the emulator's realistic pull four times).
pub const QUIET: std::time::Duration = std::time::Duration::from_secs(1);
/// Lines a pipe's output holds back at most.
const HELD_LINES: usize = 64;
/// A terminal line is rewritten only when it is at most this far up (further, it may have
/// scrolled away: the new text is printed as a new line).
const MAX_REWRITE_UP: usize = 40;

pub struct LiveLog<W: Write> {
    out: W,
    tty: bool,
    /// Terminal: the number of the line after the last printed (the cursor's line).
    shown: Option<usize>,
    /// Pipe: the lines not printed yet (with when each last changed), the first being
    /// number `held_first`.
    held: VecDeque<(String, std::time::Instant)>,
    held_first: Option<usize>,
    /// Lines a pipe holds back.
    hold: usize,
}

impl<W: Write> LiveLog<W> {
    pub fn new(out: W, tty: bool) -> Self {
        LiveLog {
            out,
            tty,
            shown: None,
            held: VecDeque::new(),
            held_first: None,
            hold: HELD_LINES,
        }
    }

    /// A pipe gets each line as it comes (for logs that never redraw; a redraw of a line
    /// already printed is dropped).
    pub fn unheld(mut self) -> Self {
        self.hold = 0;
        self
    }

    /// Line number `index` of the job's log is `text` (new, or redrawn in place).
    pub fn line(&mut self, index: usize, text: &str) {
        let text = clean_string(text);
        if self.tty {
            self.tty_line(index, &text);
        } else {
            self.pipe_line(index, text);
        }
    }

    fn tty_line(&mut self, index: usize, text: &str) {
        let shown = *self.shown.get_or_insert(index);
        let up = shown.saturating_sub(index);
        if up == 0 || up > MAX_REWRITE_UP {
            let _ = writeln!(self.out, "{text}");
            self.shown = Some(shown.max(index) + 1);
        } else {
            // Up to the line, rewrite it whole, then back down to below the last one.
            let _ = write!(self.out, "\x1b[{up}A\r\x1b[2K{text}\n");
            if up > 1 {
                let _ = write!(self.out, "\x1b[{}B", up - 1);
            }
        }
        let _ = self.out.flush();
    }

    fn pipe_line(&mut self, index: usize, text: String) {
        let first = *self.held_first.get_or_insert(index);
        if index < first {
            // Printed already: a pipe cannot take it back.
            return;
        }
        let now = std::time::Instant::now();
        match self.held.get_mut(index - first) {
            Some(slot) => *slot = (text, now),
            None => self.held.push_back((text, now)),
        }
        while self.held.len() > self.hold {
            self.print_first();
        }
        if self.hold == 0 {
            let _ = self.out.flush();
        }
    }

    /// The lines so far are final (the job moved on or ended): print what is held.
    pub fn settle(&mut self) {
        while !self.held.is_empty() {
            self.print_first();
        }
        let _ = self.out.flush();
    }

    /// Print the held lines, oldest first, that nothing changed for `age` (a line that is not
    /// redrawn for that long is final; a progress block redraws many times a second).
    pub fn settle_older(&mut self, age: std::time::Duration) {
        let before = self.held.len();
        while self.held.front().is_some_and(|(_, at)| at.elapsed() >= age) {
            self.print_first();
        }
        if self.held.len() != before {
            let _ = self.out.flush();
        }
    }

    fn print_first(&mut self) {
        if let Some((line, _)) = self.held.pop_front() {
            let _ = writeln!(self.out, "{line}");
            if let Some(first) = self.held_first.as_mut() {
                *first += 1;
            }
        }
    }

    /// The writer, for lines of the caller's own.
    pub fn out(&mut self) -> &mut W {
        &mut self.out
    }

    #[cfg(test)]
    fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three layers drawn at 0%, 50% and 100%, then the next step.
    fn feed(log: &mut LiveLog<Vec<u8>>) {
        log.line(0, "$ docker compose pull");
        for pct in [0, 50, 100] {
            for layer in 0..3 {
                log.line(1 + layer, &format!("layer{layer} {pct}%"));
            }
        }
        log.line(4, "Pulled");
        log.settle();
        log.line(5, "$ docker compose up -d");
        log.settle();
    }

    #[test]
    fn a_pipe_gets_only_the_final_lines() {
        let mut log = LiveLog::new(Vec::new(), false);
        feed(&mut log);
        let out = String::from_utf8(log.into_inner()).unwrap();
        assert_eq!(
            out,
            "$ docker compose pull\nlayer0 100%\nlayer1 100%\nlayer2 100%\nPulled\n\
             $ docker compose up -d\n"
        );
    }

    #[test]
    fn a_pipe_prints_held_lines_once_nothing_redrew_them_for_a_while() {
        let mut log = LiveLog::new(Vec::new(), false);
        log.line(0, "$ apt-get install -y docker.io");
        log.line(1, "Reading package lists...");
        log.settle_older(std::time::Duration::from_secs(60));
        assert!(log.out().is_empty(), "still young: held");
        log.settle_older(std::time::Duration::ZERO);
        log.line(1, "redrawn after it was printed");
        log.line(2, "next");
        let out = String::from_utf8(log.into_inner()).unwrap();
        assert_eq!(
            out,
            "$ apt-get install -y docker.io\nReading package lists...\n"
        );
    }

    #[test]
    fn a_terminal_rewrites_the_lines_in_place() {
        let mut log = LiveLog::new(Vec::new(), true);
        feed(&mut log);
        let out = String::from_utf8(log.into_inner()).unwrap();
        // Printed once each as new lines, then rewritten with cursor movement.
        assert_eq!(out.matches("layer0").count(), 3);
        assert!(
            out.contains("\x1b[3A\r\x1b[2Klayer0 50%\n\x1b[2B"),
            "{out:?}"
        );
        assert!(out.contains("\x1b[1A\r\x1b[2Klayer2 100%\n"), "{out:?}");
        assert!(out.ends_with("Pulled\n$ docker compose up -d\n"), "{out:?}");
        assert_eq!(out.matches('\n').count(), 6 + 6);
    }

    #[test]
    fn guest_text_is_cleaned_and_a_long_log_still_streams() {
        let mut log = LiveLog::new(Vec::new(), false);
        for i in 0..HELD_LINES + 2 {
            log.line(i, &format!("l{i}\x1b]52;c;eA==\x07"));
        }
        let out = String::from_utf8(log.into_inner()).unwrap();
        assert_eq!(out, "l0\nl1\n");
    }
}
