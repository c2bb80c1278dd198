//! Backups and snapshots through the engine against the emulator: a backup job with its
//! progress read from the vzdump log, restore (refused over a running container, confirmed
//! over a stopped one, to a new vmid), protection and notes, the scheduled job that fires on
//! a sped-up clock, a deployed app in the backup job, and the snapshot tree.

use std::time::{Duration, Instant};

use proximity::deploy::DeployRequest;
use proximity::engine::backups::{BackupFilter, BackupOpts, BackupRow};
use proximity::engine::{Engine, GuestRef, JobId, JobInfo, JobKind, JobState, PowerOp, Refusal};
use proximity::pve::Retention;
use proximity::store::Store;

use crate::deploy::{Script, engine_on, finished, log_text, whoami_app};
use crate::support::{engine, guest_with, start_sim, start_sim_with};

async fn ended(engine: &Engine, id: JobId) -> JobInfo {
    tokio::time::timeout(Duration::from_secs(20), engine.wait(id))
        .await
        .expect("the job ends in time")
        .expect("the job is known")
}

async fn backups_of(engine: &Engine, vmid: u32) -> Vec<BackupRow> {
    let filter = BackupFilter {
        host: None,
        vmid: Some(vmid),
    };
    let list = engine.backups(&filter).await;
    assert!(list.failures.is_empty(), "{:?}", list.failures);
    list.rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_then_restore_over_the_stopped_guest_and_to_a_new_vmid() {
    let sim = start_sim(5).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let guest = guest_with(&list, "lxc", "running");
    let before = backups_of(&engine, guest.vmid).await.len();

    let mut steps = Vec::new();
    let mut events = engine.subscribe();
    let id = engine.backup(&guest, BackupOpts::default()).unwrap();
    let info = ended(&engine, id).await;
    while let Ok(ev) = events.try_recv() {
        if let proximity::engine::EngineEvent::Job(proximity::engine::JobEvent::Step {
            id: i,
            step: Some(s),
            ..
        }) = ev
            && i == id
        {
            steps.push(s);
        }
    }
    let log = log_text(&info);
    assert_eq!(info.state, JobState::Succeeded, "{log}");
    assert_eq!(info.kind, JobKind::Backup);
    assert_eq!(info.fraction, Some(1.0));
    assert!(
        log.contains("storage local: the only backup storage"),
        "the pick says why: {log}"
    );
    for line in [
        "INFO: starting new backup job: vzdump",
        "INFO: creating vzdump archive '/var/lib/vz/dump/vzdump-lxc-",
        "INFO: Total bytes written:",
        &format!("INFO: Finished Backup of VM {}", guest.vmid),
        "INFO: Backup job finished successfully",
        "TASK OK",
    ] {
        assert!(log.contains(line), "{line} missing from:\n{log}");
    }
    for step in ["archiving", "archived", "done"] {
        assert!(
            steps.iter().any(|s| s == step),
            "progress step {step}: {steps:?}"
        );
    }

    let after = backups_of(&engine, guest.vmid).await;
    assert_eq!(after.len(), before + 1);
    let newest = &after[0];
    assert_eq!(newest.volume.subtype.as_deref(), Some("lxc"));
    assert_eq!(
        newest.volume.notes, newest.guest_name,
        "notes from {{{{guestname}}}}"
    );
    assert!(
        newest.volume.size > 10 << 20,
        "a plausible size: {}",
        newest.volume.size
    );
    let backup = newest.reference();

    // Onto the running guest: refused, with or without confirmation.
    for confirmed in [false, true] {
        assert_eq!(
            engine.restore(&backup, None, confirmed).await,
            Err(Refusal::RestoreRunning {
                guest: "CT",
                vmid: guest.vmid
            })
        );
    }
    let stop = engine.power(&guest, PowerOp::Stop).unwrap();
    assert_eq!(ended(&engine, stop).await.state, JobState::Succeeded);
    assert_eq!(
        engine.restore(&backup, None, false).await,
        Err(Refusal::ConfirmOverwrite {
            guest: "CT",
            vmid: guest.vmid
        })
    );
    let id = engine.restore(&backup, None, true).await.unwrap();
    let info = ended(&engine, id).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    assert!(
        log_text(&info).contains("vzrestore")
            || info.upid.as_deref().unwrap().contains(":vzrestore:")
    );

    // To a new vmid: a second container from the same archive.
    let client = engine.client("lab").unwrap();
    let free = client.next_id().await.unwrap();
    let id = engine.restore(&backup, Some(free), false).await.unwrap();
    assert_eq!(ended(&engine, id).await.state, JobState::Succeeded);
    let restored = client.lxc_status(&guest.node, free).await.unwrap();
    assert!(!restored.is_running());
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_backup_cannot_be_deleted_until_unprotected() {
    let sim = start_sim(5).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let guest = guest_with(&list, "lxc", "stopped");
    let id = engine.backup(&guest, BackupOpts::default()).unwrap();
    assert_eq!(ended(&engine, id).await.state, JobState::Succeeded);
    let row = backups_of(&engine, guest.vmid).await.remove(0);
    let backup = row.reference();

    engine.set_backup_protected(&backup, true).await.unwrap();
    engine
        .set_backup_notes(&backup, "before the upgrade")
        .await
        .unwrap();
    let row = backups_of(&engine, guest.vmid).await.remove(0);
    assert!(row.volume.protected);
    assert_eq!(row.volume.notes.as_deref(), Some("before the upgrade"));
    assert_eq!(
        engine.delete_backup(&backup).await,
        Err(Refusal::Protected {
            volid: backup.volid.clone()
        })
    );
    // Proxmox itself refuses too (in the imgdel task), should a caller skip the engine.
    let client = engine.client("lab").unwrap();
    let upid = client
        .backup_volume_delete(&backup.node, &backup.storage, &backup.volid)
        .await
        .unwrap();
    let err = client
        .wait_task(&upid, Duration::from_millis(20))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot remove protected volume"), "{err}");
    assert!(
        backups_of(&engine, guest.vmid)
            .await
            .iter()
            .any(|r| r.volume.volid == backup.volid)
    );

    engine.set_backup_protected(&backup, false).await.unwrap();
    let id = engine.delete_backup(&backup).await.unwrap();
    assert_eq!(ended(&engine, id).await.state, JobState::Succeeded);
    assert!(
        !backups_of(&engine, guest.vmid)
            .await
            .iter()
            .any(|r| r.volume.volid == backup.volid)
    );
    assert!(matches!(
        engine.delete_backup(&backup).await,
        Err(Refusal::NoBackup { .. })
    ));
    sim.finish().await;
}

/// `last_backups` (the rack's ages, the alert monitor's "no backup" check: one listing)
/// names the newest backup of every guest the full listing has, and a new backup moves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_backups_agree_with_the_full_listing_and_follow_a_new_backup() {
    let sim = start_sim(5).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let guest = guest_with(&list, "lxc", "stopped");
    let newest_by_listing = |rows: &[BackupRow]| {
        let mut out = std::collections::HashMap::new();
        for r in rows {
            if let (Some(vmid), Some(ctime)) = (r.volume.vmid, r.volume.ctime) {
                let e = out.entry((r.host.clone(), vmid)).or_insert(0);
                *e = ctime.max(*e);
            }
        }
        out
    };
    let before = engine.last_backups().await;
    let all = engine.backups(&BackupFilter::default()).await;
    assert!(!all.rows.is_empty(), "the emulator seeds some backups");
    assert_eq!(before, newest_by_listing(&all.rows));

    let mut events = engine.subscribe();
    let id = engine.backup(&guest, BackupOpts::default()).unwrap();
    assert_eq!(ended(&engine, id).await.state, JobState::Succeeded);
    let taken = backups_of(&engine, guest.vmid).await.remove(0);
    // The rack hears of it at once (not at the alert monitor's next look).
    let published = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(proximity::engine::EngineEvent::LastBackups { host, newest }) =
                events.recv().await
            {
                break (host, newest);
            }
        }
    })
    .await
    .expect("the new ages are published after the backup");
    assert_eq!(published.0, "lab");
    assert_eq!(published.1.get(&guest.vmid), taken.volume.ctime.as_ref());
    let after = engine.last_backups().await;
    assert_eq!(
        after.get(&("lab".to_string(), guest.vmid)),
        taken.volume.ctime.as_ref(),
        "the new backup is the guest's newest"
    );
    let all = engine.backups(&BackupFilter::default()).await;
    assert_eq!(after, newest_by_listing(&all.rows));
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_job_backs_up_on_its_schedule_with_time_sped_up() {
    // A day passes in two seconds: the daily job fires within the test.
    let sim = start_sim_with(5, |c| c.time_scale = 43_200.0).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let guest = guest_with(&list, "lxc", "running");
    let before = backups_of(&engine, guest.vmid).await.len();
    let retention = Retention {
        keep_daily: Some(3),
        ..Retention::default()
    };
    let job = engine
        .ensure_backup_job(&guest, "daily", &retention)
        .await
        .unwrap();
    assert_eq!(job, "proximity-daily");
    let jobs = engine.backup_jobs_of("lab", guest.vmid).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].prune_backups, Some(retention));
    let next = jobs[0].next_run.expect("next-run");
    let now = proximity::engine::jobs::now_ms() / 1000;
    assert!(
        next <= now + 3,
        "a sped-up day ends within seconds: {next} vs {now}"
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = backups_of(&engine, guest.vmid).await;
        if rows.len() > before {
            assert!(rows[0].volume.notes.is_some());
            break;
        }
        assert!(Instant::now() < deadline, "the scheduled job never ran");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The guest leaves the job; the job, empty, is gone.
    engine.remove_from_backup_jobs(&guest).await.unwrap();
    assert!(
        engine
            .backup_jobs_of("lab", guest.vmid)
            .await
            .unwrap()
            .is_empty()
    );
    let client = engine.client("lab").unwrap();
    assert!(client.backup_jobs().await.unwrap().is_empty());
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployed_app_joins_the_backup_job_unless_told_not_to() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[]);
    let engine = engine_on(&sim, &store, &script);
    let id = engine.deploy(DeployRequest::new(whoami_app())).unwrap();
    let info = finished(&engine, id).await;
    let log = log_text(&info);
    assert_eq!(info.state, JobState::Succeeded, "{log}");
    let vmid = engine.deployment(id.0).unwrap().vmid.unwrap();
    assert!(
        log.contains(&format!("CT {vmid} is in backup job proximity-daily")),
        "{log}"
    );
    let jobs = engine.backup_jobs_of("lab", vmid).await.unwrap();
    assert_eq!(
        jobs.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
        ["proximity-daily"]
    );
    assert_eq!(jobs[0].schedule.as_deref(), Some("daily"));

    let mut req = DeployRequest::new(whoami_app());
    req.name = Some("whoami-nb".into());
    req.backups = false;
    let id = engine.deploy(req).unwrap();
    let info = finished(&engine, id).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    let other = engine.deployment(id.0).unwrap().vmid.unwrap();
    assert!(
        engine
            .backup_jobs_of("lab", other)
            .await
            .unwrap()
            .is_empty()
    );
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_form_a_tree_with_the_current_state_marked() {
    let sim = start_sim(5).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let guest: GuestRef = guest_with(&list, "lxc", "stopped");
    for (name, desc) in [("base", Some("clean install")), ("tuned", None)] {
        let id = engine.snapshot_create(&guest, name, desc).unwrap();
        assert_eq!(ended(&engine, id).await.state, JobState::Succeeded);
    }
    let id = engine.snapshot_rollback(&guest, "base").unwrap();
    assert_eq!(ended(&engine, id).await.state, JobState::Succeeded);
    let id = engine.snapshot_create(&guest, "branch", None).unwrap();
    assert_eq!(ended(&engine, id).await.state, JobState::Succeeded);

    let tree = engine.snapshots(&guest).await.unwrap();
    let shape: Vec<(&str, usize, bool)> = tree
        .iter()
        .map(|l| (l.name.as_str(), l.depth, l.current))
        .collect();
    assert_eq!(
        shape,
        [
            ("base", 0, false),
            ("tuned", 1, false),
            ("branch", 1, false),
            ("current", 2, true)
        ]
    );
    assert_eq!(tree[0].description, "clean install");

    let id = engine.snapshot_delete(&guest, "tuned").unwrap();
    assert_eq!(ended(&engine, id).await.state, JobState::Succeeded);
    let names: Vec<String> = engine
        .snapshots(&guest)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, ["base", "branch", "current"]);
    assert!(matches!(
        engine.snapshot_create(&guest, "9lives", None),
        Err(Refusal::Invalid(_))
    ));
    let vm = GuestRef {
        kind: proximity::inventory::GuestKind::Vm,
        ..guest.clone()
    };
    assert!(matches!(
        engine.snapshot_create(&vm, "x", None),
        Err(Refusal::ContainersOnly { .. })
    ));
    sim.finish().await;
}

