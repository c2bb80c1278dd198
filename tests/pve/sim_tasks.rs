//! Worker tasks through `pve::PveClient` against the emulator: template download, vzdump and
//! restore (each result read back from storage), task status, log paging, list filters,
//! stopping a task, and following a log while the task runs.

use crate::pve_sim_support;

use std::time::Duration;

use futures_util::StreamExt;
use proximity::pve::{BackupMode, LxcCreate, PveError, TaskFilter, TaskLogLine, Upid, Vzdump};
use proximity::sim::SimConfig;
use pve_sim_support::*;

#[tokio::test]
async fn download_template_then_it_is_in_content() {
    let sim = start().await;
    let c = token_client(&sim);
    let have: Vec<String> = c
        .storage_content("pve1", "local", Some("vztmpl"), None)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.volid)
        .collect();
    let apps = c.aplinfo("pve1").await.unwrap();
    let missing = apps
        .iter()
        .find(|a| !have.contains(&format!("local:vztmpl/{}", a.template)))
        .expect("an appliance not downloaded yet");
    let upid = c
        .download_template("pve1", "local", &missing.template)
        .await
        .unwrap();
    assert_eq!(upid.kind(), "download");
    let done = wait_ok(&c, &upid).await;
    assert_eq!(done.kind, "download");
    let after = c
        .storage_content("pve1", "local", Some("vztmpl"), None)
        .await
        .unwrap();
    let volid = format!("local:vztmpl/{}", missing.template);
    let got = after.iter().find(|v| v.volid == volid).expect("downloaded");
    assert!(got.size > 0);
    assert_eq!(after.len(), have.len() + 1);
    // The other node's storage is its own.
    let other = c
        .storage_content("pve2", "local", Some("vztmpl"), None)
        .await
        .unwrap();
    assert!(other.iter().all(|v| v.volid != volid) || have.len() < other.len());
    finish(sim).await;
}

