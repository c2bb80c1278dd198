//! The console terminal core: vt100 screen bridging, xterm key encoding, scrollback,
//! recording and replay (asciicast v2). No ratatui or crossterm here.

/// Temporary until the term module lands: strip control characters.
pub fn sanitize_line(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() || *c == '\t').collect()
}
pub fn replay_dump(_p: &std::path::Path, _raw: bool, _s: Option<(u16, u16)>) -> Result<String, String> {
    Err("not yet".into())
}
