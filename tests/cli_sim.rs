//! The command line against `proximity sim` on 127.0.0.1:0: real binary, real network.

mod support;

use std::time::Duration;
use support::{PtyApp, SimProcess, run_cli};

fn guests(sim: &SimProcess, home: &std::path::Path) -> Vec<serde_json::Value> {
    let (ok, out, err) = run_cli(&["ls", "--json"], &sim.env(), home);
    assert!(ok, "ls --json failed: {err}");
    serde_json::from_str::<Vec<serde_json::Value>>(&out).expect("ls --json is a JSON array")
}

fn one_line_error(err: &str) -> String {
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {err:?}");
    lines[0].to_string()
}

#[test]
fn ls_and_nodes_tables_and_json() {
    let sim = SimProcess::start(&["--nodes", "2", "--guests", "12"]);
    let home = tempfile::tempdir().unwrap();
    let list = guests(&sim, home.path());
    assert_eq!(list.len(), 12);
    for g in &list {
        assert!(g["vmid"].as_u64().unwrap() >= 100);
        assert!(matches!(g["type"].as_str(), Some("lxc") | Some("qemu")));
        assert!(matches!(
            g["status"].as_str(),
            Some("running") | Some("stopped")
        ));
        assert!(g["tags"].is_array());
    }
    let (ok, out, err) = run_cli(&["nodes", "--json"], &sim.env(), home.path());
    assert!(ok, "{err}");
    let nodes: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0]["status"], "online");

    let (ok, out, _) = run_cli(&["ls"], &sim.env(), home.path());
    assert!(ok);
    assert!(out.starts_with("HOST  VMID"), "table header: {out}");
    assert!(out.lines().skip(1).all(|l| l.starts_with("env ")), "{out}");
    assert_eq!(out.lines().count(), 13);
}

#[test]
fn start_by_name_waits_then_refuses_a_second_start() {
    let sim = SimProcess::start(&["--nodes", "1", "--guests", "8", "--task-step-ms", "20"]);
    let home = tempfile::tempdir().unwrap();
    let list = guests(&sim, home.path());
    let stopped = list
        .iter()
        .find(|g| g["status"] == "stopped" && g["type"] == "lxc")
        .expect("a stopped container");
    let name = stopped["name"].as_str().unwrap().to_string();
    let vmid = stopped["vmid"].as_u64().unwrap();

    let (ok, out, err) = run_cli(&["start", &name], &sim.env(), home.path());
    assert!(ok, "start failed: {err}");
    assert!(out.contains("start done"), "{out}");
    let upid = out
        .split_whitespace()
        .find(|w| w.starts_with("UPID:"))
        .expect("upid printed");

    let after = guests(&sim, home.path());
    let now = after
        .iter()
        .find(|g| g["vmid"].as_u64() == Some(vmid))
        .unwrap();
    assert_eq!(now["status"], "running");

    let (ok, _, err) = run_cli(&["start", &vmid.to_string()], &sim.env(), home.path());
    assert!(!ok);
    assert_eq!(
        one_line_error(&err),
        format!("proximity: CT {vmid} already running")
    );

    let (ok, out, err) = run_cli(&["logs", upid], &sim.env(), home.path());
    assert!(ok, "{err}");
    assert_eq!(out.lines().last(), Some("TASK OK"));
    let (ok, followed, err) = run_cli(&["logs", "--follow", upid], &sim.env(), home.path());
    assert!(ok, "{err}");
    assert_eq!(
        followed, out,
        "--follow of a finished task prints the whole log and ends"
    );

    let (ok, _, err) = run_cli(&["logs", "UPID:garbage"], &sim.env(), home.path());
    assert!(!ok);
    assert!(one_line_error(&err).contains("UPID"), "{err}");

    // The start ran as a journaled job of the engine: `logs job-N` prints its log (the
    // step, then the Proxmox task's lines), each with its time.
    let job = run_cli(&["start", &name], &sim.env(), home.path()).1;
    assert!(
        job.is_empty(),
        "the second start failed, printing nothing: {job}"
    );
    let started = run_cli(&["stop", &name], &sim.env(), home.path());
    assert!(started.0, "{}", started.2);
    let job_id = started
        .1
        .split_whitespace()
        .find(|w| w.starts_with("job-"))
        .expect("the job id is printed")
        .to_string();
    let (ok, log, err) = run_cli(&["logs", &job_id], &sim.env(), home.path());
    assert!(ok, "{err}");
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines[0].ends_with("  stop"), "{log}");
    assert!(lines.last().unwrap().ends_with("  TASK OK"), "{log}");
    assert!(
        lines
            .iter()
            .all(|l| l.as_bytes()[2] == b':' && l.as_bytes()[8] == b'.'),
        "{log}"
    );
    let (ok, _, err) = run_cli(&["logs", "job-999"], &sim.env(), home.path());
    assert!(!ok);
    assert_eq!(
        one_line_error(&err),
        "proximity: no job job-999 in the journal"
    );
}

