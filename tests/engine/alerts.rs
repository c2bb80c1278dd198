//! Alerts end to end against the emulator: a guest's CPU spike (the emulator's knob) raises a
//! CPU alert after its "for" duration and clears when the spike ends, each time with a
//! webhook POST received by a listener on 127.0.0.1; a node going offline raises and clears
//! `node_offline` while the webhook hangs (it never delays an alert); a failing health check
//! of a managed app raises `health`. History lands in the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use proximity::alerts::{Alert, AlertConfig, Rule};
use proximity::deploy::exec::{BoxFuture, ExecError, ExecOutput, Executor, LineSink};
use proximity::deploy::{AppOrigin, AppRecord, ExecutorFactory};
use proximity::engine::alerts::AlertOptions;
use proximity::engine::{Caller, Engine, EngineConfig, EngineEvent};
use proximity::pve::PveClient;
use proximity::store::alerts::{NotifySettings, NtfySettings};
use proximity::store::{Secret, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc};

use crate::support::{guests, next_inventory, running_container, start_sim};
use proximity::inventory::GuestKind;

/// A webhook receiver on 127.0.0.1:0: every request's body, as JSON. `answer` false: it
/// reads the request and never answers (a hung webhook).
async fn webhook_listener(answer: bool) -> (String, mpsc::UnboundedReceiver<serde_json::Value>) {
    let (url, mut raw) = http_listener(answer).await;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some((_, body)) = raw.recv().await {
            if let Ok(v) = serde_json::from_str(&body) {
                let _ = tx.send(v);
            }
        }
    });
    (url, rx)
}

/// Every request's head (request line and headers) and body, as text.
async fn http_listener(answer: bool) -> (String, mpsc::UnboundedReceiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook?key=s3cret", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Headers, then Content-Length bytes of body.
                let body = loop {
                    let Ok(n) = s.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break buf[end + 4..end + 4 + len].to_vec();
                        }
                    }
                };
                let text = String::from_utf8_lossy(&buf).into_owned();
                let head = text.split("\r\n\r\n").next().unwrap_or("").to_string();
                let _ = tx.send((head, String::from_utf8_lossy(&body).into_owned()));
                if answer {
                    let _ = s
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                } else {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
            });
        }
    });
    (url, rx)
}

fn engine_with_store(store: &Store) -> Engine {
    Engine::new(EngineConfig {
        store: Some(store.clone()),
        state_dir: None,
        caller: Caller::Api,
        refresh: Some(Duration::from_millis(150)),
    })
}

fn options(config: &str) -> AlertOptions {
    AlertOptions {
        config: AlertConfig::parse("alerts.toml", config).unwrap(),
        backup_every: Duration::from_secs(3600),
        health_every: Duration::from_millis(100),
        notify_timeout: Duration::from_millis(300),
        notify_retries: 1,
        ..AlertOptions::default()
    }
}

/// The next alert event for `rule`; panics after `within`.
async fn next_alert(
    events: &mut broadcast::Receiver<EngineEvent>,
    rule: Rule,
    within: Duration,
) -> (Alert, bool) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(EngineEvent::Alert { alert, raised })) if alert.rule == rule => {
                return (*alert, raised);
            }
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("events closed: {e}"),
            Err(_) => panic!("no {rule:?} alert within {within:?}"),
        }
    }
}

