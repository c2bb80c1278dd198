//! Builds the initial cluster deterministically from `--seed`: nodes `pve1..`, guests spread over
//! them (mostly LXC, some QEMU, a few tagged, a few Proximity-managed apps), templates and
//! backups on `local`. The same seed always yields the same cluster.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::aplinfo::CATALOG;
use super::clock::{self, SplitMix};
use super::model::{Guest, GuestKind, Model, Node, Volume};

/// Apps Proximity manages: (id, description headline, version, port). Each port is the
/// catalog's web port, which its health check probes (nextcloud at 443 failed it in the demo).
const APPS: [(&str, &str, &str, u16); 6] = [
    ("jellyfin", "Jellyfin media server", "10.10.3", 8096),
    ("nextcloud", "Nextcloud file sync", "30.0.2", 80),
    ("uptime-kuma", "Uptime Kuma monitoring", "1.23.15", 3001),
    (
        "vaultwarden",
        "Vaultwarden password manager",
        "1.32.5",
        8080,
    ),
    ("gitea", "Gitea git forge", "1.22.4", 3000),
    ("grafana", "Grafana dashboards", "11.3.1", 3000),
];

const WORDS: [&str; 16] = [
    "web", "db", "cache", "proxy", "dns", "mail", "build", "media", "files", "mon", "vpn", "git",
    "ci", "log", "backup", "lab",
];

const PLAIN_TAGS: [&str; 5] = ["prod", "dev", "staging", "db", "web"];

/// LXC templates pre-downloaded on every node's `local` storage (indices into the catalog).
const PRESENT_TEMPLATES: [usize; 3] = [0, 1, 2];

pub fn build(seed: u64, nodes: usize, guests: usize, auth_key: String) -> Model {
    let mut rng = SplitMix::new(seed);
    let now = clock::now_epoch();
    let nodes = nodes.max(1);
    let node_list: Vec<Node> = (1..=nodes)
        .map(|i| Node {
            name: format!("pve{i}"),
            online: true,
            boot_epoch: now - 86_400 * (1 + rng.below(30)) - rng.below(86_400),
            maxcpu: *rng.pick(&[8, 16, 32]),
            maxmem: *rng.pick(&[32u64, 64, 128]) << 30,
            maxdisk: 100 << 30,
            ip: format!("192.168.1.{}", 10 + i),
            nodeid: i as u32,
        })
        .collect();

    let mut model = Model {
        seed,
        cluster_name: (nodes > 1).then(|| "proxcluster".to_string()),
        nodes: node_list,
        guests: BTreeMap::new(),
        volumes: Vec::new(),
        tasks: Vec::new(),
        next_pid: 0x1000 + (rng.below(0x8000) as u32),
        auth_key,
        password: None,
        token: None,
        backup_jobs: Vec::new(),
    };

    for node in &model.nodes {
        for &i in &PRESENT_TEMPLATES {
            let t = &CATALOG[i];
            model.volumes.push(Volume {
                node: node.name.clone(),
                storage: "local".into(),
                volid: format!("local:vztmpl/{}", t.template),
                content: "vztmpl".into(),
                format: "tzst".into(),
                size: 120_000_000 + rng.below(80_000_000),
                ctime: now - 86_400 * (10 + rng.below(100)),
                vmid: None,
                subtype: None,
                notes: None,
                protected: false,
                config: None,
            });
        }
    }

    let mut app_index = 0usize;
    for i in 0..guests {
        let vmid = 100 + i as u32;
        let node = model.nodes[rng.below(nodes as u64) as usize].name.clone();
        let is_app = i % 12 == 3;
        let kind = if !is_app && rng.below(5) == 0 {
            GuestKind::Qemu
        } else {
            GuestKind::Lxc
        };
        let running = is_app || rng.below(10) < 6;
        let started_at = running.then(|| now - 60 - rng.below(20 * 86_400));
        let config = match kind {
            GuestKind::Lxc => {
                let app = is_app.then(|| {
                    let a = APPS[app_index % APPS.len()];
                    app_index += 1;
                    a
                });
                lxc_config(&mut rng, vmid, app, now)
            }
            GuestKind::Qemu => qemu_config(&mut rng, vmid),
        };
        let guest = Guest {
            vmid,
            node,
            kind,
            running,
            started_at,
            frozen: false,
            lock: None,
            config,
            snapshots: Vec::new(),
            ha: false,
            snap_parent: None,
            spike: None,
        };
        if kind == GuestKind::Lxc && i % 5 == 0 {
            model
                .volumes
                .push(backup_volume(&guest, now - 3600 * (1 + rng.below(24 * 14))));
        }
        model.guests.insert(vmid, guest);
    }
    model
}

fn hwaddr(rng: &mut SplitMix) -> String {
    let b = rng.next_u64().to_be_bytes();
    format!("BC:24:11:{:02X}:{:02X}:{:02X}", b[0], b[1], b[2])
}

