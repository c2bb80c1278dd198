//! Read-only endpoints of `pve::PveClient` against the emulator: cluster and node views,
//! guests (LXC + QEMU), config read/write, interfaces, storage, appliances and RRD graphs.
//! Values are cross-checked between endpoints (the same guest seen by `/cluster/resources`,
//! `/nodes/{n}/lxc` and `status/current`), never against hard-coded numbers.

use crate::pve_sim_support;

use proximity::pve::{Cf, Params, ResourceFilter, Timeframe};
use pve_sim_support::*;

#[tokio::test]
async fn cluster_and_node_views_agree() {
    let sim = start().await;
    let c = token_client(&sim);

    let v = c.version().await.unwrap();
    assert!(v.version.starts_with(&v.release), "{v:?}");
    assert!(!v.repoid.is_empty());
    assert_eq!(v.console.as_deref(), Some("xtermjs"));

    let nodes = c.nodes().await.unwrap();
    let mut names: Vec<&str> = nodes.iter().map(|n| n.node.as_str()).collect();
    names.sort();
    assert_eq!(names, ["pve1", "pve2"]);
    for n in &nodes {
        assert_eq!(n.status, "online");
        assert!(n.maxcpu.unwrap() >= 1.0 && n.maxmem.unwrap() > 0, "{n:?}");
        assert!(n.mem.unwrap() <= n.maxmem.unwrap());
    }

    let st = c.node_status("pve1").await.unwrap();
    assert_eq!(
        st.loadavg.len(),
        3,
        "loadavg parsed from strings: {:?}",
        st.loadavg
    );
    assert!(st.loadavg.iter().all(|l| l.is_finite() && *l >= 0.0));
    assert!(st.uptime > 0);
    assert!(st.memory.total > 0 && st.memory.used <= st.memory.total);
    assert!(st.rootfs.total >= st.rootfs.used);
    let pve1 = nodes.iter().find(|n| n.node == "pve1").unwrap();
    assert_eq!(
        st.memory.total,
        pve1.maxmem.unwrap(),
        "same node, same memory"
    );
    assert_eq!(st.cpuinfo.cpus.map(|c| c as f64), pve1.maxcpu);

    let cs = c.cluster_status().await.unwrap();
    let cluster = cs
        .iter()
        .find(|e| e.kind == "cluster")
        .expect("cluster entry");
    assert_eq!(cluster.nodes, Some(2));
    assert_eq!(cluster.quorate, Some(true));
    let node_entries: Vec<_> = cs.iter().filter(|e| e.kind == "node").collect();
    assert_eq!(node_entries.len(), 2);
    assert!(node_entries.iter().all(|e| e.online == Some(true)));

    let all = c.cluster_resources(None).await.unwrap();
    let vms = c.cluster_resources(Some(ResourceFilter::Vm)).await.unwrap();
    let nodes_r = c
        .cluster_resources(Some(ResourceFilter::Node))
        .await
        .unwrap();
    let storages = c
        .cluster_resources(Some(ResourceFilter::Storage))
        .await
        .unwrap();
    assert_eq!(vms.len(), 24, "seeded guests");
    assert!(vms.iter().all(|r| r.is_guest()));
    assert!(nodes_r.iter().all(|r| r.kind == "node") && nodes_r.len() == 2);
    assert!(!storages.is_empty() && storages.iter().all(|r| r.kind == "storage"));
    assert!(all.len() >= vms.len() + nodes_r.len() + storages.len());

    // nextid: the lowest free id >= 100, consistent with vmid_is_free.
    let next = c.next_id().await.unwrap();
    assert!(next >= 100);
    assert!(vms.iter().all(|g| g.vmid != Some(next)));
    assert!(c.vmid_is_free(next).await.unwrap());
    let taken = vms[0].vmid.unwrap();
    assert!(!c.vmid_is_free(taken).await.unwrap());
    finish(sim).await;
}