async fn next_hook(rx: &mut mpsc::UnboundedReceiver<serde_json::Value>) -> serde_json::Value {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a webhook POST in time")
        .expect("listener open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cpu_spike_raises_after_its_duration_and_clears_with_webhooks() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let engine = engine_with_store(&store);
    let (url, mut hooks) = webhook_listener(true).await;
    let (ntfy_url, mut ntfy) = http_listener(true).await;
    let ntfy_server = ntfy_url.split("/hook").next().unwrap().to_string();
    engine
        .set_notify(&NotifySettings {
            webhook_url: Some(Secret::new(url)),
            ntfy: Some(NtfySettings {
                server: ntfy_server,
                topic: Secret::new("px-topic".to_string()),
                token: Some(Secret::new("tk_abc".to_string())),
            }),
        })
        .unwrap();
    let mut events = engine.subscribe();
    engine.start_alerts(options(
        "[defaults]\ncpu_for = \"1s\"\noff = [\"backup_missing\", \"backup_failed\", \"health\"]\n",
    ));
    engine.connect(&sim.spec).unwrap();
    let list = next_inventory(&mut events, "lab").await;
    let (_, guest) = running_container(&list);
    let vmid = guest.vmid;
    assert!(engine.alerts().is_empty(), "{:?}", engine.alerts());

    let spiked = Instant::now();
    assert!(sim.handle.spike(vmid, Some((0.97, 0.3))));
    let (alert, raised) = next_alert(&mut events, Rule::Cpu, Duration::from_secs(10)).await;
    assert!(raised);
    assert_eq!(alert.target.vmid, Some(vmid));
    assert!(
        spiked.elapsed() >= Duration::from_secs(1),
        "fired before its 1s duration: {:?}",
        spiked.elapsed()
    );
    assert!(alert.message.starts_with("CPU 9"), "{}", alert.message);
    let hook = next_hook(&mut hooks).await;
    assert_eq!(hook["event"], "raised");
    assert_eq!(hook["rule"], "cpu");
    assert_eq!(hook["target"], format!("lab:{vmid}"));
    assert_eq!(engine.alerts().len(), 1);
    // ntfy: POST <server>/<topic>, the message as the body, Title/Priority/Tags headers.
    let (head, body) = tokio::time::timeout(Duration::from_secs(10), ntfy.recv())
        .await
        .expect("an ntfy POST in time")
        .unwrap();
    let head = head.to_lowercase();
    assert!(head.starts_with("post /px-topic http/1.1"), "{head}");
    assert!(
        head.contains(&format!("title: [proximity] alert: cpu on lab:{vmid}")),
        "{head}"
    );
    assert!(head.contains("priority: high"), "{head}");
    assert!(head.contains("tags: warning"), "{head}");
    assert!(head.contains("authorization: bearer tk_abc"), "{head}");
    assert_eq!(body, alert.message);

    assert!(sim.handle.spike(vmid, None));
    let (cleared, raised) = next_alert(&mut events, Rule::Cpu, Duration::from_secs(10)).await;
    assert!(!raised);
    assert_eq!(cleared.fired_ms, alert.fired_ms);
    assert!(cleared.cleared_ms.is_some());
    let hook = next_hook(&mut hooks).await;
    assert_eq!(hook["event"], "cleared");
    assert!(engine.alerts().is_empty());

    let history = engine.alert_history(10);
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].cleared_ms, cleared.cleared_ms);
    // The webhook URL (with its key) is not in the store in plain text.
    let dump = format!(
        "{:?}",
        store.kv().scan_prefix("alert_settings", b"").unwrap()
    );
    assert!(!dump.contains("s3cret"), "{dump}");
    engine.shutdown().await;
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_offline_alert_is_not_delayed_by_a_hanging_webhook() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let engine = engine_with_store(&store);
    let (url, mut hooks) = webhook_listener(false).await;
    engine
        .set_notify(&NotifySettings {
            webhook_url: Some(Secret::new(url)),
            ntfy: None,
        })
        .unwrap();
    let mut events = engine.subscribe();
    engine.start_alerts(options(
        "[defaults]\nnode_offline_for = \"0s\"\noff = [\"backup_missing\", \"backup_failed\", \"health\"]\n",
    ));
    engine.connect(&sim.spec).unwrap();
    let list = next_inventory(&mut events, "lab").await;
    let node = list
        .iter()
        .map(|n| n.name.clone())
        .next_back()
        .expect("a node");

    assert!(sim.handle.set_node_online(&node, false));
    let started = Instant::now();
    let (alert, raised) = next_alert(&mut events, Rule::NodeOffline, Duration::from_secs(5)).await;
    assert!(raised);
    assert_eq!(alert.target.to_string(), format!("lab/{node}"));
    assert_eq!(alert.message, format!("node {node} is offline"));
    // The hung webhook got the request and holds it; the alert still came at once.
    assert_eq!(next_hook(&mut hooks).await["rule"], "node_offline");

    assert!(sim.handle.set_node_online(&node, true));
    let (_, raised) = next_alert(&mut events, Rule::NodeOffline, Duration::from_secs(5)).await;
    assert!(!raised);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "raise and clear took {:?} with a webhook that never answers",
        started.elapsed()
    );
    engine.shutdown().await;
    sim.finish().await;
}

