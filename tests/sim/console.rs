//! Console end to end: termproxy grant -> websocket upgrade through a real hyper server ->
//! `user:ticket\n` -> `OK` -> the simulated shell (or `--console-cmd`) on a real PTY.

use crate::common;

use common::*;
use proximity::sim::console::{ConsoleConfig, ConsoleHub, ConsoleTarget};

#[tokio::test]
async fn shell_session_echo_and_exit() {
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    assert!((5900..=5999).contains(&grant.port));
    assert_eq!(grant.user, "root@pam");
    assert!(grant.ticket.starts_with("PVEVNC:"), "{}", grant.ticket);

    let mut client = login(addr, &grant).await;
    client.expect("Debian GNU/Linux").await;
    client.expect("root@web1").await;
    client.expect("# ").await;
    client.clear();
    client.type_line("echo hello").await;
    // The PTY echoes the typed line, then the command's output, both with CRLF.
    client.expect("echo hello\r\nhello\r\n").await;

    client.type_line("exit").await;
    client.drain_to_end().await;
    assert!(client.all_binary, "server frames must all be binary");
    assert!(client.max_frame <= 128 * 1024);
    assert_eq!(finished(grant).await, Ok(()));
}

#[tokio::test]
async fn upgrade_echoes_subprotocol_and_answers_101() {
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let (_ws, response) = connect(addr, grant.port, &grant.ticket).await.unwrap();
    assert_eq!(response.status(), 101);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(header("sec-websocket-protocol").as_deref(), Some("binary"));
    assert_eq!(header("upgrade").as_deref(), Some("websocket"));
    assert_eq!(header("connection").as_deref(), Some("upgrade"));
    assert!(header("sec-websocket-accept").is_some());
}

#[tokio::test]
async fn resize_follows_the_protocol() {
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(101, "db1")).unwrap();
    let mut client = login(addr, &grant).await;
    client.expect("# ").await;
    client.type_line("stty size").await;
    client.expect("\r\n20 80\r\n").await;
    client.send(b"1:100:30:").await;
    client.type_line("stty size").await;
    client.expect("\r\n30 100\r\n").await;
}

#[tokio::test]
async fn bad_ticket_is_401_without_upgrade() {
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let (stamp, _sig) = grant.ticket.split_once("::").unwrap();
    let forged = format!("{stamp}::{}=", "A".repeat(43));
    let status = raw_status_line(addr, grant.port, &forged, "root@pam").await;
    assert_eq!(
        status,
        "HTTP/1.1 401 permission denied - invalid PVEVNC ticket"
    );
    // Right ticket, other user.
    let status = raw_status_line(addr, grant.port, &grant.ticket, "root@pam!tok").await;
    assert!(status.starts_with("HTTP/1.1 401 "), "{status}");
    // Right ticket, other port.
    let other = hub.open("root@pam", ct(101, "db1")).unwrap();
    let status = raw_status_line(addr, other.port, &grant.ticket, "root@pam").await;
    assert!(status.starts_with("HTTP/1.1 401 "), "{status}");
    // tungstenite sees the 401 as an HTTP error.
    match connect(addr, grant.port, "PVEVNC:00000000::AAAA").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(|(_, r)| r.status())),
    }
    // The real ticket still works afterwards (the slot was not consumed).
    let mut client = login(addr, &grant).await;
    client.expect("# ").await;
}

#[tokio::test]
async fn expired_and_future_tickets_are_401() {
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for stamp in [now - 41, now + 25] {
        let ticket = hub.vnc_ticket_at("root@pam", grant.port, stamp).unwrap();
        let status = raw_status_line(addr, grant.port, &ticket, "root@pam").await;
        assert_eq!(
            status,
            "HTTP/1.1 401 permission denied - invalid PVEVNC ticket"
        );
    }
    // Slightly old is still fine.
    let fresh = hub.vnc_ticket_at("root@pam", grant.port, now - 10).unwrap();
    let (_ws, response) = connect(addr, grant.port, &fresh).await.unwrap();
    assert_eq!(response.status(), 101);
}

#[tokio::test]
async fn wrong_user_in_auth_line_closes_without_ok() {
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let (ws, _) = connect(addr, grant.port, &grant.ticket).await.unwrap();
    let mut client = Client::new(ws);
    client
        .send(format!("admin@pve:{}\n", grant.ticket).as_bytes())
        .await;
    let got = client.drain_to_end().await;
    assert!(got.is_empty(), "no OK expected, got {got:?}");
    let result = finished(grant).await;
    let err = result.expect_err("task must fail");
    assert!(err.contains("authentication failure"), "{err}");
}