#[tokio::test]
async fn vzdump_then_restore_to_a_new_id() {
    let sim = start().await;
    let c = password_client(&sim);
    let (node, ct) = find_guest(&c, "lxc", "stopped").await;
    let before = c
        .storage_content(&node, "local", Some("backup"), Some(ct))
        .await
        .unwrap();
    let upid = c
        .vzdump(
            &node,
            &Vzdump {
                vmids: vec![ct],
                storage: Some("local".into()),
                mode: Some(BackupMode::Stop),
                compress: Some("zstd".into()),
                notes_template: Some("{{guestname}}".into()),
                ..Vzdump::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(upid.kind(), "vzdump");
    wait_ok(&c, &upid).await;
    let log = c.task_log(&upid, 0, 0).await.unwrap();
    assert!(
        log.lines
            .iter()
            .any(|l| l.t.contains(&format!("Finished Backup of VM {ct}"))),
        "{:?}",
        log.lines
    );
    let after = c
        .storage_content(&node, "local", Some("backup"), Some(ct))
        .await
        .unwrap();
    assert_eq!(after.len(), before.len() + 1, "one new archive");
    let archive = after
        .iter()
        .find(|a| !before.iter().any(|b| b.volid == a.volid))
        .unwrap();
    assert_eq!(archive.vmid, Some(ct));
    assert!(
        archive
            .volid
            .starts_with(&format!("local:backup/vzdump-lxc-{ct}-"))
    );

    let newid = c.next_id().await.unwrap();
    let restore = LxcCreate::restore(newid, &archive.volid).storage("local-lvm");
    let up = c.lxc_create(&node, &restore).await.unwrap();
    assert_eq!(up.kind(), "vzrestore");
    wait_ok(&c, &up).await;
    let orig = c.lxc_config(&node, ct).await.unwrap();
    let restored = c.lxc_config(&node, newid).await.unwrap();
    assert_eq!(
        restored.hostname, orig.hostname,
        "restored from {ct}'s archive"
    );
    assert_eq!(restored.memory, orig.memory);
    assert_eq!(c.lxc_status(&node, newid).await.unwrap().status, "stopped");
    finish(sim).await;
}

#[tokio::test]
async fn status_log_paging_and_list_filters() {
    let sim = start().await;
    let c = token_client(&sim);
    let (node, ct) = find_guest(&c, "lxc", "stopped").await;
    let upid = c.lxc_start(&node, ct).await.unwrap();
    let st = c.task_status(&upid).await.unwrap();
    assert_eq!(st.upid, upid.as_str());
    assert_eq!(
        (st.node.as_str(), st.kind.as_str()),
        (node.as_str(), "vzstart")
    );
    assert_eq!(st.id, ct.to_string());
    assert_eq!(st.starttime, upid.starttime());
    assert_eq!(st.pid, u64::from(upid.pid()));
    wait_ok(&c, &upid).await;
    let stop = c.lxc_stop(&node, ct).await.unwrap();
    wait_ok(&c, &stop).await;

    // Log paging on a task with a longer log: `total` is the full line count; pages are
    // 1-based `n` windows.
    let apps = c.aplinfo(&node).await.unwrap();
    let dl = c
        .download_template(&node, "local", &apps[0].template)
        .await
        .unwrap();
    wait_ok(&c, &dl).await;
    let all = c.task_log(&dl, 0, 0).await.unwrap();
    assert!(all.total >= 5, "{all:?}");
    assert_eq!(all.lines.len() as u64, all.total);
    assert_eq!(all.lines.last().unwrap().t, "TASK OK");
    let first = c.task_log(&dl, 0, 1).await.unwrap();
    assert_eq!(first.lines.len(), 1);
    assert_eq!(first.total, all.total);
    assert_eq!(first.lines[0], all.lines[0]);
    let rest = c.task_log(&dl, 1, 1000).await.unwrap();
    let ns: Vec<u64> = rest.lines.iter().map(|l| l.n).collect();
    assert_eq!(ns, (2..=all.total).collect::<Vec<_>>());
    let middle = c.task_log(&dl, 2, 2).await.unwrap();
    assert_eq!(middle.lines, all.lines[2..4].to_vec());
    assert_eq!(middle.total, all.total);

    // List filters: by vmid, by type, the total counts all matches while limit pages.
    let by_vmid = TaskFilter {
        vmid: Some(ct),
        ..TaskFilter::default()
    };
    let (tasks, total) = c.task_list(&node, &by_vmid).await.unwrap();
    assert!(total >= 2 && tasks.len() as u64 == total.min(50), "{total}");
    assert!(tasks.iter().all(|t| t.id == ct.to_string()));
    assert!(
        tasks
            .iter()
            .any(|t| t.upid == upid.as_str() && t.status.as_deref() == Some("OK"))
    );
    assert!(
        tasks[0].starttime >= tasks[tasks.len() - 1].starttime,
        "newest first"
    );
    let (starts, _) = c
        .task_list(
            &node,
            &TaskFilter {
                vmid: Some(ct),
                typefilter: Some("vzstart".into()),
                ..TaskFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(!starts.is_empty() && starts.iter().all(|t| t.kind == "vzstart"));
    assert!(starts.iter().all(|t| t.id == ct.to_string()));
    let (one, total_all) = c
        .task_list(
            &node,
            &TaskFilter {
                limit: Some(1),
                ..TaskFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert!(total_all >= total);
    let (second, _) = c
        .task_list(
            &node,
            &TaskFilter {
                start: Some(1),
                limit: Some(1),
                ..TaskFilter::default()
            },
        )
        .await
        .unwrap();
    assert_ne!(second[0].upid, one[0].upid, "start pages forward");
    let (errs, _) = c
        .task_list(
            &node,
            &TaskFilter {
                errors: Some(true),
                ..TaskFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(errs.iter().all(|t| t.status.as_deref() != Some("OK")));
    finish(sim).await;
}

#[tokio::test]
async fn stopping_a_running_task() {
    // Slow steps so the task is surely still running when the stop arrives.
    let sim = start_with(SimConfig {
        task_step_ms: 400,
        ..config()
    })
    .await;
    let c = token_client(&sim);
    let apps = c.aplinfo("pve1").await.unwrap();
    let upid = c
        .download_template("pve1", "local", &apps[0].template)
        .await
        .unwrap();
    assert!(c.task_status(&upid).await.unwrap().is_running());
    let (active, _) = c
        .task_list(
            "pve1",
            &TaskFilter {
                source: Some("active".into()),
                ..TaskFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(
        active.iter().any(|t| t.upid == upid.as_str()),
        "listed as active"
    );
    c.task_stop(&upid).await.unwrap();
    let err = tokio::time::timeout(TASK_WAIT, c.wait_task(&upid, Duration::from_millis(10)))
        .await
        .expect("stops promptly")
        .unwrap_err();
    match &err {
        PveError::TaskFailed {
            upid: u,
            exitstatus,
        } => {
            assert_eq!(u, upid.as_str());
            assert!(exitstatus.contains("interrupt"), "{exitstatus}");
        }
        other => panic!("expected TaskFailed, got {other:?}"),
    }
    let st = c.task_status(&upid).await.unwrap();
    assert!(!st.is_running() && !st.succeeded());
    finish(sim).await;
}

#[tokio::test]
async fn follow_yields_lines_while_running_and_ends_with_task_ok() {
    let sim = start_with(SimConfig {
        task_step_ms: 150,
        ..config()
    })
    .await;
    let c = token_client(&sim);
    let apps = c.aplinfo("pve2").await.unwrap();
    let upid: Upid = c
        .download_template("pve2", "local", &apps[1].template)
        .await
        .unwrap();
    let mut stream = Box::pin(c.follow_task_log(&upid, Duration::from_millis(10)));
    let mut lines: Vec<TaskLogLine> = Vec::new();
    let mut seen_while_running = 0;
    let collect = async {
        while let Some(line) = stream.next().await {
            let line = line.expect("log line");
            if c.task_status(&upid).await.unwrap().is_running() {
                seen_while_running += 1;
            }
            lines.push(line);
        }
    };
    tokio::time::timeout(TASK_WAIT, collect)
        .await
        .expect("the follow stream ends");
    assert!(seen_while_running >= 1, "lines arrive before the task ends");
    assert_eq!(lines.last().unwrap().t, "TASK OK");
    let ns: Vec<u64> = lines.iter().map(|l| l.n).collect();
    assert_eq!(
        ns,
        (1..=lines.len() as u64).collect::<Vec<_>>(),
        "no gaps, no repeats"
    );
    let full = c.task_log(&upid, 0, 0).await.unwrap();
    assert_eq!(full.lines, lines, "followed log equals the final log");
    finish(sim).await;
}

#[tokio::test]
async fn invalid_upid_strings_are_rejected_before_any_request() {
    for bad in [
        "",
        "UPID:pve1",
        "not a upid",
        "UPID:pve1:XYZ:00000001:65000000:vzstart:100:root@pam:",
        "UPID:pve1:00001234:00000001:65000000:vzstart:100:root@pam",
    ] {
        match bad.parse::<Upid>() {
            Err(PveError::InvalidUpid(text)) => assert_eq!(text, bad),
            other => panic!("{bad:?} -> {other:?}"),
        }
        let msg = bad.parse::<Upid>().unwrap_err().to_string();
        assert!(msg.starts_with("invalid UPID"), "{msg}");
    }
}
