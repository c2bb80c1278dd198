//! `parse_resources` on a large, realistic `/cluster/resources` body (10,000 entries).
//! The timing budget (10 ms median) is checked by the criterion bench in release builds;
//! here we check correctness and print the debug-build time for reference. Also: server
//! text comes out of the parse cleaned, the same way under every sanitize name.

use std::time::Instant;

use proximity::pve::parse_resources;
use proximity::pve::types::ClusterResource;

/// A body shaped like PVE 9's: guests on 8 nodes plus nodes and storages.
pub fn big_body(guests: usize) -> Vec<u8> {
    let mut items = Vec::with_capacity(guests + 16);
    for i in 0..guests {
        let vmid = 100 + i;
        let node = format!("pve{}", i % 8);
        let kind = if i % 10 == 0 { "qemu" } else { "lxc" };
        let running = i % 3 != 0;
        items.push(format!(
            r#"{{"id":"{kind}/{vmid}","type":"{kind}","node":"{node}","vmid":{vmid},"name":"guest-{vmid}","status":"{}","cpu":{},"maxcpu":2,"mem":{},"maxmem":2147483648,"disk":1073741824,"maxdisk":8589934592,"uptime":{},"netin":123456789,"netout":98765432,"diskread":5555555,"diskwrite":4444444,"template":0,"tags":"web;prod","hastate":"started","diskwrite_pressure":0.0}}"#,
            if running { "running" } else { "stopped" },
            if running { 0.0123 } else { 0.0 },
            if running { 536870912 } else { 0 },
            if running { 86400 + i } else { 0 },
        ));
    }
    for n in 0..8 {
        items.push(format!(
            r#"{{"id":"node/pve{n}","type":"node","node":"pve{n}","status":"online","cpu":0.05,"maxcpu":32,"mem":34359738368,"maxmem":137438953472,"disk":10,"maxdisk":100,"uptime":999,"level":"","cgroup-mode":2}}"#
        ));
        items.push(format!(
            r#"{{"id":"storage/pve{n}/local","type":"storage","node":"pve{n}","storage":"local","plugintype":"dir","status":"available","shared":0,"content":"iso,vztmpl,backup","disk":1,"maxdisk":2}}"#
        ));
    }
    format!(r#"{{"data":[{}]}}"#, items.join(",")).into_bytes()
}

#[test]
fn parses_ten_thousand_entries() {
    let body = big_body(10_000);
    // PVE_PARSE_ITERS=N repeats the parse and prints the median (for optimized builds).
    let iters: usize = std::env::var("PVE_PARSE_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut times = Vec::with_capacity(iters);
    let mut resources = Vec::new();
    for _ in 0..iters.max(1) {
        let started = Instant::now();
        resources = parse_resources(&body).unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    eprintln!(
        "parse_resources: {} entries, {} KiB, median {:?} over {} runs",
        resources.len(),
        body.len() / 1024,
        times[times.len() / 2],
        times.len()
    );
    assert_eq!(resources.len(), 10_016);
    let g = &resources[1];
    assert_eq!(g.id, "lxc/101");
    assert_eq!(g.vmid, Some(101));
    assert_eq!(g.node.as_deref(), Some("pve1"));
    assert_eq!(g.mem, Some(536_870_912));
    assert_eq!(g.tags.as_deref(), Some("web;prod"));
    assert_eq!(resources.iter().filter(|r| r.kind == "qemu").count(), 1000);
    assert_eq!(resources.iter().filter(|r| r.kind == "storage").count(), 8);
}

/// The samples of the "one text-cleaning step" issue, and what every name must make of them.
const DIRTY: [(&str, &str); 5] = [
    ("we\x1b[31mb\x07", "web"),
    ("copy\x1b]52;c;aGVsbG8=\x07me", "copyme"),
    ("copy\x1b]52;c;aGVsbG8=\x1b\\me", "copyme"),
    ("lone\x1b", "lone"),
    ("c1\u{9b}31mcsi\tok", "c1csi ok"),
];

#[test]
fn clean_removes_whole_sequences_and_controls() {
    for (dirty, clean) in DIRTY {
        assert_eq!(proximity::text::clean(dirty), clean, "{dirty:?}");
        assert_eq!(proximity::text::clean_string(dirty), clean, "{dirty:?}");
    }
}

/// Escapes in every string field of a resource, found from `ClusterResource`'s own
/// `Serialize` (a field added later is covered without touching this test): each one
/// comes back clean, and the numbers still decode.
#[test]
fn parse_resources_cleans_every_string_field() {
    let all = serde_json::to_value(ClusterResource::default()).unwrap();
    let keys: Vec<String> = all.as_object().unwrap().keys().cloned().collect();
    let dirty = "we\x1b[31mb\x07\x1b]52;c;aGk=\x07\u{9b}2J\x1b";
    let mut entry = serde_json::Map::new();
    let mut string_keys = Vec::new();
    for key in &keys {
        // A field is a string field if it takes a string that is not a number.
        let probe = serde_json::json!({"data": [{"id": "a", "type": "lxc", key.as_str(): "x"}]});
        if parse_resources(&serde_json::to_vec(&probe).unwrap()).is_ok() {
            entry.insert(key.clone(), dirty.into());
            string_keys.push(key.clone());
        } else {
            entry.insert(key.clone(), 7.into());
        }
    }
    assert!(string_keys.len() >= 13, "{string_keys:?}");
    let body = serde_json::to_vec(&serde_json::json!({ "data": [entry] })).unwrap();
    let got = parse_resources(&body).unwrap();
    let got = serde_json::to_value(&got[0]).unwrap();
    for key in &keys {
        if string_keys.contains(key) {
            assert_eq!(got[key.as_str()], "web", "{key}");
        } else {
            assert_eq!(got[key.as_str()].as_f64(), Some(7.0), "{key}");
        }
    }
}
