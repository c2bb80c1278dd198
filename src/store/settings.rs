//! The `settings` tree: user preferences that follow the user across runs (theme, keymap
//! override file, recording switches). One JSON record; unknown or missing fields fall back to
//! defaults so older and newer builds can share a store. Every change is flushed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, decode, encode};

pub(crate) const TREE: &str = "settings";
const KEY: &[u8] = b"settings";

/// User preferences.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Theme name (a file stem in `themes/`); `None` = the built-in default.
    pub theme: Option<String>,
    /// A keymap file that overrides only the keys it lists.
    pub keymap_overrides_path: Option<PathBuf>,
    /// Per host: record console sessions (asciicast). Absent = off.
    pub console_recording: BTreeMap<String, bool>,
    /// Audit mode: record every console session on every host (as if each host's
    /// `console_recording` were on). Off by default: recording is opt-in.
    pub audit_recording: bool,
}

impl Settings {
    /// Whether console sessions on `host` are recorded.
    pub fn console_recording_for(&self, host: &str) -> bool {
        self.console_recording.get(host).copied().unwrap_or(false)
    }
}

/// Typed access to the `settings` tree; get it from [`Store::settings`].
pub struct SettingsTree<'a> {
    store: &'a Store,
}

impl<'a> SettingsTree<'a> {
    pub(crate) fn new(store: &'a Store) -> SettingsTree<'a> {
        SettingsTree { store }
    }

    /// The current settings (defaults if never set).
    pub fn get(&self) -> Result<Settings, StoreError> {
        match self.store.kv().get(TREE, KEY)? {
            Some(bytes) => decode(|| format!("{TREE}/settings"), &bytes),
            None => Ok(Settings::default()),
        }
    }

    /// Replace the settings and flush.
    pub fn set(&self, settings: &Settings) -> Result<(), StoreError> {
        let bytes = encode(|| format!("{TREE}/settings"), settings)?;
        let kv = self.store.kv();
        kv.put(TREE, KEY, &bytes)?;
        kv.flush()?;
        Ok(())
    }

    /// Change some settings atomically (two tasks toggling different switches both land);
    /// returns the settings as written.
    pub fn update(&self, mut change: impl FnMut(&mut Settings)) -> Result<Settings, StoreError> {
        let kv = self.store.kv();
        loop {
            let old = kv.get(TREE, KEY)?;
            let mut settings = match &old {
                Some(bytes) => decode(|| format!("{TREE}/settings"), bytes)?,
                None => Settings::default(),
            };
            change(&mut settings);
            let bytes = encode(|| format!("{TREE}/settings"), &settings)?;
            if kv.compare_and_swap(TREE, KEY, old.as_deref(), Some(&bytes))? {
                kv.flush()?;
                return Ok(settings);
            }
        }
    }
}
