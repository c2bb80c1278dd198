//! Adapter between the emulator and the real API schema checker (`crate::sim::schema`, from
//! the committed subset of apidata). Real Proxmox validates every request against its schema;
//! the emulator does the same here, and records return-shape violations when asked to.
//! Request parameters of endpoints outside the subset are left to the router (served, or
//! 501); a successful answer from one is itself a violation when answers are checked: every
//! endpoint the emulator serves must be in the subset (`scripts/extract_schema.py`), so no
//! answer escapes the oracle.

use std::collections::BTreeMap;

use serde_json::Value;

/// Validate request parameters (`path` is the concrete path after `/api2/json`).
pub fn check_params(
    method: &str,
    path: &str,
    params: &BTreeMap<String, String>,
) -> Result<(), BTreeMap<String, String>> {
    let schema = super::schema::ApiSchema::embedded();
    // Endpoints outside the committed schema subset are the router's business (501 or served).
    if !schema.knows(method, path) {
        return Ok(());
    }
    schema.check_params(method, path, params)
}

/// Check a successful answer's `data` against the schema's `returns`.
pub fn check_returns(method: &str, path: &str, data: &Value) -> Vec<String> {
    let schema = super::schema::ApiSchema::embedded();
    // The API root's directory index has no node in the schema (pve-docs starts below it).
    if path == "/" || path.is_empty() {
        return Vec::new();
    }
    if !schema.knows(method, path) {
        return vec![format!(
            "{method} {path}: outside the schema subset (add it to scripts/extract_schema.py)"
        )];
    }
    schema.check_returns(method, path, data)
}
