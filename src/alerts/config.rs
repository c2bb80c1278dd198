//! The user's alert thresholds: built-in defaults, then what the settings screen saved (the
//! store), then `<config dir>/alerts.toml`: its `[defaults]`, a `[host.NAME]` per host and an
//! `[app.NAME]` per managed app (its name or its catalog id), each naming only what it
//! changes. A bad entry is refused with its file, line, key and the reason.
//!
//! ```toml
//! [defaults]
//! cpu_percent = 90        # above this for `cpu_for`
//! cpu_for = "5m"          # 30s, 5m, 2h, 7d
//! memory_percent = 90
//! disk_percent = 85
//! node_offline_for = "1m"
//! backup_max_age = "7d"
//! off = ["backup_missing"]   # rules turned off here
//!
//! [host.lab]
//! cpu_percent = 95
//!
//! [app.jellyfin]
//! memory_percent = 98
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Rule;
use crate::catalog::issue::{KeyPath, Locator, parse_issue};

/// The file's name in the config directory.
pub const FILE_NAME: &str = "alerts.toml";
/// A larger file is refused (a real one is a few hundred bytes).
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// A bad entry in an alerts file. Display: `alerts.toml:7: host.lab.cpu_percent: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigIssue {
    #[error("{file}:{line}: {key}: {reason}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        reason: String,
    },
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
}

/// One layer of thresholds: only what it sets. Durations are written `30s`, `5m`, `2h`, `7d`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThresholds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_for: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_for: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_for: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_offline_for: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_max_age: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_for: Option<String>,
    /// Rules turned off in this layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub off: Option<Vec<String>>,
    /// Rules turned back on in this layer (over an `off` of a wider one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<Vec<String>>,
}

/// The values a layer sets that the settings screen edits, as the file names them:
/// percentages (`_percent`) and durations (the rest).
pub const EDITABLE_FIELDS: [&str; 9] = [
    "cpu_percent",
    "cpu_for",
    "memory_percent",
    "memory_for",
    "disk_percent",
    "disk_for",
    "node_offline_for",
    "backup_max_age",
    "health_for",
];

impl RawThresholds {
    fn percent_slot(&mut self, field: &str) -> Option<&mut Option<f64>> {
        match field {
            "cpu_percent" => Some(&mut self.cpu_percent),
            "memory_percent" => Some(&mut self.memory_percent),
            "disk_percent" => Some(&mut self.disk_percent),
            _ => None,
        }
    }

    fn duration_slot(&mut self, field: &str) -> Option<&mut Option<String>> {
        match field {
            "cpu_for" => Some(&mut self.cpu_for),
            "memory_for" => Some(&mut self.memory_for),
            "disk_for" => Some(&mut self.disk_for),
            "node_offline_for" => Some(&mut self.node_offline_for),
            "backup_max_age" => Some(&mut self.backup_max_age),
            "health_for" => Some(&mut self.health_for),
            _ => None,
        }
    }

    /// What this layer sets for `field` (one of [`EDITABLE_FIELDS`]), as typed; empty when
    /// it sets nothing (the value comes from a wider layer).
    pub fn field_text(&self, field: &str) -> String {
        let mut copy = self.clone();
        if let Some(p) = copy.percent_slot(field) {
            return p.map(|p| format!("{p}")).unwrap_or_default();
        }
        copy.duration_slot(field)
            .and_then(|d| d.clone())
            .unwrap_or_default()
    }

    /// Set `field` from typed text, checked as the file is: empty unsets it. The error
    /// names the field: `cpu_for: "5x" is not a duration: ...`.
    pub fn set_field_text(&mut self, field: &str, text: &str) -> Result<(), String> {
        let text = text.trim();
        if let Some(slot) = self.percent_slot(field) {
            if text.is_empty() {
                *slot = None;
                return Ok(());
            }
            let p = text.trim_end_matches('%').trim();
            return match p.parse::<f64>() {
                Ok(p) if valid_percent(p) => {
                    *slot = Some(p);
                    Ok(())
                }
                _ => Err(format!(
                    "{field}: {text:?} is not a percentage above 0 and at most 100"
                )),
            };
        }
        if let Some(slot) = self.duration_slot(field) {
            if text.is_empty() {
                *slot = None;
                return Ok(());
            }
            parse_duration_s(text).map_err(|why| format!("{field}: {why}"))?;
            *slot = Some(text.to_string());
            return Ok(());
        }
        Err(format!(
            "{field}: not a threshold the settings screen edits"
        ))
    }
}

