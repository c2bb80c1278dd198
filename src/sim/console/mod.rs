//! The termproxy side of the emulator: VNC tickets, the websocket upgrade, the byte protocol
//! (`user:ticket\n`, `OK`, `0:LEN:DATA`, `1:COLS:ROWS:`, `2`) and PTYs running the simulated
//! shells (or `--console-cmd`).
//!
//! Contract with the HTTP layer (which does normal auth first):
//! - `POST .../termproxy` calls [`ConsoleHub::open`] and answers `{user,ticket,port,upid}`;
//!   its `vncproxy`/`vncshell` task ends when `ConsoleGrant::finished` resolves.
//! - `GET .../vncwebsocket?port=&vncticket=` calls [`ConsoleHub::upgrade`].
//!
//! Each `open` takes a port slot in 5900..=5999 (logical: nothing listens on it). Like a real
//! termproxy the slot accepts exactly one websocket within 10 s, then gives that connection
//! 10 s to send its auth line; a slot that saw no connection closes and its task fails.

mod handshake;
pub mod protocol;
pub mod pty;
mod session;
pub mod ticket;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use tokio::sync::oneshot;

use pty::PtyProgram;
use session::{SessionError, SessionPlan};
use ticket::{VncTicketKey, unix_now};

/// The port range `PVE::Tools::next_vnc_port` hands out.
pub const VNC_PORT_FIRST: u16 = 5900;
pub const VNC_PORT_LAST: u16 = 5999;
/// termproxy waits this long for the connection, then as long again for the auth line.
pub const TERMPROXY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Default)]
pub struct ConsoleConfig {
    pub console_cmd: Option<String>,
    pub drop_after: Option<Duration>,
    pub shell_exe: Option<PathBuf>,
    /// Directory of the containers' shell state files (`ct-<vmid>.json`), owned by the sim.
    pub shell_state_dir: Option<PathBuf>,
    /// `--fail-step` for the container shells (`docker`, `pull`, `up`, `health`).
    pub fail_step: Option<String>,
    /// `--deploy-timing` for the container shells (`fast`, `realistic`).
    pub deploy_timing: Option<String>,
}

#[derive(Debug, Clone)]
pub enum ConsoleTarget {
    Container {
        node: String,
        vmid: u32,
        hostname: String,
    },
    Node {
        node: String,
    },
}

impl ConsoleTarget {
    /// The ACL path the VNC ticket signs: `/vms/<vmid>` or `/nodes/<node>`.
    pub fn auth_path(&self) -> String {
        match self {
            ConsoleTarget::Container { vmid, .. } => format!("/vms/{vmid}"),
            ConsoleTarget::Node { node } => format!("/nodes/{node}"),
        }
    }

