//! Shared helpers for the client-against-emulator tests (`pve_sim_*`): start `sim` in-process
//! over HTTPS on 127.0.0.1:0 and drive it only through the real `pve::PveClient`, pinned to
//! the emulator's certificate. The emulator checks every request against the Proxmox schema
//! (a non-conforming request is a 400, so a passing call proves the client conforms) and,
//! with `check_returns`, records every answer that breaks the schema: [`finish`] asserts
//! there are none.
#![allow(dead_code)]

use std::time::Duration;

use proximity::pve::{
    Auth, ClusterResource, EndpointConfig, PveClient, ResourceFilter, RetryPolicy, TaskStatus,
    TlsPolicy, Upid,
};
use proximity::sim::{self, SimConfig, SimHandle};

/// Bound on every task wait (tasks take a few `task_step_ms` steps).
pub const TASK_WAIT: Duration = Duration::from_secs(10);

/// A small cluster (2 nodes, 24 guests) with fast tasks and the return checker on.
pub fn config() -> SimConfig {
    SimConfig {
        nodes: 2,
        guests: 24,
        seed: 7,
        tls: true,
        auth_failure_delay_ms: 0,
        task_step_ms: 10,
        check_returns: true,
        shell_exe: Some(env!("CARGO_BIN_EXE_proximity").into()),
        ..SimConfig::default()
    }
}

pub async fn start_with(config: SimConfig) -> SimHandle {
    sim::start(config).await.expect("the emulator starts")
}

pub async fn start() -> SimHandle {
    start_with(config()).await
}

/// The emulator's self-signed certificate, pinned.
pub fn pinned(handle: &SimHandle) -> TlsPolicy {
    let fp = handle
        .info
        .fingerprint
        .as_deref()
        .expect("TLS emulator has a fingerprint");
    TlsPolicy::Pinned(fp.parse().expect("fingerprint parses"))
}

/// Fast retries so fault tests stay in milliseconds.
pub fn fast_retry(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
    }
}

pub fn token_auth(handle: &SimHandle) -> Auth {
    let (token_id, secret) = handle
        .info
        .token
        .rsplit_once('=')
        .expect("token is user@realm!id=secret");
    Auth::Token {
        token_id: token_id.to_string(),
        secret: secret.to_string(),
    }
}

pub fn password_auth(handle: &SimHandle) -> Auth {
    Auth::Password {
        username: handle.info.user.clone(),
        password: handle.info.password.clone(),
    }
}

pub fn endpoint(handle: &SimHandle, auth: Auth) -> EndpointConfig {
    EndpointConfig::new(handle.info.url.clone(), auth)
        .with_tls(pinned(handle))
        .with_retry(fast_retry(3))
        .with_request_timeout(Duration::from_secs(10))
}

pub fn token_client(handle: &SimHandle) -> PveClient {
    PveClient::new(endpoint(handle, token_auth(handle))).expect("client builds")
}

pub fn password_client(handle: &SimHandle) -> PveClient {
    PveClient::new(endpoint(handle, password_auth(handle))).expect("client builds")
}

/// Waits for a task to end successfully (bounded).
pub async fn wait_ok(client: &PveClient, upid: &Upid) -> TaskStatus {
    let status = tokio::time::timeout(TASK_WAIT, client.wait_task(upid, Duration::from_millis(5)))
        .await
        .unwrap_or_else(|_| panic!("task {upid} did not finish"))
        .unwrap_or_else(|e| panic!("task {upid} failed: {e}"));
    assert_eq!(status.status, "stopped");
    assert_eq!(status.exitstatus.as_deref(), Some("OK"), "{upid}");
    status
}

/// Any unlocked, non-template guest of `kind` (`lxc`/`qemu`) with `status`.
pub async fn find_guest(client: &PveClient, kind: &str, status: &str) -> (String, u32) {
    let all = client
        .cluster_resources(Some(ResourceFilter::Vm))
        .await
        .expect("resources");
    let g: &ClusterResource = all
        .iter()
        .find(|g| {
            g.kind == kind
                && g.status.as_deref() == Some(status)
                && g.extra().lock.is_none()
                && !g.is_template()
        })
        .unwrap_or_else(|| panic!("no {status} {kind} in the emulator"));
    (
        g.node.as_deref().expect("guest has a node").to_string(),
        g.vmid.expect("guest has a vmid"),
    )
}

/// Every test ends here: no answer broke the API schema, then the emulator stops.
pub async fn finish(handle: SimHandle) {
    let violations = handle.schema_violations();
    assert!(
        violations.is_empty(),
        "schema violations:\n{}",
        violations.join("\n")
    );
    handle.shutdown().await;
}
