//! The settings screen's recording switches at the edge: read from the store at start and
//! written (atomically, flushed) when one flips. The console opener reads the store at each
//! open (`console::Consoles::open`), so a switch applies from the next session on.

use super::Executor;
use crate::store::{Settings, Store};
use crate::ui::action::AppEvent;
use crate::ui::settings::{RecordingSwitch, RecordingSwitches};

/// The recording part of the settings, as the UI shows it.
pub fn switches(settings: &Settings) -> RecordingSwitches {
    RecordingSwitches {
        hosts: settings.console_recording.clone(),
        audit: settings.audit_recording,
    }
}

/// What the store holds now; defaults (all off) without a store or when the record is
/// unreadable, which is also what the console opener then does.
pub fn current(store: Option<&Store>) -> RecordingSwitches {
    let settings = store
        .and_then(|s| s.settings().get().ok())
        .unwrap_or_default();
    switches(&settings)
}

/// Write one switch; returns the switches as written. Other settings (the theme, other
/// hosts' switches) are kept even when another writer changed them meanwhile.
pub fn save_recording(
    store: Option<&Store>,
    switch: &RecordingSwitch,
    on: bool,
) -> Result<RecordingSwitches, String> {
    let Some(store) = store else {
        return Err("recording cannot be switched: the store is not open".into());
    };
    let written = store
        .settings()
        .update(|s| match switch {
            RecordingSwitch::Host(host) => {
                // Off is the default: drop the entry rather than keep `false` for a host
                // that may be removed later.
                if on {
                    s.console_recording.insert(host.clone(), true);
                } else {
                    s.console_recording.remove(host);
                }
            }
            RecordingSwitch::Audit => s.audit_recording = on,
        })
        .map_err(|e| format!("saving the recording switch: {e}"))?;
    Ok(switches(&written))
}

impl Executor {
    /// Persist a switch and tell the UI what the store now holds; on failure the UI gets a
    /// toast and the switches that still stand, so the screen never claims a recording the
    /// next console will not make.
    pub(super) async fn save_recording(&self, switch: RecordingSwitch, on: bool) {
        let state = match save_recording(self.store.as_ref(), &switch, on) {
            Ok(written) => written,
            Err(e) => {
                tracing::warn!("{e}");
                self.toast(e, true).await;
                current(self.store.as_ref())
            }
        };
        let _ = self.inbox.send(AppEvent::Recording(state)).await;
    }
}
