//! The one cleaning step for text that comes from a server, a guest or a task log and is
//! shown outside the console pane (the rack, `proximity ls`, toasts, titles, log views).
//! A guest must not be able to move our cursor, recolor our UI, set our title or write our
//! clipboard (OSC 52) by putting escape sequences into its name, its tags or a task log, and
//! the same name must read the same in every front end, so every caller uses this.
//!
//! Rules: whole escape sequences go (CSI, OSC, DCS/SOS/PM/APC with their terminators, other
//! ESC sequences, their 8-bit C1 introducers such as U+009B, a lone ESC); a tab becomes one
//! space; every other C0/C1 control and DEL goes; printable Unicode stays. Clean text (the
//! common case) is returned borrowed, without a copy.

use std::borrow::Cow;

/// Where the cleaner is inside an escape sequence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// After ESC.
    Escape,
    /// ESC followed by intermediates (0x20..=0x2F), waiting for the final byte.
    EscInter,
    /// Control sequence (ESC `[` or U+009B), until its final byte (0x40..=0x7E).
    Csi,
    /// OSC/DCS/SOS/PM/APC body, until BEL or ST.
    Str,
    /// ESC inside a string: `\` completes ST, anything else starts a new sequence (as xterm).
    StrEsc,
}

const ESC: char = '\u{1b}';

/// True when `s` has nothing to clean: no C0 control (tab included, it becomes a space),
/// no DEL, no C1 control. Checked on bytes: a C1 control is `0xC2 0x80..=0x9F` in UTF-8,
/// and 0xC2 is only ever a lead byte, so that pair never occurs inside another character.
pub fn is_clean(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x20 || c == 0x7f {
            return false;
        }
        if c == 0xc2 && matches!(b.get(i + 1), Some(0x80..=0x9f)) {
            return false;
        }
        i += 1;
    }
    true
}

/// `s` made safe to show: see the module header for the rules. Borrows when `s` is clean.
pub fn clean(s: &str) -> Cow<'_, str> {
    if is_clean(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(clean_slow(s))
    }
}

/// `clean(s)` as an owned `String` (for callers that store the result).
pub fn clean_string(s: &str) -> String {
    clean(s).into_owned()
}

/// `s` cleaned in place: no new allocation when it is already clean.
pub fn clean_owned(s: String) -> String {
    if is_clean(&s) { s } else { clean_slow(&s) }
}

fn clean_slow(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut st = State::Text;
    for c in s.chars() {
        st = step(st, c, &mut out);
    }
    out
}

/// One character through the state machine; printable text in `State::Text` goes to `out`.
fn step(st: State, c: char, out: &mut String) -> State {
    // CAN and SUB abort any sequence in a terminal (ECMA-48 / VT100); they print nothing.
    if matches!(c, '\u{18}' | '\u{1a}') {
        return State::Text;
    }
    match st {
        State::Text => text(c, out),
        State::Escape => match c {
            '[' => State::Csi,
            ']' | 'P' | 'X' | '^' | '_' => State::Str,
            '\u{20}'..='\u{2f}' => State::EscInter,
            // A two-character sequence (`ESC 7`, `ESC c`, `ESC M`...): both go.
            '\u{30}'..='\u{7e}' => State::Text,
            ESC => State::Escape,
            // A lone ESC before anything else: the ESC goes, the character is judged alone.
            _ => text(c, out),
        },
        State::EscInter => match c {
            '\u{20}'..='\u{2f}' => State::EscInter,
            '\u{30}'..='\u{7e}' => State::Text,
            ESC => State::Escape,
            _ => text(c, out),
        },
        State::Csi => match c {
            '\u{40}'..='\u{7e}' => State::Text,
            ESC => State::Escape,
            // Parameters, intermediates and anything stray stay inside the sequence.
            _ => State::Csi,
        },
        State::Str => match c {
            '\u{07}' | '\u{9c}' => State::Text,
            ESC => State::StrEsc,
            _ => State::Str,
        },
        State::StrEsc => match c {
            '\\' => State::Text,
            // ESC ended the string; this character continues a new escape sequence.
            _ => step(State::Escape, c, out),
        },
    }
}