#[tokio::test]
async fn lxc_and_qemu_reads_match_the_resource_list() {
    let sim = start().await;
    let c = password_client(&sim);
    let vms = c.cluster_resources(Some(ResourceFilter::Vm)).await.unwrap();

    for node in ["pve1", "pve2"] {
        let lxc = c.lxc_list(node).await.unwrap();
        let qemu = c.qemu_list(node).await.unwrap();
        let expected_lxc = vms
            .iter()
            .filter(|g| g.kind == "lxc" && g.node.as_deref() == Some(node))
            .count();
        let expected_qemu = vms
            .iter()
            .filter(|g| g.kind == "qemu" && g.node.as_deref() == Some(node))
            .count();
        assert_eq!(lxc.len(), expected_lxc, "{node} lxc");
        assert_eq!(qemu.len(), expected_qemu, "{node} qemu");
        for g in &lxc {
            let r = vms.iter().find(|r| r.vmid == Some(g.vmid)).unwrap();
            assert_eq!(Some(g.status.as_str()), r.status.as_deref());
            assert_eq!(g.name.as_deref(), r.name.as_deref());
        }
    }

    let (node, ct) = find_guest(&c, "lxc", "running").await;
    let st = c.lxc_status(&node, ct).await.unwrap();
    assert_eq!(st.vmid, ct);
    assert!(st.is_running() && st.uptime.unwrap() > 0 && st.pid.is_some());
    let cfg = c.lxc_config(&node, ct).await.unwrap();
    assert_eq!(cfg.hostname, st.name, "status name is the config hostname");
    assert!(cfg.rootfs.is_some() && cfg.memory.is_some());
    assert!(!cfg.nets().is_empty());

    let (qnode, vm) = find_guest(&c, "qemu", "running").await;
    let qst = c.qemu_status(&qnode, vm).await.unwrap();
    assert_eq!(qst.vmid, vm);
    assert!(qst.is_running());
    assert_eq!(qst.qmpstatus.as_deref(), Some("running"));
    finish(sim).await;
}

#[tokio::test]
async fn set_config_reads_back_and_digest_guards() {
    let sim = start().await;
    let c = token_client(&sim);
    let (node, ct) = find_guest(&c, "lxc", "stopped").await;
    let before = c.lxc_config(&node, ct).await.unwrap();
    let new_mem = before.memory.unwrap() + 256;
    c.lxc_set_config(
        &node,
        ct,
        &Params::new()
            .set("memory", new_mem)
            .set("description", "set by the conformance test")
            .set("digest", before.digest.clone().unwrap()),
    )
    .await
    .unwrap();
    let after = c.lxc_config(&node, ct).await.unwrap();
    assert_eq!(after.memory, Some(new_mem));
    assert_eq!(
        after.description.as_deref().map(str::trim_end),
        Some("set by the conformance test")
    );
    assert_ne!(after.digest, before.digest, "a change moves the digest");

    // The old digest no longer matches: Proxmox refuses the write.
    let stale = c
        .lxc_set_config(
            &node,
            ct,
            &Params::new()
                .set("cores", 3)
                .set("digest", before.digest.unwrap()),
        )
        .await
        .unwrap_err();
    assert!(
        stale
            .to_string()
            .contains("detected modified configuration"),
        "Proxmox's digest-mismatch text: {stale}"
    );
    // Removing a key with `delete`.
    c.lxc_set_config(&node, ct, &Params::new().set("delete", "description"))
        .await
        .unwrap();
    assert_eq!(c.lxc_config(&node, ct).await.unwrap().description, None);
    finish(sim).await;
}