fn lxc_config(
    rng: &mut SplitMix,
    vmid: u32,
    app: Option<(&str, &str, &str, u16)>,
    now: u64,
) -> BTreeMap<String, Value> {
    let mut c = BTreeMap::new();
    let (ostype, hostname, disk_gb) = match app {
        Some((id, ..)) => ("debian", format!("{id}-{vmid}"), 16),
        None => {
            let os = *rng.pick(&["debian", "debian", "ubuntu", "alpine"]);
            (
                os,
                format!("{}-{vmid}", rng.pick(&WORDS)),
                *rng.pick(&[4u64, 8, 8, 16, 32]),
            )
        }
    };
    c.insert("arch".into(), json!("amd64"));
    c.insert("cores".into(), json!(*rng.pick(&[1u64, 1, 2, 2, 4])));
    c.insert("hostname".into(), json!(hostname));
    c.insert(
        "memory".into(),
        json!(*rng.pick(&[256u64, 512, 1024, 2048, 4096])),
    );
    c.insert("swap".into(), json!(512));
    c.insert(
        "net0".into(),
        json!(format!(
            "name=eth0,bridge=vmbr0,hwaddr={},ip=dhcp,type=veth",
            hwaddr(rng)
        )),
    );
    c.insert("ostype".into(), json!(ostype));
    c.insert(
        "rootfs".into(),
        json!(format!("local-lvm:vm-{vmid}-disk-0,size={disk_gb}G")),
    );
    c.insert("unprivileged".into(), json!(1));
    if rng.below(3) == 0 {
        c.insert("onboot".into(), json!(1));
    }
    match app {
        Some((id, headline, version, port)) => {
            c.insert("features".into(), json!("keyctl=1,nesting=1"));
            c.insert("tags".into(), json!(format!("proximity;px-app-{id}")));
            c.insert(
                "description".into(),
                json!(app_description(id, headline, version, port, now)),
            );
        }
        None if rng.below(6) == 0 => {
            c.insert("tags".into(), json!(*rng.pick(&PLAIN_TAGS)));
        }
        None => {}
    }
    c
}

/// The app metadata Proximity keeps in a managed container's description (Proxmox is the source
/// of truth, so any instance can adopt the app).
fn app_description(id: &str, headline: &str, version: &str, port: u16, now: u64) -> String {
    format!(
        "{headline}, managed by Proximity.\n\n<!-- proximity:app {{\"app\":\"{id}\",\"version\":\"{version}\",\"port\":{port},\"deployed\":{now}}} -->\n"
    )
}

fn qemu_config(rng: &mut SplitMix, vmid: u32) -> BTreeMap<String, Value> {
    let mut c = BTreeMap::new();
    c.insert("boot".into(), json!("order=scsi0;ide2;net0"));
    c.insert("cores".into(), json!(*rng.pick(&[1u64, 2, 4, 8])));
    c.insert("sockets".into(), json!(1));
    // A property string since PVE 8 (`[current=]<MiB>`): the config answer is a string.
    c.insert(
        "memory".into(),
        json!(rng.pick(&[1024u64, 2048, 4096, 8192]).to_string()),
    );
    c.insert(
        "name".into(),
        json!(format!("vm-{}-{vmid}", rng.pick(&WORDS))),
    );
    c.insert(
        "net0".into(),
        json!(format!("virtio={},bridge=vmbr0,firewall=1", hwaddr(rng))),
    );
    c.insert("ostype".into(), json!("l26"));
    c.insert(
        "scsi0".into(),
        json!(format!("local-lvm:vm-{vmid}-disk-0,iothread=1,size=32G")),
    );
    c.insert("scsihw".into(), json!("virtio-scsi-single"));
    c.insert(
        "smbios1".into(),
        json!(format!("uuid={:032x}", rng.next_u64())),
    );
    c
}

/// What a guest's root filesystem holds: about a third of its disk, varying per guest.
pub fn disk_used(guest: &Guest) -> u64 {
    let spread = 0.2 + 0.3 * clock::unit_of(u64::from(guest.vmid) ^ 0xD15C);
    (guest.maxdisk() as f64 * spread) as u64
}

/// A zstd vzdump archive of that: system files compress to a little under half.
pub fn backup_size(guest: &Guest) -> u64 {
    disk_used(guest) * 45 / 100 + (u64::from(guest.vmid) * 7919) % (8 << 20)
}

/// A vzdump archive of `guest` on `local` of its node, as of `ctime`.
pub fn backup_volume(guest: &Guest, ctime: u64) -> Volume {
    let file = format!(
        "vzdump-lxc-{}-{}.tar.zst",
        guest.vmid,
        clock::vzdump_stamp(ctime)
    );
    Volume {
        node: guest.node.clone(),
        storage: "local".into(),
        volid: format!("local:backup/{file}"),
        content: "backup".into(),
        format: "tar.zst".into(),
        size: backup_size(guest),
        ctime,
        vmid: Some(guest.vmid),
        subtype: Some("lxc".into()),
        notes: Some(guest.name()),
        protected: false,
        config: Some(guest.config.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_cluster() {
        let a = build(42, 3, 50, String::new());
        let b = build(42, 3, 50, String::new());
        let names = |m: &Model| {
            m.guests
                .values()
                .map(|g| (g.node.clone(), g.name()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert_eq!(a.guests.len(), 50);
        assert!(a.guests.values().any(|g| g.kind == GuestKind::Qemu));
        assert!(
            a.guests
                .values()
                .any(|g| g.tags().is_some_and(|t| t.contains("px-app-")))
        );
        let c = build(43, 3, 50, String::new());
        assert_ne!(names(&a), names(&c));
    }
}
