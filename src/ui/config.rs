//! Startup configuration for the UI: the user's keymap and themes from the config dir,
//! resolved once. A bad file never stops the app: the defaults stand and the error (file,
//! line, key) becomes a toast and a log line.

use std::path::Path;
use std::time::SystemTime;

use super::app::App;
use super::keymap::Keymap;
use super::theme::{ColorDepth, ThemeSet};

/// What was loaded, plus the messages to show.
pub struct UiConfig {
    pub keymap: Keymap,
    pub themes: ThemeSet,
    pub errors: Vec<String>,
}

/// Read `<config_dir>/keymap.toml` and `<config_dir>/themes/*.toml` (both optional).
pub fn load(config_dir: &Path) -> UiConfig {
    let mut errors = Vec::new();
    let keymap_path = config_dir.join("keymap.toml");
    let keymap = match std::fs::read_to_string(&keymap_path) {
        Ok(text) => {
            let (km, err) = Keymap::with_user_file(&keymap_path.display().to_string(), &text);
            if let Some(e) = err {
                errors.push(format!("{e} (using the default keymap)"));
            }
            km
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Keymap::defaults(),
        Err(e) => {
            errors.push(format!(
                "{}: {e} (using the default keymap)",
                keymap_path.display()
            ));
            Keymap::defaults()
        }
    };
    let (themes, theme_errors) = ThemeSet::with_user_dir(&config_dir.join("themes"));
    errors.extend(
        theme_errors
            .into_iter()
            .map(|e| format!("{e} (theme skipped)")),
    );
    UiConfig {
        keymap,
        themes,
        errors,
    }
}

impl App {
    /// An `App` from the config dir and the saved theme name; the color depth comes from
    /// `NO_COLOR`, `COLORTERM` and `TERM`. Problems become toasts.
    pub fn from_config(config_dir: &Path, theme: &str, now: SystemTime) -> App {
        let cfg = load(config_dir);
        let depth = ColorDepth::from_env();
        let known = cfg.themes.names().iter().any(|n| n == theme);
        let mut app = App::new(cfg.keymap, cfg.themes, theme, depth, now);
        app.layers.catalog_dir = Some(config_dir.join("catalog"));
        for e in &cfg.errors {
            tracing::warn!("{e}");
            app.show_toast(e, true);
        }
        if !known {
            app.show_toast(&format!("theme `{theme}` not found, using dark"), true);
        }
        app
    }
}
