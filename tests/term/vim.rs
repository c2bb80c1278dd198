//! vim (Debian package `vim`) through a real PTY into our Screen, TERM=xterm-256color,
//! 80x24, UTF-8: the screens of an editing session compared with tests/fixtures/vim/*.txt,
//! the highlight groups checked by cell attributes, and the shell's screen coming back
//! when vim leaves the alternate screen.
//!
//! The fixtures were drafted by running the same keys in vim under tmux (an xterm-like
//! terminal apart from ours; the drafts are kept out of the repo) and then checked by
//! reading them against what vim draws: ruler at column 63 (`columns - 18 + 1`), the last
//! column of the command line left empty, `:split` giving 11 + 10 text rows each under a
//! status line. They are not recordings of our Screen.
//!
//! vim runs with a fixed vimrc (below) and `-i NONE -N --noplugin`, HOME in a temp dir and
//! COLORFGBG empty, so neither the user's configuration nor the environment can change
//! the screen. vim asks the terminal for its background (OSC 11); the Screen does not
//! answer, so vim keeps its default `background=light`, as under a default (white) xterm.

use proximity::term::{Color, Screen};

use crate::pty::{Session, skip_unless_installed};

const FIXTURES: &str = "vim";

/// `ttimeoutlen` so that Esc takes effect at once; `ruler` and `hlsearch` so the ruler and
/// search highlighting are on screen (both off without a vimrc).
const VIMRC: &str = "set ruler\nset hlsearch\nset ttimeout ttimeoutlen=50\n";
const SAMPLE: &str =
    "The quick brown fox\njumps over the lazy dog.\nProximity console test\nalpha beta gamma\n";

/// A shell that prints a line, runs vim, and prints another once vim exits.
const SCRIPT: &str = "cd \"$1\" || exit 1; printf 'shell before vim\\n'; \
                      vim -u vimrc -i NONE -N --noplugin sample.txt; \
                      printf 'shell after vim\\n'; exec sleep 60";

/// vim's highlight groups as xterm-256color draws them with `background=light`.
const NON_TEXT_FG: Color = Color::Idx(12); // NonText: ctermfg=Blue (`CSI 94 m`)
const SEARCH_BG: Color = Color::Idx(11); // Search: ctermbg=Yellow (`CSI 103 m`)
const LINE_NR_FG: Color = Color::Idx(130); // LineNr: ctermfg=Brown (`CSI 38;5;130 m`)

/// (inverse, bold, fg, bg) of a cell.
fn look(sc: &Screen, row: u16, col: u16) -> (bool, bool, Color, Color) {
    let c = sc.vt().cell(row, col).expect("cell inside the screen");
    (c.inverse(), c.bold(), c.fgcolor(), c.bgcolor())
}

const PLAIN: (bool, bool, Color, Color) = (false, false, Color::Default, Color::Default);

/// The `~` rows carry NonText's color; the text rows none.
fn check_filler(sc: &Screen, rows: std::ops::Range<u16>) {
    for row in rows {
        assert_eq!(sc.row_text(row, 0, 80), "~", "row {row}");
        assert_eq!(
            look(sc, row, 0),
            (false, false, NON_TEXT_FG, Color::Default),
            "`~` on row {row}"
        );
    }
}

/// With `number`: each gutter in LineNr's color, the text after it plain.
fn check_gutter(sc: &Screen, rows: std::ops::Range<u16>) {
    for row in rows {
        for col in 0..4 {
            assert_eq!(
                look(sc, row, col),
                (false, false, LINE_NR_FG, Color::Default),
                "gutter ({row},{col})"
            );
        }
        assert_eq!(
            look(sc, row, 4),
            PLAIN,
            "text after the gutter on row {row}"
        );
    }
}

/// hlsearch of "the": exactly columns 15..18 of row 1 (gutter 4 + "jumps over " 11) carry
/// Search's background, the rest of the text rows none.
fn check_search_highlight(sc: &Screen) {
    for row in 0..5 {
        for col in 4..30 {
            let want = if row == 1 && (15..18).contains(&col) {
                (false, false, Color::Default, SEARCH_BG)
            } else {
                PLAIN
            };
            assert_eq!(
                look(sc, row, col),
                want,
                "({row},{col}) {:?}",
                sc.row_text(row, col, col + 1)
            );
        }
    }
}

