//! The committed schema subset (`assets/pve-api-subset.json`) is in sync with the endpoint list
//! of `scripts/extract_schema.py`, well-formed, and compiles. These tests read only repository
//! files, so they run on a fresh clone without the full apidata.

use std::collections::BTreeSet;

use proximity::sim::schema::ApiSchema;
use proximity::sim::schema::returns::KNOWN_DEVIATIONS;
use serde_json::Value;

const FIXTURE: &str = include_str!("../../assets/pve-api-subset.json");
const SCRIPT: &str = include_str!("../../scripts/extract_schema.py");

/// The `ENDPOINTS = """..."""` block of the extract script, as (method, template) pairs.
fn script_endpoints() -> Vec<(String, String)> {
    let start = SCRIPT
        .find("ENDPOINTS = \"\"\"")
        .expect("script has an ENDPOINTS block");
    let body = &SCRIPT[start + "ENDPOINTS = \"\"\"".len()..];
    let end = body.find("\"\"\"").expect("ENDPOINTS block is closed");
    body[..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (m, p) = l.split_once(' ').expect("METHOD PATH");
            (m.to_string(), p.trim().to_string())
        })
        .collect()
}

fn fixture_doc() -> Value {
    serde_json::from_str(FIXTURE).expect("fixture is JSON")
}

fn fixture_endpoints() -> Vec<Value> {
    fixture_doc()["endpoints"]
        .as_array()
        .expect("endpoints array")
        .clone()
}

/// A concrete path for a template: every `{param}` filled with a plausible value.
fn instantiate(template: &str) -> String {
    template
        .replace("{node}", "pve1")
        .replace("{vmid}", "100")
        .replace("{storage}", "local")
        .replace("{snapname}", "before-upgrade")
        .replace(
            "{volume}",
            "local:backup/vzdump-lxc-100-2025_01_15-10_30_00.tar.zst",
        )
        .replace("{id}", "proximity-daily")
        .replace(
            "{upid}",
            "UPID:pve1:0003A1F2:0108C3B4:6745A1B2:vzstart:100:root@pam:",
        )
}

#[test]
fn fixture_matches_the_script_endpoint_list_in_order() {
    let listed = script_endpoints();
    assert_eq!(
        listed.len(),
        64,
        "48 method+path pairs from the brief, GET /cluster/tasks, the six endpoints the \
         emulator serves besides (node and status indexes, qemu config, snapshot config, \
         qemu suspend/resume), and backups: one volume's GET/PUT/DELETE, /cluster/backup \
         (list, create, read, update, delete) and a VM's restore (POST /nodes/{{node}}/qemu)"
    );
    let in_fixture: Vec<(String, String)> = fixture_endpoints()
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        in_fixture, listed,
        "regenerate: python3 scripts/extract_schema.py <apidata.json>"
    );
    let unique: BTreeSet<_> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "no endpoint listed twice");
}

#[test]
fn every_listed_endpoint_is_compiled_and_routable() {
    let schema = ApiSchema::embedded();
    assert_eq!(schema.endpoints().len(), script_endpoints().len());
    for (method, template) in script_endpoints() {
        assert!(
            schema.endpoint(&method, &template).is_some(),
            "{method} {template}"
        );
        let concrete = instantiate(&template);
        let routed = schema
            .route(&method, &concrete)
            .unwrap_or_else(|| panic!("{method} {concrete}"));
        assert_eq!(
            routed.endpoint.path, template,
            "{method} {concrete} routed elsewhere"
        );
        assert!(schema.knows(&method, &concrete));
    }
}

#[test]
fn fixture_is_one_endpoint_per_line_with_sorted_keys() {
    let lines: Vec<&str> = FIXTURE.lines().collect();
    let entries = fixture_endpoints();
    // header line, `"endpoints":[`, one line each, closing `]}`.
    assert_eq!(lines.len(), entries.len() + 3);
    for line in &lines[2..lines.len() - 1] {
        let line = line.strip_suffix(',').unwrap_or(line);
        let entry: Value = serde_json::from_str(line).expect("each endpoint line is a JSON object");
        assert!(entry.is_object());
        // serde_json's map sorts on parse, so look at the raw text for the written order.
        let raw_keys: Vec<&str> = [
            "\"allowtoken\"",
            "\"method\"",
            "\"parameters\"",
            "\"path\"",
            "\"returns\"",
        ]
        .into_iter()
        .filter(|k| line.contains(*k))
        .collect();
        let positions: Vec<usize> = raw_keys.iter().map(|k| line.find(k).unwrap()).collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "keys written in sorted order: {raw_keys:?}"
        );
    }
}