/// A character outside any sequence.
fn text(c: char, out: &mut String) -> State {
    match c {
        '\t' => {
            out.push(' ');
            State::Text
        }
        ESC => State::Escape,
        '\u{9b}' => State::Csi,
        '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => State::Str,
        c if c.is_control() => State::Text,
        c => {
            out.push(c);
            State::Text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{clean, is_clean};

    #[test]
    fn strips_whole_sequences_and_controls() {
        assert_eq!(clean("\x1b[1;31mred\x1b[0m ok"), "red ok");
        assert_eq!(clean("we\x1b[31mb\x07"), "web");
        assert_eq!(clean("a\x1b]0;pwned\x07b"), "ab");
        assert_eq!(clean("a\x1b]52;c;aGk=\x1b\\b"), "ab");
        assert_eq!(clean("a\x1bP1$r0m\x1b\\b"), "ab");
        assert_eq!(clean("a\x1b_apc\x1b\\b\x1b^pm\x07c\x1bXsos\u{9c}d"), "abcd");
        assert_eq!(clean("x\x1b(0q\x1b(By"), "xqy");
        assert_eq!(clean("a\x1b7b\x1bcc"), "abc");
        assert_eq!(clean("tab\there\r\n\x08\x7f"), "tab here");
        assert_eq!(clean("c1\u{9b}2Jcsi \u{9d}0;t\u{9c}end\u{85}"), "c1csi end");
        assert_eq!(clean("dcs\u{90}q\u{9c}!"), "dcs!");
        assert_eq!(clean("wide 日本 ok"), "wide 日本 ok");
        assert_eq!(clean("cut\x1b[12"), "cut");
        assert_eq!(clean("lone\x1b"), "lone");
        assert_eq!(clean("\x1bé"), "é");
        // ESC inside an OSC ends it and starts the next sequence, as in xterm.
        assert_eq!(clean("a\x1b]0;t\x1b[31mred"), "ared");
        // CAN aborts a sequence; what follows is text again.
        assert_eq!(clean("a\x1b[12\x18b"), "ab");
    }

    #[test]
    fn clean_text_is_borrowed() {
        for s in ["", "web-01", "café ☕ 日本", "a;b,c"] {
            assert!(is_clean(s));
            assert!(matches!(clean(s), std::borrow::Cow::Borrowed(_)), "{s}");
        }
        for s in ["\t", "\u{7f}", "\u{80}", "\u{9f}", "a\x1b"] {
            assert!(!is_clean(s), "{s:?}");
        }
        // U+00A0 (0xC2 0xA0) is printable.
        assert!(is_clean("\u{a0}"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// Whatever comes in, nothing that a terminal acts on comes out, and cleaning twice
        /// changes nothing.
        #[test]
        fn output_has_no_control_and_is_stable(
            s in "([a-z é日]|\\x1b|\\[|\\]|[P^_X\\\\(0-9;m]|\\x07|\\x{9b}|\\x{9c}|\\x{90}|\\x{85}|\\t|\\n|\\x7f|\\x18)*",
            any_text in ".*",
        ) {
            for input in [&s, &any_text] {
                let out = clean(input);
                proptest::prop_assert!(!out.chars().any(char::is_control), "{:?} -> {:?}", input, out);
                proptest::prop_assert!(is_clean(&out));
                proptest::prop_assert_eq!(clean(&out), out.clone());
            }
        }

        /// Text without controls comes back unchanged, borrowed.
        #[test]
        fn clean_text_is_unchanged(s in "\\PC*") {
            proptest::prop_assert!(matches!(clean(&s), std::borrow::Cow::Borrowed(t) if t == s));
        }
    }
}

/// Order names as a person does: runs of digits compare as numbers, so `pve2` comes before
/// `pve10` (plain string order puts `pve10` first). Ties fall back to plain order, so the
/// result is total and stable (`pve01` vs `pve1`).
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
                let (n, m) = (run(x), run(y));
                let trim = |s: &[u8]| {
                    let zeros = s.iter().take_while(|b| **b == b'0').count();
                    s[zeros..].to_vec()
                };
                let (p, q) = (trim(&x[..n]), trim(&y[..m]));
                let by_number = p.len().cmp(&q.len()).then_with(|| p.cmp(&q));
                if by_number != Ordering::Equal {
                    return by_number;
                }
                x = &x[n..];
                y = &y[m..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

#[cfg(test)]
mod natural_tests {
    use super::natural_cmp;

    #[test]
    fn numbers_inside_names_sort_by_value() {
        let mut names = vec![
            "pve10", "pve2", "pve1", "pve11", "node-b", "node-a", "pve01",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "node-a", "node-b", "pve01", "pve1", "pve2", "pve10", "pve11"
            ]
        );
        let big = "n99999999999999999999999";
        assert_eq!(natural_cmp(big, "n1"), std::cmp::Ordering::Greater);
    }
}
