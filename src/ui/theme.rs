//! Themes as data: `themes/*.toml` = a palette plus semantic style keys, optional `inherits`.
//! A theme is resolved once into ready `Style`s for the terminal's color depth; widgets ask
//! for semantic styles (`theme.led(status)`, `theme.border(focused)`), never raw colors.
//!
//! A theme without `inherits` inherits `dark`, so a user theme names only what it changes.
//! `NO_COLOR` keeps modifiers (bold, reversed) and drops every color; LED glyphs differ per
//! status so nothing depends on color alone.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use super::color::parse_color;
pub use super::color::{ColorDepth, downgrade};
use crate::inventory::GuestStatus;

mod key;
pub use key::ThemeKey;

/// Built-in themes, embedded so the binary works with no files installed.
pub const BUILTIN: [(&str, &str); 6] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    (
        "green-phosphor",
        include_str!("../../themes/green-phosphor.toml"),
    ),
    ("amber", include_str!("../../themes/amber.toml")),
    ("nord", include_str!("../../themes/nord.toml")),
];

/// A bad theme file: which file, line and key, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {key}: {message}")]
pub struct ThemeError {
    pub file: String,
    pub line: usize,
    pub key: String,
    pub message: String,
}

/// A resolved theme: one ready style per key, indexed by `ThemeKey::index`.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub depth: ColorDepth,
    styles: [Style; ThemeKey::COUNT],
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    inherits: Option<Spanned<String>>,
    #[serde(default)]
    palette: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    styles: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// A style value: `"color"` (foreground) or a table of these fields.
#[derive(Debug, Clone, Default)]
struct FullSpec {
    fg: Option<String>,
    bg: Option<String>,
    modifiers: Modifier,
}

const STYLE_FIELDS: &str = "fg, bg, bold, dim, italic, underline, reversed";

/// Read a style value by hand so errors say which field is wrong (serde's untagged enums
/// only say "did not match any variant").
fn style_spec(v: &toml::Value) -> Result<FullSpec, String> {
    match v {
        toml::Value::String(fg) => Ok(FullSpec {
            fg: Some(fg.clone()),
            ..FullSpec::default()
        }),
        toml::Value::Table(t) => {
            let mut spec = FullSpec::default();
            for (k, v) in t {
                match (k.as_str(), v) {
                    ("fg", toml::Value::String(c)) => spec.fg = Some(c.clone()),
                    ("bg", toml::Value::String(c)) => spec.bg = Some(c.clone()),
                    ("fg" | "bg", _) => return Err(format!("`{k}` must be a color string")),
                    (m, toml::Value::Boolean(on)) => {
                        let bit = match m {
                            "bold" => Modifier::BOLD,
                            "dim" => Modifier::DIM,
                            "italic" => Modifier::ITALIC,
                            "underline" => Modifier::UNDERLINED,
                            "reversed" => Modifier::REVERSED,
                            _ => {
                                return Err(format!(
                                    "unknown field `{k}` (expected {STYLE_FIELDS})"
                                ));
                            }
                        };
                        spec.modifiers.set(bit, *on);
                    }
                    _ => return Err(format!("unknown field `{k}` (expected {STYLE_FIELDS})")),
                }
            }
            Ok(spec)
        }
        _ => Err("expected a color string or a table".to_string()),
    }
}

/// A theme file parsed and checked, not yet merged with its parent.
#[derive(Debug, Clone)]
pub struct ThemeSource {
    pub name: String,
    inherits: Option<String>,
    palette: BTreeMap<String, Color>,
    /// Key -> (fg color name, bg color name, modifiers); colors stay names until resolve so a
    /// child's palette can recolor its parent's styles.
    styles: BTreeMap<ThemeKey, (Option<String>, Option<String>, Modifier)>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .unwrap_or(text)
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The known key nearest to a misspelled one (at most two edits away), for the error.
fn closest_key(name: &str) -> Option<&'static str> {
    ThemeKey::ALL
        .iter()
        .map(|k| (edit_distance(name, k.name()), k.name()))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over chars (keys are short; two rows suffice).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = Vec::with_capacity(b.len() + 1);
        row.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let replace = prev[j] + usize::from(ca != *cb);
            row.push(replace.min(prev[j + 1] + 1).min(row[j] + 1));
        }
        prev = row;
    }
    prev[b.len()]
}

