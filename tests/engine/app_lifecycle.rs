//! A managed app's clone and removal through the engine against the emulator (a scripted
//! shell stands in for the container): a clone is a new deployment with the source's
//! variables and fresh generated secrets (kept when asked); a removal with a backup first
//! backs the container up to the end before destroying it.

use proximity::deploy::DeployRequest;
use proximity::engine::app_lifecycle::CloneRequest;
use proximity::engine::backups::BackupFilter;
use proximity::engine::{JobKind, JobState};
use proximity::store::Store;

use crate::deploy::{Script, engine_on, finished, log_text, whoami_app};
use crate::support::start_sim;

fn compose(script: &Script, name: &str) -> serde_json::Value {
    let path = format!("/opt/proximity/{name}/compose.json");
    serde_json::from_slice(&script.files.lock().unwrap()[&path]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_deploys_the_same_app_with_its_variables_and_new_secrets() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[]);
    let engine = engine_on(&sim, &store, &script);
    let mut req = DeployRequest::new(whoami_app());
    req.name = Some("hello".into());
    req.env.insert("GREETING".into(), "ciao $USER".into());
    let id = engine.deploy(req).unwrap();
    assert_eq!(finished(&engine, id).await.state, JobState::Succeeded);
    let source = compose(&script, "hello");
    let secret = source["services"]["db"]["environment"]["POSTGRES_PASSWORD"].clone();

    let clone = |name: &str, keep_secrets: bool| CloneRequest {
        name: name.into(),
        host: Some("lab".into()),
        node: None,
        keep_secrets,
    };
    let job = engine
        .clone_app("hello", whoami_app(), clone("hello-2", false))
        .await
        .unwrap();
    let info = finished(&engine, job).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    assert_eq!(info.kind, JobKind::Deploy, "a clone is the deploy job");
    let copy = compose(&script, "hello-2");
    assert_eq!(
        copy["services"]["web"]["environment"]["GREETING"], "ciao $$USER",
        "the source's value, not the catalog default"
    );
    let fresh = &copy["services"]["db"]["environment"]["POSTGRES_PASSWORD"];
    assert_ne!(*fresh, secret, "a generated secret is generated again");
    assert_eq!(fresh.as_str().unwrap().len(), 20);
    assert!(
        !log_text(&info).contains(secret.as_str().unwrap()),
        "the source's secret never reaches a log"
    );

    let job = engine
        .clone_app("hello", whoami_app(), clone("hello-3", true))
        .await
        .unwrap();
    assert_eq!(finished(&engine, job).await.state, JobState::Succeeded);
    let kept = compose(&script, "hello-3");
    assert_eq!(
        kept["services"]["db"]["environment"]["POSTGRES_PASSWORD"], secret,
        "kept when asked"
    );
    let names: Vec<String> = engine.apps().into_iter().map(|a| a.name).collect();
    for n in ["hello", "hello-2", "hello-3"] {
        assert!(names.contains(&n.to_string()), "{names:?}");
    }
    let vmids: std::collections::BTreeSet<u32> = engine.apps().iter().map(|a| a.vmid).collect();
    assert_eq!(vmids.len(), 3, "three containers");

    // The checks a deploy gets: a taken name, a bad name, another catalog entry.
    let err = engine
        .clone_app("hello", whoami_app(), clone("hello-2", false))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "name \"hello-2\" is already used on the cluster"
    );
    let err = engine
        .clone_app("hello", whoami_app(), clone("Bad_Name", false))
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("name \"Bad_Name\": "), "{err}");
    let mut other = whoami_app();
    other.id = "other".into();
    let err = engine
        .clone_app("hello", other, clone("hello-4", false))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "hello runs whoami, not other");
    let err = engine
        .clone_app("nope", whoami_app(), clone("hello-4", false))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "no app named \"nope\"");
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_an_app_with_a_backup_first_backs_it_up_before_destroying_it() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[]);
    let engine = engine_on(&sim, &store, &script);
    let id = engine.deploy(DeployRequest::new(whoami_app())).unwrap();
    assert_eq!(finished(&engine, id).await.state, JobState::Succeeded);
    let app = engine.apps().into_iter().next().unwrap();

    let job = engine.remove_app(&app.name, true).unwrap();
    let info = finished(&engine, job).await;
    let log = log_text(&info);
    assert_eq!(info.state, JobState::Succeeded, "{log}");
    let backed = log.find("backup done").expect(&log);
    let destroyed = log.find(&format!("CT {} destroyed", app.vmid)).expect(&log);
    assert!(backed < destroyed, "{log}");

    // The backup job ended before the delete job began.
    let jobs = engine.jobs();
    let backup = jobs.iter().find(|j| j.kind == JobKind::Backup).unwrap();
    let delete = jobs
        .iter()
        .find(|j| j.kind == JobKind::Delete && j.id != job)
        .unwrap();
    assert_eq!(backup.state, JobState::Succeeded);
    assert!(backup.ended_ms.unwrap() <= delete.started_ms);

    // The archive is there, the container and the record are not.
    let list = engine
        .backups(&BackupFilter {
            host: None,
            vmid: Some(app.vmid),
        })
        .await;
    assert_eq!(list.rows.len(), 1, "{:?}", list.rows);
    let inventory = engine.fetch_inventory("lab").await.unwrap();
    assert!(!inventory.iter().any(|r| r.vmid == Some(app.vmid)));
    assert!(engine.apps().is_empty());

    // Without a backup: nothing is backed up.
    let id = engine.deploy(DeployRequest::new(whoami_app())).unwrap();
    assert_eq!(finished(&engine, id).await.state, JobState::Succeeded);
    let app = engine.apps().into_iter().next().unwrap();
    let job = engine.remove_app(&app.name, false).unwrap();
    let info = finished(&engine, job).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    assert!(!log_text(&info).contains("backup"));
    let backups = engine
        .jobs()
        .iter()
        .filter(|j| j.kind == JobKind::Backup)
        .count();
    assert_eq!(backups, 1, "no second backup");
    assert!(engine.apps().is_empty());
    sim.finish().await;
}

