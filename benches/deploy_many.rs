//! 50 concurrent deployments on the emulator with fast timings (budget: all succeed, UI
//! frame p99 <= 16 ms, peak RSS <= 100 MB while they run).
//!
//! This process is what a user runs: the engine (jobs, journal in an on-disk store, one
//! termproxy console per deployment) and the UI (every event applied, one 160x45 frame drawn
//! per 16 ms tick into a buffer). The emulator is its own process (`proximity sim`), as a
//! real Proxmox would be. The peer is the same UI with nothing running, measured first in the
//! same run: the ratio says what 50 deployments cost the UI.
//!
//! Run: `cargo bench --bench deploy_many` (`DEPLOYS=N` changes the count).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use proximity::catalog::{
    AppSpec, HealthCheck, OsFamily, PortMap, Protocol, Resources, Service, WebEndpoint,
};
use proximity::deploy::{DeployRequest, DeployTuning};
use proximity::engine::{Caller, ConnAuth, ConnSpec, Engine, EngineConfig, JobId, JobState};
use proximity::ui::render::draw;
use proximity::ui::{App, AppEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const FRAME: Duration = Duration::from_millis(16);

fn app_spec() -> AppSpec {
    AppSpec {
        id: "whoami".into(),
        name: "whoami".into(),
        category: "Tools".into(),
        description: "A tiny web server.".into(),
        version: "v1.10".into(),
        tags: vec![],
        docs: "https://github.com/traefik/whoami".into(),
        icon: "?".into(),
        os: OsFamily::Alpine,
        resources: Resources {
            cores: 1,
            memory_mb: 128,
            disk_gb: 1,
        },
        web: Some(WebEndpoint {
            port: 8080,
            path: "/".into(),
            scheme: "http".into(),
        }),
        health: HealthCheck::Http {
            port: 8080,
            path: "/".into(),
        },
        env: vec![],
        services: vec![Service {
            name: "web".into(),
            image: "traefik/whoami:v1.10".into(),
            ports: vec![PortMap {
                host: 8080,
                container: 80,
                protocol: Protocol::Tcp,
            }],
            volumes: vec![],
            environment: Default::default(),
            command: None,
            depends_on: vec![],
        }],
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Apply every pending event, draw one frame; how long it took.
fn frame(
    app: &mut App,
    inbox: &mut tokio::sync::mpsc::Receiver<AppEvent>,
    buf: &mut Buffer,
) -> Duration {
    let start = Instant::now();
    while let Ok(ev) = inbox.try_recv() {
        let _ = app.handle(ev);
    }
    let _ = app.handle(AppEvent::Tick(SystemTime::now()));
    buf.reset();
    draw(app, buf.area, buf);
    start.elapsed()
}

/// The emulator process, killed however the bench ends (a failed assert included).
struct SimChild(std::process::Child);

impl Drop for SimChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let deploys: usize = std::env::var("DEPLOYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let mut sim = Command::new(env!("CARGO_BIN_EXE_proximity"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--nodes",
            "5",
            "--guests",
            "40",
            "--auth-failure-delay-ms",
            "0",
            "--deploy-timing",
            "fast",
        ])
        .env("PROXIMITY_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn proximity sim");
    let mut line = String::new();
    let stdout = sim.stdout.take().expect("stdout");
    let _sim = SimChild(sim);
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the sim's line");
    let info: serde_json::Value = serde_json::from_str(&line).expect("the sim's JSON line");
    let field = |k: &str| info[k].as_str().unwrap_or_default().to_string();
    let (id, secret) =
        proximity::engine::connection::parse_token(&field("token")).expect("a token");
    let spec = ConnSpec {
        name: "lab".into(),
        url: field("url"),
        auth: ConnAuth::Token { id, secret },
        fingerprint: info["fingerprint"].as_str().map(String::from),
        insecure: false,
    };
    let home = tempfile::tempdir().expect("a temp dir");
    let paths = proximity::paths::Paths {
        config_dir: home.path().join("config"),
        data_dir: home.path().join("data"),
        state_dir: home.path().join("state"),
    };
    let store = proximity::store::Store::open(&paths).expect("a store");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let engine = Engine::new(EngineConfig {
            store: Some(store),
            state_dir: None,
            caller: Caller::Tui,
            refresh: Some(Duration::from_secs(5)),
        });
        engine.set_deploy_tuning(DeployTuning::fast());
        engine.connect(&spec).expect("connect");
        let (tx, mut inbox) = tokio::sync::mpsc::channel(4096);
        tokio::spawn(proximity::ui::engine_link::forward_events(
            engine.clone(),
            engine.subscribe(),
            tx,
        ));
        engine.refresh_all();
        let mut app = App::with_defaults(SystemTime::now());
        let _ = app.handle(AppEvent::Resize(160, 45));
        let mut buf = Buffer::empty(Rect::new(0, 0, 160, 45));
        let mut ticker = tokio::time::interval(FRAME);

        // The peer: the same UI, idle, for 3 s.
        let mut idle = Vec::new();
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            ticker.tick().await;
            idle.push(frame(&mut app, &mut inbox, &mut buf));
        }

        let started = Instant::now();
        let app_spec = Arc::new(app_spec());
        let ids: Vec<JobId> = (0..deploys)
            .map(|i| {
                let mut req = DeployRequest::new((*app_spec).clone());
                req.name = Some(format!("bench-{i}"));
                engine.deploy(req).expect("deploy accepted")
            })
            .collect();
        let mut busy = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(600);
        while ids.iter().any(|id| engine.job(*id).is_some_and(|j| !j.state.is_finished())) {
            assert!(Instant::now() < deadline, "deployments still running after 600 s");
            ticker.tick().await;
            busy.push(frame(&mut app, &mut inbox, &mut buf));
        }
        let wall = started.elapsed();
        let mut ok = 0;
        for id in &ids {
            match engine.job(*id).map(|j| j.state) {
                Some(JobState::Succeeded) => ok += 1,
                other => eprintln!("{id}: {other:?}"),
            }
        }
        idle.sort();
        busy.sort();
        let ratio = |p: f64| {
            percentile(&busy, p).as_secs_f64() / percentile(&idle, p).as_secs_f64().max(1e-9)
        };
        println!("deploy_many: {ok}/{deploys} succeeded in {:.1} s", wall.as_secs_f64());
        println!(
            "  UI frame idle (peer): p50 {:?} p99 {:?} ({} frames)",
            percentile(&idle, 0.5),
            percentile(&idle, 0.99),
            idle.len()
        );
        println!(
            "  UI frame during:      p50 {:?} p99 {:?} max {:?} ({} frames); ratio p50 {:.2}x p99 {:.2}x",
            percentile(&busy, 0.5),
            percentile(&busy, 0.99),
            busy.last().copied().unwrap_or_default(),
            busy.len(),
            ratio(0.5),
            ratio(0.99)
        );
        println!("  peak RSS (engine + UI): {} MiB", peak_rss_kib() / 1024);
        engine.shutdown().await;
        assert_eq!(ok, deploys, "every deployment succeeds");
    });
}
