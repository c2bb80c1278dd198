//! Key and mouse encoding against xterm's tables (ctlseqs "PC-Style Function Keys",
//! "Mouse Tracking"), with xterm's default resources.

use proximity::term::{
    KeyCode as K, KeyEvent, KeyModes, Modifiers as M, MouseButton, MouseEvent, MouseKind,
    MouseProtocolEncoding as Enc, MouseProtocolMode as Mode, encode_key, encode_mouse,
};

const NORMAL: KeyModes = KeyModes {
    application_cursor: false,
    application_keypad: false,
};
const APP: KeyModes = KeyModes {
    application_cursor: true,
    application_keypad: true,
};

fn enc(code: K, mods: M, modes: KeyModes) -> Vec<u8> {
    encode_key(&KeyEvent::new(code, mods), &modes)
}

fn m(shift: bool, alt: bool, ctrl: bool) -> M {
    M { shift, alt, ctrl }
}

#[test]
fn plain_keys() {
    let table: &[(K, &[u8])] = &[
        (K::Char('a'), b"a"),
        (K::Char('é'), "é".as_bytes()),
        (K::Char('日'), "日".as_bytes()),
        (K::Enter, b"\r"),
        (K::Backspace, b"\x7f"),
        (K::Tab, b"\t"),
        (K::BackTab, b"\x1b[Z"),
        (K::Esc, b"\x1b"),
        (K::Up, b"\x1b[A"),
        (K::Down, b"\x1b[B"),
        (K::Right, b"\x1b[C"),
        (K::Left, b"\x1b[D"),
        (K::Home, b"\x1b[H"),
        (K::End, b"\x1b[F"),
        (K::Insert, b"\x1b[2~"),
        (K::Delete, b"\x1b[3~"),
        (K::PageUp, b"\x1b[5~"),
        (K::PageDown, b"\x1b[6~"),
        (K::F(1), b"\x1bOP"),
        (K::F(2), b"\x1bOQ"),
        (K::F(3), b"\x1bOR"),
        (K::F(4), b"\x1bOS"),
        (K::F(5), b"\x1b[15~"),
        (K::F(6), b"\x1b[17~"),
        (K::F(7), b"\x1b[18~"),
        (K::F(8), b"\x1b[19~"),
        (K::F(9), b"\x1b[20~"),
        (K::F(10), b"\x1b[21~"),
        (K::F(11), b"\x1b[23~"),
        (K::F(12), b"\x1b[24~"),
        (K::F(13), b""),
        (K::Keypad('5'), b"5"),
    ];
    for (code, want) in table {
        assert_eq!(enc(*code, M::NONE, NORMAL), *want, "{code:?}");
    }
}

#[test]
fn application_modes() {
    let table: &[(K, &[u8])] = &[
        (K::Up, b"\x1bOA"),
        (K::Down, b"\x1bOB"),
        (K::Right, b"\x1bOC"),
        (K::Left, b"\x1bOD"),
        (K::Home, b"\x1bOH"),
        (K::End, b"\x1bOF"),
        // Not affected by DECCKM.
        (K::PageUp, b"\x1b[5~"),
        (K::Keypad('0'), b"\x1bOp"),
        (K::Keypad('9'), b"\x1bOy"),
        (K::Keypad('\r'), b"\x1bOM"),
        (K::Keypad('+'), b"\x1bOk"),
        (K::Keypad('-'), b"\x1bOm"),
        (K::Keypad('*'), b"\x1bOj"),
        (K::Keypad('/'), b"\x1bOo"),
        (K::Keypad('.'), b"\x1bOn"),
    ];
    for (code, want) in table {
        assert_eq!(enc(*code, M::NONE, APP), *want, "{code:?}");
    }
}