impl ThemeSource {
    /// Parse one theme file. `file` names it in errors; `fallback_name` is used when the
    /// file has no `name` (its stem).
    pub fn parse(file: &str, fallback_name: &str, text: &str) -> Result<ThemeSource, ThemeError> {
        let err = |span: Option<std::ops::Range<usize>>, key: &str, message: String| ThemeError {
            file: file.to_string(),
            line: span.map(|s| line_of(text, s.start)).unwrap_or(1),
            key: key.to_string(),
            message,
        };
        let raw: ThemeFile = toml::from_str(text).map_err(|e| {
            // Name the key from the line the error points at: `key = ...` or `[section]`.
            let start = e.span().map(|s| s.start).unwrap_or(0);
            let line_start = text
                .get(..start)
                .and_then(|t| t.rfind('\n'))
                .map_or(0, |i| i + 1);
            let line = text
                .get(line_start..)
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
                .trim();
            let key = match line.strip_prefix('[') {
                Some(section) => section.trim_end_matches(']').trim().to_string(),
                None => line
                    .split('=')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('"')
                    .to_string(),
            };
            err(
                e.span(),
                if key.is_empty() { "-" } else { &key },
                e.message().trim().to_string(),
            )
        })?;
        let mut palette = BTreeMap::new();
        for (k, v) in &raw.palette {
            let color = parse_color(v.get_ref(), &BTreeMap::new()).ok_or_else(|| {
                err(
                    Some(v.span()),
                    &format!("palette.{}", k.get_ref()),
                    format!("not a color: `{}`", v.get_ref()),
                )
            })?;
            palette.insert(k.get_ref().clone(), color);
        }
        let mut styles = BTreeMap::new();
        for (k, v) in &raw.styles {
            let key = k.get_ref();
            let Some(theme_key) = ThemeKey::from_name(key) else {
                let message = match closest_key(key) {
                    Some(near) => format!("unknown style key (did you mean `{near}`?)"),
                    None => "unknown style key".to_string(),
                };
                return Err(err(Some(k.span()), &format!("styles.{key}"), message));
            };
            let spec = style_spec(v.get_ref())
                .map_err(|m| err(Some(v.span()), &format!("styles.{key}"), m))?;
            for c in [&spec.fg, &spec.bg].into_iter().flatten() {
                if parse_color(c, &palette).is_none() {
                    return Err(err(
                        Some(v.span()),
                        &format!("styles.{key}"),
                        format!(
                            "unknown color `{c}` (not in the palette, not #rrggbb, not an ANSI name)"
                        ),
                    ));
                }
            }
            styles.insert(theme_key, (spec.fg, spec.bg, spec.modifiers));
        }
        Ok(ThemeSource {
            name: raw.name.unwrap_or_else(|| fallback_name.to_string()),
            inherits: raw.inherits.map(|s| s.into_inner()),
            palette,
            styles,
        })
    }
}

/// All known theme sources: built-ins plus user files; resolves inheritance.
#[derive(Debug, Clone)]
pub struct ThemeSet {
    sources: Vec<ThemeSource>,
}

impl ThemeSet {
    /// The built-in themes. They are checked by tests, so a parse failure here is a bug in
    /// the shipped files; such a theme is skipped rather than crashing.
    pub fn builtin() -> ThemeSet {
        let sources = BUILTIN
            .iter()
            .filter_map(|(name, text)| {
                ThemeSource::parse(&format!("themes/{name}.toml"), name, text).ok()
            })
            .collect();
        ThemeSet { sources }
    }

