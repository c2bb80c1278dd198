//! The engine with no terminal at all, against the emulator on 127.0.0.1:0: refresh, a start
//! as a job with its log followed, cancel, the events in order, the delete check every caller
//! shares, and a dead host that delays neither console keystrokes nor another host's refresh.

mod alerts;
mod app_lifecycle;
mod backups;
mod connections;
mod deploy;
mod metrics;
mod refresh_cache;
mod support;

use std::time::{Duration, Instant};

use proximity::engine::{
    Caller, Engine, EngineConfig, EngineEvent, GuestRef, JobEvent, JobState, PowerOp, Refusal,
};
use proximity::inventory::GuestKind;
use support::{engine, guest_with, next_inventory, start_sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_then_start_a_guest_as_a_job_and_follow_its_log() {
    let sim = start_sim(5).await;
    let engine = engine(Some(Duration::from_secs(60)));
    let mut events = engine.subscribe();
    engine.connect(&sim.spec).unwrap();
    next_inventory(&mut events, "lab").await;
    let list = engine.fetch_inventory("lab").await.unwrap();
    let stopped = guest_with(&list, "lxc", "stopped");

    let id = engine.power(&stopped, PowerOp::Start).unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ev = tokio::time::timeout_at(deadline.into(), events.recv())
            .await
            .expect("the job ends in time")
            .unwrap();
        if let EngineEvent::Job(j) = ev {
            let finished = matches!(&j, JobEvent::Finished(i) if i.id == id);
            seen.push(j);
            if finished {
                break;
            }
        }
    }
    assert!(matches!(&seen[0], JobEvent::Started(i) if i.id == id && i.state == JobState::Running));
    let upid_step = seen
        .iter()
        .position(|e| matches!(e, JobEvent::Step { upid: Some(u), .. } if u.starts_with("UPID:")));
    let first_task_line = seen
        .iter()
        .position(|e| matches!(e, JobEvent::Log { line, .. } if line.text.contains("TASK OK")));
    assert!(
        upid_step.is_some(),
        "the job names its Proxmox task: {seen:#?}"
    );
    assert!(
        first_task_line.is_some(),
        "the task's log is followed: {seen:#?}"
    );
    assert!(upid_step < first_task_line, "the UPID comes before its log");
    match seen.last() {
        Some(JobEvent::Finished(info)) => {
            assert_eq!(info.state, JobState::Succeeded);
            assert_eq!(info.fraction, Some(1.0));
            assert!(info.ended_ms.unwrap() >= info.started_ms);
        }
        other => panic!("last event is not the end: {other:?}"),
    }
    let info = engine.job(id).unwrap();
    assert_eq!(info.caller, Caller::Api);
    assert!(info.log.iter().any(|l| l.text.contains("TASK OK")));
    assert!(
        sim.handle.schema_violations().is_empty(),
        "{:?}",
        sim.handle.schema_violations()
    );
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_job_is_cancelled_and_its_proxmox_task_stopped() {
    // Each task step takes 2 s: a start would run for many seconds.
    let sim = start_sim(2000).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let stopped = guest_with(&list, "lxc", "stopped");
    let id = engine.power(&stopped, PowerOp::Start).unwrap();
    // Wait until the job follows a Proxmox task, then cancel.
    let deadline = Instant::now() + Duration::from_secs(10);
    while engine.job(id).unwrap().upid.is_none() {
        assert!(Instant::now() < deadline, "the task never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(engine.cancel(id));
    let info = tokio::time::timeout(Duration::from_secs(5), engine.wait(id))
        .await
        .expect("cancel ends the job at once")
        .unwrap();
    assert_eq!(info.state, JobState::Cancelled);
    assert!(!engine.cancel(id), "an ended job cannot be cancelled again");
    // Proxmox's task was stopped too: it is no longer running.
    let upid: proximity::pve::Upid = info.upid.unwrap().parse().unwrap();
    let client = engine.client("lab").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = client.task_status(&upid).await.unwrap();
        if status.status != "running" {
            break;
        }
        assert!(Instant::now() < deadline, "the Proxmox task still runs");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_running_container_is_refused_for_every_caller() {
    let sim = start_sim(5).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let list = engine.fetch_inventory("lab").await.unwrap();
    let running = guest_with(&list, "lxc", "running");
    assert_eq!(
        engine.delete(&running, false),
        Err(Refusal::Running { vmid: running.vmid })
    );
    // The TUI's path: its delete effect goes through the same engine call, and the refusal
    // comes back as an error toast; no job is started.
    let (inbox, mut rx) = tokio::sync::mpsc::channel(16);
    proximity::ui::engine_link::EffectRunner::new(engine.clone(), inbox).apply(
        proximity::ui::Effect::Delete {
            target: running.clone(),
        },
    );
    match rx.try_recv() {
        Ok(proximity::ui::AppEvent::Toast { text, error: true }) => {
            assert!(text.contains("is running"), "{text}")
        }
        other => panic!("expected a refusal toast, got {other:?}"),
    }
    assert!(engine.jobs().is_empty(), "a refused delete starts no job");
    let vm = GuestRef {
        kind: GuestKind::Vm,
        ..running.clone()
    };
    assert_eq!(
        engine.delete(&vm, false),
        Err(Refusal::VmDelete { vmid: running.vmid })
    );
    // The live check a delete job makes just before it deletes (the inventory may be
    // stale) refuses in the same typed form.
    let client = engine.client("lab").unwrap();
    match proximity::engine::ops::delete(&client, &running, false).await {
        Err(proximity::engine::EngineError::Refused(r)) => {
            assert_eq!(r, Refusal::RunningUnlessForced { vmid: running.vmid })
        }
        other => panic!("expected a typed refusal, got {other:?}"),
    }
    match proximity::engine::ops::delete(&client, &vm, false).await {
        Err(proximity::engine::EngineError::Refused(r)) => {
            assert_eq!(r, Refusal::VmDelete { vmid: running.vmid })
        }
        other => panic!("expected a typed refusal, got {other:?}"),
    }
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_host_delays_neither_keystrokes_nor_another_hosts_refresh() {
    let sim = start_sim(5).await;
    // A server that accepts connections and never answers (not even the TLS handshake).
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("https://{}", dead.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = dead.accept().await {
            conns.push(c);
        }
    });
    let store = proximity::store::Store::in_memory().unwrap();
    let engine = Engine::new(EngineConfig {
        store: Some(store),
        state_dir: None,
        caller: Caller::Tui,
        refresh: Some(Duration::from_secs(60)),
    });
    let mut events = engine.subscribe();
    let mut dead_spec = sim.spec.clone();
    dead_spec.name = "dead".into();
    dead_spec.url = dead_url.clone();
    dead_spec.fingerprint = Some(sim.spec.fingerprint.clone().unwrap());
    engine.connect(&dead_spec).unwrap();
    engine.connect(&sim.spec).unwrap();
    let began = Instant::now();
    next_inventory(&mut events, "lab").await;
    assert!(
        // Not a timing budget: a refresh held up by the dead host would wait for its
        // connection timeout (tens of seconds); this bound only tells the two apart on a
        // loaded CI machine.
        began.elapsed() < Duration::from_secs(5),
        "the live host's refresh waited {:?} for the dead one",
        began.elapsed()
    );

    // Through the TUI's effect path: adding a host on the dead server (its certificate
    // fetch hangs) is in flight while console keystrokes go to the live host.
    let (inbox, mut rx) = tokio::sync::mpsc::channel(1024);
    let mut runner = proximity::ui::engine_link::EffectRunner::new(engine.clone(), inbox);
    let mut apply = |e| runner.apply(e);
    apply(proximity::ui::Effect::AddHost(
        proximity::engine::HostDraft {
            name: "slow".into(),
            url: dead_url,
            token_id: "root@pam!px".into(),
            secret: proximity::engine::SecretString("x".into()),
            fingerprint: None,
        },
    ));
    apply(proximity::ui::Effect::OpenConsole {
        session: 1,
        host: "lab".into(),
        target: proximity::pve::ConsoleTarget::Node {
            node: "pve1".into(),
        },
        cols: 80,
        rows: 24,
    });
    wait_app_event(&mut rx, |e| {
        matches!(e, proximity::ui::AppEvent::ConsoleOpened { session: 1 })
    })
    .await;
    let typed = Instant::now();
    apply(proximity::ui::Effect::ConsoleInput {
        session: 1,
        bytes: b"echo px-42\r".to_vec(),
    });
    let mut screen = String::new();
    wait_app_event(&mut rx, |e| {
        if let proximity::ui::AppEvent::ConsoleOutput { bytes, .. } = e {
            screen.push_str(&String::from_utf8_lossy(bytes));
        }
        screen.contains("px-42")
    })
    .await;
    assert!(
        // As above: the probe of the dead host hangs for good (checked below), so an effect
        // loop that awaited it would never echo.
        typed.elapsed() < Duration::from_secs(5),
        "a keystroke's echo took {:?} while a host was being probed",
        typed.elapsed()
    );
    let probing = engine
        .jobs()
        .into_iter()
        .find(|j| j.kind == proximity::engine::JobKind::HostProbe)
        .expect("the certificate probe is a job");
    assert_eq!(probing.state, JobState::Running, "the probe still hangs");
    assert!(engine.cancel(probing.id));
    held.abort();
    sim.finish().await;
}

async fn wait_app_event(
    rx: &mut tokio::sync::mpsc::Receiver<proximity::ui::AppEvent>,
    mut done: impl FnMut(&proximity::ui::AppEvent) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        let Ok(ev) = tokio::time::timeout_at(deadline.into(), rx.recv()).await else {
            panic!("the event did not arrive in time; seen: {seen:?}");
        };
        let ev = ev.expect("inbox open");
        seen.push(format!("{ev:?}").chars().take(200).collect::<String>());
        if done(&ev) {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_changes_proxmox_is_journaled_and_found_by_the_next_start() {
    let sim = start_sim(2000).await;
    let store = proximity::store::Store::in_memory().unwrap();
    let first = Engine::new(EngineConfig {
        store: Some(store.clone()),
        state_dir: None,
        caller: Caller::Cli,
        refresh: None,
    });
    first.connect(&sim.spec).unwrap();
    let list = first.fetch_inventory("lab").await.unwrap();
    let stopped = guest_with(&list, "lxc", "stopped");
    let id = first.power(&stopped, PowerOp::Start).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while first.job(id).unwrap().upid.is_none() {
        assert!(Instant::now() < deadline, "the task never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The journal holds the running job with its step and Proxmox task.
    let journaled: proximity::engine::JobInfo = store.jobs().get(id.0).unwrap().unwrap();
    assert_eq!(journaled.state, JobState::Running);
    assert!(journaled.upid.as_deref().unwrap().starts_with("UPID:"));
    assert_eq!(journaled.target.vmid, Some(stopped.vmid));

    // A second process on the same store (the first "died" mid-job) sees it interrupted.
    let next = Engine::new(EngineConfig {
        store: Some(store.clone()),
        state_dir: None,
        caller: Caller::Tui,
        refresh: None,
    });
    let found = next.interrupted_jobs();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, id);
    assert_eq!(found[0].state, JobState::Interrupted);
    assert_eq!(next.find_job(id).unwrap().caller, Caller::Cli);
    // New ids never repeat the journal's.
    assert!(
        next.power(&stopped, PowerOp::Start).is_err(),
        "not connected"
    );

    // The first process ends the job: the journal says so, nothing is interrupted anymore.
    first.cancel(id);
    first.wait(id).await;
    let ended: proximity::engine::JobInfo = store.jobs().get(id.0).unwrap().unwrap();
    assert_eq!(ended.state, JobState::Cancelled);
    assert!(next.interrupted_jobs().is_empty());
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tasks_view_gets_jobs_proxmox_tasks_and_followed_logs() {
    use proximity::ui::AppEvent;
    use proximity::ui::task_board::{LogSource, RowOrigin, TaskState};
    let sim = start_sim(5).await;
    let engine = engine(None);
    engine.connect(&sim.spec).unwrap();
    let (inbox, mut rx) = tokio::sync::mpsc::channel(1024);
    let forward = tokio::spawn(proximity::ui::engine_link::forward_events(
        engine.clone(),
        engine.subscribe(),
        inbox.clone(),
    ));
    let mut runner = proximity::ui::engine_link::EffectRunner::new(engine.clone(), inbox);
    let list = engine.fetch_inventory("lab").await.unwrap();
    let stopped = guest_with(&list, "lxc", "stopped");
    let id = engine.power(&stopped, PowerOp::Start).unwrap();
    let source = LogSource::Job { id: id.0 };
    runner.apply(proximity::ui::Effect::FollowLog {
        source: source.clone(),
    });
    // The followed log arrives in order and ends; the job rows follow the job's state.
    let mut lines: Vec<String> = Vec::new();
    let mut job_row_states = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ev = tokio::time::timeout_at(deadline.into(), rx.recv())
            .await
            .expect("the log ends in time")
            .unwrap();
        match ev {
            AppEvent::LogLines {
                source: s,
                from_line,
                lines: batch,
                done,
            } if s == source => {
                assert_eq!(from_line, lines.len(), "no gap and no repeat");
                lines.extend(batch.into_iter().map(|l| l.text));
                if done {
                    break;
                }
            }
            AppEvent::Jobs(rows) => {
                let row = rows.iter().find(|r| r.log == source).unwrap();
                assert_eq!(row.origin, RowOrigin::Job);
                job_row_states.push(row.state);
            }
            _ => {}
        }
    }
    assert_eq!(lines.first().map(String::as_str), Some("start"));
    assert!(lines.iter().any(|l| l == "TASK OK"), "{lines:?}");
    assert_eq!(job_row_states.first(), Some(&TaskState::Running));
    // The rows' end may trail the log's end: wait for the final Jobs event.
    while job_row_states.last() != Some(&TaskState::Ok) {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(AppEvent::Jobs(rows))) => {
                job_row_states.push(rows.iter().find(|r| r.log == source).unwrap().state)
            }
            Ok(Some(_)) => continue,
            _ => panic!("the job's row never says ok: {job_row_states:?}"),
        }
    }

    // Proxmox's own task list has the start, with a log the viewer can follow.
    runner.apply(proximity::ui::Effect::RefreshTasks);
    let rows = loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(AppEvent::TaskRows { host, rows, .. })) if host == "lab" => break rows,
            Ok(Some(_)) => continue,
            other => panic!("no task rows: {other:?}"),
        }
    };
    let upid = engine.job(id).unwrap().upid.unwrap();
    let row = rows
        .iter()
        .find(|r| {
            r.log
                == LogSource::Task {
                    host: "lab".into(),
                    upid: upid.clone(),
                }
        })
        .expect("the start is in /cluster/tasks");
    assert_eq!((row.origin, row.state), (RowOrigin::Pve, TaskState::Ok));
    let task = LogSource::Task {
        host: "lab".into(),
        upid,
    };
    runner.apply(proximity::ui::Effect::FollowLog {
        source: task.clone(),
    });
    let mut task_lines = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(AppEvent::LogLines {
                source,
                lines,
                done,
                ..
            })) if source == task => {
                task_lines.extend(lines.into_iter().map(|l| l.text));
                if done {
                    break;
                }
            }
            Ok(Some(_)) => continue,
            other => panic!("the task log did not end: {other:?}"),
        }
    }
    assert_eq!(task_lines.last().map(String::as_str), Some("TASK OK"));
    forward.abort();
    sim.finish().await;
}

#[tokio::test]
async fn an_insecure_connect_is_announced_to_every_front_end() {
    let engine = engine(None);
    let mut events = engine.subscribe();
    let spec = proximity::engine::ConnSpec {
        name: "plain".into(),
        url: "http://127.0.0.1:9".into(),
        auth: proximity::engine::ConnAuth::Token {
            id: "root@pam!px".into(),
            secret: "s".into(),
        },
        fingerprint: None,
        insecure: false,
    };
    engine.connect(&spec).unwrap();
    match events.try_recv() {
        Ok(EngineEvent::Notice { text, error: true }) => {
            assert!(text.starts_with("WARNING: 'plain' is plain http"), "{text}")
        }
        other => panic!("no warning: {other:?}"),
    }
    // A verified https connection says nothing.
    let mut pinned = spec.clone();
    pinned.name = "pinned".into();
    pinned.url = "https://127.0.0.1:9".into();
    pinned.fingerprint = Some(["AB"; 32].join(":"));
    engine.connect(&pinned).unwrap();
    assert!(events.try_recv().is_err());
}
