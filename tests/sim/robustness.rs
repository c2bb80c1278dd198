//! Hostile requests never take the emulator down: every one gets an HTTP answer and the server
//! keeps serving.

use crate::sim_support;

use sim_support::*;

#[tokio::test]
async fn hostile_requests_get_answers() {
    let s = start().await;
    let tok = s.token_header();
    let paths = [
        "/api2/json/nodes/%ff%fe/status",
        "/api2/json/nodes/pve1/lxc/99999999999999999999/status/current",
        "/api2/json/nodes/pve1/lxc/-5/config",
        "/api2/json/nodes/pve1/tasks?start=-1&limit=99999999999999999999",
        "/api2/json/nodes/pve1/tasks?start=18446744073709551615&limit=5",
        "/api2/json/nodes/pve1/tasks/UPID:pve1:FFFFFFFF:FFFFFFFFF:FFFFFFFF:x:y:z:/log?start=5&limit=0",
        "/api2/json/nodes/pve1/tasks/%3A%3A%3A/status",
        "/api2/json/nodes/pve1/rrddata?timeframe=hour&cf=MIN",
        "/api2/json/cluster/nextid?vmid=abc",
        "/api2/json/cluster/resources?type=",
        "/api2/json/nodes/pve1/storage/..%2F..%2Fetc/content",
        "/api2/json/nodes/pve1/lxc/100/vncwebsocket?port=99999&vncticket=x",
        "/api2/json/nodes/pve1/lxc/100/vncwebsocket",
        "/api2/json/nodes/pve1/vncwebsocket?port=5900&vncticket=PVEVNC:00000000::AAAA",
        "/api2/json//////",
        "/api2/",
        "/",
    ];
    for p in paths {
        let req = format!(
            "GET {p} HTTP/1.1\r\nHost: x\r\nAuthorization: {tok}\r\nConnection: close\r\n\r\n"
        );
        let (line, _) = s.raw(&req).await;
        assert!(line.starts_with("HTTP/1.1 "), "{p}: {line:?}");
    }
    let bodies: [(&str, &str, &str); 6] = [
        (
            "POST",
            "/api2/json/nodes/pve1/lxc",
            "vmid=100000000000&ostemplate=x",
        ),
        (
            "POST",
            "/api2/json/nodes/pve1/lxc",
            "{\"vmid\": [1, {\"a\": null}], \"ostemplate\": 5}",
        ),
        (
            "POST",
            "/api2/json/nodes/pve1/vzdump",
            "vmid=1,2,,x&storage=%00",
        ),
        (
            "PUT",
            "/api2/json/nodes/pve1/lxc/100/config",
            "delete=net0,,rootfs&digest=zz",
        ),
        (
            "POST",
            "/api2/json/access/ticket",
            "username=%ZZ&password=PVE:root@pam:FFFFFFFF::%%%",
        ),
        (
            "POST",
            "/api2/json/nodes/pve1/lxc/100/snapshot",
            "snapname=current",
        ),
    ];
    for (m, p, body) in bodies {
        let ctype = if body.starts_with('{') {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        let req = format!(
            "{m} {p} HTTP/1.1\r\nHost: x\r\nAuthorization: {tok}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let (line, _) = s.raw(&req).await;
        assert!(line.starts_with("HTTP/1.1 "), "{m} {p}: {line:?}");
    }
    // Cookie tickets with garbage.
    for cookie in [
        "PVEAuthCookie=",
        "PVEAuthCookie=PVE:::::",
        "PVEAuthCookie=%E2%28%A1",
        "x=y; PVEAuthCookie=PVE:a:-8000000::b",
    ] {
        let req = format!(
            "GET /api2/json/nodes HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        );
        let (line, _) = s.raw(&req).await;
        assert_eq!(line, "HTTP/1.1 401 Authentication failed!", "{cookie}");
    }
    assert_eq!(s.get("/version").await["version"], "9.1.3");
    s.finish().await;
}
