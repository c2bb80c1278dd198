//! Consoles (`WIRE.md` §4): `POST .../termproxy` for a one-shot ticket, then the
//! `vncwebsocket` upgrade (wss with the endpoint's TLS policy, plain ws for http:// URLs)
//! and the termproxy byte protocol: `<user>:<ticket>\n`, wait for `OK`, then input
//! `0:<LEN>:<DATA>`, resize `1:<COLS>:<ROWS>:` and keepalive `2` messages.
//!
//! [`TermproxyStream`] is the duplex result: `send_input`/`resize` plus a
//! `Stream<Item = Result<Bytes>>` of raw terminal output. Split it into a cloneable
//! [`TermproxyWriter`] and a [`TermproxyReader`] to drive both sides from different tasks.
//! Output is raw guest bytes: feed it to a terminal emulator (vt100), never print it as is.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::client::{PveClient, seg};
use super::error::{PveError, Result};
use super::params::Params;
use super::tls;

/// Which console to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleTarget {
    /// A container's console (`/nodes/{node}/lxc/{vmid}/termproxy`).
    Lxc { node: String, vmid: u32 },
    /// A node shell (`/nodes/{node}/termproxy`).
    Node { node: String },
}

impl ConsoleTarget {
    fn base_path(&self) -> String {
        match self {
            ConsoleTarget::Lxc { node, vmid } => format!("/nodes/{}/lxc/{vmid}", seg(node)),
            ConsoleTarget::Node { node } => format!("/nodes/{}", seg(node)),
        }
    }
}

/// `data` of `POST .../termproxy`. The ticket is valid for about 40 seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermproxyTicket {
    /// The authid that signed the ticket (`root@pam` or `root@pam!tok`); sent back in the
    /// auth line.
    pub user: String,
    /// `PVEVNC:...`
    pub ticket: String,
    /// The local termproxy port on the node (5900..5999).
    #[serde(deserialize_with = "super::lenient::u32_required")]
    pub port: u32,
    /// The `vncproxy` / `vncshell` task.
    #[serde(default)]
    pub upid: String,
}

/// Console timings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleOptions {
    /// Keepalive (`2`) interval; the browser client uses 30 s.
    pub keepalive: Duration,
    /// Bound on connect + TLS + upgrade + waiting for `OK`.
    pub connect_timeout: Duration,
    /// Terminal size to announce right after `OK` (`None` leaves termproxy's 80x20).
    pub initial_size: Option<(u16, u16)>,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        ConsoleOptions {
            keepalive: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(15),
            initial_size: None,
        }
    }
}

/// The first bytes on the websocket: `<user>:<ticket>\n`.
pub fn auth_line(user: &str, ticket: &str) -> Vec<u8> {
    format!("{user}:{ticket}\n").into_bytes()
}

/// An input message: `0:<LEN>:<DATA>`, LEN the byte length of DATA (not chars).
pub fn encode_input(data: &[u8]) -> Vec<u8> {
    let mut out = format!("0:{}:", data.len()).into_bytes();
    out.extend_from_slice(data);
    out
}

/// A resize message: `1:<COLS>:<ROWS>:`.
pub fn encode_resize(cols: u16, rows: u16) -> Vec<u8> {
    format!("1:{}:{}:", cols.max(1), rows.max(1)).into_bytes()
}

/// The keepalive message.
pub const KEEPALIVE: &[u8] = b"2";

/// pveproxy refuses client frames over 128 KiB; stay well below with the header included.
const MAX_INPUT_CHUNK: usize = 64 * 1024;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Ws = WebSocketStream<Box<dyn Io>>;

/// The sending half: cloneable, usable from any task.
#[derive(Clone)]
pub struct TermproxyWriter {
    sink: Arc<tokio::sync::Mutex<SplitSink<Ws, Message>>>,
}

impl TermproxyWriter {
    async fn send_raw(&self, bytes: Vec<u8>) -> Result<()> {
        let mut sink = self.sink.lock().await;
        sink.send(Message::Binary(Bytes::from(bytes)))
            .await
            .map_err(|e| PveError::ConsoleClosed(e.to_string()))
    }

