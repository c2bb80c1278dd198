//! The emulator in-process and an engine connected to it as host `lab`.

use std::time::Duration;

use proximity::engine::{Caller, ConnAuth, ConnSpec, Engine, EngineConfig, EngineEvent, GuestRef};
use proximity::inventory::{Guest, GuestKind, Nodes};
use proximity::pve::types::ClusterResource;
use proximity::sim::{self, SimConfig, SimHandle};
use tokio::sync::broadcast;

pub struct TestSim {
    pub handle: SimHandle,
    pub spec: ConnSpec,
}

/// Every engine test ends with no schema violation recorded by the emulator.
impl Drop for TestSim {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let violations = self.handle.schema_violations();
        assert!(
            violations.is_empty(),
            "schema violations:\n{}",
            violations.join("\n")
        );
    }
}

impl TestSim {
    /// End of a test: the emulator stops (its state saved), then the Drop check runs.
    pub async fn finish(mut self) {
        self.handle.stop().await;
    }
}

/// An emulator over TLS (its fingerprint pinned) whose task steps take `task_step_ms`.
pub async fn start_sim(task_step_ms: u64) -> TestSim {
    start_sim_with(task_step_ms, |_| {}).await
}

/// `start_sim` with more of the emulator's config changed by `tweak`.
pub async fn start_sim_with(task_step_ms: u64, tweak: impl FnOnce(&mut SimConfig)) -> TestSim {
    let mut config = SimConfig {
        nodes: 2,
        guests: 12,
        seed: 3,
        auth_failure_delay_ms: 0,
        task_step_ms,
        check_returns: true,
        shell_exe: Some(env!("CARGO_BIN_EXE_proximity").into()),
        ..SimConfig::default()
    };
    tweak(&mut config);
    let handle = sim::start(config).await.expect("sim starts");
    let (id, secret) = proximity::engine::connection::parse_token(&handle.info.token).unwrap();
    let spec = ConnSpec {
        name: "lab".into(),
        url: handle.info.url.clone(),
        auth: ConnAuth::Token { id, secret },
        fingerprint: handle.info.fingerprint.clone(),
        insecure: false,
    };
    TestSim { handle, spec }
}

pub fn engine(refresh: Option<Duration>) -> Engine {
    Engine::new(EngineConfig {
        store: None,
        state_dir: None,
        caller: Caller::Api,
        refresh,
    })
}

pub async fn next_inventory(events: &mut broadcast::Receiver<EngineEvent>, host: &str) -> Nodes {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ev = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("an inventory in time")
            .expect("events open");
        if let EngineEvent::Inventory {
            host: h, result, ..
        } = ev
            && h == host
        {
            return result.expect("the refresh succeeds");
        }
    }
}

/// Every guest of an inventory with its node's name.
pub fn guests(nodes: &Nodes) -> Vec<(String, Guest)> {
    nodes
        .iter()
        .flat_map(|n| n.guests.iter().map(|g| (n.name.clone(), g.clone())))
        .collect()
}

/// The first running container of an inventory, with its node's name.
pub fn running_container(nodes: &Nodes) -> (String, Guest) {
    guests(nodes)
        .into_iter()
        .find(|(_, g)| g.kind == GuestKind::Container && g.running)
        .expect("a running container")
}

pub fn guest_with(list: &[ClusterResource], kind: &str, status: &str) -> GuestRef {
    let r = list
        .iter()
        .find(|r| r.kind == kind && r.status.as_deref() == Some(status))
        .unwrap_or_else(|| panic!("no {status} {kind} in the emulator"));
    GuestRef {
        host: "lab".into(),
        node: r.node.as_deref().unwrap().to_string(),
        vmid: r.vmid.unwrap(),
        kind: if kind == "qemu" {
            GuestKind::Vm
        } else {
            GuestKind::Container
        },
    }
}
