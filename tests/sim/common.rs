//! Shared helpers for the console integration tests: a minimal hyper server that routes
//! `GET ...vncwebsocket?port=&vncticket=` to `ConsoleHub::upgrade`, and a termproxy client.
//! Included by the `sim_console*` tests with `#[path]`; as its own test target it has no tests.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use proximity::sim::console::{ConsoleConfig, ConsoleGrant, ConsoleHub, ConsoleTarget};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{WebSocketStream, client_async};

/// Every await in these tests is bounded by this.
pub const STEP: Duration = Duration::from_secs(10);

pub type Ws = WebSocketStream<TcpStream>;

pub fn shell_config() -> ConsoleConfig {
    ConsoleConfig {
        shell_exe: Some(env!("CARGO_BIN_EXE_proximity").into()),
        ..ConsoleConfig::default()
    }
}

pub fn ct(vmid: u32, hostname: &str) -> ConsoleTarget {
    ConsoleTarget::Container {
        node: "pve".into(),
        vmid,
        hostname: hostname.into(),
    }
}

/// Serve `hub` on 127.0.0.1:0. The authenticated user is the `x-authid` header (default
/// `root@pam`), standing in for the HTTP layer's normal auth.
pub async fn serve(hub: ConsoleHub) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let hub = hub.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let hub = hub.clone();
                    async move {
                        let authid = req
                            .headers()
                            .get("x-authid")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("root@pam")
                            .to_string();
                        let query = req.uri().query().unwrap_or_default().to_string();
                        let mut port = 0u16;
                        let mut ticket = String::new();
                        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                            match &*k {
                                "port" => port = v.parse().unwrap_or(0),
                                "vncticket" => ticket = v.into_owned(),
                                _ => {}
                            }
                        }
                        Ok::<_, Infallible>(hub.upgrade(req, &authid, port, &ticket).await)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    addr
}

pub fn ws_url(addr: SocketAddr, port: u16, ticket: &str) -> String {
    let enc: String = url::form_urlencoded::byte_serialize(ticket.as_bytes()).collect();
    format!("ws://{addr}/api2/json/nodes/pve/lxc/100/vncwebsocket?port={port}&vncticket={enc}")
}

/// Open the websocket (offering the `binary` subprotocol like the browser does).
pub async fn connect(
    addr: SocketAddr,
    port: u16,
    ticket: &str,
) -> Result<(Ws, hyper::http::Response<Option<Vec<u8>>>), tokio_tungstenite::tungstenite::Error> {
    let mut request = ws_url(addr, port, ticket).into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "binary".parse().unwrap());
    let stream = TcpStream::connect(addr).await.unwrap();
    tokio::time::timeout(STEP, client_async(request, stream))
        .await
        .expect("handshake timed out")
}

/// A connected termproxy client that accumulates server output.
pub struct Client {
    pub ws: Ws,
    pub output: Vec<u8>,
    /// Every server data frame was binary.
    pub all_binary: bool,
    pub max_frame: usize,
}

