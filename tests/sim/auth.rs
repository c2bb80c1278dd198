//! Emulator auth: tickets + CSRF, tokens, TFA, renewal, expiry, failures.

use crate::sim_support;

use std::time::Duration;

use sim_support::*;

#[tokio::test]
async fn csrf_is_enforced_for_tickets_not_tokens() {
    let s = start().await;
    let (ticket, csrf) = s.login().await;
    assert!(ticket.starts_with("PVE:root@pam:"), "{ticket}");
    let cookie = format!("PVEAuthCookie={}", urlencode(&ticket));
    let ct = s.find_guest("pve1", "lxc", "stopped").await;
    let url = format!("{}/nodes/pve1/lxc/{ct}/config", s.base);

    let get = s.send(s.http.get(&url).header("Cookie", &cookie)).await;
    assert_eq!(get.status, 200, "GET needs no CSRF");
    let put = s
        .send(
            s.http
                .put(&url)
                .header("Cookie", &cookie)
                .form(&[("description", "x")]),
        )
        .await;
    assert_eq!(put.status, 401);
    assert!(put.body.is_empty(), "401 has an empty body");
    let put = s
        .send(
            s.http
                .put(&url)
                .header("Cookie", &cookie)
                .header("CSRFPreventionToken", &csrf)
                .form(&[("description", "x")]),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    // Ticket also accepted as `Authorization: PVEAuthCookie=`.
    let get = s
        .send(
            s.http
                .get(&url)
                .header("Authorization", format!("PVEAuthCookie={ticket}")),
        )
        .await;
    assert_eq!(get.status, 200);
    // Token: no CSRF needed.
    let put = s
        .call(
            "PUT",
            &format!("/nodes/pve1/lxc/{ct}/config"),
            &[("description", "y")],
        )
        .await;
    assert_eq!(put.status, 200);
    // Reason phrase of the CSRF failure.
    let (line, _) = s
        .raw(&format!(
            "PUT /api2/json/nodes/pve1/lxc/{ct}/config HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Length: 0\r\n\r\n"
        ))
        .await;
    assert_eq!(line, "HTTP/1.1 401 Permission denied - invalid csrf token");
    s.finish().await;
}

#[tokio::test]
async fn login_failures_and_token_refusal() {
    let s = start().await;
    let url = format!("{}/access/ticket", s.base);
    let bad = s
        .send(
            s.http
                .post(&url)
                .form(&[("username", "root@pam"), ("password", "wrong")]),
        )
        .await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.json()["message"], "authentication failure\n");
    let tok = s
        .send(
            s.http
                .post(&url)
                .header("Authorization", s.token_header())
                .form(&[("username", "root@pam"), ("password", "x")]),
        )
        .await;
    assert_eq!(tok.status, 403);
    assert!(
        tok.json()["message"].as_str().unwrap().starts_with(
            "Permission check failed (URI '/access/ticket' not available with API token"
        )
    );
    // The login screen's realm list needs no auth.
    let domains = s
        .send(s.http.get(format!("{}/access/domains", s.base)))
        .await;
    assert_eq!(domains.status, 200);
    assert_eq!(domains.data()[0]["realm"], "pam");
    // Bare user + realm works.
    let info = &s.handle.info;
    let ok = s
        .send(s.http.post(&url).form(&[
            ("username", "root"),
            ("realm", "pam"),
            ("password", info.password.as_str()),
        ]))
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.data()["cap"]["vms"]["VM.PowerMgmt"], 1);
    s.finish().await;
}

#[tokio::test]
async fn auth_failures_are_delayed() {
    let s = start_with(proximity::sim::SimConfig {
        auth_failure_delay_ms: 300,
        ..config()
    })
    .await;
    let t0 = std::time::Instant::now();
    let a = s.send(s.http.get(format!("{}/nodes", s.base))).await;
    assert_eq!(a.status, 401);
    assert!(t0.elapsed() >= Duration::from_millis(300));
    s.finish().await;
}

#[tokio::test]
async fn renewal_and_expiry() {
    let s = start_with(proximity::sim::SimConfig {
        ticket_lifetime_s: 2,
        ..config()
    })
    .await;
    let (ticket, _) = s.login().await;
    let url = format!("{}/access/ticket", s.base);
    let renewed = s
        .send(
            s.http
                .post(&url)
                .form(&[("username", "root@pam"), ("password", ticket.as_str())]),
        )
        .await;
    assert_eq!(renewed.status, 200);
    assert_eq!(with_ticket(&s, &ticket).await, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        with_ticket(&s, &ticket).await,
        401,
        "expired ticket refused"
    );
    let late = s
        .send(
            s.http
                .post(&url)
                .form(&[("username", "root@pam"), ("password", ticket.as_str())]),
        )
        .await;
    assert_eq!(late.status, 401, "an expired ticket cannot renew itself");
    s.finish().await;
}

#[tokio::test]
async fn totp_second_factor() {
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let s = start_with(proximity::sim::SimConfig {
        totp_secret: Some(secret.into()),
        ..config()
    })
    .await;
    let url = format!("{}/access/ticket", s.base);
    let pw = s.handle.info.password.clone();
    let first = s
        .send(
            s.http
                .post(&url)
                .form(&[("username", "root@pam"), ("password", pw.as_str())]),
        )
        .await;
    assert_eq!(first.status, 200);
    let d = first.data();
    assert_eq!(d["NeedTFA"], 1);
    assert!(d.get("cap").is_none());
    let half = d["ticket"].as_str().unwrap().to_string();
    assert!(half.starts_with("PVE:!tfa!"), "{half}");
    // The half ticket is no API credential.
    let cookie = format!("PVEAuthCookie={}", urlencode(&half));
    assert_eq!(
        s.send(
            s.http
                .get(format!("{}/nodes", s.base))
                .header("Cookie", &cookie)
        )
        .await
        .status,
        401
    );

    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build_noncompliant();
    let code = totp.generate_current().to_string();
    let wrong = s
        .send(s.http.post(&url).form(&[
            ("username", "root@pam"),
            ("tfa-challenge", half.as_str()),
            ("password", "totp:000000"),
        ]))
        .await;
    if code != "000000" {
        assert_eq!(wrong.status, 401);
    }
    let answer = format!("totp:{code}");
    let done = s
        .send(s.http.post(&url).form(&[
            ("username", "root@pam"),
            ("tfa-challenge", half.as_str()),
            ("password", answer.as_str()),
        ]))
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let full = done.data()["ticket"].as_str().unwrap().to_string();
    assert!(full.starts_with("PVE:root@pam:"));
    let cookie = format!("PVEAuthCookie={}", urlencode(&full));
    assert_eq!(
        s.send(
            s.http
                .get(format!("{}/nodes", s.base))
                .header("Cookie", &cookie)
        )
        .await
        .status,
        200
    );
    s.finish().await;
}

async fn with_ticket(s: &TestSim, ticket: &str) -> u16 {
    let req = s
        .http
        .get(format!("{}/nodes", s.base))
        .header("Cookie", format!("PVEAuthCookie={}", urlencode(ticket)));
    s.send(req).await.status
}
