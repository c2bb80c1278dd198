//! One store shared by several processes at once, all writing (issue #11): the TUI and CLI
//! commands beside it take turns on the sled database (opened per burst of operations, closed
//! when idle, a held one waited for), so none fails with "in use" and no write is lost.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use proximity::engine::{Caller, Engine, EngineConfig};
use proximity::paths::Paths;
use proximity::store::Store;

const BIN: &str = env!("CARGO_BIN_EXE_proximity");

const FINGERPRINT: &str = "AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB";

fn paths(home: &Path) -> Paths {
    // As `PROXIMITY_HOME` resolves them for the binary.
    Paths {
        config_dir: home.join("config"),
        data_dir: home.join("data"),
        state_dir: home.join("state"),
    }
}

/// `proximity hosts add NAME` as its own process: a password login without a stored
/// password needs no network, so the command only opens the store, checks and writes.
fn cli_add_host(home: &Path, name: &str) {
    let out = Command::new(BIN)
        .args(["hosts", "add", name, "--url", "https://127.0.0.1:8006"])
        .args(["--user", "root@pam", "--fingerprint", FINGERPRINT])
        .env("PROXIMITY_HOME", home)
        .env_remove("PROXIMITY_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hosts add {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn cli_host_names(home: &Path) -> Vec<String> {
    let out = Command::new(BIN)
        .args(["hosts", "ls", "--json"])
        .env("PROXIMITY_HOME", home)
        .env_remove("PROXIMITY_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hosts ls: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

/// Two processes at once, each adding hosts one command after another: every command
/// succeeds, every host of both is there afterwards, and the store opens.
#[test]
fn two_processes_write_one_store_at_once() {
    let home = tempfile::tempdir().unwrap();
    // Created once first, so both writers find the key and the schema in place.
    drop(Store::open(&paths(home.path())).unwrap());
    const PER_WRITER: usize = 8;
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|prefix| {
            let home = home.path().to_path_buf();
            std::thread::spawn(move || {
                for i in 0..PER_WRITER {
                    cli_add_host(&home, &format!("{prefix}{i}"));
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let mut expected: Vec<String> = ["a", "b"]
        .iter()
        .flat_map(|p| (0..PER_WRITER).map(move |i| format!("{p}{i}")))
        .collect();
    expected.sort();
    assert_eq!(cli_host_names(home.path()), expected);
    let store = Store::open(&paths(home.path())).unwrap();
    assert_eq!(store.hosts().names().unwrap(), expected);
}

/// The TUI's side (an engine holding the store, writing settings and the job journal many
/// times a second, as running jobs do) and CLI commands beside it, reading and writing: no
/// command fails with "in use", and every write of both sides is there afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_works_beside_a_running_tui_both_writing() {
    let home = tempfile::tempdir().unwrap();
    let p = paths(home.path());
    let store = Store::open(&p).unwrap();
    let engine = Engine::new(EngineConfig {
        store: Some(store.clone()),
        state_dir: Some(p.state_dir.clone()),
        caller: Caller::Tui,
        refresh: Some(Duration::from_secs(5)),
    });
    let stop = Arc::new(AtomicBool::new(false));
    // The TUI: a journal record and a settings change every 20 ms, so it never goes idle
    // long enough to close the store on its own.
    let tui_side = {
        let (engine, store, stop) = (engine.clone(), store.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut writes = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let n = writes.len();
                let id = store.jobs().next_id().unwrap();
                store.jobs().put(&JournalLine { id, step: n }).unwrap();
                engine.save_theme(&format!("theme-{n}"));
                writes.push(id);
                std::thread::sleep(Duration::from_millis(20));
            }
            writes
        })
    };
    let started = Instant::now();
    let cli_side = {
        let home = home.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut added = Vec::new();
            for i in 0..5 {
                let name = format!("cli{i}");
                cli_add_host(&home, &name);
                added.push(name);
                assert_eq!(cli_host_names(&home), added);
            }
            added
        })
    };
    let added = cli_side.await.unwrap();
    let cli_took = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let ids = tui_side.join().unwrap();
    assert!(
        ids.len() > 10,
        "the TUI side wrote only {} times",
        ids.len()
    );
    // Every journal record of the TUI side is there, and the last setting it saved.
    for (n, id) in ids.iter().enumerate() {
        let line: JournalLine = store.jobs().get(*id).unwrap().unwrap();
        assert_eq!(line.step, n);
    }
    assert_eq!(
        store.settings().get().unwrap().theme,
        Some(format!("theme-{}", ids.len() - 1))
    );
    assert_eq!(store.hosts().names().unwrap(), added);
    engine.shutdown().await;
    // Ten CLI commands took turns with a busy TUI without waiting seconds each.
    assert!(cli_took < Duration::from_secs(30), "took {cli_took:?}");
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct JournalLine {
    id: u64,
    step: usize,
}

impl proximity::store::HasJobId for JournalLine {
    fn job_id(&self) -> u64 {
        self.id
    }
}
