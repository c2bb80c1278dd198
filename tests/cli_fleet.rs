//! The command line over two configured hosts (two `proximity sim` on 127.0.0.1:0 in one
//! PROXIMITY_HOME): every host by default, `--host` narrows, TARGETs resolved across hosts,
//! a dead host reported in one line with exit code 3, and the cluster task list.

mod support;

use support::{SimProcess, add_host, run_cli_code};

fn json_array(out: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not a JSON array ({e}): {out}"))
}

fn one_line(err: &str) -> String {
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one stderr line, got: {err:?}");
    lines[0].to_string()
}

fn hosts_of(rows: &[serde_json::Value]) -> Vec<String> {
    let mut hosts: Vec<String> = rows
        .iter()
        .map(|r| r["host"].as_str().unwrap_or_default().to_string())
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

#[test]
fn ls_and_nodes_cover_every_host_and_host_narrows() {
    let lab = SimProcess::start(&["--nodes", "1", "--guests", "3"]);
    let prod = SimProcess::start(&["--nodes", "2", "--guests", "4"]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &lab);
    add_host(home.path(), "prod", &prod);

    let (code, out, err) = run_cli_code(&["ls", "--json"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let rows = json_array(&out);
    assert_eq!(rows.len(), 7);
    assert_eq!(hosts_of(&rows), ["lab", "prod"]);
    let vmids: Vec<u64> = rows.iter().map(|r| r["vmid"].as_u64().unwrap()).collect();
    assert!(vmids.windows(2).all(|w| w[0] <= w[1]), "sorted by vmid");
    // Proxmox sends maxcpu as an integer: so does `ls --json` (not `1.0`).
    assert!(rows.iter().all(|r| r["maxcpu"].is_u64()), "{out}");

    let (code, out, _) = run_cli_code(&["ls"], &[], home.path());
    assert_eq!(code, Some(0));
    assert!(out.starts_with("HOST  VMID"), "{out}");
    assert_eq!(out.lines().count(), 8);
    assert_eq!(out.lines().filter(|l| l.starts_with("lab ")).count(), 3);
    assert_eq!(out.lines().filter(|l| l.starts_with("prod ")).count(), 4);

    let (code, out, err) = run_cli_code(&["ls", "--host", "prod", "--json"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let rows = json_array(&out);
    assert_eq!(rows.len(), 4);
    assert_eq!(hosts_of(&rows), ["prod"]);

    let (code, out, err) = run_cli_code(&["nodes", "--json"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let nodes = json_array(&out);
    assert_eq!(nodes.len(), 3);
    assert!(nodes.iter().all(|n| n["maxcpu"].is_u64()), "{out}");
    assert_eq!(hosts_of(&nodes), ["lab", "prod"]);
    let (_, out, _) = run_cli_code(&["nodes", "--host", "lab"], &[], home.path());
    assert!(out.starts_with("HOST  NODE"), "{out}");
    assert_eq!(out.lines().count(), 2);
}

#[test]
fn targets_across_hosts_ambiguity_host_vmid_tasks_and_logs() {
    // Same seed and size: both hosts hold the same guests, so every name is on both.
    let lab = SimProcess::start(&["--nodes", "1", "--guests", "6", "--task-step-ms", "20"]);
    let prod = SimProcess::start(&["--nodes", "1", "--guests", "6", "--task-step-ms", "20"]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &lab);
    add_host(home.path(), "prod", &prod);

    let (_, out, _) = run_cli_code(&["ls", "--host", "lab", "--json"], &[], home.path());
    let stopped = json_array(&out)
        .into_iter()
        .find(|g| g["status"] == "stopped" && g["type"] == "lxc")
        .expect("a stopped container");
    let name = stopped["name"].as_str().unwrap().to_string();
    let vmid = stopped["vmid"].as_u64().unwrap();

    let (code, out, err) = run_cli_code(&["start", &name], &[], home.path());
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(
        one_line(&err),
        format!(
            "proximity: '{name}' matches 2 guests: lab:{vmid} ({name}), prod:{vmid} ({name}); use HOST:VMID"
        )
    );
    let (code, _, err) = run_cli_code(&["start", &vmid.to_string()], &[], home.path());
    assert_eq!(code, Some(1));
    assert!(one_line(&err).contains("use HOST:VMID"), "{err}");

    let target = format!("prod:{vmid}");
    let (code, out, err) = run_cli_code(&["start", &target], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("on prod: start done"), "{out}");
    let upid = out
        .split_whitespace()
        .find(|w| w.starts_with("UPID:"))
        .expect("upid printed")
        .to_string();

    let (_, out, _) = run_cli_code(&["ls", "--json"], &[], home.path());
    let status_on = |host: &str| {
        json_array(&out)
            .into_iter()
            .find(|g| g["host"] == host && g["vmid"].as_u64() == Some(vmid))
            .map(|g| g["status"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(status_on("prod").as_deref(), Some("running"));
    assert_eq!(
        status_on("lab").as_deref(),
        Some("stopped"),
        "only prod's guest started"
    );

    let (code, out, err) = run_cli_code(&["tasks", "--json"], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    let tasks = json_array(&out);
    let task = tasks
        .iter()
        .find(|t| t["upid"] == upid.as_str())
        .unwrap_or_else(|| panic!("the start task is listed: {out}"));
    assert_eq!(task["host"], "prod");
    assert_eq!(task["type"], "vzstart");
    assert_eq!(task["id"], vmid.to_string());
    assert_eq!(task["status"], "OK");
    assert_eq!(task["running"], false);
    let (code, out, _) = run_cli_code(&["tasks"], &[], home.path());
    assert_eq!(code, Some(0));
    assert!(out.starts_with("HOST  NODE  UPID"), "{out}");
    let (code, out, _) = run_cli_code(&["tasks", "--running", "--json"], &[], home.path());
    assert_eq!(code, Some(0));
    assert!(json_array(&out).iter().all(|t| t["running"] == true));

    // Both hosts have a node `pve1`: the log comes from the host that knows the task.
    let (code, out, err) = run_cli_code(&["logs", &upid], &[], home.path());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().last(), Some("TASK OK"));

    let (code, _, err) = run_cli_code(&["start", "nohost:100"], &[], home.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        one_line(&err),
        "proximity: no host named 'nohost' (see `proximity hosts ls`)"
    );
}

#[test]
fn a_dead_host_is_one_stderr_line_the_others_print_and_the_exit_code_is_3() {
    let lab = SimProcess::start(&["--nodes", "1", "--guests", "3"]);
    let home = tempfile::tempdir().unwrap();
    add_host(home.path(), "lab", &lab);
    {
        // Added while alive (adding proves the host), then gone: its port is closed.
        let gone = SimProcess::start(&["--nodes", "1", "--guests", "2"]);
        add_host(home.path(), "gone", &gone);
    }

    let started = std::time::Instant::now();
    let (code, out, err) = run_cli_code(&["ls", "--json"], &[], home.path());
    assert_eq!(code, Some(3), "partial: {err}");
    assert!(one_line(&err).starts_with("host gone: "), "{err}");
    let rows = json_array(&out);
    assert_eq!(rows.len(), 3);
    assert_eq!(hosts_of(&rows), ["lab"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "a refused connection is quick"
    );

    let (code, out, err) = run_cli_code(&["nodes"], &[], home.path());
    assert_eq!(code, Some(3));
    assert!(one_line(&err).starts_with("host gone: "), "{err}");
    assert_eq!(out.lines().count(), 2);

    // A bare target cannot be proven unique while a host is silent; HOST:NAME still works.
    let name = rows[0]["name"].as_str().unwrap().to_string();
    let (code, _, err) = run_cli_code(&["stop", &name], &[], home.path());
    assert_eq!(code, Some(1));
    let line = one_line(&err);
    assert!(
        line.contains("gone (") && line.contains("use HOST:VMID"),
        "{line}"
    );

    // Only the dead host in scope: its reason is the one error line, exit 1.
    let (code, _, err) = run_cli_code(&["ls", "--host", "gone"], &[], home.path());
    assert_eq!(code, Some(1));
    assert!(one_line(&err).starts_with("proximity: "), "{err}");
}
