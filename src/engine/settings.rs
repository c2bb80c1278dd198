//! The console recording switches: read from the store and written (atomically, flushed) when
//! one flips. The console opener reads the store at each open, so a switch applies from the
//! next session on.

use std::collections::BTreeMap;

use crate::store::{Settings, Store};

/// The recording switches as the store holds them (`store::Settings` without the rest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingSwitches {
    /// Per host name: record its console sessions. Absent = off.
    pub hosts: BTreeMap<String, bool>,
    /// Audit mode: every session on every host is recorded.
    pub audit: bool,
}

impl RecordingSwitches {
    pub fn host(&self, name: &str) -> bool {
        self.hosts.get(name).copied().unwrap_or(false)
    }

    /// Whether a console opened on `host` now would be recorded.
    pub fn records(&self, host: &str) -> bool {
        self.audit || self.host(host)
    }
}

/// Which recording switch to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingSwitch {
    Host(String),
    Audit,
}

/// The recording part of the settings.
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