    /// The privilege termproxy is started with (`--perm`).
    fn perm(&self) -> &'static str {
        match self {
            ConsoleTarget::Container { .. } => "VM.Console",
            ConsoleTarget::Node { .. } => "Sys.Console",
        }
    }

    /// What real Proxmox runs behind termproxy (shown in failed-task messages only).
    fn real_command(&self, authid: &str) -> String {
        match self {
            ConsoleTarget::Container { vmid, .. } => format!(
                "/usr/bin/dtach -A /var/run/dtach/vzctlconsole{vmid} -r winch -z \
                 lxc-console -n {vmid} -e -1"
            ),
            // root@pam gets a root login; other users and every API token get a login prompt.
            ConsoleTarget::Node { .. } if authid == "root@pam" => "/bin/login -f root".into(),
            ConsoleTarget::Node { .. } => "/bin/login".into(),
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

type Finished = oneshot::Sender<Result<(), String>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    /// termproxy is listening: one connection may come.
    Listening,
    /// The one connection arrived; the listener is gone.
    Connected,
    /// termproxy exited; the port is free again. Kept so a late websocket with a still-valid
    /// ticket is told "connection refused" rather than "invalid ticket".
    Closed,
}

struct Slot {
    id: u64,
    authid: String,
    ticket: String,
    target: ConsoleTarget,
    state: SlotState,
    finished: Option<Finished>,
}

#[derive(Default)]
struct Slots {
    by_port: HashMap<u16, Slot>,
    next_id: u64,
}

impl Slots {
    /// `next_vnc_port`: the lowest port without a running termproxy.
    fn free_port(&self) -> Option<u16> {
        (VNC_PORT_FIRST..=VNC_PORT_LAST).find(|port| {
            self.by_port
                .get(port)
                .is_none_or(|slot| slot.state == SlotState::Closed)
        })
    }

    /// Close slot `id` on `port` (if it is still that slot) and resolve its task.
    fn finish(&mut self, port: u16, id: u64, result: Result<(), String>) {
        if let Some(slot) = self.by_port.get_mut(&port)
            && slot.id == id
        {
            slot.state = SlotState::Closed;
            if let Some(tx) = slot.finished.take() {
                let _ = tx.send(result);
            }
        }
    }
}

#[derive(Clone)]
pub struct ConsoleHub {
    config: ConsoleConfig,
    key: VncTicketKey,
    slots: Arc<Mutex<Slots>>,
    accept_timeout: Duration,
    auth_timeout: Duration,
}

impl ConsoleHub {
    pub fn new(config: ConsoleConfig) -> Self {
        ConsoleHub {
            config,
            key: VncTicketKey::random(),
            slots: Arc::new(Mutex::new(Slots::default())),
            accept_timeout: TERMPROXY_TIMEOUT,
            auth_timeout: TERMPROXY_TIMEOUT,
        }
    }

    /// Shorter termproxy timeouts (tests): `accept` for the websocket, `auth` for the auth line.
    pub fn with_timeouts(mut self, accept: Duration, auth: Duration) -> Self {
        self.accept_timeout = accept;
        self.auth_timeout = auth;
        self
    }

    /// Create a termproxy listener slot for `authid` on `target`.
    /// Must be called inside a tokio runtime (the slot's accept timeout is a task).
    pub fn open(&self, authid: &str, target: ConsoleTarget) -> Result<ConsoleGrant, String> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| "termproxy: no async runtime".to_string())?;
        let path = target.auth_path();
        let (tx, rx) = oneshot::channel();
        let (port, id, ticket) = {
            let mut slots = self.lock_slots();
            // Same text as PVE::Tools::next_unused_port.
            let port = slots.free_port().ok_or_else(|| {
                format!("unable to find free port ({VNC_PORT_FIRST}-{VNC_PORT_LAST})")
            })?;
            let ticket = self.key.issue(authid, &path, port, unix_now());
            slots.next_id += 1;
            let id = slots.next_id;
            slots.by_port.insert(
                port,
                Slot {
                    id,
                    authid: authid.to_string(),
                    ticket: ticket.clone(),
                    target,
                    state: SlotState::Listening,
                    finished: Some(tx),
                },
            );
            (port, id, ticket)
        };
        let slots = self.slots.clone();
        let accept_timeout = self.accept_timeout;
        let command_line = self.command_line(port, id);
        runtime.spawn(async move {
            tokio::time::sleep(accept_timeout).await;
            let mut slots = slots.lock().unwrap_or_else(|p| p.into_inner());
            let waiting = slots
                .by_port
                .get(&port)
                .is_some_and(|s| s.id == id && s.state == SlotState::Listening);
            if waiting {
                let message = match command_line {
                    Some(cmd) => format!(
                        "command '{cmd}' failed: exit code 1 (failed waiting for client: timed out)"
                    ),
                    None => "failed waiting for client: timed out".into(),
                };
                slots.finish(port, id, Err(message));
            }
        });
        Ok(ConsoleGrant {
            user: authid.to_string(),
            ticket,
            port,
            finished: rx,
        })
    }

    /// A ticket for `authid`/`port`'s slot path stamped `unix_time` (tests: expired tickets).
    /// None if `port` has no slot.
    pub fn vnc_ticket_at(&self, authid: &str, port: u16, unix_time: i64) -> Option<String> {
        let slots = self.lock_slots();
        let path = slots.by_port.get(&port)?.target.auth_path();
        Some(self.key.issue(authid, &path, port, unix_time))
    }

    /// Verify the VNC ticket for (authid, path, port) and upgrade to a websocket.
    /// Mismatch: 401 `permission denied - invalid PVEVNC ticket`, no upgrade.
    ///
    /// Other answers, in pveproxy's order: no `Upgrade` header -> 200 `{"data":{"port":"N"}}`;
    /// bad upgrade headers -> 501 (`unable to upgrade to protocol 'x'`, `unsupported
    /// websocket-version 'v'`, `missing websocket-key`); slot timed out, finished or already
    /// connected -> 502 `connect to 'localhost:N' failed: Connection refused`; else 101 and
    /// the session runs on its own task until `finished` resolves.
    pub async fn upgrade(
        &self,
        req: hyper::Request<hyper::body::Incoming>,
        authid: &str,
        port: u16,
        vncticket: &str,
    ) -> hyper::Response<Full<Bytes>> {
        let (plan, id, accept) = {
            let mut slots = self.lock_slots();
            let Some(slot) = slots.by_port.get_mut(&port) else {
                return handshake::invalid_ticket();
            };
            let path = slot.target.auth_path();
            if !self.key.verify(vncticket, authid, &path, port, unix_now()) {
                return handshake::invalid_ticket();
            }
            // The API handler answers `{port}` to a plain GET; only upgrades reach termproxy.
            let accept = match handshake::check_upgrade(&req, port) {
                Ok(accept) => accept,
                Err(response) => return *response,
            };
            if slot.state != SlotState::Listening {
                // termproxy accepts one connection, then its listener is gone.
                return handshake::connect_refused(port);
            }
            slot.state = SlotState::Connected;
            let plan = SessionPlan {
                authid: slot.authid.clone(),
                ticket: slot.ticket.clone(),
                path,
                port,
                program: self.program(&slot.target),
                key: self.key.clone(),
                auth_timeout: self.auth_timeout,
                drop_after: self.config.drop_after,
                command_line: termproxy_command_line(port, &slot.target, &slot.authid),
            };
            (plan, slot.id, accept)
        };
        let response = handshake::switching_protocols(&req, &accept);
        let slots = self.slots.clone();
        tokio::spawn(async move {
            let result = match handshake::accept_websocket(req).await {
                Some(ws) => session::run(ws, plan.clone()).await,
                None => Err(SessionError::Ticket(
                    "connection closed before authentication".into(),
                )),
            };
            let result = result.map_err(|e| plan.failure_status(&e));
            let mut slots = slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.finish(port, id, result);
        });
        response
    }

    /// What runs on the PTY: `--console-cmd` or the simulated shell.
    fn program(&self, target: &ConsoleTarget) -> PtyProgram {
        if let Some(cmd) = &self.config.console_cmd {
            return PtyProgram::shell_snippet(cmd);
        }
        let exe = self
            .config
            .shell_exe
            .clone()
            .or_else(|| std::env::current_exe().ok())
            .unwrap_or_else(|| PathBuf::from("proximity"));
        let (hostname, kind) = match target {
            ConsoleTarget::Container { hostname, .. } => (hostname.as_str(), "ct"),
            ConsoleTarget::Node { node } => (node.as_str(), "node"),
        };
        let mut argv: Vec<std::ffi::OsString> = vec![
            exe.into_os_string(),
            "__sim-shell".into(),
            "--hostname".into(),
            hostname.into(),
            "--kind".into(),
            kind.into(),
        ];
        if let ConsoleTarget::Container { vmid, .. } = target {
            if let Some(dir) = &self.config.shell_state_dir {
                argv.push("--state-file".into());
                argv.push(super::deploy_sim::state_file(dir, *vmid).into_os_string());
            }
            if let Some(step) = &self.config.fail_step {
                argv.push("--fail-step".into());
                argv.push(step.into());
            }
            if let Some(timing) = &self.config.deploy_timing {
                argv.push("--deploy-timing".into());
                argv.push(timing.into());
            }
        }
        PtyProgram { argv }
    }

    fn command_line(&self, port: u16, id: u64) -> Option<String> {
        let slots = self.lock_slots();
        let slot = slots.by_port.get(&port).filter(|s| s.id == id)?;
        Some(termproxy_command_line(port, &slot.target, &slot.authid))
    }

    fn lock_slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        // Slot bookkeeping stays consistent under a poisoned lock (every update is one step).
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The command line the `vncproxy`/`vncshell` task runs (pve-container `LXC.pm`,
/// pve-manager `Nodes.pm`), used in its failure message.
fn termproxy_command_line(port: u16, target: &ConsoleTarget, authid: &str) -> String {
    format!(
        "/usr/bin/termproxy {port} --path {} --perm {} -- {}",
        target.auth_path(),
        target.perm(),
        target.real_command(authid)
    )
}
