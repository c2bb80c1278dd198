//! Deployments through the engine against the emulator, with a scripted executor standing
//! in for the container's shell: the steps, the container Proxmox gets, the journal, the app
//! record; rollback on failure and cancel; keep-on-failure; resume and rollback after the
//! process "died".

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proximity::catalog::{
    AppSpec, EnvVar, HealthCheck, OsFamily, PortMap, Protocol, Resources, Service, VolumeMount,
    WebEndpoint,
};
use proximity::deploy::exec::{BoxFuture, ExecError, ExecOutput, Executor, LineSink, OutputLine};
use proximity::deploy::reconcile::ReconcileAction;
use proximity::deploy::{
    AppOrigin, DeployRefusal, DeployRequest, DeployStep, DeployTuning, DeploymentStatus,
    ExecutorFactory,
};
use proximity::engine::{Caller, Engine, EngineConfig, JobState, Refusal};
use proximity::pve::PveClient;
use proximity::store::Store;

use crate::support::{TestSim, start_sim};

/// What the scripted shell does with a command.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reply {
    Code(i32),
    /// Never answers (a hung pull, or the process "dies" here).
    Hang,
}

/// A shell that answers by the first rule whose text the command contains (else 0), and
/// records every command and written file.
#[derive(Default)]
pub struct Script {
    pub rules: Mutex<Vec<(String, Reply)>>,
    pub seen: Mutex<Vec<String>>,
    pub files: Mutex<BTreeMap<String, Vec<u8>>>,
    pub opened: Mutex<Vec<(String, u32)>>,
}

impl Script {
    pub fn with(rules: &[(&str, Reply)]) -> Arc<Script> {
        let s = Script::default();
        *s.rules.lock().unwrap() = rules.iter().map(|(k, r)| (k.to_string(), *r)).collect();
        Arc::new(s)
    }

