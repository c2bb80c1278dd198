//! The emulator at scale: 10,000 guests, `/cluster/resources` stays fast.

use crate::sim_support;

use std::time::Instant;

use proximity::sim::SimConfig;
use sim_support::*;

#[tokio::test]
async fn ten_thousand_guests() {
    let t0 = Instant::now();
    let s = start_with(SimConfig {
        nodes: 8,
        guests: 10_000,
        check_returns: false,
        ..config()
    })
    .await;
    let started = t0.elapsed();
    let t1 = Instant::now();
    let a = s.call("GET", "/cluster/resources", &[]).await;
    let first = t1.elapsed();
    assert_eq!(a.status, 200);
    let data = a.data();
    let arr = data.as_array().unwrap();
    let guests = arr
        .iter()
        .filter(|r| r["type"] == "lxc" || r["type"] == "qemu")
        .count();
    assert_eq!(guests, 10_000);
    assert_eq!(arr.iter().filter(|r| r["type"] == "node").count(), 8);
    assert_eq!(arr.iter().filter(|r| r["type"] == "storage").count(), 16);
    let apps = arr
        .iter()
        .filter(|r| r["tags"].as_str().is_some_and(|t| t.contains("px-app-")))
        .count();
    assert!(apps > 100, "managed apps: {apps}");
    let t2 = Instant::now();
    for _ in 0..3 {
        assert_eq!(
            s.call("GET", "/cluster/resources", &[("type", "vm")])
                .await
                .status,
            200
        );
    }
    let per = t2.elapsed() / 3;
    eprintln!(
        "10k guests: start {started:?}, first resources {first:?}, then {per:?} per call, {} bytes",
        a.body.len()
    );
    // Speed is measured by scripts/bench-ls.sh, not asserted here.
    let next = s.get("/cluster/nextid").await;
    assert_eq!(next, "10100");
    s.finish().await;
}
