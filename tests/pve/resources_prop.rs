//! `parse_resources` against `ClusterResource`'s own `Serialize`: any resource, written out
//! the way Proxmox writes it (numbers sometimes as strings, fields left out, server text
//! with escape sequences), comes back field for field, its text cleaned.

use proptest::prelude::*;
use proximity::pve::parse_resources;
use proximity::pve::types::{ClusterResource, ResourceExtra};
use proximity::text::clean_string;

/// Every string field, every number field: struct literals without `..Default`, so a new
/// field in `ClusterResource` does not compile here until the test covers it.
fn resource(s: &[Option<String>; 13], n: &[Option<u64>; 9], small: Small) -> ClusterResource {
    let text = |i: usize| s[i].as_deref().map(Into::into);
    let mut r = ClusterResource {
        id: s[0].as_deref().unwrap_or_default().into(),
        kind: s[1].as_deref().unwrap_or_default().into(),
        node: text(2),
        vmid: small.vmid,
        name: text(3),
        status: text(4),
        cpu: small.cpu,
        maxcpu: small.maxcpu,
        mem: n[0],
        maxmem: n[1],
        disk: n[2],
        maxdisk: n[3],
        uptime: n[4],
        netin: n[5],
        netout: n[6],
        diskread: n[7],
        diskwrite: n[8],
        tags: text(5),
        template: small.template,
        extra: None,
    };
    r.set_extra(ResourceExtra {
        lock: text(6),
        pool: text(7),
        hastate: text(8),
        level: text(9),
        storage: text(10),
        plugintype: text(11),
        content: text(12),
        shared: small.shared,
    });
    r
}

#[derive(Clone, Copy, Debug)]
struct Small {
    vmid: Option<u32>,
    cpu: Option<f64>,
    maxcpu: Option<f64>,
    template: Option<u8>,
    shared: Option<u8>,
}

/// Server text: mostly plain, sometimes with escape sequences and controls.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9;/_ -]{0,12}",
        "\\PC{0,8}",
        "([a-zé日 ;m0-9]|\\x1b|\\[|\\]|\\x07|\\x{9b}|\\x{9c}|\\x{85}|\\t|\\n|\\x7f|\\\\|\"){0,16}",
    ]
}

fn small() -> impl Strategy<Value = Small> {
    (
        proptest::option::of(any::<u32>()),
        proptest::option::of(0.0f64..64.0),
        proptest::option::of(0.0f64..256.0),
        proptest::option::of(0u8..2),
        proptest::option::of(0u8..2),
    )
        .prop_map(|(vmid, cpu, maxcpu, template, shared)| Small {
            vmid,
            cpu,
            maxcpu,
            template,
            shared,
        })
}

/// serde_json's default float parsing is best-effort (off by one ulp at times, see its
/// `float_roundtrip` feature) while a numeric string goes through the correctly rounded
/// `str::parse::<f64>`: compare CPU figures to 12 significant digits.
fn rounded(mut r: ClusterResource) -> ClusterResource {
    let round = |x: Option<f64>| x.map(|v| format!("{v:.11e}").parse::<f64>().unwrap_or(v));
    r.cpu = round(r.cpu);
    r.maxcpu = round(r.maxcpu);
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn every_field_comes_back(
        strings in proptest::array::uniform13(proptest::option::of(text())),
        numbers in proptest::array::uniform9(proptest::option::of(any::<u64>())),
        small in small(),
        // Per key: 0 as serialized, 1 numbers as strings (a Proxmox habit), 2 left out.
        shapes in proptest::collection::vec(0u8..3, 27),
    ) {
        let sent = resource(&strings, &numbers, small);
        let mut value = serde_json::to_value(&sent).unwrap();
        let object = value.as_object_mut().unwrap();
        prop_assert_eq!(object.len(), 27, "the strategy must cover every field");
        let mut left_out = Vec::new();
        for (key, shape) in object.clone().keys().zip(&shapes) {
            match shape {
                1 if object[key].is_number() => {
                    object.insert(key.clone(), object[key].to_string().into());
                }
                2 if key != "id" && key != "type" => {
                    object.remove(key);
                    left_out.push(key.clone());
                }
                _ => {}
            }
        }
        // What should come back: the same resource with its text cleaned, and a field
        // left out as its default.
        let clean = strings.clone().map(|s| s.map(|s| clean_string(&s)));
        let mut want = serde_json::to_value(resource(&clean, &numbers, small)).unwrap();
        for key in &left_out {
            want[key.as_str()] = serde_json::Value::Null;
        }
        let want: ClusterResource = serde_json::from_value(want).unwrap();
        let body = serde_json::to_vec(&serde_json::json!({ "data": [value] })).unwrap();
        let got = parse_resources(&body).unwrap();
        prop_assert_eq!(got.len(), 1);
        prop_assert_eq!(rounded(got[0].clone()), rounded(want));
    }
}
