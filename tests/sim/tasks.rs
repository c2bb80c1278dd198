//! Emulator worker tasks: UPIDs, growing logs, state changes as tasks run, lifecycles.

use crate::sim_support;

use std::time::Duration;

use serde_json::json;
use sim_support::*;

#[tokio::test]
async fn task_log_grows_and_ends_ok() {
    let s = start_with(proximity::sim::SimConfig {
        task_step_ms: 40,
        ..config()
    })
    .await;
    let upid = s
        .call(
            "POST",
            "/nodes/pve1/aplinfo",
            &[
                ("storage", "local"),
                ("template", "debian-13-standard_13.1-2_amd64.tar.zst"),
            ],
        )
        .await
        .data();
    let upid = upid.as_str().unwrap().to_string();
    assert!(
        upid.starts_with("UPID:pve1:")
            && upid
                .ends_with(":download:debian-13-standard_13.1-2_amd64.tar.zst:root@pam!proximity:"),
        "{upid}"
    );
    let enc = urlencode(&upid);
    let st = s.get(&format!("/nodes/pve1/tasks/{enc}/status")).await;
    assert_eq!(st["status"], "running");
    assert!(st.get("exitstatus").is_none());
    assert!(st["pid"].is_u64() && st["starttime"].is_u64());

    let mut seen = Vec::new();
    let mut last = String::new();
    for _ in 0..200 {
        let log = s
            .call(
                "GET",
                &format!("/nodes/pve1/tasks/{enc}/log"),
                &[("start", "0"), ("limit", "0")],
            )
            .await
            .json();
        let n = log["data"].as_array().unwrap().len();
        if seen.last() != Some(&n) {
            seen.push(n);
        }
        last = log["data"][n - 1]["t"].as_str().unwrap().to_string();
        if last.starts_with("TASK ") {
            assert_eq!(log["total"].as_u64().unwrap() as usize, n);
            assert_eq!(log["data"][0]["n"], 1);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(last, "TASK OK");
    assert!(seen.len() >= 3, "log grew line by line: {seen:?}");
    assert_eq!(s.wait_task(&upid).await, "OK");
    // Paging: start is 0-based, n is 1-based.
    let page = s
        .call(
            "GET",
            &format!("/nodes/pve1/tasks/{enc}/log"),
            &[("start", "2"), ("limit", "2")],
        )
        .await
        .json();
    assert_eq!(page["data"][0]["n"], 3);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let content = s
        .get("/nodes/pve1/storage/local/content?content=vztmpl")
        .await;
    assert!(content.as_array().unwrap().iter().any(|v| v["volid"]
        == "local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst"
        && v["format"] == "tzst"));
    // Task errors.
    let bad = s
        .call("GET", "/nodes/pve1/tasks/UPID:nope/status", &[])
        .await;
    assert_eq!(
        bad.json()["errors"],
        json!({"upid": "unable to parse worker upid"})
    );
    let gone = s
        .call(
            "GET",
            "/nodes/pve1/tasks/UPID:pve1:00000001:00000001:00000001:vzstart:100:root@pam:/status",
            &[],
        )
        .await;
    assert_eq!(gone.json()["errors"], json!({"upid": "no such task"}));
    let none = s
        .call(
            "POST",
            "/nodes/pve1/aplinfo",
            &[("storage", "local"), ("template", "nope.tar.gz")],
        )
        .await;
    assert_eq!(
        none.json()["errors"],
        json!({"template": "no such template"})
    );
    let lvm = s
        .call(
            "POST",
            "/nodes/pve1/aplinfo",
            &[
                ("storage", "local-lvm"),
                ("template", "debian-13-standard_13.1-2_amd64.tar.zst"),
            ],
        )
        .await;
    assert_eq!(
        lvm.json()["message"],
        "storage 'local-lvm' does not support templates\n"
    );
    assert!(
        s.handle.schema_violations().is_empty(),
        "{:?}",
        s.handle.schema_violations()
    );
    s.finish().await;
}

#[tokio::test]
async fn stopping_a_task_ends_it_with_an_error() {
    let s = start_with(proximity::sim::SimConfig {
        task_step_ms: 2000,
        ..config()
    })
    .await;
    let ct = s.find_guest("pve1", "lxc", "stopped").await;
    let upid = s
        .call("POST", &format!("/nodes/pve1/lxc/{ct}/status/start"), &[])
        .await
        .data();
    let upid = upid.as_str().unwrap();
    let active = s
        .call("GET", "/nodes/pve1/tasks", &[("source", "active")])
        .await
        .json();
    assert_eq!(active["data"][0]["status"], "RUNNING");
    let del = s
        .call(
            "DELETE",
            &format!("/nodes/pve1/tasks/{}", urlencode(upid)),
            &[],
        )
        .await;
    assert_eq!(del.status, 200);
    let exit = s.wait_task(upid).await;
    assert_ne!(exit, "OK");
    let cur = s.get(&format!("/nodes/pve1/lxc/{ct}/status/current")).await;
    assert_eq!(cur["status"], "stopped");
    let errs = s
        .call("GET", "/nodes/pve1/tasks", &[("errors", "1")])
        .await
        .json();
    assert_eq!(errs["total"], 1);
    s.finish().await;
}

#[tokio::test]
async fn container_lifecycle() {
    let s = start().await;
    let id: u64 = s
        .get("/cluster/nextid")
        .await
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ids = id.to_string();
    let create = s
        .call(
            "POST",
            "/nodes/pve1/lxc",
            &[
                ("vmid", idstr(&ids)),
                (
                    "ostemplate",
                    "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
                ),
                ("hostname", "web-test"),
                ("rootfs", "local-lvm:8"),
                ("net0", "name=eth0,bridge=vmbr0,ip=dhcp"),
                ("features", "nesting=1,keyctl=1"),
                ("tags", "proximity,px-app-demo"),
                ("password", "secret1"),
            ],
        )
        .await;
    assert_eq!(create.status, 200, "{}", create.body);
    let upid = create.data().as_str().unwrap().to_string();
    assert!(upid.contains(&format!(":vzcreate:{id}:")));
    // The vmid is taken at once (locked while the task runs).
    let dup = s
        .call(
            "POST",
            "/nodes/pve2/lxc",
            &[
                ("vmid", idstr(&ids)),
                (
                    "ostemplate",
                    "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
                ),
            ],
        )
        .await;
    assert_eq!(
        dup.json()["message"],
        format!("CT {id} already exists on node 'pve1'\n")
    );
    assert_eq!(s.wait_task(&upid).await, "OK");
    let cfg = s.get(&format!("/nodes/pve1/lxc/{id}/config")).await;
    assert_eq!(cfg["hostname"], "web-test");
    assert_eq!(cfg["tags"], "proximity;px-app-demo");
    assert_eq!(cfg["rootfs"], format!("local-lvm:vm-{id}-disk-0,size=8G"));
    assert!(cfg["net0"].as_str().unwrap().contains("hwaddr=BC:24:11:"));
    assert!(cfg.get("lock").is_none());
    let cur = s.get(&format!("/nodes/pve1/lxc/{id}/status/current")).await;
    assert_eq!(
        (
            cur["status"].clone(),
            cur["ha"].clone(),
            cur["maxdisk"].clone()
        ),
        (json!("stopped"), json!({"managed": 0}), json!(8u64 << 30))
    );

    // Start, interfaces, snapshot, backup.
    let up = s
        .call("POST", &format!("/nodes/pve1/lxc/{id}/status/start"), &[])
        .await
        .data();
    assert_eq!(s.wait_task(up.as_str().unwrap()).await, "OK");
    let ifs = s.get(&format!("/nodes/pve1/lxc/{id}/interfaces")).await;
    assert_eq!(ifs[1]["name"], "eth0");
    assert!(ifs[1]["inet"].as_str().unwrap().contains('/'));
    let snap = s
        .call(
            "POST",
            &format!("/nodes/pve1/lxc/{id}/snapshot"),
            &[("snapname", "before"), ("description", "d")],
        )
        .await
        .data();
    assert_eq!(s.wait_task(snap.as_str().unwrap()).await, "OK");
    let snaps = s.get(&format!("/nodes/pve1/lxc/{id}/snapshot")).await;
    assert_eq!(snaps[0]["name"], "before");
    assert_eq!(
        (
            snaps[1]["name"].clone(),
            snaps[1]["running"].clone(),
            snaps[1]["parent"].clone()
        ),
        (json!("current"), json!(1), json!("before"))
    );
    let dump = s
        .call(
            "POST",
            "/nodes/pve1/vzdump",
            &[
                ("vmid", idstr(&ids)),
                ("storage", "local"),
                ("mode", "snapshot"),
            ],
        )
        .await
        .data();
    let dump = dump.as_str().unwrap().to_string();
    assert!(dump.contains(&format!(":vzdump:{id}:")));
    assert_eq!(s.wait_task(&dump).await, "OK");
    let backups = s
        .get(&format!(
            "/nodes/pve1/storage/local/content?content=backup&vmid={id}"
        ))
        .await;
    let backup = backups[0]["volid"].as_str().unwrap().to_string();
    assert!(
        backup.starts_with(&format!("local:backup/vzdump-lxc-{id}-"))
            && backup.ends_with(".tar.zst"),
        "{backup}"
    );
    assert_eq!(backups[0]["subtype"], "lxc");

    // Stop, destroy, restore from the backup.
    let down = s
        .call(
            "POST",
            &format!("/nodes/pve1/lxc/{id}/status/shutdown"),
            &[],
        )
        .await
        .data();
    assert_eq!(s.wait_task(down.as_str().unwrap()).await, "OK");
    let del = s
        .call(
            "DELETE",
            &format!("/nodes/pve1/lxc/{id}"),
            &[("purge", "1")],
        )
        .await
        .data();
    assert_eq!(s.wait_task(del.as_str().unwrap()).await, "OK");
    let gone = s
        .call("GET", &format!("/nodes/pve1/lxc/{id}/config"), &[])
        .await;
    assert_eq!(gone.status, 500);
    let restore = s
        .call(
            "POST",
            "/nodes/pve1/lxc",
            &[
                ("vmid", idstr(&ids)),
                ("ostemplate", backup.as_str()),
                ("restore", "1"),
                ("storage", "local-lvm"),
            ],
        )
        .await;
    assert_eq!(restore.status, 200, "{}", restore.body);
    let ru = restore.data().as_str().unwrap().to_string();
    assert!(ru.contains(":vzrestore:"));
    assert_eq!(s.wait_task(&ru).await, "OK");
    let cfg = s.get(&format!("/nodes/pve1/lxc/{id}/config")).await;
    assert_eq!(cfg["hostname"], "web-test");

    // Clone to a new id.
    let newid = (id + 1000).to_string();
    let cl = s
        .call(
            "POST",
            &format!("/nodes/pve1/lxc/{id}/clone"),
            &[("newid", newid.as_str()), ("hostname", "web-copy")],
        )
        .await;
    assert_eq!(cl.status, 200, "{}", cl.body);
    assert_eq!(s.wait_task(cl.data().as_str().unwrap()).await, "OK");
    let cc = s.get(&format!("/nodes/pve1/lxc/{newid}/config")).await;
    assert_eq!(cc["hostname"], "web-copy");
    assert_ne!(cc["net0"], cfg["net0"], "clone gets a new MAC");
    assert!(
        s.handle.schema_violations().is_empty(),
        "{:?}",
        s.handle.schema_violations()
    );
    s.finish().await;
}

fn idstr(s: &str) -> &str {
    s
}

#[tokio::test]
async fn qemu_power_and_rrd() {
    let s = start().await;
    let (n, vm) = s.find_any("qemu", "stopped").await;
    let up = s
        .call("POST", &format!("/nodes/{n}/qemu/{vm}/status/start"), &[])
        .await
        .data();
    let up = up.as_str().unwrap();
    assert!(up.contains(&format!(":qmstart:{vm}:")));
    assert_eq!(s.wait_task(up).await, "OK");
    let again = s
        .call("POST", &format!("/nodes/{n}/qemu/{vm}/status/start"), &[])
        .await;
    assert_eq!(
        again.json()["message"],
        format!("VM {vm} already running\n")
    );
    let cur = s.get(&format!("/nodes/{n}/qemu/{vm}/status/current")).await;
    assert_eq!(cur["qmpstatus"], "running");
    let rrd = s.get("/nodes/pve1/rrddata?timeframe=hour").await;
    assert_eq!(rrd.as_array().unwrap().len(), 60);
    assert!(rrd[0]["time"].is_u64() && rrd[0]["cpu"].is_f64());
    let ct = s.find_guest("pve1", "lxc", "running").await;
    let rrd = s
        .get(&format!("/nodes/pve1/lxc/{ct}/rrddata?timeframe=day"))
        .await;
    assert_eq!(rrd.as_array().unwrap().len(), 1440);
    let bad = s
        .call("GET", "/nodes/pve1/rrddata", &[("timeframe", "century")])
        .await;
    assert_eq!(bad.status, 400);
    s.finish().await;
}

#[tokio::test]
async fn locks_are_held_while_tasks_run() {
    let s = start_with(proximity::sim::SimConfig {
        task_step_ms: 150,
        ..config()
    })
    .await;
    let create = s
        .call(
            "POST",
            "/nodes/pve2/lxc",
            &[
                ("vmid", "4242"),
                (
                    "ostemplate",
                    "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz",
                ),
                ("rootfs", "local-lvm:2"),
                ("start", "1"),
            ],
        )
        .await;
    assert_eq!(create.status, 200, "{}", create.body);
    let upid = create.data().as_str().unwrap().to_string();
    let cur = s.get("/nodes/pve2/lxc/4242/status/current").await;
    assert_eq!(
        (cur["lock"].clone(), cur["status"].clone()),
        (json!("create"), json!("stopped"))
    );
    let busy = s
        .call("POST", "/nodes/pve2/lxc/4242/status/start", &[])
        .await;
    assert_eq!(busy.json()["message"], "CT 4242 is locked (create)\n");
    let res = s.get("/cluster/resources?type=vm").await;
    assert!(
        res.as_array()
            .unwrap()
            .iter()
            .any(|r| r["vmid"] == 4242 && r["lock"] == "create")
    );
    assert_eq!(s.wait_task(&upid).await, "OK");
    let cur = s.get("/nodes/pve2/lxc/4242/status/current").await;
    assert!(cur.get("lock").is_none());
    assert_eq!(cur["status"], "running", "start=1 starts it after creation");
    assert_eq!(
        s.get("/nodes/pve2/lxc/4242/config").await["ostype"],
        "alpine"
    );
    s.finish().await;
}
