//! Consoles through the emulator's HTTP layer: termproxy answer shape, the vncproxy task, and
//! the authenticated websocket upgrade handed to the console hub.

use crate::sim_support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use proximity::sim::SimConfig;
use sim_support::*;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::test]
async fn termproxy_websocket_round_trip() {
    let s = start_with(SimConfig {
        console_cmd: Some("cat".into()),
        ..config()
    })
    .await;
    let ct = s.find_guest("pve1", "lxc", "running").await;
    let tp = s
        .call("POST", &format!("/nodes/pve1/lxc/{ct}/termproxy"), &[])
        .await;
    assert_eq!(tp.status, 200, "{}", tp.body);
    let d = tp.data();
    let user = d["user"].as_str().unwrap().to_string();
    let ticket = d["ticket"].as_str().unwrap().to_string();
    let port = d["port"].as_u64().unwrap();
    let upid = d["upid"].as_str().unwrap().to_string();
    assert_eq!(
        user,
        s.handle.info.token.rsplit_once('=').unwrap().0,
        "token sessions use the token id"
    );
    assert!(ticket.starts_with("PVEVNC:"), "{ticket}");
    assert!((5900..6000).contains(&port));
    assert!(upid.contains(&format!(":vncproxy:{ct}:")));
    let st = s
        .get(&format!("/nodes/pve1/tasks/{}/status", urlencode(&upid)))
        .await;
    assert_eq!(st["status"], "running");

    // Unauthenticated websocket: refused before the hub sees it.
    let url = format!(
        "ws://{}/api2/json/nodes/pve1/lxc/{ct}/vncwebsocket?port={port}&vncticket={}",
        s.handle.addr(),
        urlencode(&ticket)
    );
    let stream = tokio::net::TcpStream::connect(s.handle.addr())
        .await
        .unwrap();
    let refused = tokio_tungstenite::client_async(url.as_str(), stream).await;
    assert!(refused.is_err(), "no auth, no upgrade");

    let mut req = url.as_str().into_client_request().unwrap();
    req.headers_mut()
        .insert("Authorization", s.token_header().parse().unwrap());
    let stream = tokio::net::TcpStream::connect(s.handle.addr())
        .await
        .unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(req, stream)
        .await
        .expect("upgrade");
    ws.send(Message::Binary(
        format!("{user}:{ticket}\n").into_bytes().into(),
    ))
    .await
    .unwrap();
    ws.send(Message::Binary(b"0:6:hello\n".to_vec().into()))
        .await
        .unwrap();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&seen).contains("hello")
        && tokio::time::Instant::now() < deadline
    {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => seen.extend_from_slice(&b),
            Ok(Some(Ok(_))) => {}
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&seen).into_owned();
    assert!(text.starts_with("OK"), "{text:?}");
    assert!(text.contains("hello"), "{text:?}");
    let _ = ws.close(None).await;
    assert_eq!(s.wait_task(&upid).await, "OK");
    s.finish().await;
}

#[tokio::test]
async fn node_shell_termproxy() {
    let s = start_with(SimConfig {
        console_cmd: Some("cat".into()),
        ..config()
    })
    .await;
    let tp = s.call("POST", "/nodes/pve2/termproxy", &[]).await;
    assert_eq!(tp.status, 200, "{}", tp.body);
    let upid = tp.data()["upid"].as_str().unwrap().to_string();
    assert!(
        upid.starts_with("UPID:pve2:") && upid.contains(":vncshell::"),
        "{upid}"
    );
    // Stopping the task ends the console slot's task.
    let del = s
        .call(
            "DELETE",
            &format!("/nodes/pve2/tasks/{}", urlencode(&upid)),
            &[],
        )
        .await;
    assert_eq!(del.status, 200);
    assert_ne!(s.wait_task(&upid).await, "OK");
    s.finish().await;
}
