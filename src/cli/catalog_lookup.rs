//! The catalog entry a command names. PLACEHOLDER until the catalog branch lands.

use super::CliError;
use crate::catalog::AppSpec;
use crate::paths::Paths;

pub fn find(_paths: &Paths, id: &str) -> Result<AppSpec, CliError> {
    Err(CliError::new(format!(
        "no app named {:?}: the catalog is not built yet",
        crate::term::sanitize_line(id)
    )))
}