/// The schedule form's weekday schedules: checked by the engine, accepted by the emulator
/// (its calendar knows weekdays), with the next run on the right weekday.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekday_schedule_with_keep_last_makes_its_own_job() {
    let sim = start_sim(5).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let guest = guest_with(&list, "lxc", "stopped");
    let keep = Retention {
        keep_last: Some(3),
        ..Retention::default()
    };
    // In no job yet: the schedule form keeps its defaults.
    assert_eq!(engine.backup_schedule_of(&guest).await.unwrap(), None);
    assert!(matches!(
        engine.ensure_backup_job(&guest, "someday 02:00", &keep).await,
        Err(Refusal::Invalid(e)) if e.contains("sun 02:00")
    ));
    let id = engine
        .ensure_backup_job(&guest, "sun 02:00", &keep)
        .await
        .unwrap();
    assert_eq!(id, "proximity-sun-0200");
    // What the schedule form starts from, read back from /cluster/backup.
    let current = engine
        .backup_schedule_of(&guest)
        .await
        .unwrap()
        .expect("in a job");
    assert_eq!(current.job, "proximity-sun-0200");
    assert_eq!(current.schedule, "sun 02:00");
    assert_eq!(current.retention, keep);
    assert!(current.enabled);
    let jobs = engine.backup_jobs_of("lab", guest.vmid).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].schedule.as_deref(), Some("sun 02:00"));
    assert_eq!(jobs[0].prune_backups, Some(keep));
    // To the minute (the emulator's scaled clock may round the wall-clock second up).
    let next = jobs[0].next_run.expect("next-run") / 60 * 60;
    // 1970-01-01 was a Thursday (weekday 3 counted from Monday): Sunday is 6.
    assert_eq!((next / 86_400 + 3) % 7, 6, "next run on a Sunday: {next}");
    assert_eq!(next % 86_400, 2 * 3600, "at 02:00");
    let now = proximity::engine::jobs::now_ms() / 1000;
    assert!(
        next > now && next <= now + 7 * 86_400,
        "within the week: {next} vs {now}"
    );
    sim.finish().await;
}

