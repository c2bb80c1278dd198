//! Termproxy console: websocket upgrade, `user:ticket\n` / `OK` handshake, message
//! encoding, keepalive, and the ways a console ends, against a tokio-tungstenite mock.

use crate::support_pve;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use proximity::pve::{
    Auth, ConsoleOptions, ConsoleTarget, EndpointConfig, PveClient, PveError, TermproxyTicket,
    TlsPolicy,
};
use serde_json::json;
use support_pve::{MockResponse, MockServer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

const TICKET: &str = "PVEVNC:6745A1B2::c2ln+/=";

#[derive(Debug, Default, Clone)]
struct Upgrade {
    path: String,
    query: Vec<(String, String)>,
    authorization: Option<String>,
}

fn ticket() -> TermproxyTicket {
    TermproxyTicket {
        user: "root@pam!ci".into(),
        ticket: TICKET.into(),
        port: 5900,
        upid: "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vncproxy:100:root@pam!ci:".into(),
    }
}

fn client(url: &str, tls: TlsPolicy) -> PveClient {
    PveClient::new(
        EndpointConfig::new(
            url,
            Auth::Token {
                token_id: "root@pam!ci".into(),
                secret: "s".into(),
            },
        )
        .with_tls(tls),
    )
    .unwrap()
}

fn target() -> ConsoleTarget {
    ConsoleTarget::Lxc {
        node: "pve".into(),
        vmid: 100,
    }
}

fn fast() -> ConsoleOptions {
    ConsoleOptions {
        keepalive: Duration::from_millis(30),
        connect_timeout: Duration::from_secs(3),
        initial_size: Some((80, 24)),
    }
}

#[allow(clippy::result_large_err)] // the callback signature is tungstenite's
async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    seen: Arc<Mutex<Upgrade>>,
) -> WebSocketStream<S> {
    tokio_tungstenite::accept_hdr_async(stream, move |req: &Request, resp: Response| {
        let mut s = seen.lock().unwrap();
        s.path = req.uri().path().to_string();
        s.query = url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
        s.authorization = req
            .headers()
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string());
        Ok(resp)
    })
    .await
    .unwrap()
}

async fn next_bytes<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
) -> Option<Vec<u8>> {
    loop {
        match ws.next().await? {
            Ok(Message::Binary(b)) => return Some(b.to_vec()),
            Ok(Message::Text(t)) => return Some(t.as_bytes().to_vec()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[tokio::test]
async fn handshake_messages_keepalive_and_clean_close() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Upgrade::default()));
    let seen2 = seen.clone();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = accept(tcp, seen2).await;
        let auth = next_bytes(&mut ws).await.unwrap();
        assert_eq!(auth, format!("root@pam!ci:{TICKET}\n").into_bytes());
        // OK and the first output share a frame, as termproxy often does.
        ws.send(Message::Binary("OKwelcome\r\n".into()))
            .await
            .unwrap();
        let mut frames: Vec<Vec<u8>> = Vec::new();
        while !(frames.iter().any(|f| f == b"1:100:30:") && frames.iter().any(|f| f == b"2")) {
            frames.push(next_bytes(&mut ws).await.unwrap());
        }
        ws.send(Message::Binary("bye".into())).await.unwrap();
        ws.close(None).await.unwrap();
        frames
    });

    let client = client(&url, TlsPolicy::Verified);
    let mut console = client
        .connect_termproxy(&target(), ticket(), &fast())
        .await
        .unwrap();
    let first = console.next().await.unwrap().unwrap();
    assert_eq!(&first[..], b"welcome\r\n");
    console.send_input("é".as_bytes()).await.unwrap();
    console.resize(100, 30).await.unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    let bye = console.next().await.unwrap().unwrap();
    assert_eq!(&bye[..], b"bye");
    assert!(
        console.next().await.is_none(),
        "a clean close ends the stream"
    );

    let frames = server.await.unwrap();
    let pos = |m: &[u8]| frames.iter().position(|f| f == m).unwrap();
    assert!(pos(b"1:80:24:") < pos("0:2:é".as_bytes()), "{frames:?}");
    assert!(pos("0:2:é".as_bytes()) < pos(b"1:100:30:"));
    let upgrade = seen.lock().unwrap().clone();
    assert_eq!(upgrade.path, "/api2/json/nodes/pve/lxc/100/vncwebsocket");
    assert!(upgrade.query.contains(&("port".into(), "5900".into())));
    assert!(upgrade.query.contains(&("vncticket".into(), TICKET.into())));
    assert_eq!(
        upgrade.authorization.as_deref(),
        Some("PVEAPIToken=root@pam!ci=s")
    );
}

#[tokio::test]
async fn closing_without_ok_is_a_refusal() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = accept(tcp, Arc::default()).await;
        let _ = next_bytes(&mut ws).await;
        drop(ws); // termproxy rejects a bad ticket by closing the connection
    });
    let err = client(&url, TlsPolicy::Verified)
        .connect_termproxy(&target(), ticket(), &fast())
        .await
        .err()
        .unwrap();
    assert!(matches!(err, PveError::ConsoleRefused(_)), "{err:?}");
    assert!(err.to_string().starts_with("console refused: "), "{err}");
}

#[tokio::test]
async fn a_dropped_connection_ends_the_stream_with_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = accept(tcp, Arc::default()).await;
        let _ = next_bytes(&mut ws).await;
        ws.send(Message::Binary("OK".into())).await.unwrap();
        ws.send(Message::Binary("$ ".into())).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Drop the TCP socket without a close frame.
        drop(ws);
    });
    let mut console = client(&url, TlsPolicy::Verified)
        .connect_termproxy(&target(), ticket(), &fast())
        .await
        .unwrap();
    assert_eq!(&console.next().await.unwrap().unwrap()[..], b"$ ");
    let err = console.next().await.unwrap().unwrap_err();
    assert!(matches!(err, PveError::ConsoleClosed(_)), "{err:?}");
    assert!(console.next().await.is_none());
}

#[tokio::test]
async fn wss_uses_the_same_pinning_policy() {
    let (config, fingerprint) = support_pve::self_signed_server_config();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let Ok(tls) = acceptor.accept(tcp).await else {
                continue;
            };
            let mut ws = accept(tls, Arc::default()).await;
            let _ = next_bytes(&mut ws).await;
            ws.send(Message::Binary("OK".into())).await.unwrap();
            ws.send(Message::Binary("secure".into())).await.unwrap();
        }
    });
    let pinned = TlsPolicy::Pinned(fingerprint.parse().unwrap());
    let mut console = client(&url, pinned)
        .connect_termproxy(&target(), ticket(), &fast())
        .await
        .unwrap();
    assert_eq!(&console.next().await.unwrap().unwrap()[..], b"secure");

    let wrong = TlsPolicy::Pinned(("00:".repeat(31) + "00").parse().unwrap());
    let err = client(&url, wrong)
        .connect_termproxy(&target(), ticket(), &fast())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, PveError::FingerprintMismatch { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(&fingerprint), "{err}");
}

#[tokio::test]
async fn termproxy_post_parses_the_ticket() {
    let server = MockServer::start(|req| match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/nodes/pve/termproxy") => MockResponse::data(json!({
            "user": "root@pam", "ticket": TICKET, "port": "5901",
            "upid": "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vncshell::root@pam:"
        })),
        _ => MockResponse::empty(501, "not implemented"),
    })
    .await;
    let t = client(&server.url, TlsPolicy::Verified)
        .termproxy(&ConsoleTarget::Node { node: "pve".into() })
        .await
        .unwrap();
    assert_eq!((t.user.as_str(), t.port), ("root@pam", 5901));
}
