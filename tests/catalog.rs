//! The shipped catalog loads whole and clean; bad files are reported with the exact file,
//! line, key and reason; user files add and override entries without hiding the rest.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proximity::catalog::{Catalog, CatalogIssue, parse_app};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog")
}

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/catalog")
}

#[test]
fn every_shipped_file_loads_without_issue() {
    let catalog = match Catalog::shipped() {
        Ok(c) => c,
        Err(issues) => panic!(
            "shipped catalog issues:\n{}",
            issues
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    assert!(catalog.len() >= 60, "only {} apps", catalog.len());
    let categories = catalog.categories();
    assert!(
        categories.len() >= 12,
        "only {} categories",
        categories.len()
    );
    let total: usize = categories.iter().map(|(_, n)| n).sum();
    assert_eq!(total, catalog.len());
    // Multi-service stacks are real stacks.
    for id in ["nextcloud", "immich", "gitea", "paperless-ngx"] {
        let app = catalog.get(id).unwrap_or_else(|| panic!("{id} is shipped"));
        assert!(app.services.len() >= 2, "{id} is a compose stack");
    }
}

#[test]
fn the_embedded_list_matches_the_directory() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(assets())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let embedded: BTreeSet<String> = proximity::catalog::shipped::SHIPPED
        .iter()
        .map(|(stem, _)| stem.to_string())
        .collect();
    assert_eq!(
        on_disk, embedded,
        "src/catalog/shipped.rs must list exactly the files of assets/catalog/"
    );
    for (stem, text) in proximity::catalog::shipped::SHIPPED {
        let disk = std::fs::read_to_string(assets().join(format!("{stem}.toml"))).unwrap();
        assert_eq!(&disk, text, "{stem}.toml embedded as on disk");
    }
}

#[test]
fn every_icon_is_one_cell_and_every_secret_is_generated_alphanumerics() {
    use unicode_width::UnicodeWidthStr;
    let catalog = Catalog::shipped().unwrap();
    for app in catalog.apps() {
        assert_eq!(app.icon.width(), 1, "{}: icon {:?}", app.id, app.icon);
        assert_eq!(app.icon.chars().count(), 1, "{}", app.id);
        assert!(app.docs.starts_with("https://"), "{}", app.id);
        let mut rng = rand::rng();
        let values = proximity::catalog::resolve_env(&app.clone(), &Default::default(), &mut rng);
        // Apps with required variables refuse an empty form; fill them and retry.
        let values = match values {
            Ok(v) => v,
            Err(_) => {
                let filled = app
                    .env
                    .iter()
                    .filter(|v| v.required)
                    .map(|v| (v.key.clone(), "x".to_string()))
                    .collect();
                proximity::catalog::resolve_env(app, &filled, &mut rng).unwrap()
            }
        };
        let compose = proximity::catalog::compose_file(app, &values)
            .unwrap_or_else(|e| panic!("{}: {e}", app.id));
        let json: serde_json::Value = serde_json::from_str(&compose).unwrap();
        assert_eq!(
            json["services"].as_object().unwrap().len(),
            app.services.len(),
            "{}",
            app.id
        );
    }
}

/// Each bad fixture and the exact message it gets.
const BAD: &[(&str, &str)] = &[
    (
        "Bad_Id",
        "Bad_Id.toml:1: id: `Bad_Id` is not a valid id (a-z, 0-9 and -, not starting with -)",
    ),
    (
        "bad-env-key",
        "bad-env-key.toml:22: env[0].key: `db-password` is not a valid key (A-Z, 0-9 and _, not starting with a digit)",
    ),
    (
        "bad-service-name",
        "bad-service-name.toml:37: services[1].name: `Db` is not a valid service name (a-z, 0-9, _ and -)",
    ),
    (
        "docs-http",
        "docs-http.toml:5: docs: `http://example.org/docs` is not an https link",
    ),
    (
        "dup-env",
        "dup-env.toml:27: env[1].key: `DB_PASSWORD` is declared twice",
    ),
    (
        "dup-service",
        "dup-service.toml:37: services[1].name: service `web` is declared twice",
    ),
    (
        "health-port",
        "health-port.toml:18: health.port: port 9090 is not published by any service",
    ),
    (
        "id-mismatch",
        "id-mismatch.toml:1: id: `other` does not match the file name `id-mismatch.toml`",
    ),
    (
        "missing-docs",
        "missing-docs.toml:1: docs: missing field `docs`",
    ),
    (
        "port-zero",
        "port-zero.toml:29: services[0].ports[0].container: port 0 is not a port",
    ),
    (
        "syntax",
        "syntax.toml:2: name: invalid basic string, expected `\"`",
    ),
    (
        "undeclared-var",
        "undeclared-var.toml:34: services[0].environment.PASSWORD: `${DB_PASS}` names no variable declared in [[env]]",
    ),
    (
        "unknown-depends",
        "unknown-depends.toml:31: services[0].depends_on[0]: no service named `database`",
    ),
    (
        "unknown-key",
        "unknown-key.toml:7: colour: unknown field `colour`, expected one of `id`, `name`, `category`, `description`, `version`, `tags`, `docs`, `icon`, `os`, `resources`, `web`, `health`, `env`, `services`",
    ),
    (
        "volume-name",
        "volume-name.toml:30: services[0].volumes[0].name: `Data` is not a valid volume name (a-z, 0-9, _ and -)",
    ),
    (
        "volume-target",
        "volume-target.toml:30: services[0].volumes[0].target: `data` is not an absolute path",
    ),
    (
        "web-port",
        "web-port.toml:14: web.port: port 8081 is not published by any service",
    ),
    (
        "wide-icon",
        "wide-icon.toml:6: icon: `🎬` is not one terminal cell wide",
    ),
    (
        "wrong-type",
        "wrong-type.toml:9: cores: invalid type: string \"two\", expected u32",
    ),
    (
        "zero-memory",
        "zero-memory.toml:10: resources.memory_mb: must be above zero",
    ),
];

#[test]
fn bad_files_get_exact_messages() {
    let mut wrong = Vec::new();
    for (stem, expected) in BAD {
        let text = std::fs::read_to_string(fixtures().join(format!("{stem}.toml"))).unwrap();
        let got = match parse_app(&format!("{stem}.toml"), stem, &text) {
            Ok(_) => "accepted".to_string(),
            Err(e) => e.to_string(),
        };
        if got != *expected {
            wrong.push(format!("{stem}:\n  expected {expected}\n  got      {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_good_fixture_passes() {
    let text = std::fs::read_to_string(fixtures().join("good.toml")).unwrap();
    let app = parse_app("good.toml", "good", &text).unwrap();
    assert_eq!(app.services.len(), 2);
}

#[test]
fn a_user_directory_adds_and_overrides_and_reports_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = Catalog::shipped().unwrap();
    // An override of a shipped app (same id, new name) and a new app.
    let jellyfin = std::fs::read_to_string(assets().join("jellyfin.toml")).unwrap();
    let renamed = jellyfin.replacen("name = \"Jellyfin\"", "name = \"My Jellyfin\"", 1);
    assert_ne!(renamed, jellyfin);
    std::fs::write(dir.path().join("jellyfin.toml"), renamed).unwrap();
    let good = std::fs::read_to_string(fixtures().join("good.toml")).unwrap();
    std::fs::write(dir.path().join("good.toml"), good).unwrap();
    // A bad file and a file that is not TOML by name: one issue, the rest stands.
    let bad = std::fs::read_to_string(fixtures().join("zero-memory.toml")).unwrap();
    std::fs::write(dir.path().join("zero-memory.toml"), bad).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a catalog file").unwrap();

    let (catalog, issues) = Catalog::load(Some(dir.path()));
    assert_eq!(catalog.len(), shipped.len() + 1);
    assert_eq!(catalog.get("jellyfin").unwrap().name, "My Jellyfin");
    assert_eq!(catalog.get("good").unwrap().name, "Fixture");
    assert!(catalog.get("zero-memory").is_none());
    let file = dir.path().join("zero-memory.toml").display().to_string();
    assert_eq!(
        issues,
        vec![CatalogIssue::Invalid {
            file,
            line: 10,
            key: "resources.memory_mb".into(),
            reason: "must be above zero".into(),
        }]
    );
}

#[test]
fn a_missing_user_directory_is_no_issue() {
    let dir = tempfile::tempdir().unwrap();
    let (catalog, issues) = Catalog::load(Some(&dir.path().join("absent")));
    assert!(issues.is_empty());
    assert_eq!(catalog, Catalog::shipped().unwrap());
}

#[test]
fn search_ranks_name_matches_first() {
    let catalog = Catalog::shipped().unwrap();
    let hits = catalog.search("jelly");
    let ids: Vec<&str> = hits.iter().map(|a| a.id.as_str()).collect();
    assert!(ids.len() >= 2, "{ids:?}");
    assert!(
        ids[..2].contains(&"jellyfin") && ids[..2].contains(&"jellyseerr"),
        "{ids:?}"
    );
    // Tags and categories count too.
    let dns: Vec<&str> = catalog
        .search("dns")
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    let mut top: Vec<&str> = dns.iter().take(3).copied().collect();
    top.sort();
    assert_eq!(
        top,
        ["adguard", "blocky", "pihole"],
        "the DNS apps first: {dns:?}"
    );
    // Nonsense finds nothing; an empty query finds everything.
    assert!(catalog.search("zzqqxx").is_empty());
    assert_eq!(catalog.search("").len(), catalog.len());
}
