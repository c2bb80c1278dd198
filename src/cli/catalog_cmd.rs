//! `proximity catalog [--json] [QUERY]`: the app catalog (shipped entries and the user's own
//! files) as a table or JSON, fuzzy-searched when a query is given. Problems with the user's
//! files go to stderr, one line each; they never stop the listing.

use std::io::Write;
use std::process::ExitCode;

use super::CliError;
use crate::catalog::{AppSpec, Catalog};
use crate::paths::Paths;

#[derive(Debug, clap::Args)]
pub struct CatalogArgs {
    /// Machine-readable output: the full entries (documented in the README).
    #[arg(long)]
    pub json: bool,
    /// Fuzzy search over name, id, tags, category and description (best first).
    pub query: Option<String>,
}

/// One row of the table.
#[derive(Debug)]
struct CatalogRow<'a> {
    id: &'a str,
    name: &'a str,
    category: &'a str,
    port: String,
    cores: u32,
    memory_mb: u64,
    disk_gb: u64,
}

fn row(app: &AppSpec) -> CatalogRow<'_> {
    CatalogRow {
        id: &app.id,
        name: &app.name,
        category: &app.category,
        port: app
            .web
            .as_ref()
            .map_or_else(|| "-".to_string(), |w| w.port.to_string()),
        cores: app.resources.cores,
        memory_mb: app.resources.memory_mb,
        disk_gb: app.resources.disk_gb,
    }
}

pub fn run(paths: &Paths, args: &CatalogArgs) -> Result<ExitCode, CliError> {
    let (catalog, issues) = Catalog::load(Some(&Catalog::user_dir(paths)));
    {
        let mut err = std::io::stderr().lock();
        for issue in &issues {
            // Best effort: a closed stderr must not hide the listing.
            let _ = writeln!(
                err,
                "proximity: catalog: {}",
                crate::text::clean_string(&issue.to_string())
            );
        }
    }
    let apps: Vec<&AppSpec> = match &args.query {
        Some(q) => catalog.search(q),
        None => catalog.apps().collect(),
    };
    let text = if args.json {
        serde_json::to_string_pretty(&apps).map_err(CliError::new)? + "\n"
    } else {
        let body: Vec<Vec<String>> = apps
            .iter()
            .map(|a| {
                let r = row(a);
                vec![
                    r.id.to_string(),
                    r.name.to_string(),
                    r.category.to_string(),
                    r.port,
                    r.cores.to_string(),
                    format!("{} MB", r.memory_mb),
                    format!("{} GB", r.disk_gb),
                ]
            })
            .collect();
        super::output::render_table(
            &["ID", "NAME", "CATEGORY", "PORT", "CPU", "MEM", "DISK"],
            &body,
        )
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(CliError::new)?;
    Ok(ExitCode::SUCCESS)
}
