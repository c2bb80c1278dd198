//! XDG locations for config, data and state. `PROXIMITY_HOME` (used by tests) puts all three
//! under one directory so a test never touches the user's real files.

use std::path::PathBuf;

/// Where Proximity keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub state_dir: PathBuf,
}

impl Paths {
    /// Resolve from `PROXIMITY_HOME` if set, else the XDG directories.
    pub fn resolve() -> Paths {
        if let Some(home) = std::env::var_os("PROXIMITY_HOME") {
            let home = PathBuf::from(home);
            return Paths {
                config_dir: home.join("config"),
                data_dir: home.join("data"),
                state_dir: home.join("state"),
            };
        }
        let fallback = || std::env::temp_dir().join("proximity");
        Paths {
            config_dir: dirs::config_dir()
                .unwrap_or_else(fallback)
                .join("proximity"),
            data_dir: dirs::data_dir().unwrap_or_else(fallback).join("proximity"),
            state_dir: dirs::state_dir()
                .or_else(dirs::data_local_dir)
                .unwrap_or_else(fallback)
                .join("proximity"),
        }
    }
}
