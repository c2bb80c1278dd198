//! `proximity metrics` against `proximity sim` on 127.0.0.1:0: a guest's table, a node's
//! JSON with its points (gaps as null), the time frames, and clear refusals for a bad time
//! frame, an unknown node and a node name two hosts share.

mod support;

use support::{SimProcess, add_host, run_cli_code};

fn one_line(err: &str) -> String {
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one stderr line, got: {err:?}");
    lines[0].to_string()
}

#[test]
fn metrics_of_a_guest_and_a_node_as_table_and_json() {
    let lab = SimProcess::start(&["--nodes", "2", "--guests", "6"]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &lab);

    let (code, out, err) = run_cli_code(&["ls", "--json"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let guests: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let running = guests
        .iter()
        .find(|g| g["status"] == "running" && g["type"] == "lxc")
        .expect("a running container");
    let vmid = running["vmid"].as_u64().unwrap().to_string();

    // A guest as a table: a header naming it and the frame, one row per series.
    let (code, out, err) = run_cli_code(&["metrics", &vmid], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let first = out.lines().next().unwrap();
    assert!(first.starts_with(&format!("CT {vmid} on lab/")), "{out}");
    assert!(first.contains("last hour, 60 points of 60 s"), "{out}");
    assert!(out.lines().nth(1).unwrap().starts_with("SERIES"), "{out}");
    let cpu = out
        .lines()
        .find(|l| l.starts_with("cpu "))
        .expect("a cpu row");
    assert!(cpu.contains('%'), "{cpu}");
    let net = out.lines().find(|l| l.starts_with("netin ")).unwrap();
    assert!(net.contains("/s"), "rates in bytes per second: {net}");
    let mem = out.lines().find(|l| l.starts_with("mem ")).unwrap();
    assert!(mem.contains("iB"), "binary units: {mem}");

    // A node as JSON, a week of it.
    let (code, out, err) = run_cli_code(
        &["metrics", "node:pve1", "--json", "--timeframe", "week"],
        &[],
        home.path(),
    );
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["target"]["type"], "node");
    assert_eq!(v["target"]["node"], "pve1");
    assert_eq!(v["timeframe"], "week");
    assert_eq!(v["step_s"], 1800);
    let series = v["series"].as_array().unwrap();
    let cpu = series.iter().find(|s| s["id"] == "cpu").unwrap();
    assert_eq!(cpu["unit"], "percent");
    let points = cpu["points"].as_array().unwrap();
    assert_eq!(points.len(), 336);
    assert!(points.iter().all(|p| p["time"].is_u64()));
    assert!(
        points
            .iter()
            .all(|p| p["value"].is_null() || p["value"].is_f64()),
        "a value or null, never a made-up zero"
    );
    // HOST:node:NAME works too, and a month has 1440 points.
    let (code, out, err) = run_cli_code(
        &["metrics", "lab:node:pve2", "--json", "--timeframe", "month"],
        &[],
        home.path(),
    );
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["series"][0]["points"].as_array().unwrap().len(), 1440);

    // Refusals: one clear line, exit 1.
    let (code, _, err) = run_cli_code(
        &["metrics", &vmid, "--timeframe", "fortnight"],
        &[],
        home.path(),
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        one_line(&err),
        "proximity: unknown time frame 'fortnight': use hour, day, week or month"
    );
    let (code, _, err) = run_cli_code(&["metrics", "node:nope"], &[], home.path());
    assert_eq!(code, Some(1));
    assert_eq!(one_line(&err), "proximity: no node named 'nope'");
    let (code, _, err) = run_cli_code(&["metrics", "99999"], &[], home.path());
    assert_eq!(code, Some(1));
    assert!(one_line(&err).contains("99999"), "{err}");
}

#[test]
fn a_node_name_on_two_hosts_must_be_qualified() {
    let lab = SimProcess::start(&["--nodes", "1", "--guests", "1"]);
    let prod = SimProcess::start(&["--nodes", "1", "--guests", "1"]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &lab);
    add_host(home.path(), "prod", &prod);
    let (code, _, err) = run_cli_code(&["metrics", "node:pve1"], &[], home.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        one_line(&err),
        "proximity: node 'pve1' is on 2 hosts: lab, prod; use HOST:node:pve1"
    );
    let (code, out, err) = run_cli_code(&["metrics", "prod:node:pve1"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("node pve1 on prod: last hour"), "{out}");
}