#[test]
fn every_entry_has_the_fields_the_oracle_needs() {
    for e in fixture_endpoints() {
        let name = format!("{} {}", e["method"], e["path"]);
        assert!(
            matches!(
                e["method"].as_str(),
                Some("GET" | "POST" | "PUT" | "DELETE")
            ),
            "{name}"
        );
        assert!(e["allowtoken"].is_i64(), "{name}: allowtoken");
        assert!(e["returns"].is_object(), "{name}: returns");
        let params = e["parameters"].as_object().expect("parameters object");
        assert_eq!(
            params["additionalProperties"], 0,
            "{name}: PVE refuses unknown params everywhere here"
        );
        // Every `{param}` of the template is a declared parameter (not always required:
        // vzdump's `node` is optional because `vzdump` on the CLI has no node).
        let path = e["path"].as_str().unwrap();
        for seg in path.split('/').filter(|s| s.starts_with('{')) {
            let p = &seg[1..seg.len() - 1];
            let decl = &params["properties"][p];
            assert!(decl.is_object(), "{name}: path param {p} declared");
        }
    }
}

#[test]
fn schema_facts_the_emulator_relies_on() {
    let schema = ApiSchema::embedded();
    assert!(
        !schema
            .endpoint("POST", "/access/ticket")
            .unwrap()
            .allowtoken,
        "WIRE.md 1.2: tickets only"
    );
    assert!(
        schema
            .endpoint("GET", "/cluster/resources")
            .unwrap()
            .allowtoken
    );
    let doc = fixture_doc();
    let find = |m: &str, p: &str| {
        doc["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["method"] == m && e["path"] == p)
            .unwrap()
            .clone()
    };
    // The premises of the known deviations: the schema really says otherwise.
    assert_eq!(find("GET", "/cluster/nextid")["returns"]["type"], "integer");
    assert_eq!(
        find("GET", "/nodes/{node}/lxc/{vmid}/interfaces")["returns"]["type"],
        "array"
    );
    // Indexed keys are collapsed in apidata; the oracle expands them.
    assert!(
        find("POST", "/nodes/{node}/lxc")["parameters"]["properties"]["net[n]"]["format"]
            .is_object()
    );
    assert_eq!(
        find("PUT", "/nodes/{node}/lxc/{vmid}/config")["returns"]["type"],
        "null"
    );
}

#[test]
fn known_deviations_point_at_fixture_endpoints() {
    let schema = ApiSchema::embedded();
    for d in KNOWN_DEVIATIONS {
        assert!(schema.endpoint(d.method, d.path).is_some(), "{d:?}");
    }
}

#[test]
fn from_json_reports_bad_input() {
    assert!(ApiSchema::from_json("not json").is_err());
    let err = ApiSchema::from_json("{}").unwrap_err().to_string();
    assert!(err.contains("endpoints"), "{err}");
    let err = ApiSchema::from_json(r#"{"endpoints":[{"path":"/x"}]}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("method"), "{err}");
    let bad_pattern = r#"{"endpoints":[{"method":"GET","path":"/x","parameters":{"properties":{"a":{"type":"string","pattern":"(unclosed"}}},"returns":{}}]}"#;
    let err = ApiSchema::from_json(bad_pattern).unwrap_err().to_string();
    assert!(err.contains("GET /x") && err.contains("pattern"), "{err}");
    let dup = r#"{"endpoints":[{"method":"GET","path":"/x"},{"method":"GET","path":"/x"}]}"#;
    assert!(ApiSchema::from_json(dup).is_err());
}

#[test]
fn routing_knows_only_listed_methods() {
    let s = ApiSchema::embedded();
    assert!(s.knows("POST", "/nodes/pve1/lxc/100/status/start"));
    assert!(!s.knows("GET", "/nodes/pve1/lxc/100/status/start"));
    assert!(s.knows("GET", "/nodes/pve1/lxc/100/status/current"));
    assert!(s.knows("POST", "/nodes/pve1/qemu/100/status/suspend"));
    assert!(
        !s.knows("POST", "/nodes/pve1/qemu/100/migrate"),
        "not in the subset"
    );
    assert!(!s.knows("GET", "/nodes/pve1/lxc/100/nonexistent"));
    assert!(s.knows("GET", "/nodes/pve1/tasks/UPID%3Apve1%3A0003A1F2%3A0108C3B4%3A6745A1B2%3Avzstart%3A100%3Aroot%40pam%3A/log"));
    assert!(
        s.knows("GET", "/cluster/nextid/"),
        "trailing slash routes like the bare path"
    );
    let routed = s
        .route("DELETE", "/nodes/pve2/lxc/101/snapshot/snap1")
        .unwrap();
    assert_eq!(routed.path_params["node"], "pve2");
    assert_eq!(routed.path_params["vmid"], "101");
    assert_eq!(routed.path_params["snapname"], "snap1");
}
