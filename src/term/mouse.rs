//! Mouse reports in the mode and encoding the guest asked for (xterm ctlseqs "Mouse
//! Tracking"): X10 (`?9`), normal (`?1000`), button-event (`?1002`), any-event (`?1003`);
//! default `CSI M Cb Cx Cy` bytes, UTF-8 (`?1005`) or SGR (`?1006`).

use vt100::{MouseProtocolEncoding, MouseProtocolMode};

use super::keys::Modifiers;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseButton {
    Left,
    Middle,
    Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseKind {
    Press(MouseButton),
    Release(MouseButton),
    /// Motion with a button held.
    Drag(MouseButton),
    /// Motion with no button held.
    Moved,
    ScrollUp,
    ScrollDown,
}

/// A mouse event in screen cells, 0-based from the console's top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MouseEvent {
    pub kind: MouseKind,
    pub col: u16,
    pub row: u16,
    pub mods: Modifiers,
}

fn button_code(b: MouseButton) -> u32 {
    match b {
        MouseButton::Left => 0,
        MouseButton::Middle => 1,
        MouseButton::Right => 2,
    }
}

/// The report for `ev`, or `None` when the mode does not report it (or it cannot be
/// encoded, e.g. a column past 223 in the default encoding).
pub fn encode_mouse(
    ev: &MouseEvent,
    mode: MouseProtocolMode,
    enc: MouseProtocolEncoding,
) -> Option<Vec<u8>> {
    use MouseKind::*;
    let (mut code, release) = match (mode, ev.kind) {
        (MouseProtocolMode::None, _) => return None,
        // X10 reports presses only, without modifiers.
        (MouseProtocolMode::Press, Press(b)) => (button_code(b), false),
        (MouseProtocolMode::Press, ScrollUp) => (64, false),
        (MouseProtocolMode::Press, ScrollDown) => (65, false),
        (MouseProtocolMode::Press, _) => return None,
        (_, Press(b)) => (button_code(b), false),
        (_, Release(b)) => (button_code(b), true),
        (_, ScrollUp) => (64, false),
        (_, ScrollDown) => (65, false),
        (MouseProtocolMode::ButtonMotion | MouseProtocolMode::AnyMotion, Drag(b)) => {
            (button_code(b) + 32, false)
        }
        (MouseProtocolMode::AnyMotion, Moved) => (3 + 32, false),
        _ => return None,
    };
    if mode != MouseProtocolMode::Press {
        code += 4 * u32::from(ev.mods.shift)
            + 8 * u32::from(ev.mods.alt)
            + 16 * u32::from(ev.mods.ctrl);
    }
    let x = u32::from(ev.col) + 1;
    let y = u32::from(ev.row) + 1;
    match enc {
        MouseProtocolEncoding::Sgr => {
            let fin = if release { 'm' } else { 'M' };
            Some(format!("\x1b[<{code};{x};{y}{fin}").into_bytes())
        }
        MouseProtocolEncoding::Default | MouseProtocolEncoding::Utf8 => {
            // Without SGR a release does not say which button: code 3.
            if release {
                code = (code & !3) | 3;
            }
            let mut out = vec![0x1b, b'[', b'M'];
            let utf8 = enc == MouseProtocolEncoding::Utf8;
            for v in [code + 32, x + 32, y + 32] {
                push_coord(&mut out, v, utf8)?;
            }
            Some(out)
        }
    }
}

fn push_coord(out: &mut Vec<u8>, v: u32, utf8: bool) -> Option<()> {
    if utf8 {
        // ?1005 allows values up to 2047 as UTF-8 characters.
        if v > 2047 {
            return None;
        }
        let c = char::from_u32(v)?;
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    } else {
        out.push(u8::try_from(v).ok()?);
    }
    Some(())
}
