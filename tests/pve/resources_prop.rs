//! The hand-rolled `/cluster/resources` scanner is only an accelerator: on any input, it must
//! give exactly what the serde reference gives (or both must fail).

use proptest::prelude::*;
use proximity::pve::{parse_resources, parse_resources_reference};

/// A JSON value for a field, sometimes in a shape real Proxmox sends and sometimes not.
fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u32>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (0.0f64..64.0).prop_map(|f| format!("{f}")),
        any::<u16>().prop_map(|n| format!("\"{n}\"")),
        "[a-z0-9;/_ -]{0,12}".prop_map(|s| format!("\"{s}\"")),
        Just("\"esc\\\"aped\\\\ \\u00e9\\n\"".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("[1,2]".to_string()),
        Just("{\"a\":1}".to_string()),
        Just("-0.5e3".to_string()),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("id"),
        Just("type"),
        Just("node"),
        Just("vmid"),
        Just("name"),
        Just("status"),
        Just("cpu"),
        Just("maxcpu"),
        Just("mem"),
        Just("maxmem"),
        Just("disk"),
        Just("maxdisk"),
        Just("uptime"),
        Just("netin"),
        Just("tags"),
        Just("lock"),
        Just("template"),
        Just("level"),
        Just("storage"),
        Just("shared"),
        Just("content"),
        Just("hastate"),
        Just("cgroup-mode"),
        Just("unknown-key"),
    ]
    .prop_map(str::to_string)
}

fn entry() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("lxc"), Just("qemu"), Just("node"), Just("storage")],
        100u32..2000,
        proptest::collection::vec((key(), field_value()), 0..8),
    )
        .prop_map(|(kind, vmid, extra)| {
            let mut fields = vec![
                format!("\"id\":\"{kind}/{vmid}\""),
                format!("\"type\":\"{kind}\""),
            ];
            // Valid JSON objects only: duplicate keys are the scanner's one documented leniency.
            let mut seen = std::collections::HashSet::from(["id".to_string(), "type".to_string()]);
            fields.extend(
                extra
                    .into_iter()
                    .filter(|(k, _)| seen.insert(k.clone()))
                    .map(|(k, v)| format!("\"{k}\":{v}")),
            );
            format!("{{{}}}", fields.join(","))
        })
}

/// serde_json's default float parsing is best-effort (off by one ulp at times, see its
/// `float_roundtrip` feature) while the scanner's `str::parse::<f64>` is correctly rounded:
/// compare CPU fractions to 12 significant digits, everything else exactly.
fn rounded(
    mut list: Vec<proximity::pve::types::ClusterResource>,
) -> Vec<proximity::pve::types::ClusterResource> {
    let round = |x: Option<f64>| x.map(|v| format!("{v:.11e}").parse::<f64>().unwrap_or(v));
    for r in &mut list {
        r.cpu = round(r.cpu);
        r.maxcpu = round(r.maxcpu);
    }
    list
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn fast_path_equals_serde(entries in proptest::collection::vec(entry(), 0..6), spaces in any::<bool>()) {
        let sep = if spaces { ", " } else { "," };
        let body = format!("{{\"data\":[{}]}}", entries.join(sep));
        let fast = parse_resources(body.as_bytes());
        let reference = parse_resources_reference(body.as_bytes());
        match (fast, reference) {
            (Ok(a), Ok(b)) => prop_assert_eq!(rounded(a), rounded(b)),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "fast {:?} vs serde {:?} on {}", a.is_ok(), b.is_ok(), body),
        }
    }
}