/// Container shells whose health probes (`wget`, `nc`) exit 0 while `healthy`, else 1; each
/// probe takes a moment, as a console round trip does, and the consoles open are counted.
#[derive(Clone)]
struct ProbeShells {
    healthy: Arc<AtomicBool>,
    count: Arc<ConsoleCount>,
}

impl ProbeShells {
    fn new() -> ProbeShells {
        ProbeShells {
            healthy: Arc::new(AtomicBool::new(true)),
            count: Arc::default(),
        }
    }
}

/// Consoles open at once, the most seen, and probes finished.
#[derive(Default)]
struct ConsoleCount {
    open: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
    probes: std::sync::atomic::AtomicUsize,
}

impl Executor for ProbeShells {
    fn run<'a>(
        &'a self,
        command: &'a str,
        _timeout: Duration,
        _log: LineSink<'a>,
    ) -> BoxFuture<'a, Result<ExecOutput, ExecError>> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            self.count.probes.fetch_add(1, Ordering::SeqCst);
            let probe = command.starts_with("wget") || command.starts_with("nc ");
            let code = if probe && !self.healthy.load(Ordering::SeqCst) {
                1
            } else {
                0
            };
            Ok(ExecOutput {
                code,
                output: String::new(),
            })
        })
    }
    fn write_file<'a>(
        &'a self,
        _path: &'a str,
        _contents: &'a [u8],
        _mode: u32,
    ) -> BoxFuture<'a, Result<(), ExecError>> {
        Box::pin(async { Ok(()) })
    }
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.count.open.fetch_sub(1, Ordering::SeqCst);
        })
    }
}

impl ExecutorFactory for ProbeShells {
    fn open<'a>(
        &'a self,
        _client: &'a PveClient,
        _node: &'a str,
        _vmid: u32,
    ) -> BoxFuture<'a, Result<Box<dyn Executor>, ExecError>> {
        Box::pin(async move {
            let now = self.count.open.fetch_add(1, Ordering::SeqCst) + 1;
            self.count.most.fetch_max(now, Ordering::SeqCst);
            Ok(Box::new(self.clone()) as Box<dyn Executor>)
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_health_check_raises_and_shows_per_app() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let engine = engine_with_store(&store);
    let shells = ProbeShells::new();
    let healthy = shells.healthy.clone();
    engine.set_executors(Arc::new(shells));
    let mut events = engine.subscribe();
    engine.connect(&sim.spec).unwrap();
    let list = next_inventory(&mut events, "lab").await;
    let (node, guest) = running_container(&list);
    store
        .apps()
        .put(
            "kuma",
            &AppRecord {
                name: "kuma".into(),
                app: "uptime-kuma".into(),
                version: None,
                host: "lab".into(),
                node: node.clone(),
                vmid: guest.vmid,
                url: None,
                port: None,
                deployed_ms: None,
                origin: AppOrigin::Adopted,
                missing: false,
            },
        )
        .unwrap();
    engine.start_alerts(options(
        "[defaults]\noff = [\"backup_missing\", \"backup_failed\"]\n",
    ));
    // Healthy first: the result shows, no alert.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(EngineEvent::AppHealth(h))) => {
                assert!(h.healthy, "{h:?}");
                assert_eq!((h.app.as_str(), h.vmid), ("kuma", guest.vmid));
                break;
            }
            Ok(Ok(EngineEvent::Alert { alert, .. })) => panic!("unexpected {alert:?}"),
            Ok(_) => {}
            Err(_) => panic!("no health check in time"),
        }
    }
    healthy.store(false, Ordering::SeqCst);
    let (alert, raised) = next_alert(&mut events, Rule::Health, Duration::from_secs(10)).await;
    assert!(raised);
    assert_eq!(alert.name, "kuma");
    assert!(
        alert
            .message
            .starts_with("health check failing: no answer on port"),
        "{}",
        alert.message
    );
    healthy.store(true, Ordering::SeqCst);
    let (_, raised) = next_alert(&mut events, Rule::Health, Duration::from_secs(10)).await;
    assert!(!raised);
    engine.shutdown().await;
    sim.finish().await;
}

