//! Ways in closed by the "Hardening" issue, client side: no redirects followed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proximity::pve::{Auth, EndpointConfig, PveClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A 307 keeps the method and body: following it would resend the login password to
/// wherever `Location` points (here a second loopback listener standing for an attacker).
#[tokio::test]
async fn a_307_is_not_followed_and_the_password_is_not_resent() {
    let attacker = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let attacker_port = attacker.local_addr().unwrap().port();
    let stolen = Arc::new(AtomicUsize::new(0));
    let count = stolen.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = attacker.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = tcp.read(&mut buf).await;
            let _ = tcp
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n{\"data\":{}}")
                .await;
        }
    });
    let redirector = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = redirector.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = redirector.accept().await {
            let mut buf = [0u8; 4096];
            let _ = tcp.read(&mut buf).await;
            let answer = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{attacker_port}/api2/json/access/ticket\r\ncontent-length: 0\r\n\r\n"
            );
            let _ = tcp.write_all(answer.as_bytes()).await;
        }
    });
    let client = PveClient::new(EndpointConfig::new(
        format!("http://127.0.0.1:{port}"),
        Auth::Password {
            username: "root@pam".into(),
            password: "secret".into(),
        },
    ))
    .unwrap();
    assert!(client.login().await.is_err(), "a redirect is an error");
    assert_eq!(
        stolen.load(Ordering::SeqCst),
        0,
        "the redirect target got a connection"
    );
}

fn console_client(url: &str) -> PveClient {
    PveClient::new(EndpointConfig::new(
        url,
        Auth::Token {
            token_id: "root@pam!ci".into(),
            secret: "0b7e-uuid".into(),
        },
    ))
    .unwrap()
}

fn console_ticket() -> proximity::pve::TermproxyTicket {
    proximity::pve::TermproxyTicket {
        user: "root@pam!ci".into(),
        ticket: "PVEVNC:6745A1B2::c2VjcmV0+/=".into(),
        port: 5900,
        upid: "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vncproxy:100:root@pam!ci:".into(),
    }
}

fn assert_no_ticket(err: &proximity::pve::PveError) {
    let text = format!("{err} {err:?}");
    for piece in ["c2VjcmV0", "PVEVNC"] {
        assert!(!text.contains(piece), "the console ticket leaks: {text}");
    }
}

/// The websocket URL carries `vncticket`: a refused or silent console must not print it.
#[tokio::test]
async fn console_errors_do_not_show_the_ticket() {
    let target = proximity::pve::ConsoleTarget::Node { node: "pve".into() };
    let opts = proximity::pve::ConsoleOptions {
        connect_timeout: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    // Nothing listens: a connect error naming the URL.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = console_client(&format!("http://127.0.0.1:{port}"))
        .connect_termproxy(&target, console_ticket(), &opts)
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("vncticket=***"), "{err}");
    assert_no_ticket(&err);
    // Accepts and never answers: a timeout naming the URL.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = silent.accept().await {
            held.push(tcp);
        }
    });
    let err = console_client(&format!("http://127.0.0.1:{port}"))
        .connect_termproxy(&target, console_ticket(), &opts)
        .await
        .err()
        .unwrap();
    assert_no_ticket(&err);
}
