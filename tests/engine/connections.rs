//! A big cluster's first refresh finds hundreds of managed apps and reads each one's config
//! for its ports. Those reads go a few at a time over the client's pooled connections: one
//! request each at the same moment opened a connection each (800 at 10,000 guests, each
//! holding TLS state and buffers in the pool for 90 s: most of the rack's memory).

use std::time::Duration;

use proximity::engine::EngineEvent;
use proximity::sim::{self, SimConfig};

use super::support::{TestSim, engine, next_inventory};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_port_lookups_reuse_a_few_connections() {
    let handle = sim::start(SimConfig {
        nodes: 4,
        guests: 1500,
        seed: 11,
        auth_failure_delay_ms: 0,
        check_returns: true,
        ..SimConfig::default()
    })
    .await
    .expect("sim starts");
    let (id, secret) = proximity::engine::connection::parse_token(&handle.info.token).unwrap();
    let spec = proximity::engine::ConnSpec {
        name: "lab".into(),
        url: handle.info.url.clone(),
        auth: proximity::engine::ConnAuth::Token { id, secret },
        fingerprint: handle.info.fingerprint.clone(),
        insecure: false,
    };
    let sim = TestSim { handle, spec };
    let engine = engine(Some(Duration::from_secs(3600)));
    let mut events = engine.subscribe();
    engine.connect(&sim.spec).unwrap();
    let list = next_inventory(&mut events, "lab").await;
    let apps = list
        .iter()
        .flat_map(|n| n.guests.iter())
        .filter(|g| g.kind == proximity::inventory::GuestKind::Container && g.app.is_some())
        .count();
    assert!(apps >= 50, "the seed should manage many apps, found {apps}");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut ports_seen = 0;
    while ports_seen < apps {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(EngineEvent::AppPorts { .. })) => ports_seen += 1,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("events: {e}"),
            // A lookup that failed (a loaded machine) publishes nothing: what counts here is
            // how many connections the lookups took, checked below.
            Err(_) => break,
        }
    }
    assert!(
        ports_seen * 2 >= apps,
        "only {ports_seen} of {apps} apps had their ports read in time"
    );
    let connections = sim.handle.connections_accepted();
    assert!(
        connections <= 8,
        "{apps} port lookups opened {connections} connections"
    );
    engine.shutdown().await;
    sim.finish().await;
}
