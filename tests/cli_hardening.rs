//! The "Hardening" issue through the real binary: the emulator refuses to expose a shell or
//! clear text to the network, http only to loopback and loudly, and token secrets that never
//! appear on the command line (`--token-stdin`, `PROXIMITY_TOKEN_FILE`).

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::{BIN, SimProcess, run_cli};

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

#[test]
fn sim_refuses_a_remote_shell_or_clear_text_without_allow_remote() {
    for risky in [&["--no-tls"][..], &["--console-cmd", "/bin/sh"][..]] {
        let out = Command::new(BIN)
            .args(["sim", "--listen", "0.0.0.0:0"])
            .args(risky)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{risky:?} started");
        assert!(out.stdout.is_empty(), "no connection line");
        let err = lines(&err);
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(
            err[0].contains(risky[0]) && err[0].contains("--allow-remote"),
            "{err:?}"
        );
    }
}

#[test]
fn plain_http_is_for_loopback_only_and_warns() {
    let sim = SimProcess::start(&["--no-tls", "--nodes", "1", "--guests", "2"]);
    let url = sim.field("url");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let home = tempfile::tempdir().unwrap();
    let (ok, out, err) = run_cli(&["ls", "--json"], &sim.env(), home.path());
    assert!(ok, "{err}");
    assert!(out.contains("\"vmid\""), "{out}");
    let err = lines(&err);
    assert_eq!(err.len(), 1, "one warning: {err:?}");
    assert!(
        err[0].starts_with("WARNING: ") && err[0].contains("plain http"),
        "{err:?}"
    );

    let remote = vec![
        (
            "PROXIMITY_URL".to_string(),
            "http://pve.example:8006".to_string(),
        ),
        ("PROXIMITY_TOKEN".to_string(), sim.field("token")),
    ];
    let (ok, _, err) = run_cli(&["ls"], &remote, home.path());
    assert!(!ok);
    let err = lines(&err);
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].contains("PROXIMITY_URL") && err[0].contains("https://"),
        "{err:?}"
    );

    let (ok, _, err) = run_cli(
        &[
            "hosts",
            "add",
            "lab",
            "--url",
            "http://pve.example:8006",
            "--token",
            "root@pam!t=s",
        ],
        &[],
        home.path(),
    );
    assert!(!ok);
    assert!(
        err.contains("url: http:// sends credentials in clear"),
        "{err}"
    );
}

fn hosts_add_stdin(home: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(BIN)
        .args(["hosts", "add"])
        .args(args)
        .env("PROXIMITY_HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn token_from_stdin_or_a_private_file_never_from_argv() {
    let sim = SimProcess::start(&["--nodes", "1", "--guests", "2"]);
    let (url, token, fp) = (
        sim.field("url"),
        sim.field("token"),
        sim.field("fingerprint"),
    );
    let home = tempfile::tempdir().unwrap();

    let base = ["--url", url.as_str(), "--fingerprint", fp.as_str()];
    let mut args = vec!["lab"];
    args.extend(base);
    args.push("--token-stdin");
    let (ok, err) = hosts_add_stdin(home.path(), &args, &format!("{token}\n"));
    assert!(ok, "{err}");

    let (id, secret) = token.rsplit_once('=').unwrap();
    let mut args = vec!["lab2"];
    args.extend(base);
    args.extend(["--token-stdin", "--token-id", id]);
    let (ok, err) = hosts_add_stdin(home.path(), &args, &format!("{secret}\n"));
    assert!(ok, "{err}");
    let (ok, out, err) = run_cli(&["hosts", "ls"], &[], home.path());
    assert!(ok && out.contains("lab2"), "{out}{err}");

    let file = home.path().join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let env = vec![
        ("PROXIMITY_URL".to_string(), url.clone()),
        (
            "PROXIMITY_TOKEN_FILE".to_string(),
            file.display().to_string(),
        ),
        ("PROXIMITY_FINGERPRINT".to_string(), fp.clone()),
    ];
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (ok, _, err) = run_cli(&["nodes"], &env, home.path());
    assert!(!ok);
    let err = lines(&err);
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].contains("PROXIMITY_TOKEN_FILE") && err[0].contains("chmod 600"),
        "{err:?}"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (ok, out, err) = run_cli(&["nodes"], &env, home.path());
    assert!(ok, "{err}");
    assert!(out.contains("pve1"), "{out}");
}