#[test]
fn modified_keys() {
    let table: &[(K, M, &[u8])] = &[
        (K::Up, M::CTRL, b"\x1b[1;5A"),
        (K::Down, M::SHIFT, b"\x1b[1;2B"),
        (K::Right, M::ALT, b"\x1b[1;3C"),
        (K::Left, m(true, false, true), b"\x1b[1;6D"),
        (K::Home, m(true, true, true), b"\x1b[1;8H"),
        (K::End, M::CTRL, b"\x1b[1;5F"),
        (K::Delete, M::CTRL, b"\x1b[3;5~"),
        (K::PageDown, M::SHIFT, b"\x1b[6;2~"),
        (K::F(1), M::SHIFT, b"\x1b[1;2P"),
        (K::F(4), M::CTRL, b"\x1b[1;5S"),
        (K::F(5), M::CTRL, b"\x1b[15;5~"),
        (K::F(12), M::ALT, b"\x1b[24;3~"),
        (K::Tab, M::SHIFT, b"\x1b[Z"),
        (K::Enter, M::ALT, b"\x1b\r"),
        (K::Backspace, M::ALT, b"\x1b\x7f"),
        (K::Backspace, M::CTRL, b"\x08"),
        (K::Esc, M::ALT, b"\x1b\x1b"),
        (K::Char('c'), M::CTRL, b"\x03"),
        (K::Char('a'), M::CTRL, b"\x01"),
        (K::Char('z'), M::CTRL, b"\x1a"),
        (K::Char('C'), m(true, false, true), b"\x03"),
        (K::Char(' '), M::CTRL, b"\x00"),
        (K::Char('@'), M::CTRL, b"\x00"),
        (K::Char('['), M::CTRL, b"\x1b"),
        (K::Char('\\'), M::CTRL, b"\x1c"),
        (K::Char(']'), M::CTRL, b"\x1d"),
        (K::Char('_'), M::CTRL, b"\x1f"),
        (K::Char('?'), M::CTRL, b"\x7f"),
        (K::Char('x'), M::ALT, b"\x1bx"),
        (K::Char('x'), m(false, true, true), b"\x1b\x18"),
        (K::Char('A'), M::SHIFT, b"A"),
    ];
    for (code, mods, want) in table {
        assert_eq!(enc(*code, *mods, NORMAL), *want, "{code:?} {mods:?}");
        // Modified cursor keys ignore DECCKM.
        if matches!(
            code,
            K::Up | K::Down | K::Left | K::Right | K::Home | K::End
        ) {
            assert_eq!(enc(*code, *mods, APP), *want, "{code:?} {mods:?} app");
        }
    }
}

fn mouse(kind: MouseKind, col: u16, row: u16, mods: M) -> MouseEvent {
    MouseEvent {
        kind,
        col,
        row,
        mods,
    }
}

#[test]
fn mouse_modes_and_encodings() {
    use MouseKind::*;
    let left = MouseButton::Left;
    let press = mouse(Press(left), 0, 0, M::NONE);
    let release = mouse(Release(MouseButton::Right), 4, 9, M::NONE);
    let drag = mouse(Drag(left), 2, 3, M::NONE);
    let moved = mouse(Moved, 2, 3, M::NONE);
    assert_eq!(encode_mouse(&press, Mode::None, Enc::Default), None);
    // X10: press only, no modifiers.
    assert_eq!(
        encode_mouse(&press, Mode::Press, Enc::Default).as_deref(),
        Some(&b"\x1b[M !!"[..])
    );
    assert_eq!(encode_mouse(&release, Mode::Press, Enc::Default), None);
    let ctrl_press = mouse(Press(left), 0, 0, M::CTRL);
    assert_eq!(
        encode_mouse(&ctrl_press, Mode::Press, Enc::Default).as_deref(),
        Some(&b"\x1b[M !!"[..])
    );
    assert_eq!(
        encode_mouse(&ctrl_press, Mode::PressRelease, Enc::Default).as_deref(),
        Some(&b"\x1b[M0!!"[..])
    );
    // Normal: release is button 3 without SGR; SGR keeps the button and uses 'm'.
    assert_eq!(
        encode_mouse(&release, Mode::PressRelease, Enc::Default).as_deref(),
        Some(&b"\x1b[M#%*"[..])
    );
    assert_eq!(
        encode_mouse(&release, Mode::PressRelease, Enc::Sgr).as_deref(),
        Some(&b"\x1b[<2;5;10m"[..])
    );
    assert_eq!(encode_mouse(&drag, Mode::PressRelease, Enc::Sgr), None);
    assert_eq!(
        encode_mouse(&drag, Mode::ButtonMotion, Enc::Sgr).as_deref(),
        Some(&b"\x1b[<32;3;4M"[..])
    );
    assert_eq!(encode_mouse(&moved, Mode::ButtonMotion, Enc::Sgr), None);
    assert_eq!(
        encode_mouse(&moved, Mode::AnyMotion, Enc::Sgr).as_deref(),
        Some(&b"\x1b[<35;3;4M"[..])
    );
    let wheel = mouse(ScrollDown, 0, 0, M::SHIFT);
    assert_eq!(
        encode_mouse(&wheel, Mode::PressRelease, Enc::Sgr).as_deref(),
        Some(&b"\x1b[<69;1;1M"[..])
    );
    // Beyond column 223 the default encoding cannot say it; UTF-8 and SGR can.
    let far = mouse(Press(left), 300, 0, M::NONE);
    assert_eq!(encode_mouse(&far, Mode::PressRelease, Enc::Default), None);
    let utf8 = encode_mouse(&far, Mode::PressRelease, Enc::Utf8).expect("utf8");
    assert_eq!(
        utf8,
        [b"\x1b[M ".as_slice(), "\u{14d}".as_bytes(), b"!"].concat()
    );
    assert_eq!(
        encode_mouse(&far, Mode::PressRelease, Enc::Sgr).as_deref(),
        Some(&b"\x1b[<0;301;1M"[..])
    );
}
