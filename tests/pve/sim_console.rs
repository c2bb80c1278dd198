//! Consoles through `pve::PveClient::open_console` against the emulator's termproxy: the
//! shell prompt, a command and its output, resize seen by `stty size`, `exit` ending the
//! stream, for a container and a node, with token and ticket auth; and a console the server
//! drops mid-session ending with a clear error.

use crate::pve_sim_support;

use std::time::Duration;

use futures_util::StreamExt;
use proximity::pve::{ConsoleOptions, ConsoleTarget, PveClient, PveError, TermproxyStream};
use proximity::sim::SimConfig;
use pve_sim_support::*;

/// Bound on waiting for one piece of console output.
const READ: Duration = Duration::from_secs(4);

/// Output with ANSI escape sequences and carriage returns removed.
fn plain(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let re = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07").unwrap();
    re.replace_all(&text, "").replace('\r', "")
}

/// Reads until the plain output (since the last call) contains `needle`; returns it.
async fn read_until(stream: &mut TermproxyStream, needle: &str) -> String {
    let mut buf = Vec::new();
    let work = async {
        loop {
            match stream.next().await {
                Some(Ok(bytes)) => {
                    buf.extend_from_slice(&bytes);
                    if plain(&buf).contains(needle) {
                        return;
                    }
                }
                Some(Err(e)) => panic!("console error while waiting for {needle:?}: {e}"),
                None => panic!(
                    "console ended while waiting for {needle:?}: {:?}",
                    plain(&buf)
                ),
            }
        }
    };
    if tokio::time::timeout(READ, work).await.is_err() {
        panic!("no {needle:?} on the console; got {:?}", plain(&buf));
    }
    plain(&buf)
}

/// Drives one console session: prompt, `hostname`, resize + `stty size`, `exit`.
async fn session(c: &PveClient, target: ConsoleTarget, hostname: &str) {
    let opts = ConsoleOptions {
        initial_size: Some((100, 30)),
        ..ConsoleOptions::default()
    };
    let mut con = c.open_console(&target, &opts).await.expect("console opens");
    assert!(con.ticket().ticket.starts_with("PVEVNC:"));
    assert!((5900..6000).contains(&con.ticket().port));
    let prompt = format!("@{hostname}:");
    read_until(&mut con, &prompt).await;

    con.send_input(b"hostname\n").await.unwrap();
    let out = read_until(&mut con, &format!("\n{hostname}\n")).await;
    assert!(out.contains("hostname"), "the command is echoed: {out:?}");

    con.resize(132, 43).await.unwrap();
    con.send_input(b"stty size\n").await.unwrap();
    // Typed-ahead input is echoed before the next prompt, so the answer may follow the prompt.
    read_until(&mut con, "43 132\n").await;

    con.send_input(b"exit\n").await.unwrap();
    let ended = tokio::time::timeout(READ, async {
        let mut tail = Vec::new();
        loop {
            match con.next().await {
                Some(Ok(b)) => tail.extend_from_slice(&b),
                Some(Err(e)) => return Err(e),
                None => return Ok(tail),
            }
        }
    })
    .await
    .expect("exit ends the console stream");
    // pveproxy closes TCP without a close frame (WIRE.md 4.2), so the end may surface as
    // ConsoleClosed: it must then say so plainly.
    if let Err(e) = ended {
        assert_closed_plainly(&e);
    }
    assert!(con.next().await.is_none(), "the stream stays ended");
}

fn assert_closed_plainly(e: &PveError) {
    assert!(matches!(e, PveError::ConsoleClosed(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "console connection lost: the server closed the connection"
    );
}

#[tokio::test]
async fn container_console_with_a_token() {
    let sim = start().await;
    let c = token_client(&sim);
    let (node, ct) = find_guest(&c, "lxc", "running").await;
    let hostname = c.lxc_config(&node, ct).await.unwrap().hostname.unwrap();
    let target = ConsoleTarget::Lxc {
        node: node.clone(),
        vmid: ct,
    };
    // The ticket belongs to the token id, and the console runs as a `vncproxy` task.
    let ticket = c.termproxy(&target).await.unwrap();
    let token_id = sim.info.token.rsplit_once('=').unwrap().0;
    assert_eq!(ticket.user, token_id);
    let upid: proximity::pve::Upid = ticket.upid.parse().unwrap();
    assert_eq!(upid.kind(), "vncproxy");
    assert_eq!(upid.vmid(), Some(ct));
    session(&c, target, &hostname).await;
    finish(sim).await;
}

#[tokio::test]
async fn node_console_with_a_ticket() {
    let sim = start().await;
    let c = password_client(&sim);
    session(
        &c,
        ConsoleTarget::Node {
            node: "pve2".into(),
        },
        "pve2",
    )
    .await;
    finish(sim).await;
}

#[tokio::test]
async fn console_of_a_stopped_container_is_refused() {
    let sim = start().await;
    let c = token_client(&sim);
    let (node, ct) = find_guest(&c, "lxc", "stopped").await;
    let err = c
        .open_console(
            &ConsoleTarget::Lxc { node, vmid: ct },
            &ConsoleOptions::default(),
        )
        .await
        .err()
        .expect("refused");
    assert_eq!(err.to_string(), format!("CT {ct} not running"));
    finish(sim).await;
}

#[tokio::test]
async fn a_dropped_console_ends_with_a_clear_error() {
    let sim = start_with(SimConfig {
        drop_console_after_s: Some(2),
        ..config()
    })
    .await;
    let c = token_client(&sim);
    let mut con = c
        .open_console(
            &ConsoleTarget::Node {
                node: "pve1".into(),
            },
            &ConsoleOptions::default(),
        )
        .await
        .unwrap();
    read_until(&mut con, "@pve1:").await;
    let outcome = tokio::time::timeout(Duration::from_secs(4), async {
        loop {
            match con.next().await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Some(e),
                None => return None,
            }
        }
    })
    .await
    .expect("the drop ends the stream within the bound");
    if let Some(e) = outcome {
        assert_closed_plainly(&e);
    }
    // Whatever the server did, the stream stays ended and input fails cleanly.
    assert!(con.next().await.is_none());
    let write = con.send_input(b"ls\n").await;
    if let Err(e) = write {
        assert!(matches!(e, PveError::ConsoleClosed(_)), "{e:?}");
    }
    finish(sim).await;
}
