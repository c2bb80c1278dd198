//! Expected screens kept as text: tests/fixtures/<dir>/<name>.txt, shared by the vttest
//! and the real-program conformance tests.
//!
//! Format: `#` comment lines first, then exactly ROWS lines, `|` followed by the row as
//! compared (trailing spaces trimmed) or `?` for a row left out of the comparison (the
//! comment says why).

use std::path::Path;

use crate::pty::ROWS;

/// One fixture row: `Some(text)` compared, `None` left out.
fn load(dir: &str, name: &str) -> Vec<Option<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(format!("{name}.txt"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let rows: Vec<Option<String>> = text
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .map(|l| match l.split_at_checked(1) {
            Some(("|", row)) => Some(row.to_string()),
            Some(("?", _)) => None,
            _ => panic!("{}: a row must start with | or ?: {l:?}", path.display()),
        })
        .collect();
    assert_eq!(
        rows.len(),
        usize::from(ROWS),
        "{}: expected {ROWS} rows",
        path.display()
    );
    rows
}

/// Compare `got` with tests/fixtures/`dir`/`name`.txt; the error shows every row, `!`
/// marking the wrong ones.
pub(crate) fn compare(dir: &str, name: &str, got: &[String]) -> Result<(), String> {
    let want = load(dir, name);
    let bad: Vec<usize> = (0..want.len())
        .filter(|&i| want[i].as_ref().is_some_and(|w| Some(w) != got.get(i)))
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    let mut msg = format!("screen differs from {dir}/{name}.txt (rows {bad:?}, 0-based):\n");
    for (i, w) in want.iter().enumerate() {
        let g = got.get(i).map(String::as_str).unwrap_or("");
        let mark = if bad.contains(&i) { '!' } else { ' ' };
        match w {
            Some(w) if bad.contains(&i) => {
                msg.push_str(&format!("{mark} want |{w}|\n{mark} got  |{g}|\n"));
            }
            _ => msg.push_str(&format!("{mark}      |{g}|\n")),
        }
    }
    Err(msg)
}
