//! Real programs through a real PTY into our Screen: tput (ncurses-bin), less, dialog
//! and whiptail. They exercise terminfo paths we only imitate in fixtures: ncurses' `acsc`
//! line drawing (`ESC ( 0`), slang's G1 + SO/SI, alternate screen, scroll regions.
//! One rule for a missing program, see [`skip_unless_installed`]: the test skips with a
//! message naming the Debian package, and fails when `CI` is set (`.ci/run` installs them).

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use proximity::term::Screen;

use crate::screen_fixture;

pub(crate) const COLS: u16 = 80;
pub(crate) const ROWS: u16 = 24;

/// Generous: each wait ends as soon as its screen is there; only a hung or wrong program
/// waits this long (CI runs on a loaded 2-core machine).
const WAIT: Duration = Duration::from_secs(20);

fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

/// Whether `program` is on PATH; if not, say on stderr that `test` is skipped, or fail when
/// `CI` is set: there the program must be installed (see .ci/run), and a skip would hide it.
pub(crate) fn skip_unless_installed(test: &str, program: &str, package: &str) -> bool {
    if installed(program) {
        return true;
    }
    missing_in_ci(program, package);
    // Straight to stderr: the harness captures `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: `{program}` is not installed (apt-get install {package})"
    );
    false
}

/// Fail when `CI` is set: a program the tests need is missing there.
pub(crate) fn missing_in_ci(program: &str, package: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "`{program}` is missing and CI is set: apt-get install {package}"
    );
}