/// The real console executor against the emulator's fake docker: a followed log gets the
/// lines the app writes after it started, and cancelling ends it (and no line comes after).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followed_app_logs_receive_new_lines_until_cancelled() {
    use proximity::engine::{Caller, Engine, EngineConfig, EngineEvent, JobEvent};
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let engine = Engine::new(EngineConfig {
        store: Some(store.clone()),
        state_dir: None,
        caller: Caller::Api,
        refresh: None,
    });
    engine.connect(&sim.spec).unwrap();
    let catalog = proximity::catalog::Catalog::shipped().unwrap();
    let mut req = DeployRequest::new(catalog.get("uptime-kuma").unwrap().clone());
    req.name = Some("kuma".into());
    let id = engine.deploy(req).unwrap();
    let info = finished(&engine, id).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));

    let mut events = engine.subscribe();
    let job = engine.follow_app_logs_job("kuma", 2).unwrap();
    let mut requests: Vec<u64> = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while requests.last().copied().unwrap_or(0) < 3 {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("new lines arrive")
            .unwrap();
        if let EngineEvent::Job(JobEvent::Log { id, line, .. }) = event
            && id == job
            && let Some(n) = line
                .text
                .split("(request ")
                .nth(1)
                .and_then(|r| r.strip_suffix(')'))
        {
            requests.push(n.parse().unwrap());
        }
    }
    assert_eq!(requests.first(), Some(&1), "{requests:?}");
    assert!(
        engine.cancel(job),
        "still running: a follow never ends by itself"
    );
    let info = finished(&engine, job).await;
    assert_eq!(info.state, JobState::Cancelled, "{}", log_text(&info));
    assert_eq!(info.kind, JobKind::AppLogs);
    let total = info.log_total;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        engine.find_job(job).unwrap().log_total,
        total,
        "no line after the end"
    );
    sim.finish().await;
}
