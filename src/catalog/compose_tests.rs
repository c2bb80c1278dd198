use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::catalog::load::parse_app;

const APP: &str = r#"
id = "demo"
name = "Demo"
category = "Test"
description = "A demo."
docs = "https://example.org"

[resources]
cores = 1
memory_mb = 256
disk_gb = 1

[health]
type = "tcp"
port = 8080

[[env]]
key = "DB_PASSWORD"
description = "db password"
secret_length = 24

[[env]]
key = "GREETING"
description = "shown"
default = "hello"

[[env]]
key = "NAME"
description = "required"
required = true

[[services]]
name = "web"
image = "demo/web:1"
ports = [{ host = 8080, container = 80 }, { host = 53, container = 53, protocol = "udp" }]
volumes = [{ name = "data", target = "/var/lib/demo" }]
command = ["serve", "--name=${NAME}"]
depends_on = ["db"]

[services.environment]
PASSWORD = "${DB_PASSWORD}"
TEXT = "${GREETING}, ${NAME}! costs $$5"

[[services]]
name = "db"
image = "postgres:16"

[services.environment]
POSTGRES_PASSWORD = "${DB_PASSWORD}"
"#;

fn demo() -> AppSpec {
    parse_app("demo.toml", "demo", APP).expect("the demo entry is valid")
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn compose_has_every_part() {
    let vals = values(&[("DB_PASSWORD", "pw"), ("GREETING", "hi"), ("NAME", "ann")]);
    let out = compose_file(&demo(), &vals).unwrap();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let web = &json["services"]["web"];
    assert_eq!(web["image"], "demo/web:1");
    assert_eq!(web["restart"], "unless-stopped");
    assert_eq!(
        web["ports"],
        serde_json::json!(["8080:80/tcp", "53:53/udp"])
    );
    assert_eq!(
        web["volumes"],
        serde_json::json!([{"type": "bind", "source": "/opt/proximity/demo/data/data", "target": "/var/lib/demo"}])
    );
    assert_eq!(web["environment"]["PASSWORD"], "pw");
    // `$$` in the catalog is a literal `$`, written `$$` again for compose.
    assert_eq!(web["environment"]["TEXT"], "hi, ann! costs $$5");
    assert_eq!(web["command"], serde_json::json!(["serve", "--name=ann"]));
    assert_eq!(web["depends_on"], serde_json::json!(["db"]));
    assert_eq!(
        json["services"]["db"]["environment"]["POSTGRES_PASSWORD"],
        "pw"
    );
    assert!(json["services"]["db"].get("ports").is_none());
}

#[test]
fn an_unresolved_reference_names_the_key() {
    let vals = values(&[("DB_PASSWORD", "pw"), ("GREETING", "hi")]);
    let err = compose_file(&demo(), &vals).unwrap_err();
    assert_eq!(err.to_string(), "service `web`: `${NAME}` has no value");
}

#[test]
fn resolve_env_fills_defaults_and_generates_secrets() {
    let mut rng = rand::rng();
    let vals = resolve_env(&demo(), &values(&[("NAME", "ann")]), &mut rng).unwrap();
    assert_eq!(vals["GREETING"], "hello");
    assert_eq!(vals["NAME"], "ann");
    let pw = &vals["DB_PASSWORD"];
    assert_eq!(pw.len(), 24);
    assert!(pw.chars().all(|c| c.is_ascii_alphanumeric()));
    let again = resolve_env(&demo(), &values(&[("NAME", "ann")]), &mut rng).unwrap();
    assert_ne!(again["DB_PASSWORD"], *pw, "secrets are random");
    // A value the user gives wins over the generator.
    let given = resolve_env(
        &demo(),
        &values(&[("NAME", "a"), ("DB_PASSWORD", "mine")]),
        &mut rng,
    )
    .unwrap();
    assert_eq!(given["DB_PASSWORD"], "mine");
}

#[test]
fn resolve_env_refuses_missing_and_unknown_keys() {
    let mut rng = rand::rng();
    let err = resolve_env(&demo(), &BTreeMap::new(), &mut rng).unwrap_err();
    assert_eq!(err.to_string(), "`NAME` is required");
    let err = resolve_env(&demo(), &values(&[("NAME", "a"), ("NOPE", "x")]), &mut rng).unwrap_err();
    assert_eq!(err.to_string(), "`NOPE` is not a variable of demo");
}

/// What compose reads from a value written in the file: `$$` back to `$`.
fn as_compose_reads(s: &str) -> String {
    s.replace("$$", "$")
}

proptest! {
    #[test]
    fn any_value_round_trips(value in any::<String>(), name in "\\PC*") {
        let vals = values(&[("DB_PASSWORD", &value), ("GREETING", &value), ("NAME", &name)]);
        let out = compose_file(&demo(), &vals).unwrap();
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        let env = &json["services"]["web"]["environment"];
        prop_assert_eq!(as_compose_reads(env["PASSWORD"].as_str().unwrap()), value.clone());
        prop_assert_eq!(
            as_compose_reads(env["TEXT"].as_str().unwrap()),
            format!("{value}, {name}! costs $5")
        );
        let cmd = &json["services"]["web"]["command"][1];
        prop_assert_eq!(as_compose_reads(cmd.as_str().unwrap()), format!("--name={name}"));
        // The structure never changes, whatever the value holds.
        prop_assert_eq!(json["services"].as_object().unwrap().len(), 2);
    }
}
