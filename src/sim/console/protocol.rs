//! The termproxy byte protocol, client -> server, as a pure streaming parser (no IO).
//!
//! pve-xtermjs `termproxy/src/main.rs`: the websocket proxy forwards text and binary payloads as
//! one raw byte stream, so frame boundaries mean nothing here. The stream starts with the auth
//! line `<user>:<ticket>\n` ([`AuthLineReader`]); every byte after the `\n` is already part of
//! the message stream ([`MessageParser`]):
//! - `0:<LEN>:<DATA>` input, LEN = byte length of DATA;
//! - `1:<COLS>:<ROWS>:` resize;
//! - `2` keepalive; any other type byte is skipped one byte at a time.
//!
//! termproxy consumes the type byte and the byte after it without checking that it is `:`, and
//! drops 20 bytes of a number field at a time while no `:` shows up. Unlike termproxy (which
//! parses whatever is buffered and can lose a message whose number field is split across reads),
//! this parser only decides once the bytes are there, so any split of a stream yields the same
//! input bytes, resizes and keepalives in the same order.

/// termproxy's receive buffer (`proxmox_io::ByteBuffer::new()`) holds 4096 bytes; an auth line
/// that does not fit is refused.
pub const AUTH_LINE_MAX: usize = 4096;

/// termproxy's `remove_number` discards this many bytes at a time while no `:` arrives.
const NUMBER_FIELD_MAX: usize = 20;

/// The first line of a termproxy connection, split at the first `:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthLine {
    pub user: Vec<u8>,
    pub ticket: Vec<u8>,
    /// Bytes that followed the `\n` in the same read: the start of the message stream.
    pub rest: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthLineError {
    /// termproxy: `authentication data is incomplete`.
    #[error("authentication data is incomplete")]
    TooLong,
    /// termproxy: `authentication data is invalid` (no `:` in the line).
    #[error("authentication data is invalid")]
    NoColon,
}

/// Accumulates bytes until the auth line is complete.
#[derive(Debug, Default)]
pub struct AuthLineReader {
    buf: Vec<u8>,
}

impl AuthLineReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed received bytes; `Ok(Some(line))` once the `\n` has arrived.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<AuthLine>, AuthLineError> {
        self.buf.extend_from_slice(bytes);
        let Some(newline) = self.buf.iter().position(|&b| b == b'\n') else {
            if self.buf.len() >= AUTH_LINE_MAX {
                return Err(AuthLineError::TooLong);
            }
            return Ok(None);
        };
        if newline >= AUTH_LINE_MAX {
            return Err(AuthLineError::TooLong);
        }
        let rest = self.buf.split_off(newline + 1);
        let mut line = std::mem::take(&mut self.buf);
        line.truncate(newline);
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(AuthLineError::NoColon)?;
        let ticket = line.split_off(colon + 1);
        line.truncate(colon);
        Ok(Some(AuthLine {
            user: line,
            ticket,
            rest,
        }))
    }
}

/// One decoded client message. Input arrives in pieces as its bytes arrive (termproxy writes
/// them to the PTY as they come); consecutive `Input`s are one byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    Input(Vec<u8>),
    Resize { cols: u16, rows: u16 },
    KeepAlive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Data,
    Resize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Waiting for a type byte.
    Type,
    /// Type byte seen; the next byte (normally `:`) is consumed unchecked.
    Separator(Kind),
    /// Reading the LEN of a data message.
    DataLen,
    /// Passing through this many more input bytes.
    Data(u64),
    /// Reading COLS of a resize.
    Cols,
    /// Reading ROWS of a resize, COLS known.
    Rows(u64),
}

/// Streaming decoder of the message stream that follows the auth line.
#[derive(Debug)]
pub struct MessageParser {
    state: State,
    field: Vec<u8>,
}

impl Default for MessageParser {
    fn default() -> Self {
        MessageParser {
            state: State::Type,
            field: Vec::new(),
        }
    }
}