#[tokio::test]
async fn interfaces_only_while_running() {
    let sim = start().await;
    let c = token_client(&sim);
    let (node, running) = find_guest(&c, "lxc", "running").await;
    let ifs = c.lxc_interfaces(&node, running).await.unwrap();
    let lo = ifs.iter().find(|i| i.name == "lo").expect("lo");
    assert_eq!(lo.inet.as_deref(), Some("127.0.0.1/8"));
    let eth = ifs.iter().find(|i| i.name != "lo").expect("a NIC");
    assert!(!eth.ip_addresses.is_empty(), "{eth:?}");
    let cfg = c.lxc_config(&node, running).await.unwrap();
    let net0 = cfg
        .nets()
        .into_iter()
        .find(|(i, _)| *i == 0)
        .unwrap()
        .1
        .to_lowercase();
    assert!(
        net0.contains(eth.hwaddr.as_deref().unwrap()),
        "the NIC's MAC is the configured one: {net0} vs {eth:?}"
    );

    let (snode, stopped) = find_guest(&c, "lxc", "stopped").await;
    assert!(c.lxc_interfaces(&snode, stopped).await.unwrap().is_empty());
    finish(sim).await;
}

#[tokio::test]
async fn storage_content_and_appliances() {
    let sim = start().await;
    let c = token_client(&sim);
    let stores = c.storage_list("pve1", None).await.unwrap();
    let local = stores.iter().find(|s| s.storage == "local").expect("local");
    assert!(local.supports("vztmpl") && local.supports("backup"));
    assert!(local.active && local.enabled);
    assert!(local.used.unwrap() <= local.total.unwrap());
    let for_tmpl = c.storage_list("pve1", Some("vztmpl")).await.unwrap();
    assert!(!for_tmpl.is_empty() && for_tmpl.iter().all(|s| s.supports("vztmpl")));
    assert!(for_tmpl.len() <= stores.len());

    let tmpl = c
        .storage_content("pve1", "local", Some("vztmpl"), None)
        .await
        .unwrap();
    assert!(!tmpl.is_empty());
    for t in &tmpl {
        assert_eq!(t.content, "vztmpl");
        assert!(t.volid.starts_with("local:vztmpl/") && t.size > 0, "{t:?}");
    }
    let backups = c
        .storage_content("pve1", "local", Some("backup"), None)
        .await
        .unwrap();
    assert!(backups.iter().all(|b| b.content == "backup"));
    if let Some(b) = backups.iter().find(|b| b.vmid.is_some()) {
        let only = c
            .storage_content("pve1", "local", Some("backup"), b.vmid)
            .await
            .unwrap();
        assert!(only.iter().all(|o| o.vmid == b.vmid) && !only.is_empty());
    }

    let apps = c.aplinfo("pve1").await.unwrap();
    assert!(apps.len() >= 3);
    for a in &apps {
        assert!(!a.template.is_empty() && !a.package.is_empty() && !a.headline.is_empty());
    }
    assert!(apps.iter().any(|a| a.section == "system"));
    finish(sim).await;
}

#[tokio::test]
async fn rrd_graphs_for_node_container_and_vm() {
    let sim = start().await;
    let c = token_client(&sim);
    let node = c
        .node_rrddata("pve1", Timeframe::Hour, Some(Cf::Average))
        .await
        .unwrap();
    assert!(node.len() >= 60, "an hour of points: {}", node.len());
    assert!(
        node.windows(2).all(|w| w[0].time < w[1].time),
        "ordered by time"
    );
    assert!(node.iter().any(|p| p.cpu.is_some() && p.memtotal.is_some()));
    let day = c.node_rrddata("pve1", Timeframe::Day, None).await.unwrap();
    let span = |p: &[proximity::pve::RrdPoint]| p.last().unwrap().time - p[0].time;
    assert!(span(&day) > span(&node), "a day spans more than an hour");

    let (n, ct) = find_guest(&c, "lxc", "running").await;
    let lxc = c
        .lxc_rrddata(&n, ct, Timeframe::Hour, Some(Cf::Max))
        .await
        .unwrap();
    assert!(!lxc.is_empty() && lxc.iter().any(|p| p.maxmem.is_some()));
    let (qn, vm) = find_guest(&c, "qemu", "running").await;
    let qemu = c
        .qemu_rrddata(&qn, vm, Timeframe::Hour, None)
        .await
        .unwrap();
    assert!(!qemu.is_empty() && qemu.iter().any(|p| p.cpu.is_some()));
    finish(sim).await;
}
