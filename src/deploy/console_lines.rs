//! Turns the raw byte stream of a console (PTY output: CRLF, escape sequences, progress
//! redraws, arbitrary frame boundaries) into cleaned output lines and the executor's
//! sentinels.
//!
//! A sentinel is `__PX_<nonce>_<counter>_<kind>[:<code>]` on the wire, where `nonce` is random
//! per session, `counter` a number per command and `kind` one letter (`B` begin, `E` end with
//! the exit code, `R` ready). The shell prints it with `printf '%s_%s_%d_E:%d\n' __PX <nonce>
//! <counter> "$?"`, so the command line (echoed or traced) never contains the joined form.
//!
//! Lines are split at `\n` only; a sentinel is looked for in complete lines only (it always
//! ends with `\n`), so a sentinel split across frames is found once its line is complete.
//! Whatever precedes a sentinel on its line is output the command printed without a final
//! newline: it comes back as the sentinel's `prefix`, never lost.
//!
//! Progress drawn in place (`docker compose pull`: `ESC[nA` moves up over the block, then
//! each line is drawn again) comes out as [`ConsoleEvent::Up`] before the line that starts the
//! redraw: the next `n` lines replace the last `n` ones. A bare `\r` rewrite stays inside its
//! line ([`clean_line`]).
//!
//! [`CappedLines`] keeps the tail of a command's output.

use std::collections::VecDeque;

/// The literal that starts every sentinel.
pub const SENTINEL_TAG: &str = "__PX";

/// A line longer than this without `\n` is cut (the last [`KEEP_ON_CUT`] bytes stay, so a
/// sentinel at the cut is still found).
pub const MAX_LINE_BYTES: usize = 64 * 1024;
const KEEP_ON_CUT: usize = 128;

/// What a sentinel says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentinel {
    pub counter: u64,
    pub kind: char,
    /// The number after `:`, for `E`.
    pub code: Option<i32>,
}

/// One event from the byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleEvent {
    /// A complete output line, cleaned.
    Line(String),
    /// The cursor moved up this many lines before the next line: it and the ones after it
    /// redraw lines already output (progress drawn in place).
    Up(usize),
    /// A sentinel; `prefix` is the cleaned text before it on its line (empty when none).
    Sentinel { sentinel: Sentinel, prefix: String },
}

/// Assembles lines from chunks; see the module header.
#[derive(Debug)]
pub struct LineAssembler {
    /// `__PX_<nonce>_`.
    needle: Vec<u8>,
    partial: Vec<u8>,
}

impl LineAssembler {
    pub fn new(nonce: &str) -> Self {
        LineAssembler {
            needle: format!("{SENTINEL_TAG}_{nonce}_").into_bytes(),
            partial: Vec::new(),
        }
    }

    /// Feeds one chunk; returns the events of the lines it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<ConsoleEvent> {
        let mut events = Vec::new();
        let mut rest = chunk;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            self.partial.extend_from_slice(&rest[..pos]);
            rest = &rest[pos + 1..];
            let line = std::mem::take(&mut self.partial);
            let up = cursor_ups(&line);
            let event = self.complete(&line);
            if up > 0 && matches!(event, ConsoleEvent::Line(_)) {
                events.push(ConsoleEvent::Up(up));
            }
            events.push(event);
        }
        self.partial.extend_from_slice(rest);
        if self.partial.len() > MAX_LINE_BYTES {
            let cut = self.partial.len() - KEEP_ON_CUT;
            let tail = self.partial.split_off(cut);
            let head = std::mem::replace(&mut self.partial, tail);
            events.push(ConsoleEvent::Line(clean_line(&head)));
        }
        events
    }

    /// The cleaned text of the line still waiting for its `\n` (empty when none).
    pub fn pending(&self) -> String {
        clean_line(&self.partial)
    }

    /// Drops the partial line (after a resynchronisation).
    pub fn reset(&mut self) {
        self.partial.clear();
    }

    fn complete(&self, line: &[u8]) -> ConsoleEvent {
        if let Some(at) = find(line, &self.needle)
            && let Some(sentinel) = parse_sentinel(&line[at + self.needle.len()..])
        {
            return ConsoleEvent::Sentinel {
                sentinel,
                prefix: clean_line(&line[..at]),
            };
        }
        ConsoleEvent::Line(clean_line(line))
    }
}