#[tokio::test]
async fn wrong_ticket_in_auth_line_closes_without_ok() {
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let (ws, _) = connect(addr, grant.port, &grant.ticket).await.unwrap();
    let mut client = Client::new(ws);
    client.send(b"root@pam:PVEVNC:00000000::x\n").await;
    assert!(client.drain_to_end().await.is_empty());
    assert!(finished(grant).await.is_err());
}

#[tokio::test]
async fn console_cmd_runs_a_real_program() {
    let hub = ConsoleHub::new(ConsoleConfig {
        console_cmd: Some("printf 'x\\n'; cat".into()),
        ..ConsoleConfig::default()
    });
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let mut client = login(addr, &grant).await;
    client.expect("x\r\n").await;
    client.clear();
    client.send(b"0:4:abc\n").await;
    // Once from the PTY echo, once from cat.
    client.expect("abc\r\nabc\r\n").await;
    // Ctrl-D ends cat, the program exits, the stream ends, the task is OK.
    client.send(b"0:1:\x04").await;
    client.drain_to_end().await;
    assert_eq!(finished(grant).await, Ok(()));
}

#[tokio::test]
async fn console_cmd_sees_a_clean_environment() {
    let hub = ConsoleHub::new(ConsoleConfig {
        console_cmd: Some("env | sort; sleep 5".into()),
        ..ConsoleConfig::default()
    });
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let mut client = login(addr, &grant).await;
    client.expect("TERM=xterm-256color\r\n").await;
    let env = String::from_utf8_lossy(&client.output).to_string();
    for line in env.lines().filter(|l| l.contains('=')) {
        let key = line.split('=').next().unwrap();
        assert!(
            [
                "PATH", "HOME", "LANG", "TERM", "PWD", "SHLVL", "_", "SHELL", "OLDPWD"
            ]
            .contains(&key),
            "unexpected variable {key} in {env}"
        );
    }
}

#[tokio::test]
async fn split_and_joined_frames_form_one_stream() {
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let (ws, _) = connect(addr, grant.port, &grant.ticket).await.unwrap();
    let mut client = Client::new(ws);
    // The auth line and the first message in one frame, and the auth line itself split.
    let auth = format!("{}:{}\n", grant.user, grant.ticket);
    let (a, b) = auth.split_at(7);
    client.send(a.as_bytes()).await;
    let line = "echo é€ one:two\n";
    let mut joined = b.as_bytes().to_vec();
    joined.extend_from_slice(format!("1:90:25:0:{}:{line}", line.len()).as_bytes());
    client.send(&joined).await;
    client.expect("OK").await;
    // Typed before the shell printed its prompt: the echo may come before or after the banner.
    client.expect_count("é€ one:two\r\n", 2).await;
    client.expect("# ").await;

    // One message cut inside a multi-byte character and inside its length, over text and
    // binary frames.
    let line = "echo ünïcödé\n";
    let message = format!("0:{}:{line}", line.len()).into_bytes();
    let cut = message.iter().position(|&b| b == 0xc3).unwrap() + 1;
    client.send(&message[..1]).await;
    client.send(&message[1..3]).await;
    client.send(&message[3..cut]).await;
    client.send(&message[cut..]).await;
    client.expect("\r\nünïcödé\r\n").await;
    client.send_text("0:10:stty size\n2").await;
    client.expect("\r\n25 90\r\n").await;
}

#[tokio::test]
async fn ping_gets_pong() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let mut client = login(addr, &grant).await;
    client
        .ws
        .send(Message::Ping(b"hi"[..].into()))
        .await
        .unwrap();
    loop {
        let frame = tokio::time::timeout(STEP, client.ws.next()).await.unwrap();
        match frame {
            Some(Ok(Message::Pong(p))) => {
                assert_eq!(&p[..], b"hi");
                break;
            }
            Some(Ok(_)) => continue,
            other => panic!("no pong: {other:?}"),
        }
    }
}

#[tokio::test]
async fn node_shell_prompt_uses_the_node_name() {
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub
        .open(
            "root@pam",
            ConsoleTarget::Node {
                node: "pve2".into(),
            },
        )
        .unwrap();
    let mut client = login(addr, &grant).await;
    client.expect("root@pve2").await;
    client.type_line("cat /etc/pve/storage.cfg").await;
    client.expect("local-lvm").await;
}

#[tokio::test]
async fn long_output_scrolls_through_in_bounded_frames() {
    let hub = ConsoleHub::new(shell_config());
    let addr = serve(hub.clone()).await;
    let grant = hub.open("root@pam", ct(100, "web1")).unwrap();
    let mut client = login(addr, &grant).await;
    client.expect("# ").await;
    client
        .type_line("cat /var/log/syslog; echo END-OF-LOG")
        .await;
    client.expect("line 300").await;
    client.expect("\r\nEND-OF-LOG\r\n").await;
    assert!(client.max_frame <= 128 * 1024);
    assert!(client.all_binary);
}
