//! Console session lifecycles: termproxy's timeouts, one connection per slot, `drop_after`,
//! and no process outliving its session.

use crate::common;

use std::time::Duration;

use common::*;
use proximity::sim::console::{ConsoleConfig, ConsoleHub};

#[tokio::test]
async fn no_websocket_in_time_fails_the_task_and_frees_the_port() {
    let hub = ConsoleHub::new(shell_config())
        .with_timeouts(Duration::from_millis(300), Duration::from_secs(10));
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let port = grant.port;
    let ticket = grant.ticket.clone();
    let err = finished(grant)
        .await
        .expect_err("accept timeout must fail the task");
    assert!(
        err.contains("failed waiting for client: timed out"),
        "{err}"
    );
    assert!(err.contains("/usr/bin/termproxy"), "{err}");
    // termproxy is gone: a late websocket with a still-valid ticket cannot connect.
    let status = raw_status_line(addr, port, &ticket, "root@pam").await;
    assert!(status.starts_with("HTTP/1.1 502 "), "{status}");
    // The port is handed out again.
    let again = hub.open("root@pam", ct(100, "web1")).unwrap();
    assert_eq!(again.port, port);
}

#[tokio::test]
async fn no_auth_line_in_time_closes_the_connection() {
    let hub = ConsoleHub::new(shell_config())
        .with_timeouts(Duration::from_secs(10), Duration::from_millis(300));
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let (ws, _) = connect(addr, grant.port, &grant.ticket).await.unwrap();
    let mut client = Client::new(ws);
    // Half an auth line, never finished.
    client.send(b"root@pam:PVEVNC").await;
    assert!(client.drain_to_end().await.is_empty());
    let err = finished(grant).await.unwrap_err();
    assert!(err.contains("failed reading ticket: timed out"), "{err}");
}

#[tokio::test]
async fn a_slot_accepts_one_connection() {
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let mut client = login(addr, &grant).await;
    client.expect("# ").await;
    let status = raw_status_line(addr, grant.port, &grant.ticket, "root@pam").await;
    assert!(status.starts_with("HTTP/1.1 502 "), "{status}");
    // The first session is unaffected.
    client.type_line("hostname").await;
    client.expect("\r\nweb1\r\n").await;
}

#[tokio::test]
async fn ports_are_distinct_while_sessions_run() {
    let hub = ConsoleHub::new(shell_config());
    let a = hub.open("root@pam", ct(100, "web1")).unwrap();
    let b = hub.open("root@pam", ct(101, "web2")).unwrap();
    assert_ne!(a.port, b.port);
    assert_eq!(a.port, 5900);
    assert_eq!(b.port, 5901);
}

#[tokio::test]
async fn drop_after_cuts_the_connection() {
    let hub = ConsoleHub::new(ConsoleConfig {
        drop_after: Some(Duration::from_millis(700)),
        ..shell_config()
    });
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let started = std::time::Instant::now();
    let mut client = login(addr, &grant).await;
    client.expect("# ").await;
    client.drain_to_end().await;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(600),
        "cut too early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "cut too late: {elapsed:?}"
    );
    // termproxy sees EOF and exits normally.
    assert_eq!(finished(grant).await, Ok(()));
    // A reconnect gets a fresh session.
    let again = hub.open("root@pam", ct(100, "web1")).unwrap();
    let mut client = login(addr, &again).await;
    client.expect("root@web1").await;
}

#[tokio::test]
async fn closing_the_websocket_kills_the_program_and_its_children() {
    let hub = ConsoleHub::new(ConsoleConfig {
        console_cmd: Some("sleep 1000 & echo \"PIDS $$ $! .\"; wait".into()),
        ..ConsoleConfig::default()
    });
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let mut client = login(addr, &grant).await;
    client.expect(" .\r\n").await;
    let text = String::from_utf8_lossy(&client.output).to_string();
    let pids: Vec<i32> = text
        .split("PIDS ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .take(2)
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2, "{text}");
    assert!(
        pids.iter().all(|&p| process_alive(p)),
        "programs should run: {pids:?}"
    );
    let _ = client.ws.close(None).await;
    assert_eq!(finished(grant).await, Ok(()));
    for pid in pids {
        assert!(
            wait_gone(pid, Duration::from_secs(3)).await,
            "pid {pid} leaked"
        );
    }
}

#[tokio::test]
async fn exiting_shell_leaves_no_process() {
    let hub = ConsoleHub::new(ConsoleConfig {
        console_cmd: Some("echo \"PID $$ .\"; exec sleep 1000".into()),
        drop_after: Some(Duration::from_millis(500)),
        ..ConsoleConfig::default()
    });
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let mut client = login(addr, &grant).await;
    client.expect(" .\r\n").await;
    let text = String::from_utf8_lossy(&client.output).to_string();
    let pid: i32 = text
        .split("PID ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    client.drain_to_end().await;
    assert_eq!(finished(grant).await, Ok(()));
    assert!(
        wait_gone(pid, Duration::from_secs(3)).await,
        "pid {pid} leaked"
    );
}

#[tokio::test]
async fn plain_get_without_upgrade_returns_the_port() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let url = ws_url(addr, grant.port, &grant.ticket);
    let path = url.split_once(&addr.to_string()).unwrap().1.to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(STEP, stream.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(
        response.ends_with(&format!("{{\"data\":{{\"port\":\"{}\"}}}}", grant.port)),
        "{response}"
    );
}

#[tokio::test]
async fn orphan_holding_the_pty_is_killed_after_the_program_exits() {
    // The leader exits at once; a child that ignores SIGHUP keeps the PTY open. The session
    // must still end (grace period) and the orphan must be killed (SIGKILL after the hangup).
    let hub = ConsoleHub::new(ConsoleConfig {
        console_cmd: Some("trap '' HUP; sleep 1000 & echo \"PID $! .\"".into()),
        ..ConsoleConfig::default()
    });
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let mut client = login(addr, &grant).await;
    client.expect(" .\r\n").await;
    let text = String::from_utf8_lossy(&client.output).to_string();
    let pid: i32 = text
        .split("PID ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    client.drain_to_end().await;
    assert_eq!(finished(grant).await, Ok(()));
    assert!(
        wait_gone(pid, Duration::from_secs(3)).await,
        "pid {pid} leaked"
    );
}
