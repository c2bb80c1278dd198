//! Metrics through the engine against the emulator: a running container, a VM and a node in
//! each time frame (Proxmox 9's buckets, sources and units; no straight lines), a stopped
//! guest as gaps, the TUI's path (an event, never a wait), and the top lists from the
//! inventory alone.

use std::time::Duration;

use proximity::engine::EngineEvent;
use proximity::engine::metrics::{MetricsTarget, TopBy};
use proximity::engine::metrics_series::{Unit, resolution};
use proximity::inventory::GuestKind;
use proximity::pve::Timeframe;

use super::support::{engine, guest_with, start_sim};

const FRAMES: [Timeframe; 4] = [
    Timeframe::Hour,
    Timeframe::Day,
    Timeframe::Week,
    Timeframe::Month,
];

fn target(g: &proximity::engine::GuestRef) -> MetricsTarget {
    MetricsTarget::Guest {
        host: g.host.clone(),
        node: g.node.clone(),
        vmid: g.vmid,
        kind: g.kind,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_and_a_node_in_every_time_frame() {
    let sim = start_sim(5).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let ct = guest_with(&list, "lxc", "running");
    let node = MetricsTarget::Node {
        host: "lab".into(),
        node: ct.node.clone(),
    };
    for tf in FRAMES {
        let (step, count) = resolution(tf);
        // The container.
        let r = engine.metrics(&target(&ct), tf).await.unwrap();
        assert_eq!(r.step_s, step);
        let cpu = r.series("cpu").unwrap();
        assert_eq!(cpu.points.len() as u64, count, "{tf:?}");
        assert!(
            cpu.points.windows(2).all(|w| w[1].time - w[0].time == step),
            "{tf:?}: one bucket every {step} s"
        );
        let st = cpu.stats();
        assert!(st.known > 0, "{tf:?}: a running container has CPU data");
        let (lo, hi) = (st.min.unwrap(), st.max.unwrap());
        assert!(
            (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi),
            "{tf:?}: {st:?}"
        );
        assert!(hi > lo * 1.05, "{tf:?}: CPU is not a straight line: {st:?}");
        let net = r.series("netin").unwrap().stats();
        assert!(
            net.max.unwrap() > net.min.unwrap(),
            "{tf:?}: network moves: {net:?}"
        );
        assert_eq!(r.series("netin").unwrap().unit, Unit::BytesPerSec);
        let mem = r.series("mem").unwrap();
        let cap = mem.capacity.expect("memory is out of maxmem");
        assert!(mem.stats().max.unwrap() <= cap, "{tf:?}");
        // Proxmox 9: pressure, in percent on the wire, here a fraction.
        let psi = r
            .series("pressure_io_some")
            .expect("PVE 9 reports pressure");
        assert!(psi.stats().max.unwrap() < 1.0, "{tf:?}: {:?}", psi.stats());
        assert!(r.series("memhost").is_none(), "memhost is a VM's");

        // The node.
        let n = engine.metrics(&node, tf).await.unwrap();
        let cpu = n.series("cpu").unwrap();
        assert_eq!(cpu.points.len() as u64, count, "{tf:?}");
        let st = cpu.stats();
        assert!(st.max.unwrap() > st.min.unwrap() * 1.05, "{tf:?}: {st:?}");
        assert!(n.series("mem").unwrap().capacity.is_some());
        for id in [
            "loadavg",
            "root",
            "netin",
            "netout",
            "pressure_cpu_some",
            "arcsize",
        ] {
            assert!(n.series(id).is_some(), "{tf:?}: node series {id}");
        }
    }
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_guest_is_gaps_and_a_vm_has_host_memory() {
    let sim = start_sim(5).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let stopped = guest_with(&list, "lxc", "stopped");
    let r = engine
        .metrics(&target(&stopped), Timeframe::Day)
        .await
        .unwrap();
    let cpu = r.series("cpu").unwrap();
    assert_eq!(cpu.points.len(), 1440);
    assert!(!cpu.has_data(), "no usage recorded while stopped");
    assert!(
        r.series("mem").unwrap().capacity.is_some(),
        "the limits are"
    );

    let vm = guest_with(&list, "qemu", "running");
    assert_eq!(vm.kind, GuestKind::Vm);
    let r = engine.metrics(&target(&vm), Timeframe::Hour).await.unwrap();
    assert!(r.series("memhost").unwrap().has_data());
    assert!(
        r.series("disk").is_none(),
        "Proxmox never measures a VM's disk"
    );
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tui_path_publishes_and_the_top_lists_need_no_request() {
    let sim = start_sim(5).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let mut events = engine.subscribe();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let ct = guest_with(&list, "lxc", "running");
    engine.load_metrics(target(&ct), Timeframe::Week).unwrap();
    let report = loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("the report arrives")
            .unwrap();
        if let EngineEvent::MetricsReport {
            target: t,
            timeframe,
            result,
        } = ev
        {
            assert_eq!((t, timeframe), (target(&ct), Timeframe::Week));
            break result.unwrap();
        }
    };
    assert_eq!(report.series("cpu").unwrap().points.len(), 336);
    // A host the engine does not know is refused at once, typed.
    let elsewhere = MetricsTarget::Node {
        host: "nowhere".into(),
        node: "pve1".into(),
    };
    assert!(engine.load_metrics(elsewhere, Timeframe::Hour).is_err());

    let top = engine.top_guests(TopBy::Cpu, 5);
    assert!(!top.is_empty() && top.len() <= 5);
    assert!(
        top.windows(2).all(|w| w[0].value >= w[1].value),
        "busiest first"
    );
    let running = list
        .iter()
        .filter(|r| r.status.as_deref() == Some("running") && r.vmid.is_some())
        .count();
    let mem = engine.top_guests(TopBy::Memory, 100);
    assert_eq!(
        mem.len(),
        running,
        "every running guest, from the inventory"
    );
    // The next inventory gives measured rates.
    engine.fetch_inventory("lab").await.unwrap();
    let lists = engine.top_lists(3);
    assert_eq!(lists.len(), 4);
    sim.finish().await;
}