/// A VM's backup restores like a container's: refused over the running VM (confirmed or
/// not), asked to confirm over the stopped one, then a `qmrestore` task (POST
/// /nodes/{node}/qemu with archive, vmid and force) that the emulator checks against the
/// schema; and to a new vmid without asking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_backup_restores_over_the_stopped_vm_and_to_a_new_vmid() {
    let sim = start_sim(5).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let vm = guest_with(&list, "qemu", "running");
    let id = engine.backup(&vm, BackupOpts::default()).unwrap();
    let info = ended(&engine, id).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    let newest = backups_of(&engine, vm.vmid).await.remove(0);
    assert_eq!(newest.volume.subtype.as_deref(), Some("qemu"));
    let backup = newest.reference();

    for confirmed in [false, true] {
        let refused = engine.restore(&backup, None, confirmed).await;
        assert_eq!(
            refused,
            Err(Refusal::RestoreRunning {
                guest: "VM",
                vmid: vm.vmid
            })
        );
        assert_eq!(
            refused.unwrap_err().to_string(),
            format!(
                "VM {} is running: stop it before restoring over it",
                vm.vmid
            )
        );
    }
    let stop = engine.power(&vm, PowerOp::Stop).unwrap();
    assert_eq!(ended(&engine, stop).await.state, JobState::Succeeded);
    assert_eq!(
        engine.restore(&backup, None, false).await,
        Err(Refusal::ConfirmOverwrite {
            guest: "VM",
            vmid: vm.vmid
        })
    );
    let id = engine.restore(&backup, None, true).await.unwrap();
    let info = ended(&engine, id).await;
    let log = log_text(&info);
    assert_eq!(info.state, JobState::Succeeded, "{log}");
    assert_eq!(info.kind, JobKind::Restore);
    assert!(
        info.upid.as_deref().unwrap().contains(":qmrestore:"),
        "{:?}",
        info.upid
    );
    assert!(log.contains("restore vma archive"), "{log}");
    assert_eq!(info.fraction, Some(1.0));

    let client = engine.client("lab").unwrap();
    let free = client.next_id().await.unwrap();
    let id = engine.restore(&backup, Some(free), false).await.unwrap();
    let info = ended(&engine, id).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    let restored = client.qemu_status(&vm.node, free).await.unwrap();
    assert!(!restored.is_running());
    // The emulator refuses what Proxmox refuses: over an existing VM without force.
    let again = client
        .qemu_restore(&vm.node, free, &backup.volid, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(again.contains("config file already exists"), "{again}");
    sim.finish().await;
}