impl Client {
    pub fn new(ws: Ws) -> Self {
        Client {
            ws,
            output: Vec::new(),
            all_binary: true,
            max_frame: 0,
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        tokio::time::timeout(STEP, self.ws.send(Message::binary(bytes.to_vec())))
            .await
            .expect("send timed out")
            .expect("send failed");
    }

    pub async fn send_text(&mut self, text: &str) {
        tokio::time::timeout(STEP, self.ws.send(Message::text(text)))
            .await
            .expect("send timed out")
            .expect("send failed");
    }

    /// Type a line of input as a `0:LEN:DATA` message.
    pub async fn type_line(&mut self, line: &str) {
        let data = format!("{line}\n");
        self.send(format!("0:{}:{data}", data.len()).as_bytes())
            .await;
    }

    /// Read one frame; None when the connection ended (close, EOF or reset).
    pub async fn next_frame(&mut self) -> Option<Vec<u8>> {
        loop {
            let Ok(frame) = tokio::time::timeout(STEP, self.ws.next()).await else {
                panic!(
                    "no frame in time; output so far: {:?}",
                    String::from_utf8_lossy(&self.output)
                );
            };
            match frame {
                Some(Ok(Message::Binary(b))) => {
                    self.max_frame = self.max_frame.max(b.len());
                    return Some(b.to_vec());
                }
                Some(Ok(Message::Text(t))) => {
                    self.all_binary = false;
                    return Some(t.as_bytes().to_vec());
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            }
        }
    }

    /// Read until the output contains `needle` (after `from`); panics with the output if the
    /// connection ends or nothing arrives in time.
    pub async fn expect(&mut self, needle: &str) -> usize {
        loop {
            if let Some(pos) = find(&self.output, needle.as_bytes()) {
                return pos;
            }
            match self.next_frame().await {
                Some(bytes) => self.output.extend_from_slice(&bytes),
                None => panic!(
                    "connection ended before {needle:?}; output: {:?}",
                    String::from_utf8_lossy(&self.output)
                ),
            }
        }
    }

    /// Read until `needle` occurs `count` times (e.g. the PTY's echo of a typed line plus the
    /// command's output, in whichever order they raced with the prompt).
    pub async fn expect_count(&mut self, needle: &str, count: usize) {
        loop {
            let seen = self
                .output
                .windows(needle.len())
                .filter(|w| *w == needle.as_bytes())
                .count();
            if seen >= count {
                return;
            }
            match self.next_frame().await {
                Some(bytes) => self.output.extend_from_slice(&bytes),
                None => panic!(
                    "connection ended before {count}x {needle:?}; output: {:?}",
                    String::from_utf8_lossy(&self.output)
                ),
            }
        }
    }

    /// Read until the connection ends; returns everything received.
    pub async fn drain_to_end(&mut self) -> Vec<u8> {
        while let Some(bytes) = self.next_frame().await {
            self.output.extend_from_slice(&bytes);
        }
        self.output.clone()
    }

    /// Forget output seen so far.
    pub fn clear(&mut self) {
        self.output.clear();
    }
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Connect and authenticate: sends `user:ticket\n`, checks the first two bytes are `OK`.
pub async fn login(addr: SocketAddr, grant: &ConsoleGrant) -> Client {
    let (ws, _) = connect(addr, grant.port, &grant.ticket)
        .await
        .expect("upgrade");
    let mut client = Client::new(ws);
    client
        .send(format!("{}:{}\n", grant.user, grant.ticket).as_bytes())
        .await;
    while client.output.len() < 2 {
        let frame = client.next_frame().await.expect("closed before OK");
        client.output.extend_from_slice(&frame);
    }
    assert_eq!(&client.output[..2], b"OK", "first bytes must be OK");
    client.output.drain(..2);
    client
}

/// Await a session's end.
pub async fn finished(grant: ConsoleGrant) -> Result<(), String> {
    tokio::time::timeout(STEP, grant.finished)
        .await
        .expect("finished did not resolve in time")
        .expect("finished sender dropped")
}

/// Send a raw HTTP upgrade request and return the status line.
pub async fn raw_status_line(addr: SocketAddr, port: u16, ticket: &str, authid: &str) -> String {
    let url = ws_url(addr, port, ticket);
    let path = url.split_once(&addr.to_string()).unwrap().1.to_string();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         x-authid: {authid}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n") {
        let n = tokio::time::timeout(STEP, stream.read(&mut byte))
            .await
            .expect("no response in time")
            .unwrap();
        if n == 0 {
            break;
        }
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).trim_end().to_string()
}

/// True while a process with this pid exists and is not a zombie (an orphan's reaping is up
/// to whatever init the test runs under).
pub fn process_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return false;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
    !matches!(state, Some(Some('Z')) | None)
}

/// Wait until `pid` is gone; false if it is still alive after `limit`.
pub async fn wait_gone(pid: i32, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if !process_alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    !process_alive(pid)
}
