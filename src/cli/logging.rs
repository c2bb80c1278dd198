//! Logs go to a file under the XDG state dir, never to the screen (the TUI owns it).
//! `PROXIMITY_LOG` sets the filter (`info` by default).

use crate::paths::Paths;

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
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("PROXIMITY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
