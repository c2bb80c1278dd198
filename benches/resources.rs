//! Parsing `/cluster/resources` with 10,000 guests (budget: 10 ms median).
//! Two bodies: plain ASCII, and one where a quarter of the names carry JSON escapes (`\"`,
//! `\u00e9`), raw UTF-8, and one in a hundred an escape sequence that cleaning must strip.
//! `parse_resources` is serde's typed decoder with the strings cleaned (`crate::text`).
//! Peers in the same run: serde's plain typed decoder over the same fields (derived, no
//! cleaning, no lenient numbers: the fair peer, its ratio is what cleaning and leniency
//! cost), and a generic `serde_json::Value` parse of the same body.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// A guest's `name` field as JSON text (already escaped).
fn guest_name(vmid: usize, escaped: bool) -> String {
    if !escaped {
        return format!("guest-{vmid}");
    }
    match vmid % 100 {
        0 => format!(r"evil-\u001b[31m{vmid}\u0007"),
        n if n % 4 == 1 => format!(r#"caf\u00e9 \"{vmid}\""#),
        n if n % 4 == 2 => format!("café-{vmid}"),
        _ => format!("guest-{vmid}"),
    }
}

/// A body shaped like Proxmox's (`WIRE.md` 3: guest, node and storage entries).
fn resources_body(guests: usize, nodes: usize, escaped: bool) -> Vec<u8> {
    let mut items = Vec::with_capacity(guests + nodes * 2);
    for n in 0..nodes {
        items.push(format!(
            r#"{{"id":"node/pve{n}","node":"pve{n}","type":"node","status":"online","level":"","uptime":123456,"cpu":0.0731,"maxcpu":32,"mem":17179869184,"maxmem":68719476736,"disk":10737418240,"maxdisk":107374182400,"cgroup-mode":2,"host-arch":"x86_64"}}"#
        ));
        items.push(format!(
            r#"{{"id":"storage/pve{n}/local","storage":"local","node":"pve{n}","type":"storage","plugintype":"dir","status":"available","shared":0,"content":"iso,vztmpl,backup","disk":1073741824,"maxdisk":107374182400}}"#
        ));
    }
    for g in 0..guests {
        let vmid = 100 + g;
        let node = g % nodes;
        let (kind, status) = if g % 7 == 0 {
            ("qemu", "stopped")
        } else {
            ("lxc", "running")
        };
        items.push(format!(
            r#"{{"id":"{kind}/{vmid}","vmid":{vmid},"node":"pve{node}","type":"{kind}","status":"{status}","name":"{name}","uptime":{up},"template":0,"maxcpu":2,"cpu":0.0123,"maxmem":2147483648,"mem":536870912,"maxdisk":8589934592,"disk":1073741824,"netin":123456789,"netout":98765432,"diskread":5555555,"diskwrite":4444444,"tags":"proximity;px-app-demo"}}"#,
            name = guest_name(vmid, escaped),
            up = g * 17
        ));
    }
    format!("{{\"data\":[{}]}}", items.join(",")).into_bytes()
}

/// The same fields as `ClusterResource`, with serde's derived decoders only.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct PlainResource {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    node: Option<String>,
    vmid: Option<u32>,
    name: Option<String>,
    status: Option<String>,
    cpu: Option<f64>,
    maxcpu: Option<f64>,
    mem: Option<u64>,
    maxmem: Option<u64>,
    disk: Option<u64>,
    maxdisk: Option<u64>,
    uptime: Option<u64>,
    netin: Option<u64>,
    netout: Option<u64>,
    diskread: Option<u64>,
    diskwrite: Option<u64>,
    tags: Option<String>,
    lock: Option<String>,
    template: Option<u8>,
    pool: Option<String>,
    hastate: Option<String>,
    level: Option<String>,
    storage: Option<String>,
    plugintype: Option<String>,
    content: Option<String>,
    shared: Option<u8>,
}

#[derive(serde::Deserialize)]
struct PlainBody {
    data: Vec<PlainResource>,
}

fn bench(c: &mut Criterion) {
    for (label, escaped) in [("plain", false), ("escaped", true)] {
        let body = resources_body(10_000, 50, escaped);
        let mut group = c.benchmark_group(format!("cluster_resources_10k_{label}"));
        group.bench_function("proximity::pve::parse_resources", |b| {
            b.iter(|| {
                let parsed = proximity::pve::parse_resources(black_box(&body)).expect("parses");
                assert_eq!(parsed.len(), 10_100);
                parsed
            })
        });
        group.bench_function("peer: serde typed, derived", |b| {
            b.iter(|| {
                let parsed: PlainBody = serde_json::from_slice(black_box(&body)).expect("parses");
                assert_eq!(parsed.data.len(), 10_100);
                parsed
            })
        });
        group.bench_function("peer: serde_json::Value", |b| {
            b.iter(|| {
                serde_json::from_slice::<serde_json::Value>(black_box(&body)).expect("parses")
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
