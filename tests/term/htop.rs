//! htop (Debian package `htop`) through a real PTY into our Screen, TERM=xterm-256color,
//! 80x24, UTF-8. Its figures and process list change from run to run, so the checks are
//! on structure: the meters with their `[`...`]` bars, the tab and column header rows
//! with their colors (filled to the right edge by EL in the current background, as
//! xterm's bce does), the function-key bar, F2's Setup screen and back, a mouse click on
//! the bar, and F10 leaving the alternate screen and the keypad and mouse modes for the
//! shell's screen.
//!
//! The colors are those of htop's default scheme (CRT.c, "Default"): column header black
//! on green with the sort column black on cyan, tabs black on green, function-key labels
//! black on cyan after uncolored key names, meter names cyan and brackets bold.
//!
//! htop runs with `-d 100` (a 10 s refresh, so the screen holds still between keys) and
//! `-s PID`, HOME and HTOPRC in a temp dir so no user configuration applies.

use proximity::term::{
    Color, KeyCode, KeyEvent, Modifiers, MouseButton, MouseEvent, MouseKind, MouseProtocolEncoding,
    MouseProtocolMode, Screen,
};

use crate::pty::{Session, skip_unless_installed};

const SCRIPT: &str = "printf 'shell before htop\\n'; htop -d 100 -s PID; \
                      printf 'shell after htop\\n'; exec sleep 60";

const MAIN_BAR: &str =
    "F1Help  F2Setup F3SearchF4FilterF5Tree  F6SortByF7Nice -F8Nice +F9Kill  F10Quit";
const SETUP_BAR: &str =
    "F1      F2      F3      F4      F5      F6      F7      F8      F9      F10Done";

const BLACK: Color = Color::Idx(0);
const GREEN: Color = Color::Idx(2);
const CYAN: Color = Color::Idx(6);

fn colors(sc: &Screen, row: u16, col: u16) -> (Color, Color) {
    let c = sc.vt().cell(row, col).expect("cell inside the screen");
    (c.fgcolor(), c.bgcolor())
}

fn bold(sc: &Screen, row: u16, col: u16) -> bool {
    sc.vt()
        .cell(row, col)
        .expect("cell inside the screen")
        .bold()
}

/// The column (not byte offset) where `needle` starts in `line`.
fn col_of(line: &str, needle: &str) -> Option<u16> {
    let byte = line.find(needle)?;
    u16::try_from(line[..byte].chars().count()).ok()
}

/// The column header row ("PID ... Command"), if on screen.
fn header_row(sc: &Screen) -> Option<u16> {
    let lines = sc.text_lines();
    let i = lines.iter().position(|l| {
        let words = [
            "PID", "USER", "PRI", "NI", "VIRT", "RES", "SHR", " S ", "CPU%", "MEM%", "TIME+",
            "Command",
        ];
        let mut from = 0;
        words.iter().all(|w| match l[from..].find(w) {
            Some(at) => {
                from += at + w.len();
                true
            }
            None => false,
        })
    })?;
    u16::try_from(i).ok()
}

/// A function-key bar: each key name uncolored, each label black on cyan, and the row
/// filled with cyan to the right edge (htop ends it with EL in that background).
fn check_function_bar(sc: &Screen, bar: &str) {
    assert_eq!(sc.text_lines()[23], bar);
    let mut col = 0u16;
    for n in 1..=10u16 {
        let key = format!("F{n}");
        assert_eq!(sc.row_text(23, col, col + key.len() as u16), key);
        for c in col..col + key.len() as u16 {
            assert_eq!(colors(sc, 23, c), (Color::Default, Color::Default), "{key}");
        }
        col += key.len() as u16;
        // Labels are 6 columns wide; the last one runs to the end of the text.
        let end = if n == 10 { bar.len() as u16 } else { col + 6 };
        for c in col..end {
            assert_eq!(
                colors(sc, 23, c),
                (BLACK, CYAN),
                "label of {key}, column {c}"
            );
        }
        col = end;
    }
    assert!(col < 80, "the bar leaves room for the EL fill");
    for c in col..80 {
        assert_eq!(colors(sc, 23, c).1, CYAN, "EL fill at column {c}");
    }
}

