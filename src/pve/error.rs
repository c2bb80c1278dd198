//! `PveError`: every way a Proxmox call can fail, typed from the real response envelope
//! (`WIRE.md` §0). The `Display` text is what a user sees: Proxmox's own message with the
//! trailing newline trimmed, never a Rust debug dump.

use std::collections::BTreeMap;
use std::fmt;

/// Result alias used across the `pve` module.
pub type Result<T, E = PveError> = std::result::Result<T, E>;

/// An error from the Proxmox VE API, the transport under it, or a task it ran.
#[derive(Debug, thiserror::Error)]
pub enum PveError {
    /// HTTP 400. Parameter verification failures carry one message per parameter in `errors`
    /// (`_root` when the failure has no parameter).
    #[error("{}", bad_request_text(message, errors))]
    BadRequest {
        /// Proxmox's message, e.g. `Parameter verification failed.`
        message: String,
        /// Per-parameter messages, e.g. `vmid` -> `property is missing and it is not optional`.
        errors: BTreeMap<String, String>,
    },
    /// HTTP 401: no/invalid ticket or token, invalid CSRF token, or bad credentials on login
    /// (`authentication failure`).
    #[error("{message}")]
    Unauthorized {
        /// Proxmox's text (body message, else the reason phrase).
        message: String,
    },
    /// HTTP 403: `Permission check failed (/vms/100, VM.PowerMgmt)`.
    #[error("{message}")]
    Forbidden {
        /// Proxmox's text.
        message: String,
    },
    /// HTTP 501: unknown path or method (`Method 'GET /foo' not implemented`) or a body sent
    /// with GET/DELETE.
    #[error("{message}")]
    NotImplemented {
        /// Proxmox's text.
        message: String,
    },
    /// HTTP 595/596: pveproxy could not reach the cluster node the call was proxied to. The
    /// body is empty, so the message is the HTTP reason phrase.
    #[error("{message}")]
    Proxy {
        /// 595 or 596.
        status: u16,
        /// The reason phrase, e.g. `Errors during connection establishment, proxy handshake: No route to host`.
        message: String,
    },
    /// Any other HTTP error status (500 from a handler's `die`, 502/503/504 from a proxy...).
    #[error("{message}")]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The handler's message, e.g. `CT 100 already running`.
        message: String,
    },
    /// The server presented a certificate whose SHA-256 fingerprint is not the pinned one.
    #[error(
        "TLS certificate fingerprint mismatch: the server presented {presented}, expected {expected}"
    )]
    FingerprintMismatch {
        /// Fingerprint of the leaf certificate the server sent (`AB:CD:...`).
        presented: String,
        /// The pinned fingerprint.
        expected: String,
    },
    /// Any other TLS failure (unknown issuer, bad signature, handshake failure).
    #[error("TLS error talking to {url}: {message}")]
    Tls {
        /// The URL being contacted.
        url: String,
        /// The underlying cause.
        message: String,
    },
    /// The TCP connection could not be made or broke mid-request.
    #[error("cannot connect to {url}: {message}")]
    Connect {
        /// The URL being contacted.
        url: String,
        /// The underlying cause.
        message: String,
    },
    /// The request timed out.
    #[error("request to {url} timed out")]
    Timeout {
        /// The URL being contacted.
        url: String,
    },
    /// The response body was not what the endpoint promises.
    #[error("cannot decode the response of {path}: {detail}")]
    Decode {
        /// The API path, e.g. `/cluster/nextid`.
        path: String,
        /// What failed, with serde's line/column.
        detail: String,
    },
    /// A task finished with an exit status other than `OK` / `WARNINGS: n`.
    #[error("task {upid} failed: {exitstatus}")]
    TaskFailed {
        /// The task's UPID.
        upid: String,
        /// Its exit status, e.g. `command 'lxc-start -n 100' failed: exit code 1`.
        exitstatus: String,
    },
    /// The login needs a second factor: call `PveClient::complete_tfa` first.
    #[error("a second factor (TOTP code) is required to finish logging in")]
    NeedTfa,
    /// A string that should be a UPID is not one.
    #[error("invalid UPID '{0}'")]
    InvalidUpid(String),
    /// Invalid client configuration (URL, fingerprint, credentials format).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The console endpoint did not answer `OK` to the ticket line.
    #[error("console refused: {0}")]
    ConsoleRefused(String),
    /// The console websocket failed or dropped.
    #[error("console connection lost: {0}")]
    ConsoleClosed(String),
}