/// Thresholds resolved for one target. Percentages are 0-100, durations seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub cpu_percent: f64,
    pub cpu_for_s: u64,
    pub memory_percent: f64,
    pub memory_for_s: u64,
    pub disk_percent: f64,
    pub disk_for_s: u64,
    pub node_offline_for_s: u64,
    pub backup_max_age_s: u64,
    pub health_for_s: u64,
    /// Bit `i` set: `Rule::ALL[i]` is off.
    off: u8,
}

impl Default for Thresholds {
    /// The defaults of the issue: CPU > 90% for 5 minutes, memory > 90%, disk > 85%, a node
    /// offline for a minute (a refresh that fails once is not an outage), no backup for 7 days.
    fn default() -> Thresholds {
        Thresholds {
            cpu_percent: 90.0,
            cpu_for_s: 300,
            memory_percent: 90.0,
            memory_for_s: 0,
            disk_percent: 85.0,
            disk_for_s: 0,
            node_offline_for_s: 60,
            backup_max_age_s: 7 * 86_400,
            health_for_s: 0,
            off: 0,
        }
    }
}

fn bit(rule: Rule) -> u8 {
    1 << Rule::ALL.iter().position(|r| *r == rule).unwrap_or(0)
}

impl Thresholds {
    pub fn is_on(&self, rule: Rule) -> bool {
        self.off & bit(rule) == 0
    }

    pub fn set_on(&mut self, rule: Rule, on: bool) {
        if on {
            self.off &= !bit(rule);
        } else {
            self.off |= bit(rule);
        }
    }

    /// The rule's "for" duration in milliseconds.
    pub fn for_ms(&self, rule: Rule) -> u64 {
        let s = match rule {
            Rule::Cpu => self.cpu_for_s,
            Rule::Memory => self.memory_for_s,
            Rule::Disk => self.disk_for_s,
            Rule::NodeOffline => self.node_offline_for_s,
            Rule::Health => self.health_for_s,
            Rule::BackupFailed | Rule::BackupMissing => 0,
        };
        s.saturating_mul(1000)
    }

    /// This layer over `self`. Values were checked when the layer was read; one that does
    /// not parse (a layer built in code) leaves the value below it.
    fn apply(&mut self, raw: &RawThresholds) {
        let pct = |v: Option<f64>, to: &mut f64| {
            if let Some(p) = v.filter(|p| valid_percent(*p)) {
                *to = p;
            }
        };
        let dur = |v: &Option<String>, to: &mut u64| {
            if let Some(s) = v.as_deref().and_then(|s| parse_duration_s(s).ok()) {
                *to = s;
            }
        };
        pct(raw.cpu_percent, &mut self.cpu_percent);
        pct(raw.memory_percent, &mut self.memory_percent);
        pct(raw.disk_percent, &mut self.disk_percent);
        dur(&raw.cpu_for, &mut self.cpu_for_s);
        dur(&raw.memory_for, &mut self.memory_for_s);
        dur(&raw.disk_for, &mut self.disk_for_s);
        dur(&raw.node_offline_for, &mut self.node_offline_for_s);
        dur(&raw.backup_max_age, &mut self.backup_max_age_s);
        dur(&raw.health_for, &mut self.health_for_s);
        for name in raw.off.iter().flatten() {
            if let Some(r) = Rule::from_name(name) {
                self.set_on(r, false);
            }
        }
        for name in raw.on.iter().flatten() {
            if let Some(r) = Rule::from_name(name) {
                self.set_on(r, true);
            }
        }
    }
}

/// Every layer of thresholds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertConfig {
    /// What the settings screen saved (under the file).
    pub screen: RawThresholds,
    /// The file's `[defaults]`.
    pub defaults: RawThresholds,
    pub hosts: BTreeMap<String, RawThresholds>,
    pub apps: BTreeMap<String, RawThresholds>,
}

/// The file's shape.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsFile {
    #[serde(default)]
    defaults: RawThresholds,
    #[serde(default)]
    host: BTreeMap<String, RawThresholds>,
    #[serde(default)]
    app: BTreeMap<String, RawThresholds>,
}

impl AlertConfig {
    /// Thresholds for the host's nodes and guests that are no app.
    pub fn for_host(&self, host: &str) -> Thresholds {
        let mut t = Thresholds::default();
        t.apply(&self.screen);
        t.apply(&self.defaults);
        if let Some(h) = self.hosts.get(host) {
            t.apply(h);
        }
        t
    }

