//! Conformance fixtures (tests/fixtures/term/*.vt): byte streams with the screen text,
//! cursor and cell attributes xterm shows for them. Format, one directive a line:
//! `size: COLSxROWS`, `in: <bytes with \e \r \n \t \xNN \\ escapes>` (concatenated),
//! `screen:` followed by exactly ROWS lines starting with `|`, `cursor: ROW COL`,
//! `attr: ROW COL key[=value]...` (fg=/bg= default|N|rgb(r,g,b), bold, dim, italic,
//! underline, inverse, wide, widecont).

use std::path::Path;

use proximity::term::{Color, Screen};

fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            i += 1;
            match b[i] {
                b'e' => out.push(0x1b),
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'\\' => out.push(b'\\'),
                b'x' => {
                    let hex = std::str::from_utf8(&b[i + 1..i + 3]).expect("hex");
                    out.push(u8::from_str_radix(hex, 16).expect("hex"));
                    i += 2;
                }
                other => panic!("unknown escape \\{}", other as char),
            }
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    out
}

fn parse_color(v: &str) -> Color {
    if v == "default" {
        return Color::Default;
    }
    if let Some(rgb) = v.strip_prefix("rgb(").and_then(|r| r.strip_suffix(')')) {
        let p: Vec<u8> = rgb.split(',').map(|x| x.parse().expect("rgb")).collect();
        return Color::Rgb(p[0], p[1], p[2]);
    }
    Color::Idx(v.parse().expect("color index"))
}

fn run_fixture(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut size = (80u16, 24u16);
    let mut input = Vec::new();
    let mut lines = text.lines().peekable();
    let mut expected: Option<Vec<String>> = None;
    let mut checks = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(s) = line.strip_prefix("size: ") {
            let (c, r) = s.split_once('x').expect("size");
            size = (c.parse().expect("cols"), r.parse().expect("rows"));
        } else if let Some(s) = line.strip_prefix("in: ") {
            input.extend(unescape(s));
        } else if line == "screen:" {
            let mut rows = Vec::new();
            while let Some(l) = lines.peek().and_then(|l| l.strip_prefix('|')) {
                rows.push(l.to_string());
                lines.next();
            }
            expected = Some(rows);
        } else {
            checks.push(line.to_string());
        }
    }
    let mut screen = Screen::new(size.0, size.1);
    screen.process(&input);
    let got = screen.text_lines();
    let mut errors = Vec::new();
    if let Some(exp) = expected {
        if exp != got {
            errors.push(format!(
                "screen differs:\nexpected:\n{}\ngot:\n{}",
                show(&exp),
                show(&got)
            ));
        }
    }
    for check in checks {
        let mut parts = check.split_whitespace();
        let kind = parts.next().unwrap_or("");
        let row: u16 = parts.next().and_then(|v| v.parse().ok()).expect("row");
        let col: u16 = parts.next().and_then(|v| v.parse().ok()).expect("col");
        match kind {
            "cursor:" => {
                if screen.cursor() != (row, col) {
                    errors.push(format!(
                        "cursor: expected {:?}, got {:?}",
                        (row, col),
                        screen.cursor()
                    ));
                }
            }
            "attr:" => {
                let cell = screen.vt().cell(row, col).expect("cell in range");
                for want in parts {
                    let ok = match want.split_once('=') {
                        Some(("fg", v)) => cell.fgcolor() == parse_color(v),
                        Some(("bg", v)) => cell.bgcolor() == parse_color(v),
                        None => match want {
                            "bold" => cell.bold(),
                            "dim" => cell.dim(),
                            "italic" => cell.italic(),
                            "underline" => cell.underline(),
                            "inverse" => cell.inverse(),
                            "wide" => cell.is_wide(),
                            "widecont" => cell.is_wide_continuation(),
                            other => panic!("unknown attr {other}"),
                        },
                        Some((k, _)) => panic!("unknown attr key {k}"),
                    };
                    if !ok {
                        errors.push(format!(
                            "cell ({row},{col}) {:?}: expected {want}, got {cell:?}",
                            cell.contents()
                        ));
                    }
                }
            }
            other => panic!("unknown directive {other}"),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

fn show(lines: &[String]) -> String {
    lines.iter().map(|l| format!("|{l}|\n")).collect()
}

#[test]
fn fixtures_match_xterm() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/term");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "vt"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 15, "fixtures missing in {}", dir.display());
    let mut failures = Vec::new();
    for p in &paths {
        if let Err(e) = run_fixture(p) {
            failures.push(format!(
                "== {}\n{e}",
                p.file_name().unwrap_or_default().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}