    /// Built-ins plus every `*.toml` in `dir` (user themes override built-ins of the same
    /// name). Bad files are reported and skipped.
    pub fn with_user_dir(dir: &Path) -> (ThemeSet, Vec<ThemeError>) {
        let mut set = ThemeSet::builtin();
        let mut errors = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return (set, errors);
        };
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("user")
                .to_string();
            let shown = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => match ThemeSource::parse(&shown, &stem, &text) {
                    Ok(src) => set.add(src),
                    Err(e) => errors.push(e),
                },
                Err(e) => errors.push(ThemeError {
                    file: shown,
                    line: 1,
                    key: "-".into(),
                    message: e.to_string(),
                }),
            }
        }
        (set, errors)
    }

    pub fn add(&mut self, src: ThemeSource) {
        self.sources.retain(|s| s.name != src.name);
        self.sources.push(src);
    }

    pub fn names(&self) -> Vec<String> {
        self.sources.iter().map(|s| s.name.clone()).collect()
    }

    /// Resolve `name` (following `inherits`, at most 8 levels, cycles rejected) for `depth`.
    pub fn resolve(&self, name: &str, depth: ColorDepth) -> Result<Theme, ThemeError> {
        let mut chain: Vec<&ThemeSource> = Vec::new();
        let mut current = name.to_string();
        loop {
            let src = self
                .sources
                .iter()
                .find(|s| s.name == current)
                .ok_or_else(|| ThemeError {
                    file: chain
                        .last()
                        .map(|s| format!("theme {}", s.name))
                        .unwrap_or_else(|| "theme".into()),
                    line: 1,
                    key: "inherits".into(),
                    message: format!("no theme named `{current}`"),
                })?;
            if chain.iter().any(|s| s.name == src.name) || chain.len() > 8 {
                return Err(ThemeError {
                    file: format!("theme {name}"),
                    line: 1,
                    key: "inherits".into(),
                    message: "inheritance cycle".into(),
                });
            }
            chain.push(src);
            match (&src.inherits, src.name.as_str()) {
                (Some(parent), _) => current = parent.clone(),
                (None, "dark") => break,
                (None, _) => current = "dark".into(),
            }
        }
        // Merge from the root down: children override palette entries and styles.
        let mut palette = BTreeMap::new();
        let mut styles = BTreeMap::new();
        for src in chain.iter().rev() {
            palette.extend(src.palette.clone());
            styles.extend(src.styles.clone());
        }
        let mut resolved = [Style::default(); ThemeKey::COUNT];
        for &key in ThemeKey::ALL {
            // Every chain ends at `dark`, which sets every key: a gap is a bug in a shipped
            // file, reported rather than drawn with a silent plain style.
            let (fg, bg, m) = styles.get(&key).ok_or_else(|| ThemeError {
                file: format!("theme {name}"),
                line: 1,
                key: format!("styles.{}", key.name()),
                message: "not set by this theme or any theme it inherits".into(),
            })?;
            let mut s = Style::default().add_modifier(*m);
            if let Some(c) = fg.as_deref().and_then(|c| parse_color(c, &palette)) {
                s = s.fg(downgrade(c, depth));
            }
            if let Some(c) = bg.as_deref().and_then(|c| parse_color(c, &palette)) {
                s = s.bg(downgrade(c, depth));
            }
            if depth == ColorDepth::None {
                s.fg = None;
                s.bg = None;
            }
            resolved[key.index()] = s;
        }
        let mut theme = Theme {
            name: name.to_string(),
            depth,
            styles: resolved,
        };
        if depth == ColorDepth::None {
            // Without color the selection and focus must still be visible.
            theme.set(
                ThemeKey::Selection,
                Style::default().add_modifier(Modifier::REVERSED),
            );
            theme.set(
                ThemeKey::BorderFocused,
                Style::default().add_modifier(Modifier::BOLD),
            );
            theme.set(
                ThemeKey::Marked,
                Style::default().add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
            );
        }
        Ok(theme)
    }
}

impl Theme {
    /// The default theme; used when nothing else resolves.
    pub fn fallback(depth: ColorDepth) -> Theme {
        ThemeSet::builtin().resolve("dark", depth).unwrap_or(Theme {
            name: "dark".into(),
            depth,
            styles: [Style::default(); ThemeKey::COUNT],
        })
    }

    fn set(&mut self, key: ThemeKey, style: Style) {
        self.styles[key.index()] = style;
    }

    /// The ready style for a semantic key.
    pub fn style(&self, key: ThemeKey) -> Style {
        self.styles[key.index()]
    }

    pub fn led(&self, status: GuestStatus) -> Style {
        self.style(match status {
            GuestStatus::Running => ThemeKey::LedRunning,
            GuestStatus::Stopped => ThemeKey::LedStopped,
            GuestStatus::Paused => ThemeKey::LedPaused,
            GuestStatus::Busy => ThemeKey::LedBusy,
            GuestStatus::Error => ThemeKey::LedError,
            GuestStatus::Unknown => ThemeKey::LedUnknown,
        })
    }

    pub fn border(&self, focused: bool) -> Style {
        self.style(if focused {
            ThemeKey::BorderFocused
        } else {
            ThemeKey::Border
        })
    }

    pub fn text(&self) -> Style {
        self.style(ThemeKey::Text)
    }

    pub fn dim(&self) -> Style {
        self.style(ThemeKey::TextDim)
    }
}