impl PveError {
    /// Builds the error for an HTTP error status from its reason phrase and JSON body.
    pub(crate) fn from_status(status: u16, reason: &str, body: &[u8]) -> PveError {
        #[derive(serde::Deserialize)]
        struct ErrorEnvelope {
            #[serde(default)]
            message: Option<String>,
            #[serde(default)]
            errors: Option<BTreeMap<String, serde_json::Value>>,
        }
        let envelope: Option<ErrorEnvelope> = serde_json::from_slice(body).ok();
        let (body_message, errors) = match envelope {
            Some(e) => (e.message, e.errors.unwrap_or_default()),
            None => (None, BTreeMap::new()),
        };
        let message = body_message
            .map(|m| clean_message(&m))
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| clean_message(reason));
        let message = if message.is_empty() {
            format!("HTTP {status}")
        } else {
            message
        };
        let errors: BTreeMap<String, String> = errors
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (clean_message(&k), clean_message(&text))
            })
            .collect();
        match status {
            400 => PveError::BadRequest { message, errors },
            401 => PveError::Unauthorized { message },
            403 => PveError::Forbidden { message },
            501 => PveError::NotImplemented { message },
            595 | 596 => PveError::Proxy { status, message },
            _ => PveError::Http { status, message },
        }
    }

    /// The HTTP status behind this error, if it came from an HTTP response.
    pub fn status(&self) -> Option<u16> {
        match self {
            PveError::BadRequest { .. } => Some(400),
            PveError::Unauthorized { .. } => Some(401),
            PveError::Forbidden { .. } => Some(403),
            PveError::NotImplemented { .. } => Some(501),
            PveError::Proxy { status, .. } | PveError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for failures worth retrying on an idempotent request: connect errors, timeouts,
    /// and 502/503/504/595/596.
    pub fn is_transient(&self) -> bool {
        match self {
            PveError::Connect { .. } | PveError::Timeout { .. } => true,
            PveError::Proxy { .. } => true,
            PveError::Http { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }
}

/// Server text reaches the user's terminal: trim the trailing newline Proxmox appends and
/// replace control characters (an escape sequence in a hostname must not repaint the screen).
/// Interior newlines (multi-error keys) become `; `.
pub(crate) fn clean_message(text: &str) -> String {
    let trimmed = text.trim_end_matches(['\n', '\r', ' ']);
    let mut out = String::with_capacity(trimmed.len());
    let mut lines = trimmed.split('\n').peekable();
    while let Some(line) = lines.next() {
        out.extend(
            line.chars()
                .map(|c| if c.is_control() { '\u{fffd}' } else { c }),
        );
        if lines.peek().is_some() {
            out.push_str("; ");
        }
    }
    out
}

/// `Parameter verification failed: vmid: property is missing...; hostname: ...`
fn bad_request_text(message: &str, errors: &BTreeMap<String, String>) -> String {
    if errors.is_empty() {
        return message.to_string();
    }
    let mut out = String::from(message.trim_end_matches('.'));
    out.push(':');
    let mut first = true;
    for (param, text) in errors {
        out.push_str(if first { " " } else { "; " });
        first = false;
        out.push_str(param);
        out.push_str(": ");
        out.push_str(text);
    }
    out
}

/// Renders an error's source chain in one line (`a: b: c`), skipping repeated text.
pub(crate) fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// A display helper for secrets in `Debug` output.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