    /// Thresholds for a guest: its host's, then its app's (by the managed app's name first,
    /// then by catalog id).
    pub fn for_guest(
        &self,
        host: &Thresholds,
        app_name: Option<&str>,
        app_id: Option<&str>,
    ) -> Thresholds {
        let mut t = *host;
        for key in [app_id, app_name].into_iter().flatten() {
            if let Some(a) = self.apps.get(key) {
                t.apply(a);
            }
        }
        t
    }

    /// Parse a file's text; `file` names it in messages.
    pub fn parse(file: &str, text: &str) -> Result<AlertConfig, ConfigIssue> {
        let shape: AlertsFile = toml::from_str(text).map_err(|e| {
            let issue = parse_issue(file, text, &e);
            match issue {
                crate::catalog::CatalogIssue::Invalid {
                    file,
                    line,
                    key,
                    reason,
                } => ConfigIssue::Invalid {
                    key: with_table(text, line, key),
                    file,
                    line,
                    reason,
                },
                crate::catalog::CatalogIssue::Unreadable { file, reason } => {
                    ConfigIssue::Unreadable { file, reason }
                }
            }
        })?;
        let locator = Locator::new(text);
        let bad = |path: KeyPath, reason: String| ConfigIssue::Invalid {
            file: file.to_string(),
            line: locator.line(&path),
            key: path.to_string(),
            reason,
        };
        let root = KeyPath::default();
        check_layer(&shape.defaults, root.key("defaults")).map_err(|(p, r)| bad(p, r))?;
        for (name, layer) in &shape.host {
            check_layer(layer, root.key("host").key(name)).map_err(|(p, r)| bad(p, r))?;
        }
        for (name, layer) in &shape.app {
            check_layer(layer, root.key("app").key(name)).map_err(|(p, r)| bad(p, r))?;
        }
        Ok(AlertConfig {
            screen: RawThresholds::default(),
            defaults: shape.defaults,
            hosts: shape.host,
            apps: shape.app,
        })
    }

    /// `<config dir>/alerts.toml`; no file is the defaults.
    pub fn load(config_dir: &Path) -> Result<AlertConfig, ConfigIssue> {
        AlertConfig::load_file(&config_dir.join(FILE_NAME))
    }

    /// One layer of the file (`None`: it sets nothing there).
    pub fn layer(&self, scope: &AlertScope) -> Option<&RawThresholds> {
        match scope {
            AlertScope::Defaults => Some(&self.defaults),
            AlertScope::Host(h) => self.hosts.get(h),
            AlertScope::App(a) => self.apps.get(a),
        }
    }

    /// The thresholds a scope resolves to: the defaults for `Defaults`, a host's for a host,
    /// an app's over the defaults (wherever it runs) for an app.
    pub fn resolved(&self, scope: &AlertScope) -> Thresholds {
        match scope {
            AlertScope::Defaults => self.for_host(""),
            AlertScope::Host(h) => self.for_host(h),
            AlertScope::App(a) => self.for_guest(&self.for_host(""), Some(a), None),
        }
    }

    /// An alerts file at `path`; no file is the defaults.
    pub fn load_file(path: &Path) -> Result<AlertConfig, ConfigIssue> {
        let shown = crate::text::clean_string(&path.display().to_string());
        let unreadable = |reason: String| ConfigIssue::Unreadable {
            file: shown.clone(),
            reason,
        };
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(AlertConfig::default());
            }
            Err(e) => return Err(unreadable(e.to_string())),
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                return Err(unreadable(format!(
                    "{} bytes is too large for an alerts file (at most {MAX_FILE_BYTES})",
                    m.len()
                )));
            }
            Ok(_) => {}
        }
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
        AlertConfig::parse(&shown, &text)
    }
}

/// Which layer of `alerts.toml` an edit is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertScope {
    /// `[defaults]`.
    Defaults,
    /// `[host.NAME]`.
    Host(String),
    /// `[app.NAME]` (a managed app's name or a catalog id).
    App(String),
}

impl std::fmt::Display for AlertScope {
    /// As the file names the table: `defaults`, `host.lab`, `app.gitea`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AlertScope::Defaults => f.write_str("defaults"),
            AlertScope::Host(h) => write!(f, "host.{h}"),
            AlertScope::App(a) => write!(f, "app.{a}"),
        }
    }
}

