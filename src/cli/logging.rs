//! Logs go to a file under the XDG state dir, never to the screen (the TUI owns it).
//! `PROXIMITY_LOG` sets the filter (`info` by default), except for the websocket crates.

use crate::paths::Paths;

/// Log lines queued for the writer thread before new ones are dropped.
const LOG_QUEUE_LINES: usize = 4096;

/// Start file logging; returns the guard that flushes on drop. Failing to log is not fatal.
pub fn init(paths: &Paths) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    std::fs::create_dir_all(&paths.state_dir).ok()?;
    // Logs name hosts and guests: keep them private like the rest of the state (the appender
    // opens the file in append mode, so the mode set here stays).
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let _ = std::fs::set_permissions(&paths.state_dir, std::fs::Permissions::from_mode(0o700));
        let log = paths.state_dir.join("proximity.log");
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&log);
        let _ = std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o600));
    }
    let appender = tracing_appender::rolling::never(&paths.state_dir, "proximity.log");
    // The default queue holds 128,000 lines and is allocated and touched up front (4 MB
    // resident for a log that writes a few lines a minute). Lines beyond the queue are
    // dropped rather than blocking the caller, as with the default.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(true)
        .finish(appender);
    let filter = log_filter(std::env::var("PROXIMITY_LOG").ok().as_deref());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}

/// Directives appended after the user's, so they win for these targets: tungstenite logs
/// every console frame at trace level (keystrokes, passwords typed in the guest, the auth
/// line with the console ticket), and nothing in them is needed to debug proximity.
const WEBSOCKET_QUIET: [&str; 2] = ["tungstenite=off", "tokio_tungstenite=off"];

/// The filter for `PROXIMITY_LOG` (`None` or invalid: `info`), websocket frames always off.
fn log_filter(env: Option<&str>) -> tracing_subscriber::EnvFilter {
    let base = env
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| tracing_subscriber::EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    WEBSOCKET_QUIET
        .iter()
        .fold(base, |filter, directive| match directive.parse() {
            Ok(d) => filter.add_directive(d),
            Err(_) => filter,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_everywhere_still_keeps_websocket_frames_out() {
        for env in [
            Some("trace"),
            Some("tungstenite=trace,trace"),
            None,
            Some("bad=["),
        ] {
            let text = log_filter(env).to_string();
            assert!(text.contains("tungstenite=off"), "{env:?}: {text}");
            assert!(text.contains("tokio_tungstenite=off"), "{env:?}: {text}");
            assert!(!text.contains("tungstenite=trace"), "{env:?}: {text}");
        }
    }
}
