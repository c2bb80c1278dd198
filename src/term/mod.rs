//! The console terminal core: vt100 screen bridging, xterm key encoding, scrollback,
//! recording and replay (asciicast v2). No ratatui or crossterm here.