/// Write `layer` as the scope's table of `<config dir>/alerts.toml` (an empty layer drops
/// the table) and return the whole file as now read. Every other table and key of the file
/// is kept: the file is read as TOML, one table replaced, and written back through the
/// serializer, atomically (a temporary file renamed over it). Comments are not kept (the
/// serializer has none). A file that does not parse is refused rather than overwritten, and
/// so is a layer the file would refuse (checked by reading the text about to be written).
pub fn save_layer(
    config_dir: &Path,
    scope: &AlertScope,
    layer: &RawThresholds,
) -> Result<AlertConfig, ConfigIssue> {
    let path = config_dir.join(FILE_NAME);
    let shown = crate::text::clean_string(&path.display().to_string());
    let unreadable = |reason: String| ConfigIssue::Unreadable {
        file: shown.clone(),
        reason,
    };
    let old = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(unreadable(e.to_string())),
    };
    // The file as it is must be valid: its entries are what the save keeps.
    AlertConfig::parse(&shown, &old)?;
    let mut doc: toml::Table = toml::from_str(&old).map_err(|e| unreadable(e.to_string()))?;
    let table = toml::Table::try_from(layer).map_err(|e| unreadable(e.to_string()))?;
    let (group, name) = match scope {
        AlertScope::Defaults => (None, "defaults"),
        AlertScope::Host(h) => (Some("host"), h.as_str()),
        AlertScope::App(a) => (Some("app"), a.as_str()),
    };
    if name.is_empty() {
        return Err(unreadable(format!("{scope}: a table needs a name")));
    }
    let parent: &mut toml::Table = match group {
        None => &mut doc,
        Some(g) => {
            let entry = doc
                .entry(g.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => t,
                _ => return Err(unreadable(format!("{g} is not a table"))),
            }
        }
    };
    if table.is_empty() {
        parent.remove(name);
    } else {
        parent.insert(name.to_string(), toml::Value::Table(table));
    }
    if let Some(g) = group
        && doc
            .get(g)
            .and_then(toml::Value::as_table)
            .is_some_and(toml::Table::is_empty)
    {
        doc.remove(g);
    }
    let text = toml::to_string(&doc).map_err(|e| unreadable(e.to_string()))?;
    let written = AlertConfig::parse(&shown, &text)?;
    std::fs::create_dir_all(config_dir).map_err(|e| unreadable(e.to_string()))?;
    let mut tmp =
        tempfile::NamedTempFile::new_in(config_dir).map_err(|e| unreadable(e.to_string()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(|e| unreadable(e.to_string()))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| unreadable(e.to_string()))?;
    tmp.persist(&path)
        .map_err(|e| unreadable(e.error.to_string()))?;
    Ok(written)
}

/// A key set on `line` inside a `[table]`, named with its table (`defaults.cpu_percent`).
fn with_table(text: &str, line: usize, key: String) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let on_header = lines
        .get(line.saturating_sub(1))
        .is_some_and(|l| l.trim_start().starts_with('['));
    if on_header || key == "-" {
        return key;
    }
    let table = lines[..line.saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix('[')
                .and_then(|h| h.split(']').next())
                .map(|h| h.trim().to_string())
        });
    match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key,
    }
}

fn valid_percent(p: f64) -> bool {
    p.is_finite() && p > 0.0 && p <= 100.0
}

/// `30s`, `5m`, `2h`, `7d` (a whole number and one unit), at most a year.
pub fn parse_duration_s(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let unit_s = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    let n: Option<u64> = digits.parse().ok();
    match n.map(|n| n.saturating_mul(unit_s)) {
        Some(s) if unit_s > 0 && s <= 365 * 86_400 => Ok(s),
        Some(_) if unit_s > 0 => Err(format!("{text:?} is longer than a year")),
        _ => Err(format!(
            "{text:?} is not a duration: write a whole number and a unit, as 30s, 5m, 2h or 7d"
        )),
    }
}

