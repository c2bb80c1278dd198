//! Cleaning guest and task text for display outside the console pane (log views, toasts,
//! titles): a guest must not be able to move our cursor, recolor our UI, set our title or
//! write our clipboard by printing escape sequences into a task log.

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    Escape,
    /// ESC followed by intermediates, waiting for the final byte.
    EscInter,
    Csi,
    /// OSC/DCS/SOS/PM/APC body, until BEL (OSC) or ST.
    Str,
    StrEsc,
}

/// `line` with every escape or control sequence removed: CSI, OSC, DCS, SOS/PM/APC
/// strings, other ESC sequences, C0 controls except tab, DEL and C1 controls (also their
/// 8-bit introducers CSI `\u{9b}`, OSC `\u{9d}`, DCS `\u{90}`, ST `\u{9c}`).
pub fn sanitize_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut st = State::Text;
    for c in line.chars() {
        st = match st {
            State::Text => match c {
                '\t' => {
                    out.push(c);
                    State::Text
                }
                '\u{1b}' => State::Escape,
                '\u{9b}' => State::Csi,
                '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => State::Str,
                c if c.is_control() => State::Text,
                c => {
                    out.push(c);
                    State::Text
                }
            },
            State::Escape => match c {
                '[' => State::Csi,
                ']' | 'P' | 'X' | '^' | '_' => State::Str,
                '\u{20}'..='\u{2f}' => State::EscInter,
                '\u{1b}' => State::Escape,
                _ => State::Text,
            },
            State::EscInter => match c {
                '\u{20}'..='\u{2f}' => State::EscInter,
                _ => State::Text,
            },
            State::Csi => match c {
                '\u{40}'..='\u{7e}' => State::Text,
                '\u{1b}' => State::Escape,
                // Parameters, intermediates and stray controls stay inside the sequence.
                _ => State::Csi,
            },
            State::Str => match c {
                '\u{07}' | '\u{9c}' => State::Text,
                '\u{1b}' => State::StrEsc,
                _ => State::Str,
            },
            State::StrEsc => match c {
                '\\' => State::Text,
                '\u{1b}' => State::StrEsc,
                _ => State::Str,
            },
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize_line;

    #[test]
    fn strips_sequences_and_controls() {
        assert_eq!(sanitize_line("\x1b[1;31mred\x1b[0m ok"), "red ok");
        assert_eq!(sanitize_line("a\x1b]0;pwned\x07b"), "ab");
        assert_eq!(sanitize_line("a\x1b]52;c;aGk=\x1b\\b"), "ab");
        assert_eq!(sanitize_line("a\x1bP1$r0m\x1b\\b"), "ab");
        assert_eq!(sanitize_line("x\x1b(0q\x1b(By"), "xqy");
        assert_eq!(sanitize_line("tab\there\r\n\x08\x7f"), "tab\there");
        assert_eq!(
            sanitize_line("c1\u{9b}2Jcsi \u{9d}0;t\u{9c}end\u{85}"),
            "c1csi end"
        );
        assert_eq!(sanitize_line("wide 日本 ok"), "wide 日本 ok");
        assert_eq!(sanitize_line("cut\x1b[12"), "cut");
    }
}
