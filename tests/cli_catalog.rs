//! `proximity catalog` through the real binary, with its config dir in a temp home
//! (`PROXIMITY_HOME`), so the user's own catalog files are the test's.

mod support;

use support::run_cli;

#[test]
fn lists_the_shipped_catalog_as_a_table() {
    let home = tempfile::tempdir().unwrap();
    let (ok, out, err) = run_cli(&["catalog"], &[], home.path());
    assert!(ok, "{err}");
    assert!(err.is_empty(), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["ID", "NAME", "CATEGORY", "PORT", "CPU", "MEM", "DISK"]
    );
    assert!(lines.len() > 60, "{} rows", lines.len() - 1);
    let jellyfin = lines
        .iter()
        .find(|l| l.starts_with("jellyfin "))
        .expect("a jellyfin row");
    let cells: Vec<&str> = jellyfin.split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "jellyfin", "Jellyfin", "Media", "8096", "2", "2048", "MB", "16", "GB"
        ]
    );
    // No web UI: the port column says so.
    let redis = lines.iter().find(|l| l.starts_with("redis ")).unwrap();
    assert!(redis.contains("  -  "), "{redis}");
}

#[test]
fn json_prints_the_entries_of_a_search() {
    let home = tempfile::tempdir().unwrap();
    let (ok, out, err) = run_cli(&["catalog", "--json", "nextcloud"], &[], home.path());
    assert!(ok, "{err}");
    let apps: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(apps[0]["id"], "nextcloud");
    assert!(apps[0]["services"].as_array().unwrap().len() >= 2);
    assert_eq!(apps[0]["health"]["type"], "http");
}

#[test]
fn user_files_override_and_bad_ones_are_reported_on_stderr() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/catalog");
    std::fs::create_dir_all(&dir).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let good = std::fs::read_to_string(root.join("tests/fixtures/catalog/good.toml")).unwrap();
    std::fs::write(dir.join("good.toml"), good).unwrap();
    let bad = std::fs::read_to_string(root.join("tests/fixtures/catalog/web-port.toml")).unwrap();
    std::fs::write(dir.join("web-port.toml"), bad).unwrap();

    let (ok, out, err) = run_cli(&["catalog", "--json"], &[], home.path());
    assert!(ok, "a bad user file does not fail the listing: {err}");
    let apps: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert!(apps.iter().any(|a| a["id"] == "good"));
    assert!(
        apps.iter().any(|a| a["id"] == "jellyfin"),
        "the rest stands"
    );
    assert!(!apps.iter().any(|a| a["id"] == "web-port"));
    let file = dir.join("web-port.toml").display().to_string();
    assert_eq!(
        err.trim_end(),
        format!(
            "proximity: catalog: {file}:14: web.port: port 8081 is not published by any service"
        )
    );
}