/// The meters above the tabs: CPU rows (`N[` ... `%]`), Mem and Swp (`used/total]`), each
/// a bold `[` and `]` around the bar and the name in cyan; the text meters on the right.
fn check_meters(sc: &Screen, tabs_row: u16) {
    let lines = sc.text_lines();
    let mut found = Vec::new();
    for row in 0..tabs_row {
        let line: Vec<char> = lines[usize::from(row)].chars().collect();
        for open in (1..line.len()).filter(|&i| line[i] == '[') {
            let name: String = line[..open]
                .iter()
                .rev()
                .take_while(|c| **c != ' ')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let kind = match name.as_str() {
                "Mem" | "Swp" => name.as_str(),
                // One CPU is labelled "CPU", several by their numbers.
                "CPU" => "CPU",
                n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => "CPU",
                _ => continue,
            };
            let Some(close) = (open..line.len()).find(|&i| line[i] == ']') else {
                panic!(
                    "{name} meter on row {row} has no ]: {}",
                    lines[usize::from(row)]
                );
            };
            let inside: String = line[open + 1..close].iter().collect();
            let (open, close) = (open as u16, close as u16);
            assert!(bold(sc, row, open), "{name} `[` on row {row} is bold");
            assert!(bold(sc, row, close), "{name} `]` on row {row} is bold");
            assert_eq!(
                colors(sc, row, open - 1).0,
                CYAN,
                "{name} meter name, row {row}"
            );
            if kind == "CPU" {
                assert!(inside.ends_with('%'), "CPU {name} on row {row}: {inside:?}");
            } else {
                assert!(inside.contains('/'), "{name} on row {row}: {inside:?}");
            }
            found.push(kind.to_string());
        }
    }
    let text = lines[..usize::from(tabs_row)].join("\n");
    for kind in ["CPU", "Mem", "Swp"] {
        assert!(found.iter().any(|f| f == kind), "no {kind} meter:\n{text}");
    }
    for label in ["Tasks: ", "Load average: ", "Uptime: "] {
        assert!(text.contains(label), "{label:?} missing:\n{text}");
    }
}

