//! Wiring the TUI to the engine (filled in when the UI lands).
use std::process::ExitCode;

pub async fn demo(_n: usize, _g: usize, _s: u64, _p: &crate::paths::Paths) -> Result<ExitCode, String> {
    Err("the TUI is not wired yet".into())
}
pub async fn configured(_h: Option<&str>, _p: &crate::paths::Paths) -> Result<ExitCode, String> {
    Err("the TUI is not wired yet".into())
}