    /// Sends keystrokes / pasted text (split into several messages when large).
    pub async fn send_input(&self, data: &[u8]) -> Result<()> {
        for chunk in data.chunks(MAX_INPUT_CHUNK) {
            self.send_raw(encode_input(chunk)).await?;
        }
        Ok(())
    }

    /// Tells termproxy the terminal size.
    pub async fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        self.send_raw(encode_resize(cols, rows)).await
    }

    /// Sends one keepalive (`2`); normally done by the background keepalive.
    pub async fn keepalive(&self) -> Result<()> {
        self.send_raw(KEEPALIVE.to_vec()).await
    }

    /// Closes the websocket (termproxy exits, its task ends `OK`).
    pub async fn close(&self) -> Result<()> {
        let mut sink = self.sink.lock().await;
        sink.close()
            .await
            .map_err(|e| PveError::ConsoleClosed(e.to_string()))
    }
}

/// Aborts the keepalive task when the reader goes away.
struct KeepaliveGuard(tokio::task::AbortHandle);

impl Drop for KeepaliveGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The receiving half: a stream of raw terminal output. Ends with `None` after a clean
/// websocket close; a dropped connection yields one `PveError::ConsoleClosed` first.
pub struct TermproxyReader {
    /// Output that arrived in the same frame as `OK`.
    pending: Option<Bytes>,
    inner: SplitStream<Ws>,
    finished: bool,
    _keepalive: KeepaliveGuard,
}

impl Stream for TermproxyReader {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(first) = self.pending.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        if self.finished {
            return Poll::Ready(None);
        }
        loop {
            match self.inner.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(Message::Binary(b)))) if !b.is_empty() => {
                    return Poll::Ready(Some(Ok(b)));
                }
                Poll::Ready(Some(Ok(Message::Text(t)))) if !t.is_empty() => {
                    let b: &Bytes = t.as_ref();
                    return Poll::Ready(Some(Ok(b.clone())));
                }
                Poll::Ready(Some(Ok(Message::Close(_)))) => {
                    self.finished = true;
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Ok(_))) => continue,
                Poll::Ready(Some(Err(e))) => {
                    self.finished = true;
                    return Poll::Ready(Some(Err(PveError::ConsoleClosed(closed_text(&e)))));
                }
                Poll::Ready(None) => {
                    self.finished = true;
                    return Poll::Ready(Some(Err(PveError::ConsoleClosed(SERVER_CLOSED.into()))));
                }
            }
        }
    }
}

const SERVER_CLOSED: &str = "the server closed the connection";

/// pveproxy ends every console (shell `exit` included) by closing TCP without a close frame
/// or TLS close_notify; say so plainly instead of rustls' "unexpected EOF" text and URL.
fn closed_text(err: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error as WsError;
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    match err {
        WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => SERVER_CLOSED.into(),
        WsError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => SERVER_CLOSED.into(),
        other => other.to_string(),
    }
}

/// A live console: write with `send_input`/`resize`, read as a `Stream` of output bytes.
pub struct TermproxyStream {
    writer: TermproxyWriter,
    reader: TermproxyReader,
    ticket: TermproxyTicket,
}

impl TermproxyStream {
    /// Sends keystrokes.
    pub async fn send_input(&self, data: &[u8]) -> Result<()> {
        self.writer.send_input(data).await
    }

    /// Announces a new terminal size.
    pub async fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        self.writer.resize(cols, rows).await
    }

    /// Closes the console.
    pub async fn close(&self) -> Result<()> {
        self.writer.close().await
    }

    /// The termproxy ticket this session used (its `upid` is the console task).
    pub fn ticket(&self) -> &TermproxyTicket {
        &self.ticket
    }

    /// A writer handle that can be moved to another task.
    pub fn writer(&self) -> TermproxyWriter {
        self.writer.clone()
    }

    /// Splits into independent halves.
    pub fn split(self) -> (TermproxyWriter, TermproxyReader) {
        (self.writer, self.reader)
    }
}

impl Stream for TermproxyStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.reader).poll_next(cx)
    }
}

impl PveClient {
    /// `POST .../termproxy`: a one-shot console ticket.
    pub async fn termproxy(&self, target: &ConsoleTarget) -> Result<TermproxyTicket> {
        self.post(&format!("{}/termproxy", target.base_path()), &Params::new())
            .await
    }

