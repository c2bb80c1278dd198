//! `alerts.toml`: a good file resolves per host and app as documented; every bad entry is
//! refused with the exact file, line, key and reason; a missing file is the defaults; the
//! CLI's thresholds come from the same parser.

use std::path::{Path, PathBuf};

use proximity::alerts::{AlertConfig, Rule, Thresholds};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/alerts")
}

fn parse(name: &str) -> Result<AlertConfig, String> {
    let text = std::fs::read_to_string(fixtures().join(name)).unwrap();
    AlertConfig::parse(name, &text).map_err(|e| e.to_string())
}

#[test]
fn the_good_file_resolves_defaults_then_host_then_app() {
    let cfg = parse("good.toml").unwrap();
    let lab = cfg.for_host("lab");
    assert_eq!(lab.cpu_percent, 97.5);
    assert_eq!(lab.cpu_for_s, 120);
    assert_eq!(lab.memory_percent, 95.0);
    assert_eq!(lab.memory_for_s, 30);
    assert_eq!(lab.disk_percent, 90.0);
    assert_eq!(lab.backup_max_age_s, 3 * 86_400);
    assert_eq!(lab.for_ms(Rule::Health), 60_000);
    assert!(!lab.is_on(Rule::BackupMissing));
    let other = cfg.for_host("prod");
    assert_eq!(other.cpu_percent, 80.0);
    let git = cfg.for_guest(&lab, Some("my-git"), Some("gitea"));
    assert!(git.is_on(Rule::BackupMissing));
    assert_eq!(git.memory_percent, 99.0);
    assert_eq!(git.cpu_percent, 97.5, "the app inherits its host's");
}

#[test]
fn bad_entries_name_file_line_key_and_reason() {
    let cases = [
        (
            "bad-percent.toml",
            "bad-percent.toml:2: host.lab.cpu_percent: 150 is not a percentage above 0 and at most 100",
        ),
        (
            "bad-duration.toml",
            "bad-duration.toml:3: defaults.cpu_for: \"5 minutes\" is not a duration: write a whole number and a unit, as 30s, 5m, 2h or 7d",
        ),
        (
            "unknown-rule.toml",
            "unknown-rule.toml:5: app.gitea.off[1]: \"disks\" is not a rule: one of cpu, memory, disk, node_offline, backup_failed, backup_missing, health",
        ),
        (
            "too-long.toml",
            "too-long.toml:2: defaults.backup_max_age: \"400d\" is longer than a year",
        ),
        (
            "unknown-key.toml",
            "unknown-key.toml:3: defaults.cpu_percentage: unknown field `cpu_percentage`, expected one of `cpu_percent`, `cpu_for`, `memory_percent`, `memory_for`, `disk_percent`, `disk_for`, `node_offline_for`, `backup_max_age`, `health_for`, `off`, `on`",
        ),
        (
            "unknown-section.toml",
            "unknown-section.toml:1: hosts.lab: unknown field `hosts`, expected one of `defaults`, `host`, `app`",
        ),
        (
            "wrong-type.toml",
            "wrong-type.toml:2: defaults.disk_percent: invalid type: string \"high\", expected f64",
        ),
        (
            "broken-toml.toml",
            "broken-toml.toml:1: defaults: unclosed table, expected `]`",
        ),
    ];
    let mut wrong = Vec::new();
    for (file, want) in cases {
        let got = parse(file).expect_err(file);
        if got != want {
            wrong.push(format!("{file}:\n  want {want}\n  got  {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_missing_file_is_the_defaults_and_a_bad_one_names_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = AlertConfig::load(dir.path()).unwrap();
    let t = cfg.for_host("any");
    assert_eq!(t, Thresholds::default());
    assert_eq!((t.cpu_percent, t.cpu_for_s), (90.0, 300));
    assert_eq!((t.memory_percent, t.disk_percent), (90.0, 85.0));
    assert_eq!(t.backup_max_age_s, 7 * 86_400);
    assert!(Rule::ALL.iter().all(|r| t.is_on(*r)));
    std::fs::write(
        dir.path().join("alerts.toml"),
        "[defaults]\ncpu_percent = 0\n",
    )
    .unwrap();
    let err = AlertConfig::load(dir.path()).unwrap_err().to_string();
    let path = dir.path().join("alerts.toml");
    assert_eq!(
        err,
        format!(
            "{}:2: defaults.cpu_percent: 0 is not a percentage above 0 and at most 100",
            path.display()
        )
    );
}
