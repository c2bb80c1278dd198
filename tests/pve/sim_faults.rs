//! Faults and bad input through `pve::PveClient` against the emulator: injected 595s on GETs
//! are retried away, a failed POST is not retried and changes nothing, and every bad input
//! (wrong fingerprint, wrong password, unknown node or vmid, garbage JSON, an invalid UPID)
//! ends in one clear message, never a panic.

use crate::pve_sim_support;
use crate::support_pve;

use proximity::pve::{
    Auth, EndpointConfig, Fingerprint, LoginOutcome, PveClient, PveError, RetryPolicy, TlsPolicy,
    Upid,
};
use proximity::sim::SimConfig;
use pve_sim_support::*;
use support_pve::{MockResponse, MockServer};

/// The reason phrase pveproxy gives when the proxied node is unreachable (emulator's fault).
const INJECTED: &str =
    "Errors during connection establishment, proxy handshake: Connection refused";

/// 40 sequential GETs over several endpoints; returns how many failed and the first error.
async fn many_gets(c: &PveClient) -> (usize, Option<PveError>) {
    let mut failed = 0;
    let mut first = None;
    for i in 0..40 {
        let r = match i % 4 {
            0 => c.version().await.map(|_| ()),
            1 => c.nodes().await.map(|_| ()),
            2 => c.cluster_resources(None).await.map(|_| ()),
            _ => c.node_status("pve1").await.map(|_| ()),
        };
        if let Err(e) = r {
            failed += 1;
            first.get_or_insert(e);
        }
    }
    (failed, first)
}

