//! Screen behaviour beyond drawing: replies to guest queries, title, bell, OSC 52,
//! bracketed paste, scrollback offset, selection across history, split input chunks.

use proximity::term::{Screen, Selection, osc52_copy};

#[test]
fn answers_device_queries() {
    let mut s = Screen::new(80, 24);
    s.process(b"\x1b[c");
    assert_eq!(s.take_replies(), b"\x1b[?62;22c");
    s.process(b"\x1b[>c\x1b[5n");
    assert_eq!(s.take_replies(), b"\x1b[>1;10;0c\x1b[0n");
    s.process(b"\x1b[3;7Hab\x1b[6n");
    assert_eq!(s.take_replies(), b"\x1b[3;9R");
    // In origin mode the row counts from the top margin (xterm).
    s.process(b"\x1b[5;10r\x1b[?6h\x1b[2;3H\x1b[6n\x1b[?6n\x1b[?6l\x1b[r");
    assert_eq!(s.take_replies(), b"\x1b[2;3R\x1b[?2;3;1R");
    s.process(b"\x1b[18t");
    assert_eq!(s.take_replies(), b"\x1b[8;24;80t");
    assert!(s.take_replies().is_empty());
}

#[test]
fn cursor_report_at_pending_wrap_is_inside_the_screen() {
    let mut s = Screen::new(10, 3);
    s.process(b"0123456789\x1b[6n");
    assert_eq!(s.take_replies(), b"\x1b[1;10R");
}

#[test]
fn title_bell_and_clipboard() {
    let mut s = Screen::new(80, 24);
    // An 8-bit CSI (U+009B) inside the title never reaches the user's terminal.
    s.process("\x1b]0;hello \u{9b}31mworld\x07".as_bytes());
    assert_eq!(s.title(), "hello world");
    s.process(b"\x1b]2;second\x1b\\");
    assert_eq!(s.title(), "second");
    s.process(b"\x1b]2;a;b\x07");
    assert_eq!(s.title(), "a;b");
    assert!(!s.take_bell());
    s.process(b"\x07");
    assert!(s.take_bell());
    assert!(!s.take_bell());
    s.process(b"\x1b]52;c;aGVsbG8=\x07");
    assert_eq!(s.take_clipboard().as_deref(), Some(&b"hello"[..]));
    assert_eq!(s.take_clipboard(), None);
}

#[test]
fn bracketed_paste_only_when_enabled() {
    let mut s = Screen::new(80, 24);
    assert_eq!(s.paste_bytes("a\nb"), b"a\rb");
    s.process(b"\x1b[?2004h");
    assert_eq!(s.paste_bytes("x\x1b[201~y\r\n"), b"\x1b[200~xy\r\x1b[201~");
    s.process(b"\x1b[?2004l");
    assert_eq!(s.paste_bytes("z"), b"z");
}

#[test]
fn modes_follow_the_guest() {
    let mut s = Screen::new(80, 24);
    assert!(!s.key_modes().application_cursor);
    s.process(b"\x1b[?1h\x1b=\x1b[?1002h\x1b[?1006h\x1b[?25l");
    assert!(s.key_modes().application_cursor);
    assert!(s.key_modes().application_keypad);
    assert_eq!(
        s.mouse_mode(),
        proximity::term::MouseProtocolMode::ButtonMotion
    );
    assert_eq!(
        s.mouse_encoding(),
        proximity::term::MouseProtocolEncoding::Sgr
    );
    assert!(!s.cursor_visible());
    let up = proximity::term::KeyEvent::plain(proximity::term::KeyCode::Up);
    assert_eq!(s.encode_key(&up), b"\x1bOA");
    let click = proximity::term::MouseEvent {
        kind: proximity::term::MouseKind::Press(proximity::term::MouseButton::Left),
        col: 2,
        row: 0,
        mods: proximity::term::Modifiers::NONE,
    };
    assert_eq!(
        s.encode_mouse(&click).as_deref(),
        Some(&b"\x1b[<0;3;1M"[..])
    );
    s.process(b"\x1b[?1002l");
    assert_eq!(s.encode_mouse(&click), None);
}

fn numbered(s: &mut Screen, n: usize) {
    for i in 0..n {
        s.process(format!("line {i}\r\n").as_bytes());
    }
}

