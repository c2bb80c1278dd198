//! What is wrong with a catalog file, and where: the file, the line (from toml's spans) and
//! the key (`services[1].ports[0].host`), so a person can fix it without guessing.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One problem with one catalog file. A bad file is skipped; the rest of the catalog stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogIssue {
    /// The file parsed badly or broke a rule.
    #[error("{file}:{line}: {key}: {reason}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        reason: String,
    },
    /// The file or directory could not be read.
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
}

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A key path inside one file, e.g. `services[1].ports[0].host`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn key(&self, k: &str) -> KeyPath {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> KeyPath {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl std::fmt::Display for KeyPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("-");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .unwrap_or(text)
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// Finds the line of a key path in the parsed document: the line of the deepest part of
/// the path that exists (a key's own line, an array element's first line).
pub struct Locator<'i> {
    text: &'i str,
    root: Option<Spanned<DeTable<'i>>>,
}

impl<'i> Locator<'i> {
    pub fn new(text: &'i str) -> Locator<'i> {
        Locator {
            text,
            root: DeTable::parse(text).ok(),
        }
    }

    pub fn line(&self, path: &KeyPath) -> usize {
        let Some(root) = &self.root else {
            return 1;
        };
        let mut offset = 0;
        let mut table: Option<&DeTable> = Some(root.get_ref());
        let mut value: Option<&DeValue> = None;
        for seg in &path.0 {
            match seg {
                Seg::Key(k) => {
                    let Some(t) = table else { break };
                    let Some((key, v)) = t.iter().find(|(key, _)| key.get_ref() == k) else {
                        break;
                    };
                    offset = key.span().start;
                    value = Some(v.get_ref());
                }
                Seg::Index(i) => {
                    let Some(DeValue::Array(a)) = value else {
                        break;
                    };
                    let Some(v) = a.get(*i) else { break };
                    offset = v.span().start;
                    value = Some(v.get_ref());
                }
            }
            table = match value {
                Some(DeValue::Table(t)) => Some(t),
                _ => None,
            };
        }
        line_of(self.text, offset)
    }

    /// The issue for `path` in `file`.
    pub fn issue(&self, file: &str, path: &KeyPath, reason: impl Into<String>) -> CatalogIssue {
        CatalogIssue::Invalid {
            file: file.to_string(),
            line: self.line(path),
            key: path.to_string(),
            reason: reason.into(),
        }
    }
}

/// The issue for a TOML or serde error: its line, and the key found on that line (or named
/// by a "missing field" message).
pub fn parse_issue(file: &str, text: &str, err: &toml::de::Error) -> CatalogIssue {
    let offset = err.span().map(|s| s.start).unwrap_or(0);
    let message = err.message().trim().to_string();
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
        .map(str::to_string);
    let line = line_of(text, offset);
    let key = missing.unwrap_or_else(|| key_on_line(text, line));
    CatalogIssue::Invalid {
        file: file.to_string(),
        line,
        key,
        reason: message,
    }
}

/// The key a line sets (`port = 80` -> `port`) or the table it opens (`[[services]]` ->
/// `services`); `-` when it is neither.
fn key_on_line(text: &str, line: usize) -> String {
    let Some(l) = text.lines().nth(line.saturating_sub(1)) else {
        return "-".into();
    };
    let l = l.trim();
    if let Some(h) = l.strip_prefix('[') {
        let h = h.trim_start_matches('[');
        return h.split(']').next().unwrap_or("-").trim().to_string();
    }
    match l.split_once('=') {
        Some((k, _)) if !k.trim().is_empty() => k.trim().trim_matches('"').to_string(),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_print_dotted_with_indexes() {
        let p = KeyPath::default()
            .key("services")
            .index(1)
            .key("ports")
            .index(0);
        assert_eq!(p.key("host").to_string(), "services[1].ports[0].host");
        assert_eq!(KeyPath::default().to_string(), "-");
    }

    #[test]
    fn locator_finds_nested_array_tables() {
        let text = "id = \"a\"\n\n[[services]]\nname = \"x\"\n\n[[services]]\nname = \"y\"\nports = [\n  { host = 1, container = 2 },\n  { host = 3, container = 4 },\n]\n";
        let loc = Locator::new(text);
        let p = KeyPath::default().key("services").index(1);
        assert_eq!(loc.line(&p.key("name")), 7);
        assert_eq!(loc.line(&p.key("ports").index(1).key("container")), 10);
        assert_eq!(loc.line(&KeyPath::default().key("id")), 1);
        // A key that is absent: the deepest existing part.
        assert_eq!(loc.line(&p.key("volumes")), 6);
    }
}