#[test]
fn version_and_completions() {
    let home = tempfile::tempdir().unwrap();
    let (ok, out, _) = run_cli(&["--version"], &[], home.path());
    assert!(ok);
    assert_eq!(
        out.trim(),
        format!("proximity {}", env!("CARGO_PKG_VERSION"))
    );
    let (ok, out, _) = run_cli(&["completions", "bash"], &[], home.path());
    assert!(ok);
    assert!(
        out.contains("_proximity()") && out.contains("hosts"),
        "bash completion script"
    );
}

#[test]
fn clear_one_line_errors() {
    let sim = SimProcess::start(&["--nodes", "1", "--guests", "3"]);
    let home = tempfile::tempdir().unwrap();

    let (ok, _, err) = run_cli(&["start", "no-such-guest"], &sim.env(), home.path());
    assert!(!ok);
    assert_eq!(
        one_line_error(&err),
        "proximity: no guest named 'no-such-guest'"
    );

    let mut env = sim.env();
    let wrong = "AA:".repeat(31) + "AA";
    for (k, v) in env.iter_mut() {
        if k == "PROXIMITY_FINGERPRINT" {
            *v = wrong.clone();
        }
    }
    let (ok, _, err) = run_cli(&["ls"], &env, home.path());
    assert!(!ok);
    let line = one_line_error(&err);
    assert!(
        line.contains(&sim.field("fingerprint")),
        "shows the presented fingerprint: {line}"
    );

    let env = vec![
        ("PROXIMITY_URL".to_string(), sim.field("url")),
        ("PROXIMITY_USER".to_string(), sim.field("user")),
        ("PROXIMITY_PASSWORD".to_string(), "wrong".to_string()),
        (
            "PROXIMITY_FINGERPRINT".to_string(),
            sim.field("fingerprint"),
        ),
    ];
    let (ok, _, err) = run_cli(&["ls"], &env, home.path());
    assert!(!ok);
    assert_eq!(one_line_error(&err), "proximity: authentication failure");

    let (ok, _, err) = run_cli(
        &["ls"],
        &[("PROXIMITY_URL".into(), sim.field("url"))],
        home.path(),
    );
    assert!(!ok);
    assert!(one_line_error(&err).contains("PROXIMITY_TOKEN"));
}

#[test]
fn password_login_works() {
    let sim = SimProcess::start(&["--nodes", "1", "--guests", "2"]);
    let home = tempfile::tempdir().unwrap();
    let env = vec![
        ("PROXIMITY_URL".to_string(), sim.field("url")),
        ("PROXIMITY_USER".to_string(), sim.field("user")),
        ("PROXIMITY_PASSWORD".to_string(), sim.field("password")),
        (
            "PROXIMITY_FINGERPRINT".to_string(),
            sim.field("fingerprint"),
        ),
    ];
    let (ok, out, err) = run_cli(&["nodes"], &env, home.path());
    assert!(ok, "{err}");
    assert!(out.contains("pve1"));
}

#[test]
fn hosts_add_pins_on_first_use_then_ls_uses_it() {
    let sim = SimProcess::start(&["--nodes", "1", "--guests", "4"]);
    let home = tempfile::tempdir().unwrap();
    let url = sim.field("url");
    let token = sim.field("token");
    let (ok, out, err) = run_cli(
        &[
            "hosts", "add", "lab", "--url", &url, "--token", &token, "--yes",
        ],
        &[],
        home.path(),
    );
    assert!(ok, "hosts add: {err}");
    assert!(
        err.contains(&sim.field("fingerprint")),
        "fingerprint shown: {err}"
    );
    assert!(out.contains("added host 'lab'"));
    {
        use std::os::unix::fs::PermissionsExt;
        let log = home.path().join("state/proximity.log");
        let mode = std::fs::metadata(&log)
            .expect("log file")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the log file is private");
    }

    let (ok, out, _) = run_cli(&["hosts", "ls", "--json"], &[], home.path());
    assert!(ok);
    let hosts: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(hosts[0]["fingerprint"], sim.field("fingerprint"));
    assert!(
        !out.contains(token.rsplit_once('=').unwrap().1),
        "secret never printed"
    );

    let (ok, out, err) = run_cli(&["ls", "--host", "lab", "--json"], &[], home.path());
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&out)
            .unwrap()
            .len(),
        4
    );

    let (ok, _, err) = run_cli(
        &[
            "hosts", "add", "lab", "--url", &url, "--token", &token, "--yes",
        ],
        &[],
        home.path(),
    );
    assert!(!ok);
    assert_eq!(
        one_line_error(&err),
        "proximity: a host named 'lab' exists already"
    );

    let (ok, _, _) = run_cli(&["hosts", "rm", "lab"], &[], home.path());
    assert!(ok);
    let (ok, _, err) = run_cli(&["ls"], &[], home.path());
    assert!(!ok);
    assert!(one_line_error(&err).contains("no Proxmox host configured"));
}