/// Each health probe opens the app's console; a cluster with many managed apps must not have
/// them all open at once (hundreds of websockets and shells every minute at 10,000 guests).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_of_many_apps_open_a_few_consoles_at_a_time() {
    let sim = crate::support::start_sim_with(5, |c| c.guests = 40).await;
    let store = Store::in_memory().unwrap();
    let engine = engine_with_store(&store);
    let shells = ProbeShells::new();
    let count = shells.count.clone();
    engine.set_executors(Arc::new(shells));
    let mut events = engine.subscribe();
    engine.connect(&sim.spec).unwrap();
    let list = next_inventory(&mut events, "lab").await;
    let running: Vec<_> = guests(&list)
        .into_iter()
        .filter(|(_, g)| g.kind == GuestKind::Container && g.running)
        .collect();
    assert!(
        running.len() >= 10,
        "only {} running containers",
        running.len()
    );
    for (i, (node, guest)) in running.iter().enumerate() {
        let name = format!("app{i}");
        let record = AppRecord {
            name: name.clone(),
            app: "uptime-kuma".into(),
            version: None,
            host: "lab".into(),
            node: node.clone(),
            vmid: guest.vmid,
            url: None,
            port: None,
            deployed_ms: None,
            origin: AppOrigin::Adopted,
            missing: false,
        };
        store.apps().put(&name, &record).unwrap();
    }
    engine.start_alerts(options(
        "[defaults]\noff = [\"backup_missing\", \"backup_failed\"]\n",
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    while count.probes.load(Ordering::SeqCst) < running.len() {
        assert!(
            Instant::now() < deadline,
            "only {} of {} apps were checked",
            count.probes.load(Ordering::SeqCst),
            running.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let most = count.most.load(Ordering::SeqCst);
    assert!(
        most <= 4,
        "{most} consoles were open at once for {} apps",
        running.len()
    );
    engine.shutdown().await;
    sim.finish().await;
}

/// Write `text` as `dir/alerts.toml` the way an editor's save lands (a rename), so a tick
/// never reads half a file.
fn write_alerts(dir: &std::path::Path, text: &str) {
    let tmp = dir.join(".alerts.toml.new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join("alerts.toml")).unwrap();
}

/// The next event `pick` accepts; panics after `within`.
async fn next_event<T>(
    events: &mut broadcast::Receiver<EngineEvent>,
    within: Duration,
    mut pick: impl FnMut(EngineEvent) -> Option<T>,
) -> Option<T> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(ev)) => {
                if let Some(t) = pick(ev) {
                    return Some(t);
                }
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("events closed: {e}"),
            Err(_) => return None,
        }
    }
}

fn error_notice(ev: EngineEvent) -> Option<String> {
    match ev {
        EngineEvent::Notice { text, error: true } => Some(text),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_alerts_file_applies_without_restart_and_a_bad_edit_keeps_the_rules() {
    let sim = start_sim(5).await;
    let store = Store::in_memory().unwrap();
    let engine = engine_with_store(&store);
    let dir = tempfile::tempdir().unwrap();
    let quiet = "off = [\"backup_missing\", \"backup_failed\", \"health\"]\n";
    write_alerts(
        dir.path(),
        &format!(
            "[defaults]\ncpu_percent = 99\ncpu_for = \"0s\"\n{quiet}\n[app.gitea]\nmemory_percent = 97\n"
        ),
    );
    let mut events = engine.subscribe();
    engine.start_alerts(AlertOptions {
        config: AlertConfig::load(dir.path()).unwrap(),
        config_dir: Some(dir.path().to_path_buf()),
        reload_every: Duration::from_millis(50),
        ..options("")
    });
    engine.connect(&sim.spec).unwrap();
    let list = next_inventory(&mut events, "lab").await;
    let vmid = running_container(&list).1.vmid;
    assert!(sim.handle.spike(vmid, Some((0.97, 0.3))));
    // 97% is under 99%: a few refreshes and no alert.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(engine.alerts().is_empty(), "{:?}", engine.alerts());

    // The user lowers the threshold in an editor: the running monitor takes it.
    write_alerts(
        dir.path(),
        &format!(
            "[defaults]\ncpu_percent = 50\ncpu_for = \"0s\"\n{quiet}\n[app.gitea]\nmemory_percent = 97\n"
        ),
    );
    let (alert, raised) = next_alert(&mut events, Rule::Cpu, Duration::from_secs(10)).await;
    assert!(raised);
    assert_eq!(alert.target.vmid, Some(vmid));
    assert_eq!(engine.alert_config().defaults.cpu_percent, Some(50.0));

    // A broken edit: one error notice naming the file, line and reason; the rules stay.
    let mut events = engine.subscribe();
    write_alerts(
        dir.path(),
        "[defaults]\ncpu_percent = 50\ncpu_for = \"5 minutes\"\n",
    );
    let notice = next_event(&mut events, Duration::from_secs(5), error_notice)
        .await
        .expect("an error notice for the bad file");
    assert!(notice.contains("alerts.toml:3"), "{notice}");
    assert!(notice.contains("defaults.cpu_for"), "{notice}");
    assert!(notice.contains("is not a duration"), "{notice}");
    assert!(notice.contains("previous rules stay"), "{notice}");
    let config = engine.alert_config();
    assert_eq!(config.defaults.cpu_percent, Some(50.0));
    assert_eq!(config.defaults.cpu_for.as_deref(), Some("0s"));
    assert_eq!(config.apps["gitea"].memory_percent, Some(97.0));
    assert!(engine.alerts().iter().any(|a| a.rule == Rule::Cpu));
    // Said once per version of the file, not on every tick.
    assert_eq!(
        next_event(&mut events, Duration::from_millis(500), error_notice).await,
        None
    );

    // The settings screen's save: one layer written, the rest of the (fixed) file kept, the
    // rules in use at once.
    write_alerts(
        dir.path(),
        &format!(
            "[defaults]\ncpu_percent = 50\ncpu_for = \"0s\"\n{quiet}\n[app.gitea]\nmemory_percent = 97\n"
        ),
    );
    next_event(&mut events, Duration::from_secs(5), |ev| {
        matches!(ev, EngineEvent::AlertConfig(_)).then_some(())
    })
    .await
    .expect("the fixed file is reloaded");
    let mut lab = proximity::alerts::RawThresholds::default();
    lab.set_field_text("cpu_percent", "99").unwrap();
    let saved = engine
        .save_alert_layer(&proximity::alerts::AlertScope::Host("lab".into()), &lab)
        .unwrap();
    assert_eq!(saved.hosts["lab"].cpu_percent, Some(99.0));
    let on_disk = AlertConfig::load(dir.path()).unwrap();
    assert_eq!(on_disk.apps["gitea"].memory_percent, Some(97.0));
    assert_eq!(on_disk.defaults.cpu_percent, Some(50.0));
    assert_eq!(on_disk.hosts["lab"].cpu_percent, Some(99.0));
    // 97% is under lab's 99% now: the alert clears.
    let (_, raised) = next_alert(&mut events, Rule::Cpu, Duration::from_secs(10)).await;
    assert!(!raised);
    engine.shutdown().await;
    sim.finish().await;
}