    fn reply(&self, cmd: &str) -> Reply {
        self.rules
            .lock()
            .unwrap()
            .iter()
            .find(|(k, _)| cmd.contains(k.as_str()))
            .map(|(_, r)| *r)
            .unwrap_or(Reply::Code(0))
    }

    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// Wait (30 s at most) until a command containing `text` was run.
    pub async fn reached(&self, text: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !self.seen().iter().any(|c| c.contains(text)) {
            assert!(std::time::Instant::now() < deadline, "never reached {text}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

struct ScriptedShell(Arc<Script>);

impl Executor for ScriptedShell {
    fn run<'a>(
        &'a self,
        command: &'a str,
        _timeout: Duration,
        log: LineSink<'a>,
    ) -> BoxFuture<'a, Result<ExecOutput, ExecError>> {
        Box::pin(async move {
            self.0.seen.lock().unwrap().push(command.to_string());
            // `cat 'FILE'` answers with a file written earlier, as a shell would.
            if let Some(path) = command
                .strip_prefix("cat '")
                .and_then(|p| p.strip_suffix('\''))
                && let Some(bytes) = self.0.files.lock().unwrap().get(path)
            {
                // Streamed line by line as well, as the console executor does.
                let output = String::from_utf8_lossy(bytes).into_owned();
                for line in output.lines() {
                    log(OutputLine::new(line));
                }
                return Ok(ExecOutput { code: 0, output });
            }
            match self.0.reply(command) {
                Reply::Code(code) => {
                    log(OutputLine::new(&format!("ran: {command}")));
                    Ok(ExecOutput {
                        code,
                        output: String::new(),
                    })
                }
                Reply::Hang => std::future::pending().await,
            }
        })
    }

    fn write_file<'a>(
        &'a self,
        path: &'a str,
        contents: &'a [u8],
        _mode: u32,
    ) -> BoxFuture<'a, Result<(), ExecError>> {
        Box::pin(async move {
            self.0
                .files
                .lock()
                .unwrap()
                .insert(path.to_string(), contents.to_vec());
            Ok(())
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// The factory the engine gets: every shell it opens shares the test's `Script`.
pub struct ScriptedShells(pub Arc<Script>);

impl ExecutorFactory for ScriptedShells {
    fn open<'a>(
        &'a self,
        _client: &'a PveClient,
        node: &'a str,
        vmid: u32,
    ) -> BoxFuture<'a, Result<Box<dyn Executor>, ExecError>> {
        Box::pin(async move {
            self.0.opened.lock().unwrap().push((node.to_string(), vmid));
            Ok(Box::new(ScriptedShell(self.0.clone())) as Box<dyn Executor>)
        })
    }
}

pub fn whoami_app() -> AppSpec {
    AppSpec {
        id: "whoami".into(),
        name: "Who Am I".into(),
        category: "Tools".into(),
        description: "Answers with what it sees.".into(),
        version: "1.10".into(),
        tags: vec!["test".into()],
        docs: "https://example.org/whoami".into(),
        icon: "?".into(),
        os: OsFamily::Debian,
        resources: Resources {
            cores: 1,
            memory_mb: 256,
            disk_gb: 2,
        },
        web: Some(WebEndpoint {
            port: 8080,
            path: "/".into(),
            scheme: "http".into(),
        }),
        health: HealthCheck::Http {
            port: 8080,
            path: "/health".into(),
        },
        env: vec![
            EnvVar {
                key: "GREETING".into(),
                description: "What it says first".into(),
                default: Some("hello".into()),
                required: false,
                secret_length: None,
            },
            EnvVar {
                key: "DB_PASSWORD".into(),
                description: "Database password".into(),
                default: None,
                required: true,
                secret_length: Some(20),
            },
        ],
        services: vec![
            Service {
                name: "web".into(),
                image: "traefik/whoami:v1.10".into(),
                ports: vec![PortMap {
                    host: 8080,
                    container: 80,
                    protocol: Protocol::Tcp,
                }],
                volumes: vec![VolumeMount {
                    name: "data".into(),
                    target: "/data".into(),
                }],
                environment: BTreeMap::from([
                    ("GREETING".into(), "${GREETING}".into()),
                    ("DB_PASSWORD".into(), "${DB_PASSWORD}".into()),
                ]),
                command: None,
                depends_on: vec!["db".into()],
            },
            Service {
                name: "db".into(),
                image: "postgres:16".into(),
                ports: vec![],
                volumes: vec![],
                environment: BTreeMap::from([(
                    "POSTGRES_PASSWORD".into(),
                    "${DB_PASSWORD}".into(),
                )]),
                command: None,
                depends_on: vec![],
            },
        ],
    }
}

pub fn engine_on(sim: &TestSim, store: &Store, script: &Arc<Script>) -> Engine {
    let engine = Engine::new(EngineConfig {
        store: Some(store.clone()),
        state_dir: None,
        caller: Caller::Api,
        refresh: None,
    });
    engine.connect(&sim.spec).unwrap();
    engine.set_executors(Arc::new(ScriptedShells(script.clone())));
    engine.set_deploy_tuning(DeployTuning::fast());
    engine
}

pub async fn finished(engine: &Engine, id: proximity::engine::JobId) -> proximity::engine::JobInfo {
    tokio::time::timeout(Duration::from_secs(60), engine.wait(id))
        .await
        .expect("the deployment ends in time")
        .expect("the job is known")
}

pub fn log_text(info: &proximity::engine::JobInfo) -> String {
    info.log
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Containers named `name` on the emulator.
async fn containers_named(sim: &TestSim, engine: &Engine, name: &str) -> Vec<u32> {
    let _ = sim;
    let list = engine.fetch_inventory("lab").await.unwrap();
    list.iter()
        .filter(|r| r.kind == "lxc" && r.name.as_deref() == Some(name))
        .filter_map(|r| r.vmid)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_runs_every_step_and_leaves_a_managed_container() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[("command -v docker", Reply::Code(1))]);
    let engine = engine_on(&sim, &store, &script);
    let mut req = DeployRequest::new(whoami_app());
    req.env.insert("GREETING".into(), "hi 'there' $HOME".into());
    let id = engine.deploy(req).unwrap();
    let info = finished(&engine, id).await;
    let log = log_text(&info);
    assert_eq!(info.state, JobState::Succeeded, "{log}");

    // The steps ran in order, each named in the log.
    let mut at = 0;
    for step in DeployStep::ALL.iter().filter(|s| **s != DeployStep::Done) {
        let found = log[at..]
            .find(step.label())
            .unwrap_or_else(|| panic!("{} missing or out of order in:\n{log}", step.label()));
        at += found;
    }
    assert!(log.contains("placed on lab/"), "{log}");
    assert!(
        log.contains("downloading debian-13-standard"),
        "the template was fetched: {log}"
    );

    // The container: named, tagged, described, started, with the app's metadata.
    let vmids = containers_named(&sim, &engine, "whoami").await;
    assert_eq!(vmids.len(), 1, "exactly one container");
    let rec = engine.deployment(id.0).unwrap();
    assert_eq!(rec.status, DeploymentStatus::Succeeded);
    assert_eq!(rec.vmid, Some(vmids[0]));
    let client = engine.client("lab").unwrap();
    let config = client.lxc_config(&rec.node, vmids[0]).await.unwrap();
    let meta = proximity::engine::apps::parse_app_meta(config.description.as_deref().unwrap())
        .expect("metadata in the description");
    assert_eq!(meta.app, "whoami");
    assert_eq!(meta.deployment, Some(id.0));
    assert_eq!(meta.port, Some(8080));
    let status = client.lxc_status(&rec.node, vmids[0]).await.unwrap();
    assert!(status.is_running());
    let resources = engine.fetch_inventory("lab").await.unwrap();
    let tags = resources
        .iter()
        .find(|r| r.vmid == Some(vmids[0]))
        .and_then(|r| r.tags.clone())
        .unwrap_or_default();
    assert!(
        tags.contains("proximity") && tags.contains("px-app-whoami"),
        "{tags}"
    );

    // Inside: Docker installed (it was missing), the compose file written, pulled, up, healthy.
    let seen = script.seen();
    let order = [
        "command -v docker",
        "apt-get install",
        "systemctl enable --now docker",
        "pull",
        "up -d",
        "wget -q -O /dev/null 'http://127.0.0.1:8080/health'",
    ];
    let mut at = 0;
    for cmd in order {
        let pos = seen[at..]
            .iter()
            .position(|s| s.contains(cmd))
            .unwrap_or_else(|| panic!("{cmd} missing or out of order in {seen:?}"));
        at += pos;
    }
    let files = script.files.lock().unwrap().clone();
    let compose = files
        .get("/opt/proximity/whoami/compose.json")
        .expect("the compose file was written");
    let doc: serde_json::Value = serde_json::from_slice(compose).unwrap();
    assert_eq!(doc["services"]["web"]["image"], "traefik/whoami:v1.10");
    assert_eq!(
        doc["services"]["web"]["environment"]["GREETING"], "hi 'there' $$HOME",
        "values reach compose as compose reads them (`$` escaped as `$$`)"
    );
    let secret = doc["services"]["db"]["environment"]["POSTGRES_PASSWORD"]
        .as_str()
        .unwrap();
    assert_eq!(secret.len(), 20);

    // The journal never held the secret; the app is recorded with its URL.
    let journal = serde_json::to_string(&rec).unwrap();
    assert!(!journal.contains(secret), "no secret in the journal");
    assert_eq!(
        rec.env_plain.get("GREETING").map(String::as_str),
        Some("hi 'there' $HOME")
    );
    let apps = engine.apps();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].name, "whoami");
    assert_eq!(apps[0].origin, AppOrigin::Deployed { deployment: id.0 });
    let url = apps[0].url.clone().unwrap();
    assert!(
        url.starts_with("http://") && url.ends_with(":8080/"),
        "{url}"
    );

