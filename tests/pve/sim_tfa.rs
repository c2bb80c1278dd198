//! TOTP second factor and ticket lifetime through `pve::PveClient` against the emulator:
//! `login()` answers `NeedTfa`, a code computed with totp-rs completes it, a wrong code gets
//! Proxmox's text; background renewal keeps a TFA session alive past the ticket lifetime
//! (a re-login could not: it would need a new code), and without renewal the expired
//! ticket's 401 triggers a re-login, which for a TFA account surfaces `NeedTfa`.

use crate::pve_sim_support;

use std::time::Duration;

use proximity::pve::{LoginOutcome, PveClient, PveError};
use proximity::sim::SimConfig;
use pve_sim_support::*;

const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn totp() -> totp_rs::Totp {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(SECRET).unwrap())
        .build_noncompliant()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A six-digit code that is none of the codes valid around now (skew covers +-1 step).
fn wrong_code() -> String {
    let t = totp();
    let valid: Vec<String> = [now() - 60, now() - 30, now(), now() + 30, now() + 60]
        .iter()
        .map(|&s| t.generate(s).to_string())
        .collect();
    (0..10u32)
        .map(|i| format!("{:06}", i * 111_111))
        .find(|c| !valid.contains(c))
        .unwrap()
}

fn tfa_config() -> SimConfig {
    SimConfig {
        totp_secret: Some(SECRET.into()),
        ..config()
    }
}

async fn logged_in(c: &PveClient) {
    assert_eq!(c.login().await.unwrap(), LoginOutcome::NeedTfa);
    c.complete_tfa(&totp().generate_current().to_string())
        .await
        .unwrap();
}

#[tokio::test]
async fn totp_login_wrong_then_right_code() {
    let sim = start_with(tfa_config()).await;
    let c = password_client(&sim);
    assert_eq!(c.login().await.unwrap(), LoginOutcome::NeedTfa);
    assert_eq!(
        c.authenticated_user(),
        None,
        "half logged in is not logged in"
    );
    // Any other call waits for the second factor.
    let pending = c.version().await.unwrap_err();
    assert!(matches!(pending, PveError::NeedTfa), "{pending:?}");

    let wrong = c.complete_tfa(&wrong_code()).await.unwrap_err();
    assert!(matches!(wrong, PveError::Unauthorized { .. }), "{wrong:?}");
    assert_eq!(wrong.to_string(), "authentication failure");

    // The challenge stays usable: the right code now completes the login.
    let code = totp().generate_current().to_string();
    c.complete_tfa(&format!(" {code}\n")).await.unwrap();
    assert_eq!(
        c.authenticated_user().as_deref(),
        Some(sim.info.user.as_str())
    );
    let nodes = c.nodes().await.unwrap();
    assert_eq!(nodes.len(), 2);
    // A write proves the CSRF token of the full ticket is accepted.
    let (node, ct) = find_guest(&c, "lxc", "stopped").await;
    wait_ok(&c, &c.lxc_start(&node, ct).await.unwrap()).await;
    finish(sim).await;
}

#[tokio::test]
async fn tfa_needs_a_pending_login_and_token_auth_needs_none() {
    let sim = start_with(tfa_config()).await;
    let c = password_client(&sim);
    let early = c.complete_tfa("123456").await.unwrap_err();
    assert!(matches!(early, PveError::Config(_)), "{early:?}");
    assert!(early.to_string().contains("login()"), "{early}");
    // Tokens bypass the second factor entirely, as on Proxmox.
    let t = token_client(&sim);
    assert_eq!(t.login().await.unwrap(), LoginOutcome::LoggedIn);
    assert_eq!(t.cluster_status().await.unwrap().len(), 3);
    finish(sim).await;
}

#[tokio::test]
async fn renewal_keeps_a_tfa_session_alive_past_the_ticket_lifetime() {
    let sim = start_with(SimConfig {
        ticket_lifetime_s: 2,
        ..tfa_config()
    })
    .await;
    let c = PveClient::new(
        endpoint(&sim, password_auth(&sim)).with_renew_interval(Duration::from_millis(250)),
    )
    .unwrap();
    logged_in(&c).await;
    // Three seconds of calls: the first ticket dies after two. Only renewal (POSTing the
    // live ticket as the password) can keep going; a re-login would need a new TOTP code.
    let until = tokio::time::Instant::now() + Duration::from_millis(3200);
    let mut calls = 0;
    while tokio::time::Instant::now() < until {
        let v = c
            .version()
            .await
            .unwrap_or_else(|e| panic!("call {calls}: {e}"));
        assert!(!v.version.is_empty());
        calls += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(calls >= 10);
    finish(sim).await;
}

#[tokio::test]
async fn an_expired_ticket_without_renewal_relogs_in_once() {
    let sim = start_with(SimConfig {
        ticket_lifetime_s: 2,
        ..config()
    })
    .await;
    let c = password_client(&sim); // renewal every 15 min: never within this test
    assert_eq!(c.login().await.unwrap(), LoginOutcome::LoggedIn);
    let (node, ct) = find_guest(&c, "lxc", "stopped").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // The ticket is dead: the 401 triggers one re-login and the POST goes through.
    let upid = c.lxc_start(&node, ct).await.unwrap();
    wait_ok(&c, &upid).await;
    assert!(c.lxc_status(&node, ct).await.unwrap().is_running());
    finish(sim).await;
}

#[tokio::test]
async fn an_expired_tfa_ticket_cannot_relogin_unattended() {
    let sim = start_with(SimConfig {
        ticket_lifetime_s: 2,
        ..tfa_config()
    })
    .await;
    let c = password_client(&sim);
    logged_in(&c).await;
    c.version().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let err = c.version().await.unwrap_err();
    assert!(
        matches!(err, PveError::NeedTfa),
        "the 401 led to a re-login: {err:?}"
    );
    assert!(err.to_string().contains("second factor"), "{err}");
    finish(sim).await;
}
