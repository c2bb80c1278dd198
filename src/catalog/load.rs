//! Loading the catalog: the shipped files (embedded, see [`super::shipped`]) and the user's
//! own files in `<config dir>/catalog/`, which add entries or replace shipped ones by id.
//! A bad file is reported as a [`CatalogIssue`] and skipped; it never hides the rest.

use std::collections::BTreeMap;
use std::path::Path;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::issue::{CatalogIssue, Locator, parse_issue};
use super::model::AppSpec;
use super::shipped::SHIPPED;
use super::validate::validate;

/// User files larger than this are refused (a catalog entry is a few kilobytes).
pub const MAX_FILE_BYTES: u64 = 256 * 1024;

/// Parse and check one file's text. `file` names it in messages; `stem` is the file name
/// without `.toml`, which the id must equal.
pub fn parse_app(file: &str, stem: &str, text: &str) -> Result<AppSpec, CatalogIssue> {
    let app: AppSpec = toml::from_str(text).map_err(|e| parse_issue(file, text, &e))?;
    validate(&app, stem).map_err(|(path, why)| Locator::new(text).issue(file, &path, why))?;
    Ok(app)
}

/// The catalog: apps by id, sorted by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    apps: BTreeMap<String, AppSpec>,
}

impl Catalog {
    /// Only the shipped entries; every issue if any shipped file is bad (a test proves
    /// none is).
    pub fn shipped() -> Result<Catalog, Vec<CatalogIssue>> {
        let (catalog, issues) = Catalog::shipped_lenient();
        if issues.is_empty() {
            Ok(catalog)
        } else {
            Err(issues)
        }
    }

    /// The shipped entries that are good, and the issues of those that are not.
    pub fn shipped_lenient() -> (Catalog, Vec<CatalogIssue>) {
        let mut catalog = Catalog::default();
        let mut issues = Vec::new();
        for (stem, text) in SHIPPED {
            let file = format!("assets/catalog/{stem}.toml");
            match parse_app(&file, stem, text) {
                Ok(app) => {
                    catalog.apps.insert(app.id.clone(), app);
                }
                Err(e) => issues.push(e),
            }
        }
        (catalog, issues)
    }

    /// The shipped entries, then the `*.toml` files of `user_dir` (if given and present)
    /// adding or replacing entries by id. Never fails: every bad file is an issue.
    pub fn load(user_dir: Option<&Path>) -> (Catalog, Vec<CatalogIssue>) {
        let (mut catalog, mut issues) = Catalog::shipped_lenient();
        if let Some(dir) = user_dir {
            for app in read_user_dir(dir, &mut issues) {
                catalog.apps.insert(app.id.clone(), app);
            }
        }
        (catalog, issues)
    }

    /// The user's catalog directory: `<config dir>/catalog`.
    pub fn user_dir(paths: &crate::paths::Paths) -> std::path::PathBuf {
        paths.config_dir.join("catalog")
    }

    /// A catalog of exactly these entries (tests, user tooling); later ids replace earlier.
    pub fn from_apps(apps: impl IntoIterator<Item = AppSpec>) -> Catalog {
        Catalog {
            apps: apps.into_iter().map(|a| (a.id.clone(), a)).collect(),
        }
    }

    pub fn get(&self, id: &str) -> Option<&AppSpec> {
        self.apps.get(id)
    }

    /// Every entry, sorted by id.
    pub fn apps(&self) -> impl Iterator<Item = &AppSpec> {
        self.apps.values()
    }

    pub fn len(&self) -> usize {
        self.apps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.apps.is_empty()
    }

    /// Categories with how many apps each has, sorted by name.
    pub fn categories(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for app in self.apps.values() {
            *counts.entry(app.category.as_str()).or_default() += 1;
        }
        counts
            .into_iter()
            .map(|(c, n)| (c.to_string(), n))
            .collect()
    }

    /// Fuzzy search over name, id, tags, category and description, best first (ties by
    /// id). An empty query lists every app by name.
    pub fn search(&self, query: &str) -> Vec<&AppSpec> {
        search_apps(self.apps.values(), query)
    }
}

/// Rank `apps` against `query` (nucleo, smart case). The words found as they are typed in
/// the name or id weigh most, then in the tags or category, then a fuzzy match of the
/// name or id, then the words in the description. Fuzzy matching is kept to the short
/// name and id: over tags and prose it finds the letters of any short query somewhere.
pub fn search_apps<'a>(apps: impl Iterator<Item = &'a AppSpec>, query: &str) -> Vec<&'a AppSpec> {
    let mut all: Vec<&AppSpec> = apps.collect();
    if query.trim().is_empty() {
        all.sort_by_key(|a| (a.name.to_lowercase(), a.id.clone()));
        return all;
    }
    let fuzzy = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    let exact = Pattern::new(
        query,
        CaseMatching::Smart,
        Normalization::Smart,
        AtomKind::Substring,
    );
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, &AppSpec)> = all
        .into_iter()
        .filter_map(|app| {
            let mut score =
                |p: &Pattern, text: &str| p.score(Utf32Str::new(text, &mut buf), &mut matcher);
            let head = format!("{} {}", app.name, app.id);
            let labels = format!("{} {}", app.tags.join(" "), app.category);
            let best = [
                score(&exact, &head).map(|s| s * 8),
                score(&exact, &labels).map(|s| s * 6),
                score(&fuzzy, &head).map(|s| s * 2),
                score(&exact, &app.description),
            ]
            .into_iter()
            .flatten()
            .max()?;
            Some((best, app))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    scored.into_iter().map(|(_, a)| a).collect()
}

/// Parse every `*.toml` of `dir`, in name order; a missing directory is no issue.
fn read_user_dir(dir: &Path, issues: &mut Vec<CatalogIssue>) -> Vec<AppSpec> {
    let shown = dir.display().to_string();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            issues.push(CatalogIssue::Unreadable {
                file: shown,
                reason: e.to_string(),
            });
            return Vec::new();
        }
    };
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut apps = Vec::new();
    for path in files {
        let file = path.display().to_string();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match read_small(&path) {
            Ok(text) => match parse_app(&file, &stem, &text) {
                Ok(app) => apps.push(app),
                Err(e) => issues.push(e),
            },
            Err(reason) => issues.push(CatalogIssue::Unreadable { file, reason }),
        }
    }
    apps
}

fn read_small(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("larger than {MAX_FILE_BYTES} bytes"));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}