    // A second deployment of the same app gets the next free name.
    let again = engine.deploy(DeployRequest::new(whoami_app())).unwrap();
    let info = finished(&engine, again).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    assert_eq!(engine.deployment(again.0).unwrap().name, "whoami-2");
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_rolls_back_unless_asked_to_keep() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    // The app never answers.
    let script = Script::with(&[("wget", Reply::Code(4))]);
    let engine = engine_on(&sim, &store, &script);
    let id = engine.deploy(DeployRequest::new(whoami_app())).unwrap();
    let info = finished(&engine, id).await;
    let log = log_text(&info);
    assert!(
        matches!(&info.state, JobState::Failed(r) if r.contains("did not answer on port 8080")),
        "{:?}\n{log}",
        info.state
    );
    assert!(log.contains("destroyed"), "{log}");
    assert!(
        containers_named(&sim, &engine, "whoami").await.is_empty(),
        "rolled back"
    );
    assert!(matches!(
        engine.deployment(id.0).unwrap().status,
        DeploymentStatus::RolledBack(_)
    ));
    assert!(engine.apps().is_empty());

    // keep-on-failure leaves the container for a look inside.
    let mut req = DeployRequest::new(whoami_app());
    req.keep_on_failure = true;
    let id = engine.deploy(req).unwrap();
    let info = finished(&engine, id).await;
    assert!(matches!(info.state, JobState::Failed(_)));
    assert_eq!(containers_named(&sim, &engine, "whoami").await.len(), 1);
    assert!(matches!(
        engine.deployment(id.0).unwrap().status,
        DeploymentStatus::FailedKept(_)
    ));
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_mid_deployment_removes_the_container() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[("pull", Reply::Hang)]);
    let engine = engine_on(&sim, &store, &script);
    let id = engine.deploy(DeployRequest::new(whoami_app())).unwrap();
    script.reached("pull").await;
    assert_eq!(containers_named(&sim, &engine, "whoami").await.len(), 1);
    assert!(engine.cancel(id));
    let info = finished(&engine, id).await;
    assert_eq!(info.state, JobState::Cancelled, "{}", log_text(&info));
    assert!(containers_named(&sim, &engine, "whoami").await.is_empty());
    assert_eq!(
        engine.deployment(id.0).unwrap().status,
        DeploymentStatus::Cancelled
    );
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_deployment_is_resumed_or_rolled_back_by_the_next_process() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    // The first process "dies" while pulling: its job never ends.
    let dying = Script::with(&[("pull", Reply::Hang)]);
    let first = engine_on(&sim, &store, &dying);
    let id = first.deploy(DeployRequest::new(whoami_app())).unwrap();
    dying.reached("pull").await;

    let healthy = Script::with(&[]);
    let next = engine_on(&sim, &store, &healthy);
    let unfinished = next.unfinished_deployments();
    assert_eq!(unfinished.len(), 1, "{unfinished:?}");
    assert_eq!(unfinished[0].id, id.0);
    assert_eq!(unfinished[0].step, DeployStep::Pull);
    assert!(
        matches!(
            first.resume_deployment(id.0, whoami_app()),
            Err(Refusal::Deploy(DeployRefusal::WrongState { .. }))
        ),
        "the process running it cannot resume it"
    );
    let resumed = next.resume_deployment(id.0, whoami_app()).unwrap();
    let info = finished(&next, resumed).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    let log = log_text(&info);
    assert!(log.contains("resuming") && log.contains("at pull"), "{log}");
    assert!(
        !healthy.seen().iter().any(|c| c.contains("apt-get")),
        "no step before pull ran again"
    );
    assert_eq!(
        containers_named(&sim, &next, "whoami").await.len(),
        1,
        "never two containers"
    );
    assert_eq!(next.deployment(id.0).unwrap().jobs, vec![id.0, resumed.0]);
    assert!(next.unfinished_deployments().is_empty());

    // Another interrupted one, rolled back instead.
    let dying2 = Script::with(&[("up -d", Reply::Hang)]);
    let third = engine_on(&sim, &store, &dying2);
    let mut req = DeployRequest::new(whoami_app());
    req.name = Some("other".into());
    let id2 = third.deploy(req).unwrap();
    dying2.reached("up -d").await;
    let fourth = engine_on(&sim, &store, &healthy);
    let job = fourth.rollback_deployment(id2.0).unwrap();
    let info = finished(&fourth, job).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    assert!(containers_named(&sim, &fourth, "other").await.is_empty());
    assert!(matches!(
        fourth.deployment(id2.0).unwrap().status,
        DeploymentStatus::RolledBack(_)
    ));
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_before_anything_starts() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[]);
    let engine = engine_on(&sim, &store, &script);
    let list = engine.fetch_inventory("lab").await.unwrap();
    let existing = list
        .iter()
        .find(|r| r.kind == "lxc")
        .and_then(|r| r.name.clone())
        .unwrap();
    let refuse = |f: &dyn Fn(&mut DeployRequest)| {
        let mut req = DeployRequest::new(whoami_app());
        f(&mut req);
        engine.deploy(req).unwrap_err().to_string()
    };
    assert_eq!(
        refuse(&|r| r.name = Some(existing.as_str().into())),
        format!("name {existing:?} is already used on the cluster")
    );
    assert!(refuse(&|r| r.name = Some("Bad_Name".into())).contains("only lowercase"));
    assert_eq!(
        refuse(&|r| {
            r.env.insert("NOPE".into(), "1".into());
        }),
        "variable NOPE: Who Am I has no such variable"
    );
    assert_eq!(
        refuse(&|r| {
            r.resources = Some(Resources {
                cores: 1,
                memory_mb: 64,
                disk_gb: 2,
            })
        }),
        "memory: 64 MiB is below what Who Am I needs (256 MiB)"
    );
    assert_eq!(
        refuse(&|r| r.host = Some("nope".into())),
        "host nope is not connected"
    );
    assert!(engine.jobs().is_empty(), "no job started");
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_store_adopts_deployed_apps_and_notices_when_they_vanish() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[]);
    let engine = engine_on(&sim, &store, &script);
    let id = engine.deploy(DeployRequest::new(whoami_app())).unwrap();
    assert_eq!(finished(&engine, id).await.state, JobState::Succeeded);
    let vmid = engine.deployment(id.0).unwrap().vmid.unwrap();

    // A second Proximity with its own (empty) store rebuilds the app from the cluster.
    let other_store = Store::in_memory().unwrap();
    let other = engine_on(&sim, &other_store, &script);
    let actions = other.reconcile_apps("lab").await.unwrap();
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, ReconcileAction::Adopt { vmid: v, .. } if *v == vmid)),
        "{actions:?}"
    );
    let apps = other.apps();
    let adopted = apps.iter().find(|a| a.vmid == vmid).expect("adopted");
    assert_eq!(
        (adopted.name.as_str(), adopted.app.as_str(), &adopted.origin),
        ("whoami", "whoami", &AppOrigin::Adopted)
    );
    assert_eq!(adopted.port, Some(8080));
    // Its URL comes from the container's address as Proxmox reports it (never dialed): the
    // one the deployment found.
    let deployed_url = engine
        .apps()
        .into_iter()
        .find(|a| a.vmid == vmid)
        .and_then(|a| a.url);
    assert!(
        deployed_url
            .as_deref()
            .is_some_and(|u| u.starts_with("http://")),
        "{deployed_url:?}"
    );
    assert_eq!(adopted.url, deployed_url);
    assert!(
        other.reconcile_apps("lab").await.unwrap().is_empty(),
        "adopted once"
    );
    // The first store knows it already: only the emulator's own seeded apps are new there.
    let first = engine.reconcile_apps("lab").await.unwrap();
    assert!(
        !first
            .iter()
            .any(|a| matches!(a, ReconcileAction::Adopt { vmid: v, .. } if *v == vmid)),
        "{first:?}"
    );

    // The container is destroyed behind Proximity's back: marked missing, not forgotten.
    let rec = engine.deployment(id.0).unwrap();
    let client = engine.client("lab").unwrap();
    let upid = client
        .lxc_power(&rec.node, vmid, proximity::pve::PowerAction::Stop)
        .await
        .unwrap();
    client
        .wait_task(&upid, Duration::from_millis(20))
        .await
        .unwrap();
    let upid = client
        .lxc_delete(&rec.node, vmid, Default::default())
        .await
        .unwrap();
    client
        .wait_task(&upid, Duration::from_millis(20))
        .await
        .unwrap();
    other.reconcile_apps("lab").await.unwrap();
    assert!(
        other
            .apps()
            .iter()
            .find(|a| a.vmid == vmid)
            .unwrap()
            .missing
    );
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_snapshots_first_and_rolls_back_when_the_app_stops_answering() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[]);
    let engine = engine_on(&sim, &store, &script);
    let id = engine.deploy(DeployRequest::new(whoami_app())).unwrap();
    assert_eq!(finished(&engine, id).await.state, JobState::Succeeded);
    let rec = engine.deployment(id.0).unwrap();
    let (node, vmid) = (rec.node.clone(), rec.vmid.unwrap());
    let client = engine.client("lab").unwrap();
    let snapshots = |c: PveClient, node: String| async move {
        c.lxc_snapshots(&node, vmid)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .filter(|n| n != "current")
            .collect::<Vec<_>>()
    };

    // A good update: pulled, re-created, healthy; its snapshot removed afterwards.
    script.seen.lock().unwrap().clear();
    let job = engine.update_app("whoami", whoami_app()).unwrap();
    let info = finished(&engine, job).await;
    let log = log_text(&info);
    assert_eq!(info.state, JobState::Succeeded, "{log}");
    let seen = script.seen();
    assert!(
        seen.iter().any(|c| c.contains("compose.json' pull")),
        "{seen:?}"
    );
    assert!(seen.iter().any(|c| c.contains("up -d")), "{seen:?}");
    assert!(
        log.contains("snapshot") && log.contains("removing the snapshot"),
        "{log}"
    );
    assert!(
        snapshots(client.clone(), node.clone()).await.is_empty(),
        "the snapshot is removed"
    );

    // A bad one: the app stops answering; the container goes back to the snapshot and runs.
    *script.rules.lock().unwrap() = vec![("wget".into(), Reply::Code(4))];
    let job = engine.update_app("whoami", whoami_app()).unwrap();
    let info = finished(&engine, job).await;
    let log = log_text(&info);
    assert!(matches!(info.state, JobState::Failed(_)), "{log}");
    assert!(
        log.contains("rolled back: the app runs as before the update"),
        "{log}"
    );
    let left = snapshots(client.clone(), node.clone()).await;
    assert_eq!(
        left.len(),
        1,
        "the snapshot it rolled back to stays: {left:?}"
    );
    assert!(left[0].starts_with("px-update-"));
    assert!(client.lxc_status(&node, vmid).await.unwrap().is_running());

    // Logs come from inside the container.
    *script.rules.lock().unwrap() = vec![];
    engine.app_logs("whoami", 50).await.unwrap();
    assert!(
        script
            .seen()
            .iter()
            .any(|c| c.contains("logs --no-color --tail 50"))
    );
    assert!(matches!(
        engine.update_app("nope", whoami_app()),
        Err(Refusal::Deploy(DeployRefusal::UnknownApp(_)))
    ));
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_started_together_get_their_own_names_and_ids() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[]);
    let engine = engine_on(&sim, &store, &script);
    // Started in the same instant: nextid answers each the same free id, so all but one
    // create hits a taken id and allocates another.
    let ids: Vec<_> = (0..4)
        .map(|_| engine.deploy(DeployRequest::new(whoami_app())).unwrap())
        .collect();
    let mut names = Vec::new();
    let mut vmids = Vec::new();
    for id in &ids {
        let info = finished(&engine, *id).await;
        assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
        let rec = engine.deployment(id.0).unwrap();
        names.push(rec.name);
        vmids.push(rec.vmid.unwrap());
    }
    names.sort();
    assert_eq!(names, ["whoami", "whoami-2", "whoami-3", "whoami-4"]);
    vmids.sort();
    vmids.dedup();
    assert_eq!(vmids.len(), 4, "one container each");
    for name in &names {
        assert_eq!(
            containers_named(&sim, &engine, name).await.len(),
            1,
            "{name}"
        );
    }
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_at_any_step_inside_the_container_leaves_nothing_behind() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    for (i, (cmd, reason)) in [
        ("apt-get install", "installing Docker failed (exit 100)"),
        ("systemctl enable", "starting Docker failed (exit 100)"),
        ("compose.json' pull", "pulling images failed (exit 100)"),
        ("up -d", "starting the app failed (exit 100)"),
    ]
    .into_iter()
    .enumerate()
    {
        let script = Script::with(&[
            ("command -v docker", Reply::Code(1)),
            (cmd, Reply::Code(100)),
        ]);
        let engine = engine_on(&sim, &store, &script);
        let mut req = DeployRequest::new(whoami_app());
        req.name = Some(format!("fail-{i}"));
        let id = engine.deploy(req).unwrap();
        let info = finished(&engine, id).await;
        assert_eq!(
            info.state,
            JobState::Failed(reason.into()),
            "{}",
            log_text(&info)
        );
        assert!(
            containers_named(&sim, &engine, &format!("fail-{i}"))
                .await
                .is_empty(),
            "{cmd}: the container was removed"
        );
        assert!(matches!(
            engine.deployment(id.0).unwrap().status,
            DeploymentStatus::RolledBack(_)
        ));
    }
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_variables_keeps_the_secrets_and_recreates_the_services() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[]);
    let engine = engine_on(&sim, &store, &script);
    let id = engine.deploy(DeployRequest::new(whoami_app())).unwrap();
    assert_eq!(finished(&engine, id).await.state, JobState::Succeeded);
    let path = "/opt/proximity/whoami/compose.json";
    let before: serde_json::Value =
        serde_json::from_slice(&script.files.lock().unwrap()[path]).unwrap();
    let secret = before["services"]["db"]["environment"]["POSTGRES_PASSWORD"].clone();

    script.seen.lock().unwrap().clear();
    let changes = BTreeMap::from([("GREETING".to_string(), "bonjour $USER".to_string())]);
    let job = engine
        .edit_app_env("whoami", whoami_app(), changes)
        .unwrap();
    let info = finished(&engine, job).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    let after: serde_json::Value =
        serde_json::from_slice(&script.files.lock().unwrap()[path]).unwrap();
    assert_eq!(
        after["services"]["web"]["environment"]["GREETING"], "bonjour $$USER",
        "compose's escape for `$`"
    );
    assert_eq!(
        after["services"]["db"]["environment"]["POSTGRES_PASSWORD"], secret,
        "the secret is kept"
    );
    assert_eq!(
        after["services"]["web"]["environment"]["DB_PASSWORD"],
        secret
    );
    assert!(script.seen().iter().any(|c| c.contains("up -d")));

    let bad = BTreeMap::from([("NOPE".to_string(), "1".to_string())]);
    assert_eq!(
        engine
            .edit_app_env("whoami", whoami_app(), bad)
            .unwrap_err()
            .to_string(),
        "variable NOPE: Who Am I has no such variable"
    );
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_applies_a_newer_catalog_version_and_keeps_the_secrets() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[]);
    let engine = engine_on(&sim, &store, &script);
    let id = engine.deploy(DeployRequest::new(whoami_app())).unwrap();
    assert_eq!(finished(&engine, id).await.state, JobState::Succeeded);
    let path = "/opt/proximity/whoami/compose.json";
    let compose = || -> serde_json::Value {
        serde_json::from_slice(&script.files.lock().unwrap()[path]).unwrap()
    };
    let secret = compose()["services"]["db"]["environment"]["POSTGRES_PASSWORD"].clone();

    // The same version again: the file is left as it is.
    let job = engine.update_app("whoami", whoami_app()).unwrap();
    let info = finished(&engine, job).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    assert!(!log_text(&info).contains("compose file written"));

    // A newer entry: another image for the web service.
    let mut newer = whoami_app();
    newer.version = "1.11".into();
    let web = newer.services.iter_mut().find(|s| s.name == "web").unwrap();
    web.image = format!("{}-next", web.image);
    let image = web.image.clone();
    let job = engine.update_app("whoami", newer).unwrap();
    let info = finished(&engine, job).await;
    let log = log_text(&info);
    assert_eq!(info.state, JobState::Succeeded, "{log}");
    assert!(
        log.contains("compose file written for Who Am I 1.11 (was 1.10)"),
        "{log}"
    );
    let after = compose();
    assert_eq!(after["services"]["web"]["image"], image.as_str());
    assert_eq!(
        after["services"]["db"]["environment"]["POSTGRES_PASSWORD"], secret,
        "the secret is kept"
    );
    let secret_text = secret.as_str().unwrap();
    assert!(
        !log.contains(secret_text),
        "the compose file's secrets never reach the job's log: {log}"
    );
    let record = engine
        .apps()
        .into_iter()
        .find(|a| a.name == "whoami")
        .unwrap();
    assert_eq!(record.version.as_deref(), Some("1.11"));
    let rec = engine.deployment(id.0).unwrap();
    let cfg = engine
        .client("lab")
        .unwrap()
        .lxc_config(&rec.node, rec.vmid.unwrap())
        .await
        .unwrap();
    let meta = proximity::engine::apps::parse_app_meta(&cfg.description.unwrap()).unwrap();
    assert_eq!(meta.version.as_deref(), Some("1.11"));
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journals_keep_the_newest_finished_records_and_every_unfinished_one() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[]);
    let engine = engine_on(&sim, &store, &script);
    let id = engine.deploy(DeployRequest::new(whoami_app())).unwrap();
    assert_eq!(finished(&engine, id).await.state, JobState::Succeeded);
    let rec = engine.deployment(id.0).unwrap();
    let job = engine.find_job(id).unwrap();
    // Ten older finished deployments and jobs, and one deployment still running.
    for n in 1000..1010u64 {
        let mut r = rec.clone();
        r.id = n;
        r.jobs = vec![n];
        store
            .deployments()
            .put(&proximity::deploy::runner::journal_key(n), &r)
            .unwrap();
        let mut j = job.clone();
        j.id = proximity::engine::JobId(n);
        store.jobs().put(&j).unwrap();
    }
    let mut running = rec.clone();
    running.id = 2000;
    running.status = DeploymentStatus::Running;
    store
        .deployments()
        .put(&proximity::deploy::runner::journal_key(2000), &running)
        .unwrap();

    let removed = engine.prune_journals(3);
    let left: Vec<u64> = engine.deployments().iter().map(|d| d.id).collect();
    assert!(left.contains(&2000), "the running one stays: {left:?}");
    let mut done: Vec<u64> = engine
        .deployments()
        .iter()
        .filter(|d| d.status != DeploymentStatus::Running)
        .map(|d| d.id)
        .collect();
    done.sort_unstable();
    assert_eq!(done, vec![1007, 1008, 1009], "the newest three by id");
    let jobs: Vec<u64> = store
        .jobs()
        .list::<proximity::engine::JobInfo>()
        .unwrap()
        .into_iter()
        .map(|j| j.unwrap().id.0)
        .collect();
    assert_eq!(jobs, vec![1007, 1008, 1009]);
    assert_eq!(removed, 8 + 8, "{removed}");
    assert_eq!(engine.prune_journals(3), 0, "nothing more to drop");
    sim.finish().await;
}