/// Lines the cursor moves up in `line`: `ESC[nA` (up) and `ESC[nF` (previous line), `n`
/// defaulting to 1.
fn cursor_ups(line: &[u8]) -> usize {
    let mut total = 0usize;
    let mut i = 0;
    while i < line.len() {
        if line[i] == 0x1b && line.get(i + 1) == Some(&b'[') {
            let digits = line[i + 2..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let end = i + 2 + digits;
            if let Some(b'A' | b'F') = line.get(end) {
                let n = std::str::from_utf8(&line[i + 2..end])
                    .ok()
                    .and_then(|d| d.parse::<usize>().ok())
                    .unwrap_or(1)
                    .max(1);
                total = total.saturating_add(n);
            }
            i = end;
        } else {
            i += 1;
        }
    }
    total
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `<counter>_<kind>[:<code>]` followed by nothing but `\r`.
fn parse_sentinel(rest: &[u8]) -> Option<Sentinel> {
    let text = std::str::from_utf8(rest).ok()?.trim_end_matches('\r');
    let (counter, tail) = text.split_once('_')?;
    if counter.is_empty() || !counter.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let counter = counter.parse().ok()?;
    let mut chars = tail.chars();
    let kind = chars.next().filter(|c| c.is_ascii_uppercase())?;
    let after = chars.as_str();
    let code = match after {
        "" => None,
        _ => Some(after.strip_prefix(':')?.parse::<i32>().ok()?),
    };
    Some(Sentinel {
        counter,
        kind,
        code,
    })
}

/// One raw line (without `\n`) as text: a bare `\r` redraws the line, so the last non-empty
/// state wins (`10%\r20%` is `20%`; the `\r` of CRLF leaves an empty last state); escape
/// sequences are dropped whole ([`crate::text::clean_string`]).
pub fn clean_line(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.split('\r')
        .map(crate::text::clean_string)
        .rfind(|s| !s.is_empty())
        .unwrap_or_default()
}

/// Output lines keeping the last `cap` bytes.
pub struct CappedLines {
    lines: VecDeque<String>,
    bytes: usize,
    cap: usize,
    dropped: usize,
    /// Lines from the end the next line replaces (after [`CappedLines::up`]); 0 appends.
    redraw: usize,
}

impl CappedLines {
    pub fn new(cap: usize) -> Self {
        CappedLines {
            lines: VecDeque::new(),
            bytes: 0,
            cap,
            dropped: 0,
            redraw: 0,
        }
    }

    /// The cursor moved up `n` lines: the next lines replace the last ones.
    pub fn up(&mut self, n: usize) {
        self.redraw = (self.redraw + n).min(self.lines.len());
    }

    pub fn push(&mut self, line: String) {
        if self.redraw > 0 {
            let at = self.lines.len() - self.redraw;
            self.redraw -= 1;
            if let Some(old) = self.lines.get_mut(at) {
                self.bytes = self.bytes - old.len() + line.len();
                *old = line;
                return;
            }
        }
        self.bytes += line.len() + 1;
        self.lines.push_back(line);
        while self.bytes > self.cap && self.lines.len() > 1 {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= old.len() + 1;
                self.dropped += 1;
            }
        }
    }

    pub fn finish(self) -> String {
        let mut out: Vec<String> = Vec::with_capacity(self.lines.len() + 1);
        if self.dropped > 0 {
            out.push(format!(
                "[{} earlier lines dropped: output keeps the last {} KiB]",
                self.dropped,
                self.cap / 1024
            ));
        }
        out.extend(self.lines);
        out.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn output_keeps_the_tail_and_says_so() {
        let mut lines = CappedLines::new(2048);
        for i in 0..1000 {
            lines.push(format!("line {i:04}"));
        }
        let out = lines.finish();
        assert!(out.starts_with("[") && out.contains("dropped"), "{out}");
        assert!(out.ends_with("line 0999"));
        assert!(out.len() < 2048 + 100);
    }

    const NONCE: &str = "1f2e3d4c5b6a7988";

    fn lines(events: &[ConsoleEvent]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                ConsoleEvent::Line(l) => l.clone(),
                ConsoleEvent::Up(n) => format!("<up {n}>"),
                ConsoleEvent::Sentinel { sentinel, prefix } => format!(
                    "<{prefix}|{}{}{:?}>",
                    sentinel.counter, sentinel.kind, sentinel.code
                ),
            })
            .collect()
    }

    #[test]
    fn crlf_progress_and_escapes() {
        let mut a = LineAssembler::new(NONCE);
        let ev = a.push(b"plain\r\n10%\r50%\r100%\r\n\x1b[1;31mred\x1b[0m\r\n\r\n");
        assert_eq!(lines(&ev), ["plain", "100%", "red", ""]);
        assert_eq!(a.pending(), "");
    }

    #[test]
    fn a_block_redrawn_in_place_says_how_far_up_it_goes() {
        let mut a = LineAssembler::new(NONCE);
        let ev = a.push(
            b"\x1b[2Ka 10%\r\n\x1b[2Kb 10%\r\n\x1b[2A\x1b[2Ka 50%\r\n\x1b[2Kb 60%\r\n\x1b[1A\x1b[Fx\n",
        );
        assert_eq!(
            lines(&ev),
            ["a 10%", "b 10%", "<up 2>", "a 50%", "b 60%", "<up 2>", "x"]
        );
        let mut out = CappedLines::new(4096);
        for e in ev {
            match e {
                ConsoleEvent::Line(l) => out.push(l),
                ConsoleEvent::Up(n) => out.up(n),
                ConsoleEvent::Sentinel { .. } => {}
            }
        }
        // The cursor sits on the block's second line, as a terminal's would.
        out.push("y".into());
        out.push("after".into());
        assert_eq!(out.finish(), "x\ny\nafter");
    }

    #[test]
    fn chunks_split_anywhere_join_up() {
        let mut a = LineAssembler::new(NONCE);
        let mut ev = a.push(b"hel");
        ev.extend(a.push(b"lo wor"));
        assert_eq!(a.pending(), "hello wor");
        ev.extend(a.push(b"ld\r"));
        ev.extend(a.push(b"\nnext"));
        assert_eq!(lines(&ev), ["hello world"]);
        assert_eq!(a.pending(), "next");
    }

    #[test]
    fn sentinel_split_across_frames_with_a_prefix() {
        let wire = format!("partial__PX_{NONCE}_12_E:42\r\nafter\r\n");
        for cut in 0..wire.len() {
            let mut a = LineAssembler::new(NONCE);
            let mut ev = a.push(&wire.as_bytes()[..cut]);
            ev.extend(a.push(&wire.as_bytes()[cut..]));
            assert_eq!(lines(&ev), ["<partial|12ESome(42)>", "after"], "cut {cut}");
        }
    }

    #[test]
    fn echoed_printf_lines_and_other_nonces_are_output() {
        let mut a = LineAssembler::new(NONCE);
        let wire = format!(
            "printf '%s_%s_%d_E:%d\\n' __PX {NONCE} 3 \"$?\"\r\n\
             __PX_0000000000000000_3_E:0\r\n__PX_{NONCE}_x_E:0\r\n__PX_{NONCE}_3_e\r\n\
             __PX_{NONCE}_3_E:zz\r\n__PX_{NONCE}_3_B\r\n"
        );
        let ev = a.push(wire.as_bytes());
        assert_eq!(ev.len(), 6);
        assert!(ev[..5].iter().all(|e| matches!(e, ConsoleEvent::Line(_))));
        assert_eq!(lines(&ev[5..]), ["<|3BNone>"]);
    }

    #[test]
    fn an_endless_line_is_cut_but_a_sentinel_at_the_cut_survives() {
        let mut a = LineAssembler::new(NONCE);
        let mut ev = a.push(&vec![b'x'; MAX_LINE_BYTES + 10]);
        assert_eq!(ev.len(), 1);
        ev.extend(a.push(format!("__PX_{NONCE}_1_E:0\r\n").as_bytes()));
        match &ev[1] {
            ConsoleEvent::Sentinel { prefix, .. } => assert_eq!(prefix.len(), KEEP_ON_CUT),
            other => panic!("{other:?}"),
        }
    }

    proptest! {
        #[test]
        fn arbitrary_output_never_fakes_a_sentinel(
            chunks in proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..64),
                    Just(b"__PX_".to_vec()),
                    Just(format!("__PX_{NONCE}").into_bytes()),
                    Just(format!("'%s_%s' __PX {NONCE} 7").into_bytes()),
                    Just(b"\r\n".to_vec()),
                    Just(b"\x1b[".to_vec()),
                ],
                0..40,
            )
        ) {
            let mut a = LineAssembler::new(NONCE);
            for chunk in &chunks {
                for event in a.push(chunk) {
                    if let ConsoleEvent::Sentinel { sentinel, .. } = event {
                        // Only possible when the exact `__PX_<nonce>_<n>_<K>` text was produced.
                        let joined: Vec<u8> = chunks.concat();
                        let wanted = format!("__PX_{NONCE}_{}_{}", sentinel.counter, sentinel.kind);
                        prop_assert!(find(&joined, wanted.as_bytes()).is_some());
                    }
                }
            }
            let _ = a.pending();
        }

        #[test]
        fn a_real_sentinel_is_always_found(
            noise in proptest::collection::vec(any::<u8>(), 0..200),
            cut in 0usize..400,
            code in -1i32..300,
        ) {
            let noise: Vec<u8> = noise.into_iter().filter(|&b| b != b'\n' && b != b'_').collect();
            let mut wire = noise.clone();
            wire.extend_from_slice(format!("__PX_{NONCE}_9_E:{code}\r\n").as_bytes());
            let cut = cut.min(wire.len());
            let mut a = LineAssembler::new(NONCE);
            let mut ev = a.push(&wire[..cut]);
            ev.extend(a.push(&wire[cut..]));
            let found = ev.iter().any(|e| matches!(e,
                ConsoleEvent::Sentinel { sentinel, .. } if sentinel.counter == 9 && sentinel.code == Some(code)));
            prop_assert!(found, "{:?}", ev);
        }
    }
}
