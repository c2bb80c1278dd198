//! The real binary killed (SIGKILL, through `PROXIMITY_TEST_CRASH_AT=N`) at each store write
//! of a first open, `hosts add`, `hosts rm` and a host rename; after each kill the store must
//! open (`hosts ls --json`), every host saved before the command must be intact (its secret
//! still decrypts: `ls` opens every record), and the command's own change must be all there
//! or not at all. Each N starts from a copy of the same state; N grows until a run completes.
//!
//! The rename has no CLI command: this test binary re-runs itself (`rename_child`) with the
//! hook armed, calling the engine's `save` as the TUI's host form does.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

use proximity::engine::hosts::save;
use proximity::paths::Paths;
use proximity::store::{CRASH_AT_ENV, Store};
use support::{BIN, SimProcess, run_cli};

const CHILD_ENV: &str = "PROXIMITY_TEST_RENAME_CHILD";
/// More write points than any command has: a run that has not finished by then is a bug.
const MAX_POINTS: u64 = 60;

/// How a run ended.
enum Run {
    Killed,
    Exited { ok: bool, stderr: String },
}

fn finish(mut cmd: Command) -> Run {
    let out = cmd.stdin(Stdio::null()).output().expect("run");
    if out.status.signal() == Some(libc::SIGKILL) {
        return Run::Killed;
    }
    Run::Exited {
        ok: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn cli(home: &Path, args: &[String], crash_at: Option<u64>) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("PROXIMITY_HOME", home)
        .env("PROXIMITY_LOG", "warn")
        .env_remove("PROXIMITY_PASSPHRASE");
    if let Some(n) = crash_at {
        cmd.env(CRASH_AT_ENV, n.to_string());
    }
    finish(cmd)
}

fn rename_in_child(home: &Path, crash_at: Option<u64>) -> Run {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args(["rename_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, home)
        .env("PROXIMITY_HOME", home)
        .env_remove("PROXIMITY_PASSPHRASE");
    if let Some(n) = crash_at {
        cmd.env(CRASH_AT_ENV, n.to_string());
    }
    finish(cmd)
}

/// Not a test on its own: the child of `rename_in_child` (does nothing unless it is one).
#[test]
fn rename_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    // PROXIMITY_HOME is set: the same data dir as the CLI's.
    let paths = Paths::resolve();
    let store = Store::open(&paths).expect("open");
    let mut cfg = store.hosts().get("beta").expect("get").expect("beta");
    cfg.name = "gamma".to_string();
    save(&store, cfg, Some("beta")).expect("rename");
}

/// `hosts ls --json` as (name, url, fingerprint), sorted; panics when the store does not open.
fn listed(home: &Path, context: &str) -> Vec<(String, String, String)> {
    let (ok, out, err) = run_cli(&["hosts", "ls", "--json"], &[], home);
    assert!(ok, "{context}: the store does not open: {err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).expect("json");
    rows.iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or_default().to_string(),
                r["url"].as_str().unwrap_or_default().to_string(),
                r["fingerprint"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Run `step` from a copy of `template` killed at write 1, 2, ... until it completes. After a
/// kill the store must list `before` or `after` (nothing else), and running the step again
/// (or, when the kill came after its change, nothing) must reach `after`.
fn crash_at_every_write(
    what: &str,
    template: &Path,
    step: &dyn Fn(&Path, Option<u64>) -> Run,
    before: &[(String, String, String)],
    after: &[(String, String, String)],
) -> u64 {
    for n in 1..=MAX_POINTS {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(template, dir.path());
        let home = dir.path();
        match step(home, Some(n)) {
            Run::Exited { ok, stderr } => {
                assert!(ok, "{what} with the hook at {n}: {stderr}");
                assert_eq!(listed(home, what), after, "{what}: completed run");
                eprintln!("{what}: killed at each of {} write points", n - 1);
                return n - 1;
            }
            Run::Killed => {
                let context = format!("{what} killed at write {n}");
                let now = listed(home, &context);
                if now == after {
                    continue;
                }
                assert_eq!(now, before, "{context}: neither the old nor the new state");
                match step(home, None) {
                    Run::Exited { ok: true, .. } => {}
                    Run::Exited { stderr, .. } => panic!("{context}, then again: {stderr}"),
                    Run::Killed => panic!("{context}, then killed again unarmed"),
                }
                assert_eq!(listed(home, &context), after, "{context}, then again");
            }
        }
    }
    panic!("{what} did not complete within {MAX_POINTS} write points");
}

#[test]
fn killed_at_any_store_write_the_store_opens_and_keeps_earlier_hosts() {
    let sim = SimProcess::start(&["--nodes", "1", "--guests", "1"]);
    let (url, token, fp) = (
        sim.field("url"),
        sim.field("token"),
        sim.field("fingerprint"),
    );
    let add = |name: &str| -> Vec<String> {
        let mut args = vec!["hosts", "add", name, "--url", &url, "--token", &token];
        if !fp.is_empty() {
            args.extend(["--fingerprint", fp.as_str()]);
        }
        args.into_iter().map(String::from).collect()
    };
    let row = |name: &str| (name.to_string(), url.clone(), fp.clone());
    let template = tempfile::tempdir().unwrap();
    let t = template.path();

    // First open and first add, from nothing.
    let add_alpha = add("alpha");
    let points = crash_at_every_write(
        "first open + hosts add alpha",
        t,
        &|home, n| cli(home, &add_alpha, n),
        &[],
        &[row("alpha")],
    );
    assert!(points >= 4, "first open + add: only {points} write points");
    assert!(matches!(
        cli(t, &add_alpha, None),
        Run::Exited { ok: true, .. }
    ));

    let add_beta = add("beta");
    let points = crash_at_every_write(
        "hosts add beta",
        t,
        &|home, n| cli(home, &add_beta, n),
        &[row("alpha")],
        &[row("alpha"), row("beta")],
    );
    assert!(points >= 2, "add: only {points} write points");
    assert!(matches!(
        cli(t, &add_beta, None),
        Run::Exited { ok: true, .. }
    ));

    let points = crash_at_every_write(
        "rename beta to gamma",
        t,
        &rename_in_child,
        &[row("alpha"), row("beta")],
        &[row("alpha"), row("gamma")],
    );
    assert!(points >= 2, "rename: only {points} write points");

    let rm_alpha: Vec<String> = ["hosts", "rm", "alpha"].map(String::from).to_vec();
    let points = crash_at_every_write(
        "hosts rm alpha",
        t,
        &|home, n| cli(home, &rm_alpha, n),
        &[row("alpha"), row("beta")],
        &[row("beta")],
    );
    assert!(points >= 2, "rm: only {points} write points");
}
