//! The emulator's wire quirks: envelope, types, reason phrases, 501s, body rules.

use crate::sim_support;

use sim_support::*;

#[tokio::test]
async fn envelope_and_value_types() {
    let s = start().await;
    let v = s.call("GET", "/version", &[]).await;
    assert_eq!(v.status, 200);
    assert_eq!(v.headers["content-type"], "application/json;charset=UTF-8");
    assert_eq!(v.headers["server"], "pve-api-daemon/3.0");
    let j = v.json();
    assert_eq!(j.as_object().unwrap().len(), 1, "only data: {j}");
    assert_eq!(j["data"]["version"], "9.1.3");

    let next = s.get("/cluster/nextid").await;
    assert!(next.is_string(), "nextid is a JSON string: {next}");
    let n: u64 = next.as_str().unwrap().parse().unwrap();
    assert!(n >= 100);

    let st = s.get("/nodes/pve1/status").await;
    let load = st["loadavg"].as_array().unwrap();
    assert_eq!(load.len(), 3);
    assert!(
        load.iter().all(|l| l.is_string()),
        "loadavg strings: {load:?}"
    );
    assert!(st["cpuinfo"]["mhz"].is_string());

    let ct = s.find_guest("pve1", "lxc", "running").await;
    let cfg = s.get(&format!("/nodes/pve1/lxc/{ct}/config")).await;
    assert_eq!(
        cfg["unprivileged"],
        serde_json::json!(1),
        "booleans are 0/1 numbers: {cfg}"
    );
    assert!(cfg["memory"].is_u64());
    assert_eq!(cfg["digest"].as_str().unwrap().len(), 40);

    let res = s.get("/cluster/resources").await;
    let arr = res.as_array().unwrap();
    assert!(arr.iter().any(|r| r["type"] == "node"));
    assert!(
        arr.iter()
            .any(|r| r["type"] == "storage" && r["plugintype"] == "lvmthin")
    );
    let g = arr.iter().find(|r| r["type"] == "lxc").unwrap();
    assert!(g["template"] == 0 && g["id"].as_str().unwrap().starts_with("lxc/"));
    let vms = s.get("/cluster/resources?type=vm").await;
    assert!(
        vms.as_array()
            .unwrap()
            .iter()
            .all(|r| r["type"] == "lxc" || r["type"] == "qemu")
    );
    assert!(
        s.handle.schema_violations().is_empty(),
        "{:?}",
        s.handle.schema_violations()
    );
    s.finish().await;
}

#[tokio::test]
async fn total_only_when_nonzero() {
    let s = start().await;
    let empty = s
        .call("GET", "/nodes/pve1/tasks", &[("typefilter", "nothing")])
        .await;
    assert_eq!(empty.status, 200);
    assert_eq!(
        empty.json(),
        serde_json::json!({"data": []}),
        "total omitted when 0"
    );
    let ct = s.find_guest("pve1", "lxc", "stopped").await;
    let upid = s
        .call("POST", &format!("/nodes/pve1/lxc/{ct}/status/start"), &[])
        .await
        .data();
    s.wait_task(upid.as_str().unwrap()).await;
    let list = s
        .call("GET", "/nodes/pve1/tasks", &[("typefilter", "vzstart")])
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["data"][0]["status"], "OK");
    assert_eq!(list["data"][0]["user"], "root@pam");
    assert_eq!(list["data"][0]["tokenid"], "proximity");
    s.finish().await;
}