#[test]
fn htop_meters_header_function_bar_setup_and_quit() {
    let test = "htop_meters_header_function_bar_setup_and_quit";
    if !skip_unless_installed(test, "htop", "htop") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().to_string_lossy().into_owned();
    let htoprc = dir.path().join("htoprc").to_string_lossy().into_owned();
    let mut s = Session::spawn_env(
        &["sh", "-c", SCRIPT],
        &[
            ("TERM", "xterm-256color"),
            ("LANG", "C.UTF-8"),
            ("LC_ALL", "C.UTF-8"),
            ("HOME", &home),
            ("HTOPRC", &htoprc),
        ],
    );
    let key = |s: &Session, code| s.screen.encode_key(&KeyEvent::new(code, Modifiers::NONE));

    s.wait_for("htop's main screen", |sc| {
        sc.text_lines()[23] == MAIN_BAR && header_row(sc).is_some_and(|r| r + 1 < 23)
    });
    assert!(s.screen.alternate_screen());
    // ncurses' keypad mode and htop's mouse: xterm's normal tracking, SGR reports.
    let modes = s.screen.key_modes();
    assert!(
        modes.application_cursor && modes.application_keypad,
        "{modes:?}"
    );
    assert_eq!(s.screen.mouse_mode(), MouseProtocolMode::PressRelease);
    assert_eq!(s.screen.mouse_encoding(), MouseProtocolEncoding::Sgr);
    check_function_bar(&s.screen, MAIN_BAR);

    let header = header_row(&s.screen).expect("header row");
    let tabs = header - 1;
    assert_eq!(s.screen.text_lines()[usize::from(tabs)], "  [Main] [I/O]");
    assert_eq!(colors(&s.screen, tabs, 3), (BLACK, GREEN), "the Main tab");
    check_meters(&s.screen, tabs);

    // The header: the sort column (PID, with its direction mark) black on cyan, the
    // others black on green, green up to the right edge.
    let line = s.screen.text_lines()[usize::from(header)].clone();
    let pid_end = col_of(&line, "PID").expect("PID") + 3;
    let user = col_of(&line, "USER").expect("USER");
    assert!(
        user == pid_end + 1,
        "a sort mark between PID and USER: {line:?}"
    );
    for c in 0..=pid_end {
        assert_eq!(
            colors(&s.screen, header, c),
            (BLACK, CYAN),
            "sort column {c}"
        );
    }
    for c in user..80 {
        assert_eq!(colors(&s.screen, header, c).1, GREEN, "header column {c}");
    }
    assert_eq!(colors(&s.screen, header, user), (BLACK, GREEN));
    // The first process (the selection) is black on cyan. Each process row has a PID
    // right-aligned under the header's; a small container may not fill the screen, so
    // the rows after the last process must be blank. htop and its shell are two.
    assert_eq!(
        colors(&s.screen, header + 1, 0),
        (BLACK, CYAN),
        "selection bar"
    );
    let lines = s.screen.text_lines();
    let procs = (header + 1..23)
        .take_while(|&r| !lines[usize::from(r)].is_empty())
        .count();
    assert!(procs >= 2, "{}", s.dump());
    for row in header + 1..23 {
        let pid = s.screen.row_text(row, 0, pid_end);
        let pid = pid.trim_start();
        if usize::from(row - header) <= procs {
            assert!(
                !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
                "PID column on row {row}: {pid:?}\n{}",
                s.dump()
            );
        } else {
            assert_eq!(lines[usize::from(row)], "", "row {row} after the processes");
        }
    }

    s.send(&key(&s, KeyCode::F(2)));
    s.wait_for("the Setup screen", |sc| sc.text_lines()[23] == SETUP_BAR);
    s.wait_for("the Setup categories", |sc| {
        let lines = sc.text_lines();
        lines.iter().any(|l| l.starts_with("Categories"))
            && [
                "Display options",
                "Header layout",
                "Meters",
                "Screens",
                "Colors",
            ]
            .iter()
            .all(|c| lines.iter().any(|l| l.starts_with(c)))
    });
    check_function_bar(&s.screen, SETUP_BAR);
    assert!(header_row(&s.screen).is_none(), "{}", s.dump());
    assert!(s.dump().contains("[Setup]"), "{}", s.dump());

    s.send(&key(&s, KeyCode::Esc));
    s.wait_for("the main screen again", |sc| {
        sc.text_lines()[23] == MAIN_BAR && header_row(sc) == Some(header)
    });
    check_function_bar(&s.screen, MAIN_BAR);

    // A click on the bar's "Setup" label, reported in the mode htop asked for (SGR),
    // opens Setup as F2 does.
    let click = |s: &Session, kind| {
        let ev = MouseEvent {
            kind,
            col: 10,
            row: 23,
            mods: Modifiers::NONE,
        };
        s.screen
            .encode_mouse(&ev)
            .expect("htop wants button reports")
    };
    let mut report = click(&s, MouseKind::Press(MouseButton::Left));
    report.extend(click(&s, MouseKind::Release(MouseButton::Left)));
    assert_eq!(report, b"\x1b[<0;11;24M\x1b[<0;11;24m");
    s.send(&report);
    s.wait_for("Setup opened by the mouse", |sc| {
        sc.text_lines()[23] == SETUP_BAR
    });
    s.send(&key(&s, KeyCode::Esc));
    s.wait_for("the main screen after the mouse", |sc| {
        sc.text_lines()[23] == MAIN_BAR && header_row(sc) == Some(header)
    });

    s.send(&key(&s, KeyCode::F(10)));
    s.expect_shell_back("htop");
    assert_eq!(s.screen.mouse_mode(), MouseProtocolMode::None);
}
