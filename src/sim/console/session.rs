//! One termproxy session over an upgraded websocket: the auth line, `OK`, then the PTY pump.
//!
//! Mirrors termproxy + pveproxy's `websocket_proxy` together:
//! - 10 s (configurable) to receive `<user>:<ticket>\n`; a wrong user or ticket closes the
//!   connection without `OK` and the task fails;
//! - after `OK`, PTY output goes out as binary frames (one per read, far below 128 KiB), client
//!   text and binary frames feed the byte-stream parser;
//! - the session ends when the client closes, when the program's PTY reports EOF, or when
//!   `drop_after` cuts the connection. pveproxy closes the TCP connection without a close frame
//!   in every case, and so does this (the stream is dropped).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::protocol::{AuthLineReader, ClientMessage, MessageParser};
use super::pty::{PtyInput, PtyProcess, PtyProgram};
use super::ticket::{VncTicketKey, unix_now};

/// After the program's leader exits, how long the PTY may stay open (held by a background
/// child) before the session is ended anyway.
const EXIT_GRACE: Duration = Duration::from_secs(1);

/// Everything a session needs, fixed when the websocket is accepted.
#[derive(Debug, Clone)]
pub struct SessionPlan {
    pub authid: String,
    pub ticket: String,
    pub path: String,
    pub port: u16,
    pub program: PtyProgram,
    pub key: VncTicketKey,
    pub auth_timeout: Duration,
    pub drop_after: Option<Duration>,
    /// The command line termproxy was "started" with, for the task's error message.
    pub command_line: String,
}

/// Why a session failed (becomes `TASK ERROR: ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("failed reading ticket: {0}")]
    Ticket(String),
    #[error("invalid authentication - 401 authentication failure")]
    Auth,
    #[error("{0}")]
    Pty(String),
}

impl SessionPlan {
    /// The task's exit status as Proxmox reports a failed termproxy run.
    pub fn failure_status(&self, error: &SessionError) -> String {
        // run_command reports the exit code; termproxy's stderr line is in the task log.
        format!(
            "command '{}' failed: exit code 1 ({error})",
            self.command_line
        )
    }
}

/// Run the session to its end. `Ok` = `TASK OK`.
pub async fn run<S>(ws: WebSocketStream<S>, plan: SessionPlan) -> Result<(), SessionError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let session = drive(ws, &plan);
    match plan.drop_after {
        // Dropping the session future drops the websocket: the TCP connection is cut without a
        // close frame, and the PTY child is killed. termproxy sees EOF and exits 0.
        Some(after) => tokio::time::timeout(after, session).await.unwrap_or(Ok(())),
        None => session.await,
    }
}

async fn drive<S>(mut ws: WebSocketStream<S>, plan: &SessionPlan) -> Result<(), SessionError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let rest = read_auth_line(&mut ws, plan).await?;
    if ws.send(Message::binary(&b"OK"[..])).await.is_err() {
        return Ok(());
    }
    let mut pty = PtyProcess::spawn(&plan.program).map_err(|e| SessionError::Pty(e.to_string()))?;
    let mut parser = MessageParser::new();
    let mut decoded = Vec::new();
    parser.feed(&rest, &mut decoded);
    forward(&pty, &mut decoded);

    let grace = tokio::time::sleep(Duration::MAX);
    tokio::pin!(grace);
    let mut leader_exited = false;
    loop {
        tokio::select! {
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => parser.feed(text.as_bytes(), &mut decoded),
                Some(Ok(Message::Binary(bytes))) => parser.feed(&bytes, &mut decoded),
                // Pings are answered by tungstenite itself on the next read/write.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            },
            output = pty.output.recv() => match output {
                Some(bytes) => {
                    if ws.send(Message::binary(bytes)).await.is_err() {
                        break;
                    }
                }
                // EOF/EIO on the master: the program (and everything holding the PTY) is gone.
                None => break,
            },
            _ = &mut pty.exited, if !leader_exited => {
                leader_exited = true;
                grace.as_mut().reset(tokio::time::Instant::now() + EXIT_GRACE);
            }
            () = &mut grace => break,
        }
        forward(&pty, &mut decoded);
    }
    // Anything already read from the PTY still goes out before the connection is dropped.
    while let Ok(bytes) = pty.output.try_recv() {
        if ws.send(Message::binary(bytes)).await.is_err() {
            break;
        }
    }
    drop(pty);
    Ok(())
}

/// termproxy's `read_ticket_line` + `authenticate`; returns the bytes after the `\n`.
async fn read_auth_line<S>(
    ws: &mut WebSocketStream<S>,
    plan: &SessionPlan,
) -> Result<Vec<u8>, SessionError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut reader = AuthLineReader::new();
    let deadline = tokio::time::sleep(plan.auth_timeout);
    tokio::pin!(deadline);
    let line = loop {
        let bytes = tokio::select! {
            () = &mut deadline => return Err(SessionError::Ticket("timed out".into())),
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => text.as_bytes().to_vec(),
                Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    return Err(SessionError::Ticket(
                        "connection closed before authentication".into(),
                    ));
                }
            },
        };
        match reader.feed(&bytes) {
            Ok(Some(line)) => break line,
            Ok(None) => {}
            Err(e) => return Err(SessionError::Ticket(e.to_string())),
        }
    };
    // termproxy pins the ticket it was started with, then asks the API to verify
    // user + ticket + path (+ port) against the VNC ticket rules.
    let user_ok = line.user == plan.authid.as_bytes();
    let ticket_ok = line.ticket == plan.ticket.as_bytes()
        && plan.key.verify(
            &plan.ticket,
            &plan.authid,
            &plan.path,
            plan.port,
            unix_now(),
        );
    if !(user_ok && ticket_ok) {
        return Err(SessionError::Auth);
    }
    Ok(line.rest)
}

fn forward(pty: &PtyProcess, decoded: &mut Vec<ClientMessage>) {
    for message in decoded.drain(..) {
        let input = match message {
            ClientMessage::Input(bytes) => PtyInput::Bytes(bytes),
            // A 0-sized PTY confuses programs; termproxy would pass it on, nothing useful follows.
            ClientMessage::Resize { cols, rows } if cols > 0 && rows > 0 => {
                PtyInput::Resize { cols, rows }
            }
            ClientMessage::Resize { .. } | ClientMessage::KeepAlive => continue,
        };
        // The writer thread only goes away with the session.
        let _ = pty.input.send(input);
    }
}
