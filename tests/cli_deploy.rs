//! `proximity deploy`, `apps` and `app` end to end: the real binary against `proximity sim`
//! (a separate process on 127.0.0.1:0) whose containers run the deployment in their
//! simulated shell; a failure injected at a step leaves no container; a deploy killed with
//! SIGKILL mid-way is found by the next run and resumed to exactly one container.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{BIN, SimProcess, add_host, run_cli_code};

fn containers_named(home: &std::path::Path, name: &str) -> Vec<serde_json::Value> {
    let (code, out, err) = run_cli_code(&["ls", "--json"], &[], home);
    assert_eq!(code, Some(0), "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).expect("ls --json");
    rows.into_iter()
        .filter(|r| r["name"] == name && r["type"] == "lxc")
        .collect()
}

#[test]
fn deploy_apps_and_app_verbs_from_the_command_line() {
    let sim = SimProcess::start(&["--deploy-timing", "fast", "--nodes", "2", "--guests", "6"]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &sim);

    let (code, out, err) = run_cli_code(&["deploy", "uptime-kuma", "--wait"], &[], home.path());
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        err.contains("started (Ctrl-C cancels and rolls back)"),
        "{err}"
    );
    for seen in [
        "placed on lab/",
        "Setting up docker.io",
        "Pull complete",
        "uptime-kuma is up",
    ] {
        assert!(out.contains(seen), "{seen:?} missing in:\n{out}");
    }
    let last = out.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("uptime-kuma (uptime-kuma) on lab/") && last.contains(": ok  http://"),
        "{last}"
    );
    assert!(
        !out.contains('\x1b'),
        "cursor movement of the pull is not printed"
    );
    // The pull's progress is drawn in place: a pipe gets each layer's final line only, not
    // one line per redraw.
    for redrawn in ["Downloading [", "Extracting [", "Waiting"] {
        assert!(!out.contains(redrawn), "{redrawn:?} left in:\n{out}");
    }
    let complete = out.lines().filter(|l| l.contains("Pull complete")).count();
    let pulled = out.lines().filter(|l| l.ends_with(" Pulled")).count();
    assert!(complete >= 1 && pulled == 1, "{out}");
    assert_eq!(containers_named(home.path(), "uptime-kuma").len(), 1);

    let (code, out, err) = run_cli_code(&["apps", "--json"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let apps: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert!(
        apps.iter()
            .any(|a| a["name"] == "uptime-kuma" && a["app"] == "uptime-kuma"),
        "{out}"
    );
    let (code, out, err) = run_cli_code(
        &["app", "logs", "uptime-kuma", "--tail", "5"],
        &[],
        home.path(),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.trim().is_empty(), "logs from inside the container");

    // Restart of the compose project (the emulator's docker restarts each service).
    let (code, out, err) = run_cli_code(
        &["app", "restart", "uptime-kuma", "--compose"],
        &[],
        home.path(),
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    for seen in [
        "$ docker compose -f ",
        "uptime-kuma/compose.json",
        "[+] Restarting ",
        "-1  Started",
        "uptime-kuma: restart done",
    ] {
        assert!(out.contains(seen), "{seen:?} missing in:\n{out}");
    }

    // Logs followed live: new lines keep coming until Ctrl-C, which ends it cleanly.
    let mut child = Command::new(BIN)
        .args(["app", "logs", "uptime-kuma", "--follow", "--tail", "2"])
        .env("PROXIMITY_HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logs --follow");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut requests: Vec<u64> = Vec::new();
    while requests.last().copied().unwrap_or(0) < 3 {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(n) = line
            .split("(request ")
            .nth(1)
            .and_then(|rest| rest.trim().strip_suffix(')'))
        {
            requests.push(n.parse().unwrap());
        }
        assert!(Instant::now() < deadline, "no new lines: {requests:?}");
    }
    assert_eq!(requests.first(), Some(&1), "{requests:?}");
    assert!(requests.contains(&3), "new lines arrive: {requests:?}");
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("logs --follow did not stop on Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "Ctrl-C ends a follow cleanly");

    // Without --wait: one line per step, with the progress.
    let (code, out, err) = run_cli_code(&["deploy", "uptime-kuma"], &[], home.path());
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("% pulling images"), "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap_or_default()
            .starts_with("uptime-kuma-2 "),
        "{out}"
    );

    // Refused before anything starts, naming what is wrong.
    let (code, _, err) = run_cli_code(
        &["deploy", "uptime-kuma", "--env", "NOPE=1"],
        &[],
        home.path(),
    );
    assert_eq!(code, Some(1));
    assert!(
        err.contains("variable NOPE: Uptime Kuma has no such variable"),
        "{err}"
    );
    let (code, _, err) = run_cli_code(&["deploy", "no-such-app"], &[], home.path());
    assert_eq!(code, Some(1));
    assert!(
        err.contains("no app \"no-such-app\" in the catalog"),
        "{err}"
    );
    let (code, _, err) = run_cli_code(&["app", "rm", "uptime-kuma-2"], &[], home.path());
    assert_eq!(code, Some(1), "rm asks for --yes");
    assert!(err.contains("--yes"), "{err}");
    let (code, _, err) = run_cli_code(&["app", "rm", "uptime-kuma-2", "--yes"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    assert!(containers_named(home.path(), "uptime-kuma-2").is_empty());

    // Clone: the deploy job with the source's variables, in a container of its own.
    let (code, _, err) = run_cli_code(&["app", "clone", "uptime-kuma"], &[], home.path());
    assert_eq!(code, Some(1));
    assert!(err.contains("the new app's name is missing"), "{err}");
    let (code, out, err) = run_cli_code(
        &["app", "clone", "uptime-kuma", "kuma-copy"],
        &[],
        home.path(),
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("kuma-copy (uptime-kuma) on lab/"), "{out}");
    assert_eq!(containers_named(home.path(), "kuma-copy").len(), 1);
    assert_eq!(containers_named(home.path(), "uptime-kuma").len(), 1);

    // rm --backup: backed up first, then destroyed.
    let (code, _, err) = run_cli_code(&["app", "rm", "kuma-copy"], &[], home.path());
    assert_eq!(code, Some(1));
    assert!(err.contains("--backup --yes"), "{err}");
    let (code, out, err) = run_cli_code(
        &["app", "rm", "kuma-copy", "--yes", "--backup"],
        &[],
        home.path(),
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(err.contains("backing kuma-copy up first"), "{err}");
    assert!(containers_named(home.path(), "kuma-copy").is_empty());
    let (code, out, err) = run_cli_code(&["backups", "--json"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("kuma-copy"),
        "the backup names its guest: {out}"
    );
}

#[test]
fn a_failure_at_each_step_leaves_no_container() {
    // `health` is the engine test's (a_failed_step_rolls_back_unless_asked_to_keep): the CLI
    // waits the real 180 s for an app that never answers.
    for step in ["template", "create", "start", "docker", "pull", "up"] {
        let sim = SimProcess::start(&["--deploy-timing", "fast", "--fail-step", step]);
        let home = tempfile::tempdir().unwrap();
        add_host(home.path(), "lab", &sim);
        let name = format!("fail-{step}");
        let (code, out, err) = run_cli_code(
            &["deploy", "uptime-kuma", "--name", &name, "--wait"],
            &[],
            home.path(),
        );
        assert_eq!(code, Some(1), "{step}: {out}\n{err}");
        assert!(
            containers_named(home.path(), &name).is_empty(),
            "{step}: rolled back:\n{out}"
        );
    }
}

#[test]
fn a_deploy_killed_mid_way_is_resumed_by_the_next_run() {
    // Realistic timings: installing Docker takes seconds, time enough to kill it there.
    let sim = SimProcess::start(&[
        "--deploy-timing",
        "realistic",
        "--nodes",
        "1",
        "--guests",
        "2",
    ]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &sim);
    let mut child = Command::new(BIN)
        .args(["deploy", "uptime-kuma", "--wait"])
        .env("PROXIMITY_HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn deploy");
    let stderr = child.stderr.take().unwrap();
    let mut first = String::new();
    BufReader::new(stderr).read_line(&mut first).unwrap();
    let job = first
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(job.starts_with("job-"), "{first}");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(120);
    for line in stdout.lines() {
        let line = line.unwrap_or_default();
        if line.contains("apt-get install") {
            break;
        }
        assert!(Instant::now() < deadline, "never reached the Docker step");
    }
    // SIGKILL: no chance to journal anything more.
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(
        containers_named(home.path(), "uptime-kuma").len(),
        1,
        "the container is there"
    );

    // The next run knows: resuming finishes it; never a second container.
    let (code, out, err) = run_cli_code(&["deploy", "--resume", &job, "--wait"], &[], home.path());
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains(&format!("resuming {job} at docker")), "{out}");
    assert_eq!(
        containers_named(home.path(), "uptime-kuma").len(),
        1,
        "exactly one"
    );
    let (code, _, err) = run_cli_code(&["deploy", "--resume", &job], &[], home.path());
    assert_eq!(code, Some(1), "a finished deployment is not resumed twice");
    assert!(err.contains("only an interrupted deployment"), "{err}");
}