#[test]
fn scrollback_offset_and_capacity() {
    let mut s = Screen::with_scrollback(20, 5, 100);
    numbered(&mut s, 150);
    assert_eq!(s.scrollback_len(), 100);
    assert_eq!(s.text_lines()[0], "line 146");
    s.set_scroll_offset(3);
    assert_eq!(s.scroll_offset(), 3);
    assert_eq!(s.text_lines()[0], "line 143");
    s.scroll_by(1000);
    assert_eq!(s.scroll_offset(), 100);
    assert_eq!(s.text_lines()[0], "line 46");
    s.scroll_by(-1000);
    assert_eq!(s.scroll_offset(), 0);
    assert_eq!(Screen::new(10, 2).scrollback_len(), 0);
}

#[test]
fn selection_across_scrollback_survives_new_output() {
    let mut s = Screen::with_scrollback(20, 5, 10);
    numbered(&mut s, 20);
    // Screen: "line 16".."line 19", "". Select from "line 14" col 5 (history) to "line 17" col 3.
    s.set_scroll_offset(2);
    let mut sel = Selection::new();
    sel.start(&s, 0, 5);
    s.set_scroll_offset(0);
    sel.extend(&s, 1, 3);
    assert!(sel.contains(&s, 1, 0));
    assert!(!sel.contains(&s, 1, 4));
    assert_eq!(sel.text(&mut s), "14\nline 15\nline 16\nline");
    // Output scrolls (and drops history): the selection stays on the same text.
    numbered(&mut s, 3);
    assert_eq!(sel.text(&mut s), "14\nline 15\nline 16\nline");
    assert_eq!(
        s.scroll_offset(),
        0,
        "reading the selection restores the view"
    );
    sel.clear();
    assert_eq!(sel.text(&mut s), "");
}

#[test]
fn selection_joins_soft_wrapped_rows() {
    let mut s = Screen::new(5, 3);
    s.process(b"abcdefg\r\nxy");
    let mut sel = Selection::new();
    sel.start(&s, 0, 0);
    sel.extend(&s, 2, 4);
    assert_eq!(sel.text(&mut s), "abcdefg\nxy");
}

#[test]
fn osc52_sequence_for_copy() {
    assert_eq!(osc52_copy("hi"), b"\x1b]52;c;aGk=\x07");
}

#[test]
fn sequences_split_across_chunks() {
    let whole: &[u8] = b"\x1b(0lqk\x1b(B\x1b[3;5Hok\x1b]2;t\x1b\\\xe6\x97\xa5\ttab";
    let mut a = Screen::new(20, 4);
    a.process(whole);
    for cut in 1..whole.len() {
        let mut b = Screen::new(20, 4);
        b.process(&whole[..cut]);
        b.process(&whole[cut..]);
        assert_eq!(a.text_lines(), b.text_lines(), "cut at {cut}");
        assert_eq!(b.title(), "t", "cut at {cut}");
    }
    assert_eq!(a.text_lines()[0], "┌─┐");
    assert_eq!(a.text_lines()[2], "    ok日        tab");
}

#[test]
fn resize_keeps_tab_stops_and_reset_restores_them() {
    let mut s = Screen::new(20, 3);
    s.process(b"\x1b[3g\x1b[1;4H\x1bH");
    s.resize(40, 3);
    s.process(b"\x1b[2;1Ha\tb\tc");
    // As in xterm, TBC 3 cleared the stops of columns not shown yet too: only column 3
    // is left, the second tab goes to the right margin.
    assert_eq!(s.text_lines()[1], format!("a  b{}c", " ".repeat(35)));
    s.process(b"\x1bc\x1b[1;1Hx\ty");
    assert_eq!(s.text_lines()[0], "x       y");
}

#[test]
fn garbage_never_panics() {
    let mut s = Screen::new(7, 3);
    let mut x: u32 = 12345;
    let mut buf = Vec::new();
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let b = (x >> 16) as u8;
        // Bias towards sequence bytes.
        buf.push(match b % 8 {
            0 => 0x1b,
            1 => b'[',
            2 => b"0123456789;?"[usize::from(b) % 12],
            _ => b,
        });
    }
    for chunk in buf.chunks(97) {
        s.process(chunk);
        s.resize(u16::from(chunk[0] % 9), u16::from(chunk[1] % 5));
    }
    let _ = s.text_lines();
    let _ = s.take_replies();
}

fn snapshot(s: &Screen) -> Vec<(String, Vec<proximity::term::Color>)> {
    let (cols, rows) = s.size();
    (0..rows)
        .map(|r| {
            let bgs = (0..cols).map(|c| s.vt().cell(r, c).map(|x| x.bgcolor()).unwrap_or_default());
            (s.row_text(r, 0, cols), bgs.collect())
        })
        .collect()
}

