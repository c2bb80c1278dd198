//! Typing rrddata answers of Proxmox 8 and 9, gaps, and the top lists' rates.

use super::*;

fn points(json: &str) -> Vec<RrdPoint> {
    serde_json::from_str(json).unwrap()
}

fn node() -> MetricsTarget {
    MetricsTarget::Node {
        host: "lab".into(),
        node: "pve1".into(),
    }
}

fn ct() -> MetricsTarget {
    MetricsTarget::Guest {
        host: "lab".into(),
        node: "pve1".into(),
        vmid: 101,
        kind: GuestKind::Container,
    }
}

#[test]
fn a_pve8_node_has_no_pressure_and_unknown_buckets_are_gaps() {
    // Proxmox 8: no memfree/arcsize/pressure; the bucket before the RRD existed has `time` only.
    let p = points(
        r#"[{"time":60},
            {"time":120,"cpu":0.25,"maxcpu":8,"memused":1073741824,"memtotal":4294967296,
             "netin":1000.5,"netout":20,"rootused":5,"roottotal":10,"loadavg":"0.5",
             "iowait":0.01,"swapused":0,"swaptotal":0}]"#,
    );
    let r = report(node(), Timeframe::Hour, &p);
    let ids: Vec<&str> = r.series.iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        [
            "cpu", "iowait", "loadavg", "mem", "swap", "root", "netin", "netout"
        ]
    );
    let cpu = r.series("cpu").unwrap();
    assert_eq!(
        cpu.points[0].value, None,
        "a time-only bucket is a gap, not 0"
    );
    assert_eq!(cpu.points[1].value, Some(0.25));
    let mem = r.series("mem").unwrap();
    assert_eq!(mem.capacity, Some(4294967296.0));
    assert_eq!(r.series("loadavg").unwrap().stats().latest, Some(0.5));
    assert_eq!(r.step_s, 60);
    assert_eq!(r.span(), Some((60, 120)));
}

#[test]
fn a_pve9_guest_has_pressure_in_percent_and_memhost() {
    let p = points(
        r#"[{"time":60,"cpu":0.5,"maxcpu":2,"mem":100,"maxmem":400,"disk":1,"maxdisk":8,
             "netin":1,"netout":2,"diskread":3,"diskwrite":4,"memhost":120,
             "pressurecpusome":12.5,"pressurecpufull":0,"pressureiosome":1,
             "pressureiofull":0.5,"pressurememorysome":0,"pressurememoryfull":0}]"#,
    );
    let r = report(ct(), Timeframe::Day, &p);
    let some = r.series("pressure_cpu_some").unwrap();
    assert_eq!(some.unit, Unit::Percent);
    assert_eq!(some.points[0].value, Some(0.125), "12.5 (percent) is 0.125");
    assert_eq!(r.series("memhost").unwrap().capacity, Some(400.0));
    assert_eq!(r.series.len(), 14);
    // A VM's disk usage is never measured by Proxmox: no series for it.
    let vm = MetricsTarget::Guest {
        host: "lab".into(),
        node: "pve1".into(),
        vmid: 102,
        kind: GuestKind::Vm,
    };
    assert!(report(vm, Timeframe::Day, &p).series("disk").is_none());
}

#[test]
fn a_stopped_guest_keeps_its_core_series_as_gaps() {
    // Stopped: Proxmox records the maxima and disk but no usage.
    let p = points(r#"[{"time":60,"maxcpu":2,"maxmem":400,"maxdisk":8,"disk":1}]"#);
    let r = report(ct(), Timeframe::Hour, &p);
    let cpu = r.series("cpu").unwrap();
    assert!(!cpu.has_data());
    assert_eq!(cpu.points.len(), 1);
    assert!(r.series("pressure_cpu_some").is_none(), "absent, not a gap");
    assert_eq!(r.series("mem").unwrap().capacity, Some(400.0));
}

#[test]
fn points_out_of_order_and_bad_values_are_tamed() {
    // A source the client does not type (pressure) with a value that is no number is
    // unknown, not an error and not zero; a numeric string is read.
    let p = points(
        r#"[{"time":180,"cpu":0.2,"pressureiosome":"2.5"},
            {"time":60,"cpu":0.3,"pressureiosome":"x"},
            {"time":120,"cpu":0.1,"pressureiosome":[1]}]"#,
    );
    let r = report(ct(), Timeframe::Hour, &p);
    let cpu = r.series("cpu").unwrap();
    let times: Vec<u64> = cpu.points.iter().map(|p| p.time).collect();
    assert_eq!(times, [60, 120, 180]);
    assert_eq!(cpu.points[0].value, Some(0.3));
    let io: Vec<Option<f64>> = r
        .series("pressure_io_some")
        .unwrap()
        .points
        .iter()
        .map(|p| p.value)
        .collect();
    assert_eq!(io, [None, None, Some(0.025)]);
}

fn guest(vmid: u32, cpu: f64, mem: u64, net: u64) -> crate::pve::types::ClusterResource {
    crate::pve::types::ClusterResource {
        id: format!("lxc/{vmid}").into(),
        kind: "lxc".into(),
        node: Some("pve1".into()),
        vmid: Some(vmid),
        name: Some(format!("g{vmid}\u{1b}[31m").into()),
        status: Some("running".into()),
        cpu: Some(cpu),
        maxcpu: Some(2.0),
        mem: Some(mem),
        maxmem: Some(1 << 30),
        netin: Some(net),
        netout: Some(0),
        diskread: Some(0),
        diskwrite: Some(0),
        uptime: Some(100),
        ..Default::default()
    }
}

#[test]
fn top_lists_rank_and_measure_rates_between_refreshes() {
    let mut memory = RateMemory::default();
    let t0 = Instant::now();
    let nodes = crate::inventory::Nodes::from;
    let first = nodes(vec![
        guest(100, 0.9, 10, 1000),
        guest(101, 0.1, 500, 100_000),
    ]);
    memory.observe("lab", &first, t0);
    let cpu = memory.top(TopBy::Cpu, 10);
    assert_eq!(cpu[0].vmid, 100);
    assert!(!cpu[0].name.contains('\u{1b}'), "server text is cleaned");
    assert_eq!(memory.top(TopBy::Memory, 1)[0].vmid, 101);
    // One list only: the rate is the counter over the uptime, and says so.
    let net = memory.top(TopBy::Network, 10);
    assert_eq!(
        (net[0].vmid, net[0].value, net[0].measured),
        (101, 1000.0, false)
    );
    // The same list again is no new measurement.
    memory.observe("lab", &first, t0 + Duration::from_secs(5));
    assert!(!memory.top(TopBy::Network, 1)[0].measured);
    // Ten seconds later 100 moved 50 kB, 101 nothing: 100 is now the busiest.
    let second = nodes(vec![
        guest(100, 0.9, 10, 51_000),
        guest(101, 0.1, 500, 100_000),
    ]);
    memory.observe("lab", &second, t0 + Duration::from_secs(10));
    let net = memory.top(TopBy::Network, 10);
    assert_eq!(
        (net[0].vmid, net[0].value, net[0].measured),
        (100, 5000.0, true)
    );
    assert_eq!(net[1].value, 0.0);
    assert_eq!(memory.top(TopBy::Disk, 1).len(), 1);
    memory.retain(&[]);
    assert!(memory.top(TopBy::Cpu, 10).is_empty());
}