#[tokio::test]
async fn injected_595s_on_gets_are_retried_away() {
    let faulty = || SimConfig {
        fail_rate: 0.3,
        seed: 11,
        ..config()
    };
    // Without retries the same deterministic fault sequence shows through...
    let sim = start_with(faulty()).await;
    let bare =
        PveClient::new(endpoint(&sim, token_auth(&sim)).with_retry(RetryPolicy::none())).unwrap();
    let (failed, first) = many_gets(&bare).await;
    assert!(failed > 0, "a 0.3 fail rate hits some of 40 GETs");
    let e = first.unwrap();
    assert!(matches!(e, PveError::Proxy { status: 595, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        INJECTED,
        "the reason phrase of the empty-bodied 595"
    );
    assert!(e.is_transient());
    finish(sim).await;

    // ...and with retries every call succeeds.
    let sim = start_with(faulty()).await;
    let c = PveClient::new(endpoint(&sim, token_auth(&sim)).with_retry(fast_retry(8))).unwrap();
    let (failed, first) = many_gets(&c).await;
    assert_eq!(failed, 0, "retried: {first:?}");
    finish(sim).await;
}

#[tokio::test]
async fn a_failed_post_is_not_retried_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = SimConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..config()
    };
    // Learn a stopped container with a healthy emulator, then restart it failing everything.
    let sim = start_with(base.clone()).await;
    let (node, ct) = find_guest(&token_client(&sim), "lxc", "stopped").await;
    finish(sim).await;

    let sim = start_with(SimConfig {
        fail_rate: 1.0,
        ..base.clone()
    })
    .await;
    let c = token_client(&sim); // retries on: they must not apply to a POST
    let err = c.lxc_start(&node, ct).await.unwrap_err();
    assert!(matches!(err, PveError::Http { status: 500, .. }), "{err:?}");
    assert_eq!(err.to_string(), INJECTED);
    let get = c.lxc_status(&node, ct).await.unwrap_err();
    assert!(
        matches!(get, PveError::Proxy { status: 595, .. }),
        "{get:?}"
    );
    finish(sim).await;

    // The saved state, served by a healthy emulator: still stopped, no start task ran.
    let sim = start_with(base).await;
    let c = token_client(&sim);
    assert_eq!(c.lxc_status(&node, ct).await.unwrap().status, "stopped");
    let (tasks, _) = c
        .task_list(
            &node,
            &proximity::pve::TaskFilter {
                vmid: Some(ct),
                typefilter: Some("vzstart".into()),
                source: Some("all".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let started_now = tasks
        .iter()
        .filter(|t| t.starttime + 60 >= now_epoch())
        .count();
    assert_eq!(started_now, 0, "no vzstart task: {tasks:?}");
    finish(sim).await;
}

#[tokio::test]
async fn retry_counts_on_the_wire() {
    // A node that is always unreachable: a GET is tried 1 + max_retries times, a POST once.
    let mock = MockServer::start(|_| MockResponse::empty(595, INJECTED)).await;
    let c = PveClient::new(
        EndpointConfig::new(
            mock.url.clone(),
            Auth::Token {
                token_id: "root@pam!t".into(),
                secret: "s".into(),
            },
        )
        .with_retry(fast_retry(3)),
    )
    .unwrap();
    let e = c.nodes().await.unwrap_err();
    assert_eq!(e.to_string(), INJECTED);
    assert_eq!(mock.requests.lock().unwrap().len(), 4);
    mock.requests.lock().unwrap().clear();
    let e = c.lxc_start("pve1", 100).await.unwrap_err();
    assert!(matches!(e, PveError::Proxy { status: 595, .. }), "{e:?}");
    let posts = mock.requests.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "a POST is never retried");
    assert_eq!(posts[0].method, "POST");
}

#[tokio::test]
async fn wrong_fingerprint_names_the_presented_one() {
    let sim = start().await;
    let real = sim.info.fingerprint.clone().unwrap();
    let wrong: Fingerprint = ("AB:".repeat(31) + "AB").parse().unwrap();
    let c = PveClient::new(
        EndpointConfig::new(sim.info.url.clone(), token_auth(&sim))
            .with_tls(TlsPolicy::Pinned(wrong.clone()))
            .with_retry(fast_retry(2)),
    )
    .unwrap();
    let err = c.version().await.unwrap_err();
    match &err {
        PveError::FingerprintMismatch {
            presented,
            expected,
        } => {
            assert_eq!(presented, &real);
            assert_eq!(expected, wrong.as_str());
        }
        other => panic!("expected FingerprintMismatch, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&real) && msg.contains(wrong.as_str()), "{msg}");
    // Trust on first use: fetching the fingerprint yields the real one, which then works.
    let fetched = proximity::pve::tls::fetch_fingerprint(&sim.info.url)
        .await
        .unwrap();
    assert_eq!(fetched, real);
    assert!(token_client(&sim).version().await.is_ok());
    finish(sim).await;
}

#[tokio::test]
async fn wrong_password_is_an_authentication_failure() {
    let sim = start().await;
    let c = PveClient::new(endpoint(
        &sim,
        Auth::Password {
            username: sim.info.user.clone(),
            password: "not-the-password".into(),
        },
    ))
    .unwrap();
    let err = c.login().await.unwrap_err();
    assert!(matches!(err, PveError::Unauthorized { .. }), "{err:?}");
    assert_eq!(err.to_string(), "authentication failure");
    // A call logs in implicitly and fails the same way.
    let err = c.nodes().await.unwrap_err();
    assert_eq!(err.to_string(), "authentication failure");
    assert_eq!(c.authenticated_user(), None);
    // The right password works on the same emulator.
    let ok = password_client(&sim);
    assert_eq!(ok.login().await.unwrap(), LoginOutcome::LoggedIn);
    finish(sim).await;
}

#[tokio::test]
async fn unknown_node_and_vmid_get_proxmox_texts() {
    let sim = start().await;
    let c = token_client(&sim);
    let err = c.node_status("nosuchnode").await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("hostname lookup 'nosuchnode' failed"),
        "{err}"
    );
    let err = c.lxc_list("nosuchnode").await.unwrap_err();
    assert!(err.to_string().contains("hostname lookup"), "{err}");

    let err = c.lxc_status("pve1", 99_999).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Configuration file 'nodes/pve1/lxc/99999.conf' does not exist"
    );
    let err = c.lxc_start("pve1", 99_999).await.unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    let err = c.qemu_status("pve1", 99_999).await.unwrap_err();
    assert!(err.to_string().contains("qemu-server/99999.conf"), "{err}");
    // A vmid outside Proxmox's range is a parameter error naming the parameter.
    let err = c.lxc_status("pve1", 7).await.unwrap_err();
    assert!(matches!(err, PveError::BadRequest { .. }), "{err:?}");
    assert!(err.to_string().contains("vmid"), "{err}");
    finish(sim).await;
}

#[tokio::test]
async fn garbage_json_is_a_decode_error_naming_the_path() {
    let mock = MockServer::start(|r| {
        if r.path == "/nodes" {
            MockResponse::raw("<html>502 Bad Gateway</html>")
        } else {
            MockResponse::raw(r#"{"data": {"version": 9}}"#)
        }
    })
    .await;
    let c = PveClient::new(EndpointConfig::new(
        mock.url.clone(),
        Auth::Token {
            token_id: "root@pam!t".into(),
            secret: "s".into(),
        },
    ))
    .unwrap();
    let err = c.nodes().await.unwrap_err();
    assert!(matches!(err, PveError::Decode { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("cannot decode the response of /nodes: "),
        "{msg}"
    );
    assert!(msg.contains("line 1"), "serde's position: {msg}");
    let err = c.version().await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot decode the response of /version: "),
        "{err}"
    );
}

#[tokio::test]
async fn an_invalid_upid_never_reaches_the_wire() {
    let err = "UPID:pve1:nothex:00000001:65000000:vzstart:100:root@pam:"
        .parse::<Upid>()
        .unwrap_err();
    assert!(matches!(err, PveError::InvalidUpid(_)), "{err:?}");
    assert!(err.to_string().contains("nothex"), "{err}");
    // A well-formed UPID the node never ran: Proxmox's `no such task`.
    let sim = start().await;
    let c = token_client(&sim);
    let ghost = Upid::new(
        "pve1",
        0x1234,
        0x1,
        0x6500_0000,
        "vzstart",
        "100",
        "root@pam",
    )
    .unwrap();
    let err = c.task_status(&ghost).await.unwrap_err();
    assert!(err.to_string().contains("no such task"), "{err}");
    finish(sim).await;
}

fn now_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
