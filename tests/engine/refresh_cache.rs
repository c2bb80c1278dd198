//! A refresh whose answer did not change is not decoded again (the same `Arc` comes back, so
//! subscribers can skip their rebuild), and the offline cache is a file written at exit and
//! read back at the next start. The server is a few lines of HTTP on 127.0.0.1 that answers
//! `/cluster/resources` with a body the test chooses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proximity::engine::{Caller, ConnAuth, ConnSpec, Engine, EngineConfig, EngineEvent};
use proximity::paths::Paths;
use proximity::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn body(guests: u32) -> String {
    let mut items = vec![
        r#"{"id":"node/pve1","type":"node","node":"pve1","status":"online","maxcpu":4}"#
            .to_string(),
    ];
    for vmid in 100..100 + guests {
        items.push(format!(
            r#"{{"id":"lxc/{vmid}","type":"lxc","vmid":{vmid},"node":"pve1","name":"ct{vmid}","status":"running"}}"#
        ));
    }
    format!(r#"{{"data":[{}]}}"#, items.join(","))
}

/// Serve `answer` to every request on 127.0.0.1; returns the URL.
async fn serve(answer: Arc<Mutex<String>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let body = answer.lock().unwrap().clone();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(body.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    url
}

fn spec(url: &str) -> ConnSpec {
    ConnSpec {
        name: "lab".into(),
        url: url.to_string(),
        auth: ConnAuth::Token {
            id: "root@pam!t".into(),
            secret: "s".into(),
        },
        fingerprint: None,
        insecure: false,
    }
}

fn engine_on(store: Store) -> Engine {
    Engine::new(EngineConfig {
        store: Some(store),
        state_dir: None,
        caller: Caller::Api,
        refresh: None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_answer_is_the_same_list_and_the_cache_is_written_at_exit() {
    let answer = Arc::new(Mutex::new(body(3)));
    let url = serve(answer.clone()).await;
    let home = tempfile::tempdir().unwrap();
    let paths = Paths {
        config_dir: home.path().join("config"),
        data_dir: home.path().join("data"),
        state_dir: home.path().join("state"),
    };
    let store = Store::open(&paths).unwrap();
    let engine = engine_on(store.clone());
    engine.connect(&spec(&url)).unwrap();

    let guests =
        |nodes: &proximity::inventory::Nodes| nodes.iter().map(|n| n.guests.len()).sum::<usize>();
    let first = engine.fetch_nodes("lab").await.unwrap();
    assert_eq!(guests(&first), 3);
    let again = engine.fetch_nodes("lab").await.unwrap();
    assert!(first.same(&again), "an identical answer was decoded again");
    *answer.lock().unwrap() = body(5);
    let changed = engine.fetch_nodes("lab").await.unwrap();
    assert!(!first.same(&changed));
    assert_eq!(guests(&changed), 5);
    assert!(engine.latest("lab").unwrap().same(&changed));

    // No refresher ran (refresh: None): only the exit writes the cache.
    let file = Store::cache_dir(&paths).join("lab.json");
    assert!(!file.exists());
    engine.shutdown().await;
    assert!(file.exists());

    // The next start draws it at once.
    let next = engine_on(store);
    next.connect(&spec(&url)).unwrap();
    let mut events = next.subscribe();
    next.publish_cached();
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    match event {
        EngineEvent::Cached { host, nodes, .. } => {
            assert_eq!(host, "lab");
            assert_eq!(nodes, changed, "the cache draws the same rack");
        }
        other => panic!("expected the cached inventory, got {other:?}"),
    }
}

/// With a refresher: a changed answer is cached at once the first time, then not again
/// within a minute however often it changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresher_writes_the_cache_at_most_once_a_minute() {
    let answer = Arc::new(Mutex::new(body(2)));
    let url = serve(answer.clone()).await;
    let home = tempfile::tempdir().unwrap();
    let paths = Paths {
        config_dir: home.path().join("config"),
        data_dir: home.path().join("data"),
        state_dir: home.path().join("state"),
    };
    let store = Store::open(&paths).unwrap();
    let engine = Engine::new(EngineConfig {
        store: Some(store.clone()),
        state_dir: None,
        caller: Caller::Api,
        refresh: Some(Duration::from_millis(50)),
    });
    let mut events = engine.subscribe();
    engine.connect(&spec(&url)).unwrap();
    let file = Store::cache_dir(&paths).join("lab.json");
    let mut refreshes = 0;
    let mut n = 2;
    while refreshes < 10 {
        if let EngineEvent::Inventory { result, .. } =
            tokio::time::timeout(Duration::from_secs(5), events.recv())
                .await
                .unwrap()
                .unwrap()
        {
            result.unwrap();
            refreshes += 1;
            n += 1;
            *answer.lock().unwrap() = body(n);
        }
    }
    let written = store.cache().get("lab").unwrap().unwrap();
    let list = proximity::pve::parse_resources(&written.resources_json).unwrap();
    assert_eq!(
        list.len(),
        3,
        "the first answer (2 guests + node), not a later one"
    );
    assert!(file.exists());
    engine.shutdown().await;
    let written = store.cache().get("lab").unwrap().unwrap();
    let list = proximity::pve::parse_resources(&written.resources_json).unwrap();
    assert!(list.len() > 3, "the exit writes the latest answer");
}