/// A catalog app deployed for real: the emulator's container shell (apt, Docker, compose,
/// an in-container health probe) driven through its termproxy console by `ConsoleExecutor`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalog_app_deploys_through_the_real_console_executor() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let engine = Engine::new(EngineConfig {
        store: Some(store.clone()),
        state_dir: None,
        caller: Caller::Api,
        refresh: None,
    });
    engine.connect(&sim.spec).unwrap();
    engine.set_deploy_tuning(DeployTuning::fast());
    let catalog = proximity::catalog::Catalog::shipped().expect("the shipped catalog loads");
    let app = catalog
        .get("uptime-kuma")
        .expect("uptime-kuma is shipped")
        .clone();
    let id = engine.deploy(DeployRequest::new(app)).unwrap();
    let info = finished(&engine, id).await;
    let log = log_text(&info);
    assert_eq!(info.state, JobState::Succeeded, "{log}");
    for seen in [
        "$ apt-get update",
        "Setting up docker.io",
        "writing /opt/proximity/uptime-kuma/compose.json",
        "Pull complete",
        "Started",
        "uptime-kuma is up: http://",
    ] {
        assert!(log.contains(seen), "{seen:?} missing in:\n{log}");
    }
    assert!(
        !log.contains('\x1b'),
        "the pull's cursor movement is cleaned from the log"
    );
    assert_eq!(
        containers_named(&sim, &engine, "uptime-kuma").await.len(),
        1
    );

    // The app's logs come from inside its container, in a new console session.
    let logs = engine.app_logs("uptime-kuma", 20).await.unwrap();
    assert!(!logs.trim().is_empty(), "compose logs are read back");
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tuis_deploy_effect_answers_with_the_job_or_the_refusal() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[]);
    let engine = engine_on(&sim, &store, &script);
    let (inbox, mut rx) = tokio::sync::mpsc::channel(16);
    let mut runner = proximity::ui::engine_link::EffectRunner::new(engine.clone(), inbox);
    let mut bad = DeployRequest::new(whoami_app());
    bad.name = Some("Bad_Name".into());
    runner.apply(proximity::ui::Effect::Deploy(Box::new(bad)));
    match rx.try_recv() {
        Ok(proximity::ui::AppEvent::DeployRefused { text }) => {
            assert!(text.contains("only lowercase"), "{text}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(engine.jobs().is_empty(), "a refused deploy starts no job");
    let mut good = DeployRequest::new(whoami_app());
    good.name = Some("who-tui".into());
    runner.apply(proximity::ui::Effect::Deploy(Box::new(good)));
    let job = match rx.try_recv() {
        Ok(proximity::ui::AppEvent::DeployStarted {
            job, name, host, ..
        }) => {
            assert_eq!((name.as_str(), host), ("who-tui", None));
            job
        }
        other => panic!("expected a started deploy, got {other:?}"),
    };
    let info = finished(&engine, job).await;
    assert_eq!(info.state, JobState::Succeeded, "{}", log_text(&info));
    sim.finish().await;
}

/// The TUI and the CLI share the store: a deployment another live process is running is not
/// "interrupted" (it cannot be resumed from here); once that process is gone, it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_another_live_process_runs_is_not_offered_for_resume() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let script = Script::with(&[("pull", Reply::Hang)]);
    let first = engine_on(&sim, &store, &script);
    let id = first.deploy(DeployRequest::new(whoami_app())).unwrap();
    script.reached("pull").await;
    // Pretend another process owns it: a live child's pid, then the same pid once dead.
    let mut other = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let key = proximity::deploy::runner::journal_key(id.0);
    let mut rec = first.deployment(id.0).unwrap();
    rec.owner_pid = Some(other.id());
    store.deployments().put(&key, &rec).unwrap();
    let next = engine_on(&sim, &store, &script);
    assert!(
        next.unfinished_deployments().is_empty(),
        "a live owner runs it"
    );
    other.kill().unwrap();
    other.wait().unwrap();
    assert_eq!(next.unfinished_deployments().len(), 1, "its owner is gone");
    sim.finish().await;
}
