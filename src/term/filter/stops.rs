//! Which bytes end a run of plain text for the filter.

/// Bytes that end a run of plain text in the ground state, one table per combination of
/// what needs watching (see [`stop_table`]). Always: ESC, SO, SI, and BS (which must not
/// land on the last column while a wrap is pending, see [`Filter::back_from_pending_wrap`]).
/// With `lf`, also LF, VT and FF: used while the background may be colored, when a line
/// feed that scrolls must fill the new line with it (bce). With `tab`, also HT: once the
/// guest changed the tab stops, vt100's fixed every-8 tabs are wrong and HT becomes ours.
/// With `text`, also every byte that starts a character: autowrap is off or insert mode
/// on (vt100 knows neither), so each character is dealt with before vt100 sees it.
const fn ground_stops(lf: bool, tab: bool, text: bool) -> [bool; 256] {
    let mut t = [false; 256];
    if text {
        let mut b = 0x20;
        while b < 256 {
            // Not DEL, and not a UTF-8 continuation byte (the middle of a character).
            t[b] = b != 0x7f && !(b >= 0x80 && b < 0xc0);
            b += 1;
        }
    }
    t[0x08] = true;
    t[0x0e] = true;
    t[0x0f] = true;
    t[0x1b] = true;
    if lf {
        t[0x0a] = true;
        t[0x0b] = true;
        t[0x0c] = true;
    }
    if tab {
        t[0x09] = true;
    }
    t
}

static GROUND_STOPS: [[bool; 256]; 8] = {
    let mut all = [[false; 256]; 8];
    let mut i = 0;
    while i < 8 {
        all[i] = ground_stops(i & 1 != 0, i & 2 != 0, i & 4 != 0);
        i += 1;
    }
    all
};

pub(super) fn stop_table(lf: bool, tab: bool, text: bool) -> &'static [bool; 256] {
    &GROUND_STOPS[usize::from(lf) | usize::from(tab) << 1 | usize::from(text) << 2]
}
