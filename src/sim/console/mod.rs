//! The termproxy side of the emulator: VNC tickets, the websocket upgrade, the byte protocol
//! (`user:ticket\n`, `OK`, `0:LEN:DATA`, `1:COLS:ROWS:`, `2`) and PTYs running the simulated
//! shells (or `--console-cmd`).
//!
//! Contract with the HTTP layer (which does normal auth first):
//! - `POST .../termproxy` calls [`ConsoleHub::open`] and answers `{user,ticket,port,upid}`;
//!   its `vncproxy`/`vncshell` task ends when `ConsoleGrant::finished` resolves.
//! - `GET .../vncwebsocket?port=&vncticket=` calls [`ConsoleHub::upgrade`].

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;

#[derive(Debug, Clone, Default)]
pub struct ConsoleConfig {
    pub console_cmd: Option<String>,
    pub drop_after: Option<Duration>,
    pub shell_exe: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub enum ConsoleTarget {
    Container { node: String, vmid: u32, hostname: String },
    Node { node: String },
}

impl ConsoleTarget {
    /// The ACL path the VNC ticket signs: `/vms/<vmid>` or `/nodes/<node>`.
    pub fn auth_path(&self) -> String {
        match self {
            ConsoleTarget::Container { vmid, .. } => format!("/vms/{vmid}"),
            ConsoleTarget::Node { node } => format!("/nodes/{node}"),
        }
    }
}

pub struct ConsoleGrant {
    /// The authid that signed the ticket (`root@pam` or `root@pam!tok`).
    pub user: String,
    pub ticket: String,
    pub port: u16,
    /// Resolves when the session ends (Ok = `TASK OK`, Err(msg) = `TASK ERROR: msg`).
    pub finished: tokio::sync::oneshot::Receiver<Result<(), String>>,
}

#[derive(Clone)]
pub struct ConsoleHub {
    #[allow(dead_code)]
    config: ConsoleConfig,
}

impl ConsoleHub {
    pub fn new(config: ConsoleConfig) -> Self {
        ConsoleHub { config }
    }

    /// Create a termproxy listener slot for `authid` on `target`.
    pub fn open(&self, _authid: &str, _target: ConsoleTarget) -> Result<ConsoleGrant, String> {
        Err("console not implemented".into())
    }

    /// Verify the VNC ticket for (authid, path, port) and upgrade to a websocket.
    /// Mismatch: 401 `permission denied - invalid PVEVNC ticket`, no upgrade.
    pub async fn upgrade(
        &self,
        _req: hyper::Request<hyper::body::Incoming>,
        _authid: &str,
        _port: u16,
        _vncticket: &str,
    ) -> hyper::Response<Full<Bytes>> {
        let mut resp = hyper::Response::new(Full::new(Bytes::new()));
        *resp.status_mut() = hyper::StatusCode::NOT_IMPLEMENTED;
        resp
    }
}
