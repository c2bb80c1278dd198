//! Every command that prints server text, against a server whose every string carries
//! terminal escapes (OSC 52 clipboard writes, title changes, CSI colors and screen clears,
//! BEL, C1 controls): nothing of them reaches the user's terminal, on stdout or stderr, in
//! tables, JSON and errors alike, while the visible text survives.

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use support::run_cli_code;

const ESC_TITLE: &str = "\x1b]0;owned\x07";
const OSC52: &str = "\x1b]52;c;ZXZpbA==\x07";
const CSI: &str = "\x1b[31m\x1b[2J";
const C1: &str = "\u{9b}31m\u{90}x\u{9c}";
const UPID: &str = "UPID:pve1:0003A1F2:0108C3B4:6745A1B2:vzstart:100:root@pam:";

fn hostile(text: &str) -> String {
    format!("{text}{ESC_TITLE}{OSC52}{CSI}{C1}\x07")
}

fn answer(method: &str, path: &str) -> (u16, Value) {
    let data = match (method, path) {
        ("GET", "/version") => {
            json!({"version": hostile("8.2.4"), "release": "8.2", "repoid": "abc"})
        }
        ("GET", "/cluster/resources") => json!([
            {"id": "node/pve1", "type": "node", "node": "pve1", "status": hostile("online"),
             "maxcpu": 4, "cpu": 0.1, "mem": 1, "maxmem": 2, "disk": 1, "maxdisk": 2, "uptime": 9},
            {"id": "lxc/100", "type": "lxc", "node": "pve1", "vmid": 100, "name": hostile("web"),
             "status": "stopped", "tags": hostile("prod"), "maxcpu": 1, "cpu": 0, "mem": 1,
             "maxmem": 2, "uptime": 0},
            {"id": "lxc/101", "type": "lxc", "node": "pve1", "vmid": 101, "name": "db",
             "status": hostile("running"), "lock": hostile("backup"), "maxcpu": 1, "cpu": 0,
             "mem": 1, "maxmem": 2, "uptime": 5},
        ]),
        ("GET", "/nodes") => json!([
            {"node": "pve1", "status": hostile("online"), "cpu": 0.1, "maxcpu": 4, "mem": 1,
             "maxmem": 2, "disk": 1, "maxdisk": 2, "uptime": 9, "level": hostile("c"),
             "ssl_fingerprint": hostile("AA")}
        ]),
        ("GET", "/cluster/tasks") => json!([
            {"upid": UPID, "node": "pve1", "pid": 1, "pstart": 1, "starttime": 1_700_000_000,
             "type": hostile("vzstart"), "id": hostile("100"), "user": hostile("root@pam"),
             "status": hostile("OK"), "endtime": 1_700_000_005}
        ]),
        ("POST", "/nodes/pve1/lxc/100/status/start") => json!(hostile(UPID)),
        ("GET", p) if p.ends_with("/status") && p.contains("/tasks/") => json!({
            "upid": UPID, "node": "pve1", "pid": 1, "pstart": 1, "starttime": 1_700_000_000,
            "type": "vzstart", "id": "100", "user": "root@pam", "status": "stopped",
            "exitstatus": hostile("OK")
        }),
        ("GET", p) if p.ends_with("/log") && p.contains("/tasks/") => json!([
            {"n": 1, "t": hostile("starting")},
            {"n": 2, "t": hostile("TASK OK")}
        ]),
        _ => {
            return (
                500,
                json!({"data": null, "message": hostile(&format!("no {method} {path}"))}),
            );
        }
    };
    (200, json!({ "data": data }))
}

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|req: Request<hyper::body::Incoming>| async move {
                    let path = req
                        .uri()
                        .path()
                        .trim_start_matches("/api2/json")
                        .to_string();
                    let path = percent_encoding::percent_decode_str(&path)
                        .decode_utf8_lossy()
                        .into_owned();
                    let (status, body) = answer(req.method().as_str(), &path);
                    Ok::<_, Infallible>(
                        Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(body.to_string())))
                            .unwrap(),
                    )
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Nothing that a terminal would act on: no ESC, no BEL, no C1 control, no other C0
/// control but newline and tab.
fn assert_inert(what: &str, text: &str) {
    for (i, c) in text.char_indices() {
        let bad = (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c);
        assert!(
            !bad,
            "{what}: control {:?} at byte {i} in:\n{}",
            c,
            text.escape_debug()
        );
    }
}

#[test]
fn no_server_text_reaches_the_terminal_raw_from_any_command() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = runtime.block_on(serve());
    let home = tempfile::tempdir().unwrap();
    let env = vec![
        ("PROXIMITY_URL".to_string(), format!("http://{addr}")),
        (
            "PROXIMITY_TOKEN".to_string(),
            "root@pam!t=00000000-0000-0000-0000-000000000000".to_string(),
        ),
    ];
    let commands: &[(&[&str], &str)] = &[
        (&["ls"], "web"),
        (&["ls", "--json"], "web"),
        (&["nodes"], "online"),
        (&["nodes", "--json"], "online"),
        (&["tasks"], "vzstart"),
        (&["tasks", "--json"], "vzstart"),
        (&["start", "100"], ""),
        (&["stop", "101"], ""),
        (&["rm", "100"], ""),
        (&["logs", UPID], "starting"),
    ];
    for (args, visible) in commands {
        let (code, out, err) = runtime.block_on(async {
            let args = args.to_vec();
            let env = env.clone();
            let home = home.path().to_path_buf();
            tokio::task::spawn_blocking(move || run_cli_code(&args, &env, &home))
                .await
                .unwrap()
        });
        let what = args.join(" ");
        assert!(code.is_some(), "{what}: exited by a signal");
        assert_inert(&format!("{what} stdout"), &out);
        assert_inert(&format!("{what} stderr"), &err);
        assert!(
            out.contains(visible) || err.contains(visible),
            "{what}: the visible text {visible:?} is kept:\n{out}\n{err}"
        );
    }
}
