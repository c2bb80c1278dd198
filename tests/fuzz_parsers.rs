//! Bounded fuzzing (proptest) of the parsers that read files a user or a server hands us:
//! themes, the keymap, key names, UPIDs and the termproxy client's handshake. Inputs are
//! arbitrary text and, more usefully, real files with random edits (bytes dropped,
//! duplicated, replaced, lines shuffled), so most cases get past the TOML layer into our own
//! checks. Every case must end in a value or a clear error naming the file, never a panic.
//! `PROPTEST_CASES` raises the count (CI runs the default below on every build).

use proptest::prelude::*;
use proximity::ui::keymap::{KeyPress, Keymap};
use proximity::ui::theme::{ColorDepth, ThemeSet, ThemeSource};

const THEME: &str = include_str!("../themes/nord.toml");
const KEYMAP: &str = include_str!("../assets/keymap.toml");

/// One random edit of `base`.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, char),
    SwapLines(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        (
            any::<usize>(),
            prop_oneof![
                Just("=".to_string()),
                Just("[".to_string()),
                Just("\"".to_string()),
                Just("\n".to_string()),
                Just("#ff".to_string()),
                Just("inherits = \"nord\"\n".to_string()),
                Just("ctrl-alt-shift-".to_string()),
                Just("\u{1b}[31m".to_string()),
                "\\PC{0,12}",
            ]
        )
            .prop_map(|(a, s)| Edit::Insert(a, s)),
        (any::<usize>(), any::<char>()).prop_map(|(a, c)| Edit::Replace(a, c)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(base: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = base.chars().collect();
    for e in edits {
        let len = chars.len().max(1);
        match e {
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(chars.len());
                if at < end {
                    chars.drain(at..end);
                }
            }
            Edit::Insert(at, s) => {
                let at = at % (chars.len() + 1);
                chars.splice(at..at, s.chars());
            }
            Edit::Replace(at, c) => {
                if !chars.is_empty() {
                    let at = at % chars.len();
                    chars[at] = *c;
                }
            }
            Edit::SwapLines(a, b) => {
                let text: String = chars.iter().collect();
                let mut lines: Vec<&str> = text.lines().collect();
                if lines.len() > 1 {
                    let (a, b) = (a % lines.len(), b % lines.len());
                    lines.swap(a, b);
                }
                chars = lines.join("\n").chars().collect();
            }
            Edit::Truncate(at) => {
                let at = at % len;
                chars.truncate(at);
            }
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn an_edited_theme_parses_or_names_the_file(edits in prop::collection::vec(edit(), 1..6)) {
        let text = apply(THEME, &edits);
        match ThemeSource::parse("fuzz.toml", "fuzz", &text) {
            Ok(src) => {
                // A theme that parses also resolves (or says why) at every color depth.
                let mut set = ThemeSet::builtin();
                set.add(src);
                for depth in [ColorDepth::TrueColor, ColorDepth::Ansi256, ColorDepth::Ansi16] {
                    let _ = set.resolve("fuzz", depth);
                }
            }
            Err(e) => prop_assert!(e.to_string().contains("fuzz.toml"), "{e}"),
        }
    }

    #[test]
    fn any_text_as_a_theme_never_panics(text in "\\PC{0,300}") {
        let _ = ThemeSource::parse("any.toml", "any", &text);
    }

    #[test]
    fn an_edited_keymap_merges_or_names_the_file(edits in prop::collection::vec(edit(), 1..6)) {
        let text = apply(KEYMAP, &edits);
        let (keymap, err) = Keymap::with_user_file("keys.toml", &text);
        if let Some(e) = err {
            prop_assert!(e.to_string().contains("keys.toml"), "{e}");
        }
        // Whatever was loaded answers lookups and draws its help.
        let _ = keymap.help_rows();
    }

    #[test]
    fn key_names_parse_or_refuse(name in "(ctrl-|alt-|shift-){0,3}\\PC{0,8}") {
        if let Some(k) = KeyPress::parse(&name) {
            // What parses is shown in the help with a label, and modifiers are not lost.
            prop_assert!(!k.label().is_empty());
            prop_assert_eq!(k.ctrl, name.contains("ctrl-") && name.chars().count() > 5);
        }
    }

    #[test]
    fn upids_parse_or_refuse(text in "(UPID:)?[a-z0-9:@!.-]{0,60}\\PC{0,4}") {
        if let Ok(u) = text.parse::<proximity::pve::Upid>() {
            prop_assert!(u.to_string().starts_with("UPID:"));
        }
    }
}
