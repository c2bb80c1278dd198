//! `proximity backup`, `backups`, `restore` and `snapshot` end to end: the real binary
//! against `proximity sim` (a separate process on 127.0.0.1:0). A restore onto a running
//! container is refused, over a stopped one it needs `--yes`; snapshots round-trip as a tree.

mod support;

use support::{SimProcess, add_host, run_cli_code};

fn json(out: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// A container of the emulator with `status`, as `ls --json` shows it.
fn container(home: &std::path::Path, status: &str) -> serde_json::Value {
    let (code, out, err) = run_cli_code(&["ls", "--json"], &[], home);
    assert_eq!(code, Some(0), "{err}");
    json(&out)
        .into_iter()
        .find(|r| r["type"] == "lxc" && r["status"] == status)
        .unwrap_or_else(|| panic!("no {status} container in {out}"))
}

#[test]
fn backup_list_and_restore_from_the_command_line() {
    let sim = SimProcess::start(&[
        "--no-tls",
        "--nodes",
        "2",
        "--guests",
        "8",
        "--task-step-ms",
        "5",
    ]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &sim);
    let guest = container(home.path(), "running");
    let vmid = guest["vmid"].as_u64().unwrap().to_string();
    let target = format!("lab:{vmid}");

    let (code, out, err) = run_cli_code(&["backup", &target, "--wait"], &[], home.path());
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.starts_with(&format!("backup of CT {vmid} (")), "{out}");
    assert!(out.contains(":vzdump:") && out.contains("job-"), "{out}");

    let (code, out, err) = run_cli_code(&["backups", "--json", &target], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let rows = json(&out);
    assert!(!rows.is_empty(), "{out}");
    let newest = &rows[0];
    assert_eq!(newest["host"], "lab");
    assert_eq!(newest["vmid"].as_u64().unwrap().to_string(), vmid);
    assert_eq!(newest["guest"], guest["name"]);
    assert_eq!(newest["protected"], false);
    let volid = newest["volid"].as_str().unwrap().to_string();
    assert!(
        volid.starts_with(&format!("local:backup/vzdump-lxc-{vmid}-")),
        "{volid}"
    );

    // The table lists every host's backups with their age.
    let (code, out, _) = run_cli_code(&["backups"], &[], home.path());
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with("HOST") && out.contains(&volid) && out.contains("just now"),
        "{out}"
    );

    // Onto the running container: refused, even with --yes.
    for extra in [&[][..], &["--yes"][..]] {
        let mut args = vec!["restore", volid.as_str(), "--wait"];
        args.extend(extra);
        let (code, _, err) = run_cli_code(&args, &[], home.path());
        assert_eq!(code, Some(1), "{err}");
        assert!(
            err.contains(&format!("CT {vmid} is running: stop it before restoring")),
            "{err}"
        );
    }
    let (code, _, err) = run_cli_code(&["stop", &target], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run_cli_code(&["restore", &volid, "--wait"], &[], home.path());
    assert_eq!(code, Some(1));
    assert!(err.contains("confirm to go on (--yes)"), "{err}");
    let (code, out, err) = run_cli_code(&["restore", &volid, "--yes", "--wait"], &[], home.path());
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains(":vzrestore:"), "{out}");

    // To a new vmid.
    let (code, out, err) = run_cli_code(
        &["restore", &volid, "--to", "900", "--wait"],
        &[],
        home.path(),
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    let (_, out, _) = run_cli_code(&["ls", "--json"], &[], home.path());
    assert!(json(&out).iter().any(|r| r["vmid"] == 900), "{out}");

    // Scheduled backups: in Proximity's job for a schedule, with a retention, then out.
    let args = [
        "backup",
        &target,
        "--schedule",
        "02:30",
        "--keep",
        "keep-daily=3",
    ];
    let (code, out, err) = run_cli_code(&args, &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("in backup job proximity-0230 (02:30, keep-daily=3)"),
        "{out}"
    );
    let args = [
        "backup",
        &target,
        "--schedule",
        "02:30",
        "--keep",
        "keep-often=3",
    ];
    let (code, _, err) = run_cli_code(&args, &[], home.path());
    assert_eq!(code, Some(1));
    assert!(
        err.contains("--keep: unknown retention 'keep-often'"),
        "{err}"
    );
    let (code, out, err) =
        run_cli_code(&["backup", &target, "--schedule", "off"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("no longer in a Proximity backup job"), "{out}");

    let (code, _, err) = run_cli_code(&["restore", "local:backup/nope.tar.zst"], &[], home.path());
    assert_eq!(code, Some(1));
    assert!(
        err.contains("no backup 'local:backup/nope.tar.zst' on any host"),
        "{err}"
    );
}

#[test]
fn snapshots_from_the_command_line() {
    let sim = SimProcess::start(&[
        "--no-tls",
        "--nodes",
        "1",
        "--guests",
        "6",
        "--task-step-ms",
        "5",
    ]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &sim);
    let guest = container(home.path(), "stopped");
    let target = format!("lab:{}", guest["vmid"]);

    for (name, desc) in [("base", "clean"), ("second", "more")] {
        let args = ["snapshot", "create", &target, name, "--description", desc];
        let (code, out, err) = run_cli_code(&args, &[], home.path());
        assert_eq!(code, Some(0), "{out}\n{err}");
        assert!(out.contains(&format!("snapshot '{name}' of CT")), "{out}");
    }
    let (code, _, err) = run_cli_code(&["snapshot", "rollback", &target, "base"], &[], home.path());
    assert_eq!(code, Some(1));
    assert!(
        err.contains("loses its current state: confirm with --yes"),
        "{err}"
    );
    let (code, _, err) = run_cli_code(
        &["snapshot", "rollback", &target, "base", "--yes"],
        &[],
        home.path(),
    );
    assert_eq!(code, Some(0), "{err}");

    let (code, out, err) = run_cli_code(&["snapshot", "ls", &target], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    assert!(lines[0].starts_with("SNAPSHOT"), "{out}");
    assert!(
        lines[1].starts_with("base ") && lines[1].ends_with("clean"),
        "{out}"
    );
    assert!(lines[2].starts_with("  second"), "{out}");
    assert!(
        lines[3].starts_with("  > current"),
        "current hangs under base: {out}"
    );

    let (code, out, _) = run_cli_code(&["snapshot", "ls", &target, "--json"], &[], home.path());
    assert_eq!(code, Some(0));
    let tree = json(&out);
    assert_eq!(tree.last().unwrap()["current"], true);

    let (code, _, err) = run_cli_code(&["snapshot", "rm", &target, "second"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let (_, out, _) = run_cli_code(&["snapshot", "ls", &target, "--json"], &[], home.path());
    let names: Vec<String> = json(&out)
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["base", "current"]);

    let (code, _, err) = run_cli_code(&["snapshot", "create", &target], &[], home.path());
    assert_eq!(code, Some(1));
    assert!(err.contains("give the snapshot's name"), "{err}");
}

#[test]
fn a_vm_backup_restores_from_the_command_line() {
    let sim = SimProcess::start(&[
        "--no-tls",
        "--nodes",
        "2",
        "--guests",
        "8",
        "--task-step-ms",
        "5",
    ]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &sim);
    let (code, out, err) = run_cli_code(&["ls", "--json"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let vm = json(&out)
        .into_iter()
        .find(|r| r["type"] == "qemu")
        .unwrap_or_else(|| panic!("no VM in {out}"));
    let vmid = vm["vmid"].as_u64().unwrap().to_string();
    let target = format!("lab:{vmid}");
    if vm["status"] != "running" {
        let (code, _, err) = run_cli_code(&["start", &target], &[], home.path());
        assert_eq!(code, Some(0), "{err}");
    }
    let (code, out, err) = run_cli_code(&["backup", &target, "--wait"], &[], home.path());
    assert_eq!(code, Some(0), "{out}\n{err}");
    let (code, out, err) = run_cli_code(&["backups", "--json", &target], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let volid = json(&out)[0]["volid"].as_str().unwrap().to_string();
    assert!(
        volid.starts_with(&format!("local:backup/vzdump-qemu-{vmid}-")),
        "{volid}"
    );

    let (code, _, err) = run_cli_code(&["restore", &volid, "--yes", "--wait"], &[], home.path());
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!("VM {vmid} is running: stop it before restoring")),
        "{err}"
    );
    let (code, _, err) = run_cli_code(&["stop", &target], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run_cli_code(&["restore", &volid, "--wait"], &[], home.path());
    assert_eq!(code, Some(1));
    assert!(
        err.contains(&format!("restoring over VM {vmid} replaces it")) && err.contains("(--yes)"),
        "{err}"
    );
    let (code, out, err) = run_cli_code(&["restore", &volid, "--yes", "--wait"], &[], home.path());
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains(":qmrestore:"), "{out}");
    assert!(out.contains(&format!("into VM {vmid}")), "{out}");
    let (code, out, err) = run_cli_code(
        &["restore", &volid, "--to", "901", "--wait"],
        &[],
        home.path(),
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    let (_, out, _) = run_cli_code(&["ls", "--json"], &[], home.path());
    assert!(
        json(&out)
            .iter()
            .any(|r| r["vmid"] == 901 && r["type"] == "qemu"),
        "{out}"
    );
}
