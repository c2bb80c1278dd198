//! The emulator's alert knobs: a spiked guest reports the spike in `/cluster/resources`,
//! `status/current` and `rrddata` alike, and calms down again; an offline node says so and
//! its guests turn `unknown`; the control endpoint answers loopback POSTs only, never under
//! `/api2/`.

use crate::sim_support;
use sim_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spike_shows_everywhere_and_calms_down() {
    let sim = start().await;
    let (node, vmid) = sim.find_any("lxc", "running").await;
    let cpu_of = |list: &serde_json::Value| -> f64 {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["vmid"] == vmid)
            .unwrap()["cpu"]
            .as_f64()
            .unwrap()
    };
    let before = cpu_of(&sim.get("/cluster/resources?type=vm").await);
    assert!(before < 0.9, "{before}");
    assert!(sim.handle.spike(vmid as u32, Some((0.97, 0.95))));

    let now = cpu_of(&sim.get("/cluster/resources?type=vm").await);
    assert!(now >= 0.94, "resources: {now}");
    let status = sim
        .get(&format!("/nodes/{node}/lxc/{vmid}/status/current"))
        .await;
    assert!(status["cpu"].as_f64().unwrap() >= 0.94, "{status}");
    let mem = status["mem"].as_f64().unwrap() / status["maxmem"].as_f64().unwrap();
    assert!(mem >= 0.92, "status mem {mem}");
    let rrd = sim
        .get(&format!("/nodes/{node}/lxc/{vmid}/rrddata?timeframe=hour"))
        .await;
    let last = rrd.as_array().unwrap().last().unwrap().clone();
    assert!(last["cpu"].as_f64().unwrap() >= 0.94, "rrddata {last}");
    let early = &rrd.as_array().unwrap()[0];
    assert!(
        early["cpu"].as_f64().unwrap_or(0.0) < 0.9,
        "an hour ago: {early}"
    );

    assert!(sim.handle.spike(vmid as u32, None));
    assert!(cpu_of(&sim.get("/cluster/resources?type=vm").await) < 0.9);
    assert!(
        !sim.handle.spike(999_999, Some((1.0, 1.0))),
        "no such guest"
    );
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_node_and_the_control_endpoint() {
    let sim = start().await;
    let (status_line, _) = sim
        .raw("POST /_proximity-sim/node/pve2/offline HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .await;
    assert_eq!(status_line, "HTTP/1.1 200 OK");
    let all = sim.get("/cluster/resources").await;
    let list = all.as_array().unwrap();
    let node = list.iter().find(|r| r["id"] == "node/pve2").unwrap();
    assert_eq!(node["status"], "offline");
    let guests: Vec<&serde_json::Value> = list
        .iter()
        .filter(|r| r["node"] == "pve2" && r.get("vmid").is_some())
        .collect();
    assert!(!guests.is_empty());
    assert!(
        guests.iter().all(|g| g["status"] == "unknown"),
        "{guests:?}"
    );
    let nodes = sim.get("/nodes").await;
    assert!(
        nodes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["node"] == "pve2" && n["status"] == "offline")
    );
    // GET is refused, an unknown node is 404, and Proxmox's tree is untouched.
    let (status_line, _) = sim
        .raw(
            "GET /_proximity-sim/node/pve2/online HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
    assert_eq!(status_line, "HTTP/1.1 405 Method Not Allowed");
    let (status_line, _) = sim
        .raw("POST /_proximity-sim/node/nope/online HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .await;
    assert_eq!(status_line, "HTTP/1.1 404 Not Found");
    assert!(sim.handle.set_node_online("pve2", true));
    let all = sim.get("/cluster/resources?type=node").await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|n| n["status"] == "online")
    );
    sim.finish().await;
}