impl MessageParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decode `bytes`, appending complete messages (and input pieces) to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<ClientMessage>) {
        while !bytes.is_empty() {
            match self.state {
                State::Data(remaining) => {
                    let take = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    let (now, later) = bytes.split_at(take);
                    push_input(out, now);
                    bytes = later;
                    let left = remaining - take as u64;
                    self.state = if left == 0 {
                        State::Type
                    } else {
                        State::Data(left)
                    };
                }
                State::Type => {
                    let byte = bytes[0];
                    bytes = &bytes[1..];
                    self.state = match byte {
                        b'0' => State::Separator(Kind::Data),
                        b'1' => State::Separator(Kind::Resize),
                        b'2' => {
                            out.push(ClientMessage::KeepAlive);
                            State::Type
                        }
                        // termproxy skips unknown type bytes one at a time.
                        _ => State::Type,
                    };
                }
                State::Separator(kind) => {
                    bytes = &bytes[1..];
                    self.field.clear();
                    self.state = match kind {
                        Kind::Data => State::DataLen,
                        Kind::Resize => State::Cols,
                    };
                }
                State::DataLen | State::Cols | State::Rows(_) => {
                    let (number, consumed) = self.number_field(bytes);
                    bytes = &bytes[consumed..];
                    let Some(number) = number else {
                        continue;
                    };
                    self.state = match (&self.state, number) {
                        (State::DataLen, Some(0)) => State::Type,
                        (State::DataLen, Some(len)) => State::Data(len),
                        (State::Cols, Some(cols)) => State::Rows(cols),
                        (State::Rows(cols), Some(rows)) => {
                            // termproxy casts with `as u16`; sizes that do not fit are dropped
                            // here instead of being wrapped into nonsense.
                            if let (Ok(cols), Ok(rows)) =
                                (u16::try_from(*cols), u16::try_from(rows))
                            {
                                out.push(ClientMessage::Resize { cols, rows });
                            }
                            State::Type
                        }
                        // An unparsable number ends the message; parsing resumes after its `:`.
                        _ => State::Type,
                    };
                }
            }
        }
    }

    /// Accumulate a number field. Returns `(None, consumed)` while the `:` has not arrived,
    /// `(Some(parsed), consumed)` once it has (`parsed` is None for a non-number).
    fn number_field(&mut self, bytes: &[u8]) -> (Option<Option<u64>>, usize) {
        match bytes.iter().position(|&b| b == b':') {
            Some(colon) => {
                self.field.extend_from_slice(&bytes[..colon]);
                self.trim_field();
                let parsed = std::str::from_utf8(&self.field)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok());
                self.field.clear();
                (Some(parsed), colon + 1)
            }
            None => {
                self.field.extend_from_slice(bytes);
                self.trim_field();
                (None, bytes.len())
            }
        }
    }

    /// Drop 20 bytes at a time while the field is longer than 20 (termproxy's `remove_number`).
    fn trim_field(&mut self) {
        while self.field.len() > NUMBER_FIELD_MAX {
            self.field.drain(..NUMBER_FIELD_MAX);
        }
    }
}

fn push_input(out: &mut Vec<ClientMessage>, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    if let Some(ClientMessage::Input(prev)) = out.last_mut() {
        prev.extend_from_slice(bytes);
    } else {
        out.push(ClientMessage::Input(bytes.to_vec()));
    }
}

/// Encode input the way the xterm.js client does: `0:<byte length>:<data>`.
pub fn encode_input(data: &[u8]) -> Vec<u8> {
    let mut out = format!("0:{}:", data.len()).into_bytes();
    out.extend_from_slice(data);
    out
}

/// Encode a resize the way the xterm.js client does: `1:<cols>:<rows>:`.
pub fn encode_resize(cols: u16, rows: u16) -> Vec<u8> {
    format!("1:{cols}:{rows}:").into_bytes()
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
