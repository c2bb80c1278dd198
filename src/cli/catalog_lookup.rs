//! The catalog entry a command names: the shipped catalog with the user's files over it
//! (a bad user file is reported on stderr and skipped, as `proximity catalog` does).

use super::CliError;
use crate::catalog::{AppSpec, Catalog};
use crate::paths::Paths;
use crate::text::clean_string;

pub fn find(paths: &Paths, id: &str) -> Result<AppSpec, CliError> {
    let (catalog, issues) = Catalog::load(Some(&Catalog::user_dir(paths)));
    for issue in issues {
        eprintln!("{}", clean_string(&issue.to_string()));
    }
    catalog.get(id).cloned().ok_or_else(|| {
        let hints: Vec<String> = catalog
            .search(id)
            .into_iter()
            .take(3)
            .map(|a| a.id.clone())
            .collect();
        let hint = if hints.is_empty() {
            "`proximity catalog` lists them".to_string()
        } else {
            format!("did you mean {}?", hints.join(", "))
        };
        CliError::new(format!(
            "no app {:?} in the catalog: {hint}",
            clean_string(id)
        ))
    })
}