/// A program on the slave side of a COLS x ROWS PTY; a thread forwards its output to `rx`.
/// Dropping it kills the program. Shared with the vttest conformance test.
pub(crate) struct Pty {
    pub(crate) rx: mpsc::Receiver<Vec<u8>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Pty {
    pub(crate) fn spawn(argv: &[&str], env: &[(&str, &str)]) -> Pty {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(argv[0]);
        cmd.args(&argv[1..]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _master = pty.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Pty { rx, writer, child }
    }

    /// Send keys (or replies to the program's queries).
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to pty");
        self.writer.flush().expect("flush pty");
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A program in a COLS x ROWS PTY and the Screen its output goes to.
pub(crate) struct Session {
    pub(crate) screen: Screen,
    pty: Pty,
}

impl Session {
    fn spawn(argv: &[&str]) -> Session {
        Session::spawn_env(
            argv,
            &[
                ("TERM", "xterm-256color"),
                // The C locale makes ncurses draw lines with ACS (DEC graphics), not UTF-8.
                ("LANG", "C"),
                ("LC_ALL", "C"),
                ("LESS", ""),
            ],
        )
    }

    pub(crate) fn spawn_env(argv: &[&str], env: &[(&str, &str)]) -> Session {
        Session {
            screen: Screen::new(COLS, ROWS),
            pty: Pty::spawn(argv, env),
        }
    }

    /// Feed output (answering queries) until `done` holds for the screen: false if it
    /// still does not after [`WAIT`].
    pub(crate) fn wait_until(&mut self, done: impl Fn(&Screen) -> bool) -> bool {
        let deadline = Instant::now() + WAIT;
        while !done(&self.screen) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .pty
                .rx
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                Ok(chunk) => {
                    self.screen.process(&chunk);
                    let replies = self.screen.take_replies();
                    if !replies.is_empty() {
                        let _ = self.pty.writer.write_all(&replies);
                    }
                }
                Err(_) if Instant::now() < deadline => {}
                Err(_) => return false,
            }
        }
        true
    }

    /// [`Session::wait_until`], or panic with the screen.
    pub(crate) fn wait_for(&mut self, what: &str, done: impl Fn(&Screen) -> bool) {
        if !self.wait_until(done) {
            panic!("timed out waiting for {what}; screen:\n{}", self.dump());
        }
    }

    /// Wait until the screen is tests/fixtures/`dir`/`name`.txt with the cursor at
    /// `cursor` (row, col), or panic with the rows that differ.
    pub(crate) fn expect(&mut self, dir: &str, name: &str, cursor: (u16, u16)) {
        let matches = |sc: &Screen| {
            sc.cursor() == cursor && screen_fixture::compare(dir, name, &sc.text_lines()).is_ok()
        };
        if !self.wait_until(matches) {
            let rows = screen_fixture::compare(dir, name, &self.screen.text_lines())
                .err()
                .unwrap_or_else(|| format!("{dir}/{name}.txt: the rows match"));
            panic!(
                "timed out waiting for {name}: cursor {:?}, want {cursor:?}\n{rows}",
                self.screen.cursor()
            );
        }
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.pty.send(bytes);
    }

    /// After a full-screen `program` quits: the shell prints "shell after PROGRAM" on row 1,
    /// the alternate screen is left, the keypad and cursor-key modes are reset, and the
    /// shell's screen is back as it was ("shell before PROGRAM" on row 0, nothing below).
    pub(crate) fn expect_shell_back(&mut self, program: &str) {
        let after = format!("shell after {program}");
        self.wait_for(&format!("the shell after {program}"), |sc| {
            sc.text_lines()[1] == after
        });
        assert!(
            !self.screen.alternate_screen(),
            "{program} left the alternate screen"
        );
        let modes = self.screen.key_modes();
        assert!(
            !modes.application_cursor && !modes.application_keypad,
            "{modes:?}"
        );
        let lines = self.screen.text_lines();
        assert_eq!(
            lines[0],
            format!("shell before {program}"),
            "{}",
            self.dump()
        );
        assert!(lines[2..].iter().all(String::is_empty), "{}", self.dump());
    }

    pub(crate) fn dump(&self) -> String {
        self.screen.text_lines().join("\n")
    }

    fn text(&self) -> String {
        self.dump()
    }
}

#[test]
fn tput_positions_colors_and_line_drawing() {
    if !skip_unless_installed(
        "tput_positions_colors_and_line_drawing",
        "tput",
        "ncurses-bin",
    ) {
        return;
    }
    let script = "tput clear; tput cup 5 10; printf hello; tput setaf 1; printf red; tput sgr0; \
                  tput smacs; printf lqqk; tput rmacs; tput cup 7 0; printf done; sleep 5";
    let mut s = Session::spawn(&["sh", "-c", script]);
    s.wait_for("tput output", |sc| sc.text_lines()[7] == "done");
    assert_eq!(s.screen.text_lines()[5], "          hellored┌──┐");
    let red = s.screen.vt().cell(5, 15).expect("cell");
    assert_eq!(red.fgcolor(), proximity::term::Color::Idx(1));
    assert_eq!(
        s.screen.vt().cell(5, 18).expect("cell").fgcolor(),
        proximity::term::Color::Default
    );
}

#[test]
fn less_pages_a_file_in_the_alternate_screen() {
    if !skip_unless_installed("less_pages_a_file_in_the_alternate_screen", "less", "less") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("numbers.txt");
    let body: String = (1..=200).map(|i| format!("line {i:03}\n")).collect();
    std::fs::write(&file, body).expect("write");
    let path = file.to_string_lossy().to_string();
    let mut s = Session::spawn(&["less", &path]);
    s.wait_for("first page", |sc| {
        sc.text_lines()[0] == "line 001" && sc.text_lines()[22] == "line 023"
    });
    assert!(s.screen.alternate_screen());
    s.send(b"G");
    s.wait_for("last page", |sc| sc.text_lines()[22] == "line 200");
    s.send(b"g");
    s.wait_for("back to top", |sc| sc.text_lines()[0] == "line 001");
    s.send(b"q");
    s.wait_for("quit", |sc| !sc.alternate_screen());
}

fn box_drawn(sc: &Screen, text: &str) -> bool {
    let t = sc.text_lines().join("\n");
    t.contains(text) && t.contains('┌') && t.contains('┘') && t.contains('│') && t.contains('─')
}

#[test]
fn dialog_msgbox_draws_a_box() {
    if !skip_unless_installed("dialog_msgbox_draws_a_box", "dialog", "dialog") {
        return;
    }
    let mut s = Session::spawn(&["dialog", "--msgbox", "Hello from dialog", "8", "40"]);
    s.wait_for("dialog box", |sc| {
        box_drawn(sc, "Hello from dialog") && sc.text_lines().join("\n").contains("OK")
    });
    // No raw line-drawing letters left where the border is.
    assert!(!s.text().contains("lqqq"), "{}", s.dump());
    s.send(b"\r");
}

#[test]
fn whiptail_msgbox_draws_a_box() {
    if !skip_unless_installed("whiptail_msgbox_draws_a_box", "whiptail", "whiptail") {
        return;
    }
    let mut s = Session::spawn(&["whiptail", "--msgbox", "Hello from whiptail", "8", "40"]);
    s.wait_for("whiptail box", |sc| {
        box_drawn(sc, "Hello from whiptail") && sc.text_lines().join("\n").contains("Ok")
    });
    assert!(!s.text().contains("lqqq"), "{}", s.dump());
    s.send(b"\r");
}
