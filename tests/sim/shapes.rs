//! Every read endpoint of the emulator, checked against the real API schema's `returns`
//! (`check_returns` on): a misnamed or mistyped field shows up as a violation.

use crate::sim_support;

use sim_support::*;

#[tokio::test]
async fn read_endpoints_match_the_schema() {
    let s = start().await;
    let ct = s.find_guest("pve1", "lxc", "running").await;
    let (qn, vm) = s.find_any("qemu", "running").await;
    // A finished task to look at.
    let stopped = s.find_guest("pve1", "lxc", "stopped").await;
    let up = s
        .call(
            "POST",
            &format!("/nodes/pve1/lxc/{stopped}/status/start"),
            &[],
        )
        .await
        .data();
    let upid = urlencode(up.as_str().unwrap());
    s.wait_task(up.as_str().unwrap()).await;
    let snap = s
        .call(
            "POST",
            &format!("/nodes/pve1/lxc/{ct}/snapshot"),
            &[("snapname", "s1")],
        )
        .await
        .data();
    s.wait_task(snap.as_str().unwrap()).await;

    let paths = [
        "/version".to_string(),
        "/nodes".into(),
        "/nodes/pve1/status".into(),
        "/nodes/pve1/version".into(),
        "/cluster/status".into(),
        "/cluster/resources".into(),
        "/cluster/resources?type=storage".into(),
        "/cluster/nextid".into(),
        "/nodes/pve1/lxc".into(),
        format!("/nodes/pve1/lxc/{ct}/status/current"),
        format!("/nodes/pve1/lxc/{ct}/config"),
        format!("/nodes/pve1/lxc/{ct}/interfaces"),
        format!("/nodes/pve1/lxc/{ct}/snapshot"),
        format!("/nodes/pve1/lxc/{ct}/rrddata?timeframe=hour"),
        format!("/nodes/{qn}/qemu"),
        format!("/nodes/{qn}/qemu/{vm}/status/current"),
        format!("/nodes/{qn}/qemu/{vm}/rrddata?timeframe=week"),
        "/nodes/pve1/storage".into(),
        "/nodes/pve1/storage/local/content".into(),
        "/nodes/pve1/storage/local-lvm/content".into(),
        "/nodes/pve1/aplinfo".into(),
        "/nodes/pve1/tasks".into(),
        format!("/nodes/pve1/tasks/{upid}/status"),
        format!("/nodes/pve1/tasks/{upid}/log"),
        "/nodes/pve1/rrddata?timeframe=day".into(),
    ];
    for p in &paths {
        let a = s.call("GET", p, &[]).await;
        assert_eq!(a.status, 200, "GET {p}: {}", a.body);
    }
    let v = s.handle.schema_violations();
    assert!(v.is_empty(), "schema violations:\n{}", v.join("\n"));
    s.finish().await;
}

#[tokio::test]
async fn schema_rejects_bad_params() {
    let s = start().await;
    let ct = s.find_guest("pve1", "lxc", "stopped").await;
    let bad = s
        .call(
            "POST",
            &format!("/nodes/pve1/lxc/{ct}/status/start"),
            &[("skiplock", "yes")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["errors"]["skiplock"],
        "type check ('boolean') failed - got 'yes'"
    );
    let extra = s.call("GET", "/nodes/pve1/lxc", &[("bogus", "1")]).await;
    assert_eq!(extra.status, 400, "{}", extra.body);
    let dup = s
        .call(
            "GET",
            &format!("/nodes/pve1/lxc/{ct}/config"),
            &[("node", "pve2")],
        )
        .await;
    assert_eq!(dup.status, 400);
    assert_eq!(
        dup.json()["errors"]["node"],
        "duplicate parameter (already defined in URI) with conflicting values!"
    );
    s.finish().await;
}

#[tokio::test]
async fn indexes_and_extra_reads() {
    let s = start().await;
    let root = s.get("/nodes/pve1").await;
    assert!(
        root.as_array()
            .unwrap()
            .iter()
            .any(|e| e["subdir"] == "lxc")
    );
    let ct = s.find_guest("pve1", "lxc", "running").await;
    let st = s.get(&format!("/nodes/pve1/lxc/{ct}/status")).await;
    assert!(
        st.as_array()
            .unwrap()
            .iter()
            .any(|e| e["subdir"] == "current")
    );
    let (qn, vm) = s.find_any("qemu", "running").await;
    let qc = s.get(&format!("/nodes/{qn}/qemu/{vm}/config")).await;
    assert!(qc["scsi0"].as_str().unwrap().contains("size=32G"));
    let snap = s
        .call(
            "POST",
            &format!("/nodes/pve1/lxc/{ct}/snapshot"),
            &[("snapname", "pre")],
        )
        .await
        .data();
    s.wait_task(snap.as_str().unwrap()).await;
    let sc = s
        .get(&format!("/nodes/pve1/lxc/{ct}/snapshot/pre/config"))
        .await;
    assert_eq!(
        sc["hostname"],
        s.get(&format!("/nodes/pve1/lxc/{ct}/config")).await["hostname"]
    );
    let ct_tasks = s.get("/cluster/tasks").await;
    assert_eq!(ct_tasks[0]["type"], "vzsnapshot");
    let gone = s.call("GET", "/nodes/pve9", &[]).await;
    assert_eq!(gone.status, 500);
    s.finish().await;
}