#[test]
fn bce_and_margins_survive_any_chunking() {
    let whole: &[u8] =
        b"1\r\n2\r\n3\x1b[2;4r\x1b[44m\x1b[3;2H\x1b[L\x1b7\x1b[?1049h\x1b[2;3r\x1b[41m\x1b[T\
        \x1b[?1049l\x1b8\x1b[4;1H\r\n\x1bDz\x1bE\x1b[m\tq";
    let mut a = Screen::new(8, 5);
    a.process(whole);
    for cut in 1..whole.len() {
        let mut b = Screen::new(8, 5);
        b.process(&whole[..cut]);
        b.process(&whole[cut..]);
        assert_eq!(snapshot(&a), snapshot(&b), "cut at {cut}");
    }
    // Colored lines came in through IL and the scrolling line feeds.
    let blue = proximity::term::Color::Idx(4);
    assert!(
        snapshot(&a)
            .iter()
            .filter(|(_, bgs)| bgs.iter().all(|c| *c == blue))
            .count()
            >= 2
    );
}

/// Everything `Screen` shows, for comparing two runs.
fn observed(s: &Screen) -> (String, (u16, u16), Vec<String>) {
    (s.vt().contents_formatted(), s.cursor(), s.text_lines())
}

#[test]
fn a_character_split_across_reads_does_not_eat_the_control_after_it() {
    // "aé", CR, "é": the second é overwrites the a. Split after é's first byte, the next
    // read starts A9 0D C3: vte 0.15 as published swallows the CR there.
    let bytes = "aé\ré".as_bytes();
    let mut whole = Screen::new(10, 2);
    whole.process(bytes);
    let mut split = Screen::new(10, 2);
    split.process(&bytes[..2]);
    split.process(&bytes[2..]);
    assert_eq!(split.text_lines()[0], "éé");
    assert_eq!(split.cursor(), (0, 1));
    assert_eq!(observed(&split), observed(&whole));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Guest output arrives in reads of any size: every split gives the same screen.
    #[test]
    fn the_screen_is_the_same_however_the_output_is_split(
        pieces in proptest::collection::vec(
            proptest::sample::select(vec![
                "a", "é", "中", "🙂", "\u{301}", "\u{fe0f}", "\r\n", "\x08", "\t", "\x1b[1;31m",
                "\x1b[0m", "\x1b[2;3H", "\x1b(0lqk\x1b(B", "\x1b]0;tï\x07", "\x1b[?1049h",
                "\x1b[?1049l", "\x1bH", "\x1b[3g", "\x1b[44m\x1b[K", "\x1b7", "\x1b8",
            ]),
            1..80,
        ),
        cuts in proptest::collection::vec(0usize..400, 0..6),
    ) {
        let bytes = pieces.concat().into_bytes();
        let mut whole = Screen::new(12, 4);
        whole.process(&bytes);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut split = Screen::new(12, 4);
        let mut at = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            split.process(&bytes[at..cut]);
            at = cut;
        }
        proptest::prop_assert_eq!(observed(&split), observed(&whole));
        proptest::prop_assert_eq!(split.title(), whole.title());
    }
}

#[test]
fn color_queries_are_answered_only_with_known_colors() {
    use proximity::term::ReportedColors;
    let mut s = Screen::new(20, 2);
    s.process(b"\x1b]11;?\x07");
    assert!(s.take_replies().is_empty(), "unknown colors: no answer");
    s.set_reported_colors(Some(ReportedColors {
        fg: (0xd8, 0xde, 0xe9),
        bg: (0x14, 0x16, 0x1b),
    }));
    s.process(b"\x1b]11;?\x07");
    assert_eq!(s.take_replies(), b"\x1b]11;rgb:1414/1616/1b1b\x1b\\");
    s.process(b"\x1b]10;?\x1b\\");
    assert_eq!(s.take_replies(), b"\x1b]10;rgb:d8d8/dede/e9e9\x1b\\");
    // xterm's form for both at once.
    s.process(b"\x1b]10;?;?\x07");
    assert_eq!(
        s.take_replies(),
        b"\x1b]10;rgb:d8d8/dede/e9e9\x1b\\\x1b]11;rgb:1414/1616/1b1b\x1b\\"
    );
    // Setting a color is not a query; the cursor color (12) is not reported.
    s.process(b"\x1b]11;rgb:0000/0000/0000\x07\x1b]12;?\x07");
    assert!(s.take_replies().is_empty());
    assert_eq!(s.text_lines(), ["", ""], "nothing drawn");
}
