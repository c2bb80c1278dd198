//! Synthetic `/cluster/resources` lists: deterministic, for tests, the rack benchmark and
//! screenshots. Not a second emulator: just enough variety (statuses, locks, tags, apps,
//! CT and VM) to exercise every drawing path.

use crate::pve::types::{ClusterResource, ResourceExtra};

const NAMES: [&str; 12] = [
    "jellyfin",
    "nextcloud",
    "pihole",
    "gitea",
    "postgres",
    "grafana",
    "traefik",
    "vaultwarden",
    "home-assistant",
    "minio",
    "win11-desk",
    "build-runner",
];

/// `nodes` nodes named `pve1..`, `guests` guests spread evenly, vmids from 100.
pub fn resources(nodes: usize, guests: usize) -> Vec<ClusterResource> {
    let mut out = Vec::with_capacity(nodes + guests);
    const GIB: u64 = 1024 * 1024 * 1024;
    for n in 0..nodes {
        let name = format!("pve{}", n + 1);
        out.push(ClusterResource {
            id: format!("node/{name}").into(),
            kind: "node".into(),
            node: Some(name.as_str().into()),
            status: Some("online".into()),
            cpu: Some(0.05 + (n % 7) as f64 * 0.11),
            maxcpu: Some(32.0),
            mem: Some((20 + (n as u64 % 5) * 17) * GIB),
            maxmem: Some(128 * GIB),
            disk: Some((200 + (n as u64 % 3) * 300) * GIB),
            maxdisk: Some(1000 * GIB),
            uptime: Some(86_400 * 12 + 3600 * 5 + n as u64 * 977),
            extra: Some(Box::new(ResourceExtra {
                level: Some("".into()),
                ..ResourceExtra::default()
            })),
            ..ClusterResource::default()
        });
    }
    for i in 0..guests {
        let node = format!("pve{}", i % nodes.max(1) + 1);
        let vmid = 100 + i as u32;
        let ct = i % 4 != 3;
        let base = NAMES[i % NAMES.len()];
        let name = if i < NAMES.len() {
            base.to_string()
        } else {
            format!("{base}-{}", i / NAMES.len())
        };
        let status = match i % 13 {
            5 | 9 => "stopped",
            11 => "paused",
            _ => "running",
        };
        let running = status == "running";
        let mut tags = vec![];
        if i % 3 == 0 {
            tags.push("prod".to_string());
        }
        if i % 5 == 0 {
            tags.push("media".to_string());
        }
        if ct && i % 2 == 0 {
            tags.push("proximity".to_string());
            tags.push(format!("px-app-{base}"));
        }
        out.push(ClusterResource {
            id: format!("{}/{vmid}", if ct { "lxc" } else { "qemu" }).into(),
            kind: if ct { "lxc" } else { "qemu" }.into(),
            node: Some(node.into()),
            vmid: Some(vmid),
            name: Some(name.into()),
            status: Some(status.into()),
            cpu: Some(if running {
                ((i * 37) % 100) as f64 / 100.0
            } else {
                0.0
            }),
            maxcpu: Some(if ct { 2.0 } else { 4.0 }),
            mem: Some(if running {
                ((i * 53) % 100) as u64 * 40 * 1024 * 1024
            } else {
                0
            }),
            maxmem: Some(4 * GIB),
            disk: Some(3 * GIB),
            maxdisk: Some(16 * GIB),
            uptime: Some(if running {
                3600 * (i as u64 % 200) + 60
            } else {
                0
            }),
            tags: if tags.is_empty() {
                None
            } else {
                Some(tags.join(";").into())
            },
            extra: (i % 17 == 7).then(|| {
                Box::new(ResourceExtra {
                    lock: Some("backup".into()),
                    ..ResourceExtra::default()
                })
            }),
            template: Some(0),
            ..ClusterResource::default()
        });
    }
    out
}