    /// Creates a termproxy and connects to it: the usual way to open a console.
    pub async fn open_console(
        &self,
        target: &ConsoleTarget,
        opts: &ConsoleOptions,
    ) -> Result<TermproxyStream> {
        let ticket = self.termproxy(target).await?;
        self.connect_termproxy(target, ticket, opts).await
    }

    /// Connects the websocket for an existing termproxy ticket and performs the handshake.
    pub async fn connect_termproxy(
        &self,
        target: &ConsoleTarget,
        ticket: TermproxyTicket,
        opts: &ConsoleOptions,
    ) -> Result<TermproxyStream> {
        let url = self.websocket_url(target, &ticket)?;
        let headers = self.auth_headers().await?;
        let work = self.handshake(url.clone(), headers, &ticket);
        let (ws, leftover) = tokio::time::timeout(opts.connect_timeout, work)
            .await
            .map_err(|_| PveError::Timeout {
                url: redact(&url, &ticket.ticket),
            })??;
        let (sink, stream) = ws.split();
        let writer = TermproxyWriter {
            sink: Arc::new(tokio::sync::Mutex::new(sink)),
        };
        if let Some((cols, rows)) = opts.initial_size {
            writer.resize(cols, rows).await?;
        }
        let keepalive_writer = writer.clone();
        let interval = opts.keepalive;
        let keepalive = tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                if keepalive_writer.keepalive().await.is_err() {
                    break;
                }
            }
        });
        Ok(TermproxyStream {
            writer,
            reader: TermproxyReader {
                pending: (!leftover.is_empty()).then(|| Bytes::from(leftover)),
                inner: stream,
                finished: false,
                _keepalive: KeepaliveGuard(keepalive.abort_handle()),
            },
            ticket,
        })
    }

    fn websocket_url(&self, target: &ConsoleTarget, ticket: &TermproxyTicket) -> Result<String> {
        let origin = self.origin();
        let ws_origin = if let Some(rest) = origin.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = origin.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            return Err(PveError::Config(format!(
                "unsupported URL scheme in {origin}"
            )));
        };
        // Form encoding: `+`, `/`, `=` and `:` of the ticket must not reach the server raw.
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("port", &ticket.port.to_string())
            .append_pair("vncticket", &ticket.ticket)
            .finish();
        Ok(format!(
            "{ws_origin}/api2/json{}/vncwebsocket?{query}",
            target.base_path()
        ))
    }

    /// TCP (+TLS) connect, websocket upgrade, auth line, and the `OK` wait. Returns the
    /// socket and any output that followed `OK` in the same frame.
    async fn handshake(
        &self,
        url: String,
        headers: Vec<(&'static str, String)>,
        ticket: &TermproxyTicket,
    ) -> Result<(Ws, Vec<u8>)> {
        let parsed = url::Url::parse(&url)
            .map_err(|e| PveError::Config(format!("invalid console URL: {e}")))?;
        // The URL carries the ticket (a login to the console): errors show it without.
        let shown = redact(&url, &ticket.ticket);
        let hide = |text: String| redact(&text, &ticket.ticket);
        let host = parsed
            .host_str()
            .ok_or_else(|| PveError::Config("console URL has no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let secure = parsed.scheme() == "wss";
        let port = parsed.port().unwrap_or(if secure { 443 } else { 80 });
        let connect_err = |e: std::io::Error| PveError::Connect {
            url: shown.clone(),
            message: hide(e.to_string()),
        };
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(connect_err)?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = if secure {
            let config = tls::client_config(&self.config().tls)?;
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
            let tls_stream = connector
                .connect(tls::server_name(&host)?, tcp)
                .await
                .map_err(|e| match tls::find_mismatch(&e) {
                    Some((presented, expected)) => PveError::FingerprintMismatch {
                        presented,
                        expected,
                    },
                    None => PveError::Tls {
                        url: shown.clone(),
                        message: hide(e.to_string()),
                    },
                })?;
            Box::new(tls_stream)
        } else {
            Box::new(tcp)
        };
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| PveError::Config(hide(format!("console request: {e}"))))?;
        for (name, value) in headers {
            let value = HeaderValue::from_str(&value)
                .map_err(|_| PveError::Config(format!("invalid {name} header value")))?;
            request.headers_mut().insert(name, value);
        }
        let (mut ws, _response) = tokio_tungstenite::client_async(request, io)
            .await
            .map_err(|e| upgrade_error(&shown, e, &ticket.ticket))?;
        ws.send(Message::Binary(Bytes::from(auth_line(
            &ticket.user,
            &ticket.ticket,
        ))))
        .await
        .map_err(|e| PveError::ConsoleRefused(hide(format!("cannot send the ticket: {e}"))))?;
        let mut buf: Vec<u8> = Vec::new();
        while buf.len() < 2 {
            match ws.next().await {
                Some(Ok(Message::Binary(b))) => buf.extend_from_slice(&b),
                Some(Ok(Message::Text(t))) => buf.extend_from_slice(t.as_bytes()),
                Some(Ok(Message::Close(_))) | None => {
                    return Err(PveError::ConsoleRefused(
                        "the server closed the connection without OK (ticket expired or \
                         permission denied)"
                            .into(),
                    ));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    return Err(PveError::ConsoleRefused(hide(format!(
                        "connection lost before OK: {e}"
                    ))));
                }
            }
        }
        if &buf[..2] != b"OK" {
            let shown: String = String::from_utf8_lossy(&buf[..buf.len().min(40)])
                .chars()
                .map(|c| if c.is_control() { '.' } else { c })
                .collect();
            return Err(PveError::ConsoleRefused(format!(
                "expected OK, got '{shown}'"
            )));
        }
        buf.drain(..2);
        Ok((ws, buf))
    }
}

/// `text` with the console ticket replaced by `***`, raw and form-encoded (as it sits in the
/// websocket URL): the ticket opens the console, so it stays out of errors and logs.
pub(crate) fn redact(text: &str, ticket: &str) -> String {
    if ticket.is_empty() {
        return text.to_string();
    }
    let encoded: String = url::form_urlencoded::byte_serialize(ticket.as_bytes()).collect();
    let percent = percent_encoding::utf8_percent_encode(ticket, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    text.replace(&encoded, "***")
        .replace(&percent, "***")
        .replace(ticket, "***")
}

/// A refused upgrade carries an HTTP status (401 `permission denied - invalid PVEVNC ticket`).
fn upgrade_error(url: &str, err: tokio_tungstenite::tungstenite::Error, ticket: &str) -> PveError {
    use tokio_tungstenite::tungstenite::Error as WsError;
    match err {
        WsError::Http(response) => {
            let status = response.status();
            let reason = response
                .extensions()
                .get::<hyper::ext::ReasonPhrase>()
                .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
                .or_else(|| status.canonical_reason().map(str::to_string))
                .unwrap_or_default();
            let body = response.body().clone().unwrap_or_default();
            PveError::from_status(status.as_u16(), &reason, &body)
        }
        WsError::Io(e) => PveError::Connect {
            url: url.to_string(),
            message: redact(&e.to_string(), ticket),
        },
        other => PveError::ConsoleRefused(redact(&other.to_string(), ticket)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_the_ticket_raw_and_encoded() {
        let ticket = "PVEVNC:6745A1B2::c2ln+/=";
        let url = format!(
            "wss://pve:8006/api2/json/nodes/pve/vncwebsocket?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("port", "5900")
                .append_pair("vncticket", ticket)
                .finish()
        );
        let shown = redact(&format!("{url} / {ticket}"), ticket);
        assert!(!shown.contains("c2ln"), "{shown}");
        assert!(
            shown.contains("vncticket=***") && shown.ends_with("/ ***"),
            "{shown}"
        );
    }

    #[test]
    fn message_encoding_uses_byte_lengths() {
        assert_eq!(encode_input(b"ls\n"), b"0:3:ls\n".to_vec());
        assert_eq!(encode_input("é".as_bytes()), "0:2:é".as_bytes().to_vec());
        assert_eq!(encode_resize(120, 40), b"1:120:40:".to_vec());
        assert_eq!(
            auth_line("root@pam", "PVEVNC:AB::x="),
            b"root@pam:PVEVNC:AB::x=\n".to_vec()
        );
    }
}