/// Check one layer; the path and reason of the first bad entry.
fn check_layer(raw: &RawThresholds, at: KeyPath) -> Result<(), (KeyPath, String)> {
    for (key, value) in [
        ("cpu_percent", raw.cpu_percent),
        ("memory_percent", raw.memory_percent),
        ("disk_percent", raw.disk_percent),
    ] {
        if let Some(p) = value
            && !valid_percent(p)
        {
            return Err((
                at.key(key),
                format!("{p} is not a percentage above 0 and at most 100"),
            ));
        }
    }
    for (key, value) in [
        ("cpu_for", &raw.cpu_for),
        ("memory_for", &raw.memory_for),
        ("disk_for", &raw.disk_for),
        ("node_offline_for", &raw.node_offline_for),
        ("backup_max_age", &raw.backup_max_age),
        ("health_for", &raw.health_for),
    ] {
        if let Some(text) = value {
            parse_duration_s(text).map_err(|why| (at.key(key), why))?;
        }
    }
    for (key, list) in [("off", &raw.off), ("on", &raw.on)] {
        for (i, name) in list.iter().flatten().enumerate() {
            if Rule::from_name(name).is_none() {
                let names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
                return Err((
                    at.key(key).index(i),
                    format!(
                        "{:?} is not a rule: one of {}",
                        crate::text::clean_string(name),
                        names.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order_and_apps_win() {
        let text = "[defaults]\ncpu_percent = 80\noff = [\"backup_missing\"]\n\n[host.lab]\ncpu_for = \"1m\"\n\n[app.gitea]\ncpu_percent = 99\non = [\"backup_missing\"]\n";
        let mut cfg = AlertConfig::parse("alerts.toml", text).unwrap();
        cfg.screen.memory_percent = Some(70.0);
        cfg.screen.cpu_percent = Some(50.0);
        let lab = cfg.for_host("lab");
        assert_eq!(lab.cpu_percent, 80.0, "the file wins over the screen");
        assert_eq!(lab.memory_percent, 70.0);
        assert_eq!(lab.cpu_for_s, 60);
        assert!(!lab.is_on(Rule::BackupMissing));
        let other = cfg.for_host("prod");
        assert_eq!(other.cpu_for_s, 300);
        let app = cfg.for_guest(&lab, Some("my-git"), Some("gitea"));
        assert_eq!(app.cpu_percent, 99.0);
        assert!(app.is_on(Rule::BackupMissing));
        assert_eq!(app.for_ms(Rule::Cpu), 60_000);
    }

    #[test]
    fn saving_a_layer_keeps_every_other_entry_and_refuses_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            "[defaults]\ncpu_percent = 80\noff = [\"backup_missing\"]\n\n[host.lab]\ncpu_for = \"1m\"\n\n[app.gitea]\nmemory_percent = 97\n",
        )
        .unwrap();
        let mut layer = RawThresholds::default();
        layer.set_field_text("disk_percent", "70").unwrap();
        layer.set_field_text("disk_for", "10m").unwrap();
        let cfg = save_layer(dir.path(), &AlertScope::Host("prod".into()), &layer).unwrap();
        assert_eq!(cfg.hosts["prod"].disk_for.as_deref(), Some("10m"));
        assert_eq!(cfg.hosts["lab"].cpu_for.as_deref(), Some("1m"));
        assert_eq!(cfg.apps["gitea"].memory_percent, Some(97.0));
        assert_eq!(cfg.defaults.cpu_percent, Some(80.0));
        assert_eq!(cfg.defaults.off, Some(vec!["backup_missing".to_string()]));
        assert_eq!(AlertConfig::load(dir.path()).unwrap(), cfg);
        // An empty layer drops its table; the others stay.
        let cfg = save_layer(
            dir.path(),
            &AlertScope::Host("lab".into()),
            &RawThresholds::default(),
        )
        .unwrap();
        assert!(!cfg.hosts.contains_key("lab"));
        assert!(cfg.hosts.contains_key("prod"));
        // A broken file is not overwritten.
        std::fs::write(&path, "[defaults]\ncpu_percent = \n").unwrap();
        let err = save_layer(dir.path(), &AlertScope::Defaults, &layer).unwrap_err();
        assert!(err.to_string().contains("alerts.toml:2"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[defaults]\ncpu_percent = \n"
        );
    }

    #[test]
    fn typed_fields_are_checked_and_named() {
        let mut layer = RawThresholds::default();
        assert_eq!(
            layer.set_field_text("cpu_for", "5x"),
            Err("cpu_for: \"5x\" is not a duration: write a whole number and a unit, as 30s, 5m, 2h or 7d".into())
        );
        assert!(
            layer
                .set_field_text("memory_percent", "120")
                .unwrap_err()
                .starts_with("memory_percent: ")
        );
        layer.set_field_text("memory_percent", "95%").unwrap();
        assert_eq!(layer.field_text("memory_percent"), "95");
        layer.set_field_text("memory_percent", "").unwrap();
        assert_eq!(layer.memory_percent, None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_s("5m"), Ok(300));
        assert_eq!(parse_duration_s("7d"), Ok(604_800));
        assert_eq!(parse_duration_s("0s"), Ok(0));
        assert!(parse_duration_s("5").is_err());
        assert!(parse_duration_s("m").is_err());
        assert!(parse_duration_s("400d").is_err());
    }
}