#[test]
fn vim_edits_searches_splits_and_restores_the_shell_screen() {
    let test = "vim_edits_searches_splits_and_restores_the_shell_screen";
    if !skip_unless_installed(test, "vim", "vim") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("vimrc"), VIMRC).expect("vimrc");
    std::fs::write(dir.path().join("sample.txt"), SAMPLE).expect("sample");
    let home = dir.path().to_string_lossy().into_owned();
    let mut s = Session::spawn_env(
        &["sh", "-c", SCRIPT, "sh", &home],
        &[
            ("TERM", "xterm-256color"),
            ("LANG", "C.UTF-8"),
            ("LC_ALL", "C.UTF-8"),
            ("HOME", &home),
            ("COLORFGBG", ""),
        ],
    );
    s.expect(FIXTURES, "open", (0, 0));
    assert!(
        s.screen.alternate_screen(),
        "vim draws in the alternate screen"
    );
    // Keypad transmit mode (`CSI ? 1 h`, `ESC =`) and bracketed paste, as vim asks.
    let modes = s.screen.key_modes();
    assert!(
        modes.application_cursor && modes.application_keypad,
        "{modes:?}"
    );
    assert!(s.screen.bracketed_paste());
    check_filler(&s.screen, 4..23);
    for row in 0..4 {
        assert_eq!(look(&s.screen, row, 0), PLAIN, "text row {row}");
    }

    s.send(b"G");
    s.expect(FIXTURES, "last_line", (3, 0));

    s.send(b"oa new line");
    s.expect(FIXTURES, "insert", (4, 10));
    // showmode's message is in ModeMsg (bold); the ruler after it is plain.
    for col in 0..12 {
        assert_eq!(
            look(&s.screen, 23, col),
            (false, true, Color::Default, Color::Default)
        );
    }
    assert_eq!(look(&s.screen, 23, 62), PLAIN, "the ruler");

    s.send(b"\x1b");
    s.expect(FIXTURES, "normal", (4, 9));

    s.send(b":set number\r");
    s.expect(FIXTURES, "number", (4, 13));
    check_gutter(&s.screen, 0..5);
    check_filler(&s.screen, 5..23);

    s.send(b"/the\r");
    s.expect(FIXTURES, "search", (1, 15));
    check_search_highlight(&s.screen);

    s.send(b"dd");
    s.expect(FIXTURES, "deleted", (1, 4));
    // The match went with the line: no highlight left anywhere.
    for row in 0..4 {
        for col in 4..30 {
            assert_eq!(look(&s.screen, row, col), PLAIN, "({row},{col})");
        }
    }
    check_filler(&s.screen, 4..23);

    s.send(b"u");
    s.expect(FIXTURES, "undone", (1, 4));
    s.wait_for("the undo message", |sc| {
        let message = sc.row_text(23, 0, 62);
        message.starts_with("1 more line; before #2  ")
            && message.ends_with(" ago")
            && sc.row_text(23, 62, 80) == "2,1           All"
    });
    check_search_highlight(&s.screen);

    s.send(b":split\r");
    s.expect(FIXTURES, "split", (1, 4));
    // The current window's status line is StatusLine (reverse bold), the other one
    // StatusLineNC (reverse), both across the whole width.
    for col in 0..80 {
        assert_eq!(
            look(&s.screen, 11, col),
            (true, true, Color::Default, Color::Default),
            "current window's status line, column {col}"
        );
        assert_eq!(
            look(&s.screen, 22, col),
            (true, false, Color::Default, Color::Default),
            "other window's status line, column {col}"
        );
    }
    check_filler(&s.screen, 5..11);
    check_filler(&s.screen, 17..22);
    assert_eq!(look(&s.screen, 23, 0), PLAIN, "the command line");

    s.send(b":q!\r");
    s.expect(FIXTURES, "unsplit", (1, 4));

    s.send(b":q!\r");
    s.expect_shell_back("vim");
    assert!(!s.screen.bracketed_paste());
    assert_eq!(s.screen.cursor(), (2, 0));
}
