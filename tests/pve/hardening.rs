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
