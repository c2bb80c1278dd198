//! `alerts.toml` while the monitor runs: on each of its ticks one `stat` of the file (no read
//! while the modification time and size are unchanged); a changed file is read and, when it
//! parses, replaces the file's layers (the settings screen's stored layer stays). A file that
//! does not parse keeps the rules in use and raises one notice naming the file, line and
//! reason (once per version of the file: the next tick sees the same stamp). The settings
//! screen's edits go through [`Engine::save_alert_layer`], which writes the file and takes
//! the new rules at once.

use std::path::Path;
use std::time::SystemTime;

use super::events::EngineEvent;
use super::service::{Engine, lock};
use crate::alerts::{AlertConfig, AlertScope, RawThresholds};

/// What one `stat` tells of the file: `None` when there is no file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
}

pub(super) fn stamp(path: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(FileStamp {
        modified: meta.modified().ok(),
        len: meta.len(),
    })
}

impl Engine {
    /// The monitor's tick: reload the file when its stamp changed since it was last read.
    /// Returns whether the rules changed.
    pub(super) fn reload_alert_file(&self) -> bool {
        let Some(shared) = lock(&self.inner.alerts).clone() else {
            return false;
        };
        let Some(path) = shared.options.file_path() else {
            return false;
        };
        let now = stamp(&path);
        {
            let mut seen = lock(&shared.file_seen);
            if *seen == now {
                return false;
            }
            *seen = now;
        }
        match AlertConfig::load_file(&path) {
            Ok(file) => {
                let config = {
                    let mut config = lock(&shared.config);
                    let screen = config.screen.clone();
                    *config = AlertConfig { screen, ..file };
                    config.clone()
                };
                tracing::info!("alerts: {} reloaded", path.display());
                self.publish(EngineEvent::AlertConfig(Box::new(config)));
                self.notice("alerts.toml reloaded: the new thresholds apply", false);
                true
            }
            Err(e) => {
                tracing::warn!("alerts: {e}");
                self.notice(
                    format!("alerts not reloaded: {e} (the previous rules stay)"),
                    true,
                );
                false
            }
        }
    }

    /// The settings screen's edit of one layer of `alerts.toml`: written (every other entry
    /// of the file kept, see `alerts::config::save_layer`) and used at once. The answer is
    /// the thresholds now in use, also published as `EngineEvent::AlertConfig`.
    pub fn save_alert_layer(
        &self,
        scope: &AlertScope,
        layer: &RawThresholds,
    ) -> Result<AlertConfig, String> {
        let shared = lock(&self.inner.alerts).clone();
        let path = shared
            .as_ref()
            .and_then(|s| s.options.file_path())
            .ok_or_else(|| {
                "no alerts file to save to (the alert monitor is not running)".to_string()
            })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let file =
            crate::alerts::config::save_layer(dir, scope, layer).map_err(|e| e.to_string())?;
        let Some(shared) = shared else {
            return Err("the alert monitor is not running".into());
        };
        let config = {
            let mut config = lock(&shared.config);
            let screen = config.screen.clone();
            *config = AlertConfig { screen, ..file };
            config.clone()
        };
        // What was just written is what the next tick would read: no second reload.
        *lock(&shared.file_seen) = stamp(&path);
        self.publish(EngineEvent::AlertConfig(Box::new(config.clone())));
        Ok(config)
    }
}