#[tokio::test]
async fn reason_phrases_and_error_bodies() {
    let s = start().await;
    let tok = s.token_header();
    // No credentials: 401 "No ticket", empty body, connection closed.
    let (line, text) = s
        .raw("GET /api2/json/nodes HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(line, "HTTP/1.1 401 No ticket");
    assert!(text.to_lowercase().contains("connection: close"));
    assert!(text.ends_with("\r\n\r\n"), "empty body: {text:?}");
    // Bad token: "Authentication failed!".
    let (line, _) = s.raw("GET /api2/json/nodes HTTP/1.1\r\nHost: x\r\nAuthorization: PVEAPIToken=root@pam!x=y\r\n\r\n").await;
    assert_eq!(line, "HTTP/1.1 401 Authentication failed!");
    // Unknown path and missing format.
    let (line, text) = s
        .raw(&format!(
            "GET /api2/json/foo HTTP/1.1\r\nHost: x\r\nAuthorization: {tok}\r\n\r\n"
        ))
        .await;
    assert_eq!(line, "HTTP/1.1 501 Method 'GET /foo' not implemented");
    assert!(
        text.contains(r#""message":"Method 'GET /foo' not implemented""#),
        "{text}"
    );
    let (line, _) = s
        .raw(&format!(
            "GET /api2/nodes HTTP/1.1\r\nHost: x\r\nAuthorization: {tok}\r\n\r\n"
        ))
        .await;
    assert!(line.starts_with("HTTP/1.1 501"), "{line}");
    // DELETE with a body.
    let (line, _) = s
        .raw(&format!(
            "DELETE /api2/json/nodes/pve1/lxc/100 HTTP/1.1\r\nHost: x\r\nAuthorization: {tok}\r\nContent-Length: 7\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\npurge=1"
        ))
        .await;
    assert_eq!(line, "HTTP/1.1 501 Unexpected content for method 'DELETE'");
    // Handler errors: reason = first line of the message.
    let (line, text) = s
        .raw(&format!(
            "GET /api2/json/nodes/nope/status HTTP/1.1\r\nHost: x\r\nAuthorization: {tok}\r\n\r\n"
        ))
        .await;
    assert!(
        line.starts_with("HTTP/1.1 500 hostname lookup 'nope' failed - "),
        "{line}"
    );
    assert!(text.contains(r#""data":null"#));
    let missing = s
        .call("GET", "/nodes/pve1/lxc/99999/status/current", &[])
        .await;
    assert_eq!(missing.status, 500);
    assert_eq!(
        missing.json()["message"],
        "Configuration file 'nodes/pve1/lxc/99999.conf' does not exist\n"
    );
    // Parameter errors.
    let bad = s
        .call("GET", "/cluster/resources", &[("type", "bogus")])
        .await;
    assert_eq!(bad.status, 400);
    let j = bad.json();
    assert_eq!(j["message"], "Parameter verification failed.\n");
    assert!(
        j["errors"]["type"]
            .as_str()
            .unwrap()
            .contains("enumeration")
    );
    s.finish().await;
}

#[tokio::test]
async fn power_errors_and_forms() {
    let s = start().await;
    let running = s.find_guest("pve1", "lxc", "running").await;
    let (line, text) = s
        .raw(&format!(
            "POST /api2/json/nodes/pve1/lxc/{running}/status/start HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: 0\r\n\r\n",
            s.token_header()
        ))
        .await;
    assert_eq!(line, format!("HTTP/1.1 500 CT {running} already running"));
    assert!(
        text.contains(&format!(r#""message":"CT {running} already running\n""#)),
        "{text}"
    );
    let del = s
        .call("DELETE", &format!("/nodes/pve1/lxc/{running}"), &[])
        .await;
    assert_eq!(del.status, 500);
    assert_eq!(
        del.json()["message"],
        format!("unable to destroy CT {running} - container is running\n")
    );
    let stopped = s.find_guest("pve1", "lxc", "stopped").await;
    let stop = s
        .call(
            "POST",
            &format!("/nodes/pve1/lxc/{stopped}/status/stop"),
            &[],
        )
        .await;
    assert_eq!(
        stop.json()["message"],
        format!("CT {stopped} not running\n")
    );
    let term = s
        .call("POST", &format!("/nodes/pve1/lxc/{stopped}/termproxy"), &[])
        .await;
    assert_eq!(
        (term.status, term.json()["message"].as_str().unwrap()),
        (500, format!("CT {stopped} not running\n").as_str())
    );
    let iface = s
        .call("GET", &format!("/nodes/pve1/lxc/{stopped}/interfaces"), &[])
        .await;
    assert_eq!(iface.json(), serde_json::json!({"data": null}));
    // "true" is not a boolean; `;` separates form pairs; query overrides body.
    let bad = s
        .send(
            s.http
                .put(format!(
                    "{}/nodes/pve1/lxc/{stopped}/config?onboot=1",
                    s.base
                ))
                .header("Authorization", s.token_header())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("onboot=true;description=hello+world"),
        )
        .await;
    assert_eq!(bad.status, 200, "{}", bad.body);
    let cfg = s.get(&format!("/nodes/pve1/lxc/{stopped}/config")).await;
    assert_eq!(
        (cfg["onboot"].clone(), cfg["description"].clone()),
        (serde_json::json!(1), serde_json::json!("hello world"))
    );
    let bad = s
        .call(
            "PUT",
            &format!("/nodes/pve1/lxc/{stopped}/config"),
            &[("onboot", "true")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["errors"]["onboot"],
        "type check ('boolean') failed - got 'true'"
    );
    s.finish().await;
}

#[tokio::test]
async fn json_bodies_and_gzip() {
    let s = start().await;
    let ct = s.find_guest("pve1", "lxc", "stopped").await;
    let put = s
        .send(
            s.http
                .put(format!("{}/nodes/pve1/lxc/{ct}/config", s.base))
                .header("Authorization", s.token_header())
                .json(&serde_json::json!({"onboot": true, "cores": 3, "description": "from json"})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let cfg = s.get(&format!("/nodes/pve1/lxc/{ct}/config")).await;
    assert_eq!(
        (cfg["onboot"].clone(), cfg["cores"].clone()),
        (serde_json::json!(1), serde_json::json!(3))
    );
    // Big answers are gzipped when asked; small ones are not.
    let req = |path: &str| {
        format!(
            "GET /api2/json{path} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
            s.token_header()
        )
    };
    let (line, text) = s.raw(&req("/cluster/resources")).await;
    assert_eq!(line, "HTTP/1.1 200 OK");
    assert!(
        text.to_lowercase().contains("content-encoding: gzip"),
        "{}",
        &text[..300.min(text.len())]
    );
    let (_, text) = s.raw(&req("/version")).await;
    assert!(!text.to_lowercase().contains("content-encoding"));
    // reqwest decodes it transparently.
    assert!(s.get("/cluster/resources").await.as_array().unwrap().len() > 24);
    s.finish().await;
}

/// `POST /nodes/{node}/qemu` with `archive`: a VM's restore, checked as qemu-server checks
/// it (force needs archive, no other options beside it, no overwrite without force, never a
/// running VM, a container's backup is no VM's), then a `qmrestore` task; no request or
/// answer breaks the schema.
#[tokio::test]
async fn a_vm_restores_from_its_backup() {
    let s = start().await;
    let vm = s.find_guest("pve1", "qemu", "running").await;
    let dump = s
        .call(
            "POST",
            "/nodes/pve1/vzdump",
            &[("vmid", &vm.to_string()), ("storage", "local")],
        )
        .await;
    assert_eq!(dump.status, 200, "{}", dump.body);
    let upid = dump.data().as_str().unwrap().to_string();
    assert_eq!(s.wait_task(&upid).await, "OK");
    let content = s
        .get("/nodes/pve1/storage/local/content?content=backup")
        .await;
    let archive = content
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vmid"] == vm && v["subtype"] == "qemu")
        .expect("the VM's backup")["volid"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        archive.contains("vzdump-qemu-") && archive.ends_with(".vma.zst"),
        "{archive}"
    );
    let id = vm.to_string();

    let bad = s
        .call(
            "POST",
            "/nodes/pve1/qemu",
            &[("vmid", "950"), ("force", "1")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["errors"]["archive"],
        "missing property - 'force' requires this property"
    );
    let bad = s
        .call(
            "POST",
            "/nodes/pve1/qemu",
            &[("vmid", "950"), ("archive", &archive), ("cores", "2")],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(
        bad.json()["errors"]["archive"],
        "option conflicts with other options (cores)"
    );
    let over = s
        .call(
            "POST",
            "/nodes/pve1/qemu",
            &[("vmid", &id), ("archive", &archive)],
        )
        .await;
    assert_eq!(
        (over.status, over.json()["message"].as_str().unwrap()),
        (
            500,
            format!("unable to restore VM {vm} - config file already exists\n").as_str()
        )
    );
    let running = s
        .call(
            "POST",
            "/nodes/pve1/qemu",
            &[("vmid", &id), ("archive", &archive), ("force", "1")],
        )
        .await;
    assert_eq!(
        running.json()["message"],
        format!("unable to restore VM {vm} - vm is running\n")
    );
    let ct = content
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["subtype"] == "lxc")
        .map(|v| v["volid"].as_str().unwrap().to_string());
    if let Some(ct) = ct {
        let wrong = s
            .call(
                "POST",
                "/nodes/pve1/qemu",
                &[("vmid", "951"), ("archive", &ct)],
            )
            .await;
        assert_eq!(wrong.status, 500, "{}", wrong.body);
    }

    // To a new vmid: a task `qmrestore`, the VM stopped with its disks renamed.
    let new = s
        .call(
            "POST",
            "/nodes/pve1/qemu",
            &[("vmid", "950"), ("archive", &archive)],
        )
        .await;
    assert_eq!(new.status, 200, "{}", new.body);
    let upid = new.data().as_str().unwrap().to_string();
    assert!(upid.contains(":qmrestore:950:"), "{upid}");
    assert_eq!(s.wait_task(&upid).await, "OK");
    let status = s.get("/nodes/pve1/qemu/950/status/current").await;
    assert_eq!(status["status"], "stopped");
    let config = s.get("/nodes/pve1/qemu/950/config").await;
    let disks = config.to_string();
    assert!(
        disks.contains("vm-950-disk-0") && !disks.contains(&format!("vm-{vm}-disk")),
        "{config}"
    );
    assert!(
        s.handle.schema_violations().is_empty(),
        "{:?}",
        s.handle.schema_violations()
    );
    s.finish().await;
}
