//! GNU nano (Debian package `nano`) through a real PTY into our Screen, TERM=xterm-256color,
//! 80x24, UTF-8: the title bar, the file, the status message and the two shortcut rows,
//! typing, the ^O prompt on the status row, the file written, and ^X leaving the alternate
//! screen for the shell's screen.
//!
//! nano draws its bars in reverse video (its default `titlecolor`, `statuscolor`,
//! `promptcolor` and `keycolor` are all "reverse" with no colors) and the shortcut labels
//! plain. The title bar names nano's version, so only its parts are checked; the rest of
//! the text (nano 7's English messages at 80 columns) is compared row by row.
//! `-I` ignores every nanorc; HOME is a temp dir.

use proximity::term::Screen;

use crate::pty::{Session, skip_unless_installed};

const SCRIPT: &str = "cd \"$1\" || exit 1; printf 'shell before nano\\n'; nano -I notes.txt; \
                      printf 'shell after nano\\n'; exec sleep 60";

const MAIN_KEYS: [&str; 2] = [
    "^G Help      ^O Write Out ^W Where Is  ^K Cut       ^T Execute   ^C Location",
    "^X Exit      ^R Read File ^\\ Replace   ^U Paste     ^J Justify   ^/ Go To Line",
];
const WRITE_KEYS: [&str; 2] = [
    "^G Help             M-D DOS Format      M-A Append          M-B Backup File",
    "^C Cancel           M-M Mac Format      M-P Prepend         ^T Browse",
];

fn inverse(sc: &Screen, row: u16, col: u16) -> bool {
    sc.vt()
        .cell(row, col)
        .expect("cell inside the screen")
        .inverse()
}

/// The shortcut rows: each key name (`^G`, `M-D`, ...) reverse, the labels plain.
fn check_shortcuts(sc: &Screen, rows: [&str; 2]) {
    for (i, want) in rows.iter().enumerate() {
        let row = 22 + i as u16;
        assert_eq!(sc.text_lines()[usize::from(row)], *want);
        let mut col = 0u16;
        for word in want.split(' ') {
            let len = word.chars().count() as u16;
            let is_key = word.starts_with('^') || word.starts_with("M-");
            for c in col..col + len {
                assert_eq!(inverse(sc, row, c), is_key, "{word:?} at ({row},{c})");
            }
            col += len + 1;
        }
    }
}

/// The title bar: "GNU nano <version>", the file name centered, `modified` on the right;
/// reverse video across the row.
fn check_title(sc: &Screen, modified: bool) {
    let title = sc.text_lines()[0].clone();
    assert!(title.starts_with("  GNU nano "), "{title:?}");
    assert_eq!(sc.row_text(0, 37, 46), "notes.txt", "{title:?}");
    let flag = if modified { "Modified" } else { "" };
    assert_eq!(sc.row_text(0, 46, 80).trim_start(), flag, "{title:?}");
    for c in 0..78 {
        assert!(inverse(sc, 0, c), "title bar column {c}");
    }
}

#[test]
fn nano_types_writes_out_and_exits() {
    let test = "nano_types_writes_out_and_exits";
    if !skip_unless_installed(test, "nano", "nano") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "first line\nsecond line\n").expect("write");
    let home = dir.path().to_string_lossy().into_owned();
    let mut s = Session::spawn_env(
        &["sh", "-c", SCRIPT, "sh", &home],
        &[
            ("TERM", "xterm-256color"),
            ("LANG", "C.UTF-8"),
            ("LC_ALL", "C.UTF-8"),
            ("HOME", &home),
        ],
    );

    s.wait_for("nano with the file", |sc| {
        let l = sc.text_lines();
        l[1] == "first line"
            && l[2] == "second line"
            && l[22..] == MAIN_KEYS
            && sc.cursor() == (1, 0)
    });
    assert!(s.screen.alternate_screen());
    // Keypad transmit mode (`CSI ? 1 h`, `ESC =`) and bracketed paste, as nano asks.
    let modes = s.screen.key_modes();
    assert!(
        modes.application_cursor && modes.application_keypad,
        "{modes:?}"
    );
    assert!(s.screen.bracketed_paste());
    check_title(&s.screen, false);
    let lines = s.screen.text_lines();
    assert!(lines[3..21].iter().all(String::is_empty), "{}", s.dump());
    // The status message, centered, in reverse video.
    assert_eq!(lines[21], format!("{}[ Read 2 lines ]", " ".repeat(32)));
    for c in 32..48 {
        assert!(inverse(&s.screen, 21, c), "status message column {c}");
    }
    assert!(!inverse(&s.screen, 21, 31));
    check_shortcuts(&s.screen, MAIN_KEYS);

    s.send(b"typed ");
    s.wait_for("the typed text", |sc| {
        sc.text_lines()[1] == "typed first line" && sc.cursor() == (1, 6)
    });
    s.wait_for("the Modified flag", |sc| {
        sc.text_lines()[0].ends_with("Modified")
    });
    check_title(&s.screen, true);
    assert!(!inverse(&s.screen, 1, 0), "typed text is plain");

    s.send(b"\x0f"); // ^O
    s.wait_for("the write prompt", |sc| {
        let l = sc.text_lines();
        l[21] == "File Name to Write: notes.txt" && l[22..] == WRITE_KEYS && sc.cursor() == (21, 29)
    });
    // The prompt row is reverse across the whole width; the shortcuts are the prompt's.
    for c in 0..80 {
        assert!(inverse(&s.screen, 21, c), "prompt column {c}");
    }
    check_shortcuts(&s.screen, WRITE_KEYS);

    s.send(b"\r");
    s.wait_for("the file written", |sc| {
        let l = sc.text_lines();
        l[21] == format!("{}[ Wrote 2 lines ]", " ".repeat(31))
            && l[22..] == MAIN_KEYS
            && !l[0].ends_with("Modified")
    });
    check_title(&s.screen, false);
    check_shortcuts(&s.screen, MAIN_KEYS);
    assert_eq!(
        std::fs::read_to_string(&file).expect("read back"),
        "typed first line\nsecond line\n"
    );

    s.send(b"\x18"); // ^X
    s.expect_shell_back("nano");
    assert!(!s.screen.bracketed_paste());
}