#[test]
fn raw_console_runs_a_command_and_leaves_with_the_escape_chord() {
    let sim = SimProcess::start(&["--nodes", "1", "--guests", "6"]);
    let home = tempfile::tempdir().unwrap();
    let list = guests(&sim, home.path());
    let running = list
        .iter()
        .find(|g| g["status"] == "running" && g["type"] == "lxc")
        .expect("a running container");
    let name = running["name"].as_str().unwrap();
    let mut app = PtyApp::spawn(&["console", name], &sim.env(), home.path(), 100, 30);
    app.wait_text("Escape: Ctrl-]", Duration::from_secs(10));
    app.wait_text(&format!("root@{name}"), Duration::from_secs(10));
    app.send(b"stty size\r");
    app.wait_text("30 100", Duration::from_secs(10));
    app.send(&[0x1d]);
    app.wait_text("disconnected (Ctrl-])", Duration::from_secs(10));
}

#[test]
fn hosts_add_with_password_and_totp_asks_for_the_code() {
    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let sim = SimProcess::start(&["--nodes", "1", "--guests", "3", "--totp-secret", SECRET]);
    let home = tempfile::tempdir().unwrap();
    let mut app = PtyApp::spawn(
        &[
            "hosts",
            "add",
            "lab",
            "--url",
            &sim.field("url"),
            "--user",
            &sim.field("user"),
            "--password-stdin",
            "--totp",
            "--yes",
        ],
        &[],
        home.path(),
        100,
        30,
    );
    // The password comes on stdin (the PTY), then the second factor is asked on the terminal.
    app.send(format!("{}\r", sim.field("password")).as_bytes());
    app.wait_text("TOTP code:", Duration::from_secs(15));
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(SECRET).unwrap())
        .build_noncompliant();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    app.send(format!("{}\r", totp.generate(now)).as_bytes());
    app.wait_text("added host 'lab'", Duration::from_secs(15));

    // The stored password is encrypted: it is on no file of the data dir in clear.
    let password = sim.field("password");
    for entry in walk(home.path()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !bytes
                .windows(password.len())
                .any(|w| w == password.as_bytes()),
            "{} holds the password in clear",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_failed_task_shows_its_log_then_one_error_line() {
    let sim = SimProcess::start(&[
        "--nodes",
        "1",
        "--guests",
        "6",
        "--task-step-ms",
        "20",
        "--fail-task-rate",
        "1",
    ]);
    let home = tempfile::tempdir().unwrap();
    let list = guests(&sim, home.path());
    let stopped = list
        .iter()
        .find(|g| g["status"] == "stopped" && g["type"] == "lxc")
        .expect("a stopped container");
    let vmid = stopped["vmid"].as_u64().unwrap().to_string();
    let (ok, _, err) = run_cli(&["start", &vmid], &sim.env(), home.path());
    assert!(!ok);
    let lines: Vec<&str> = err.lines().collect();
    let last = lines.last().copied().unwrap_or_default();
    assert!(
        last.starts_with("proximity: task UPID:")
            && last.ends_with("failed: simulated failure (--fail-task-rate)"),
        "{err}"
    );
    assert!(
        lines.contains(&"  | simulated failure injected by --fail-task-rate"),
        "log shown: {err}"
    );
    assert!(
        lines.contains(&"  | TASK ERROR: simulated failure (--fail-task-rate)"),
        "{err}"
    );
    // Nothing changed.
    let after = guests(&sim, home.path());
    let g = after
        .iter()
        .find(|g| g["vmid"].as_u64().map(|v| v.to_string()) == Some(vmid.clone()))
        .unwrap();
    assert_eq!(g["status"], "stopped");
}
