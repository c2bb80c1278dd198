//! The shared state of one running emulator: config, model (behind one short-held mutex),
//! auth keys, the console hub, running-task cancel handles and recorded schema violations.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::SimConfig;
use super::auth::Auth;
use super::clock::SplitMix;
use super::console::ConsoleHub;
use super::deploy_sim::{DeployStep, ShellStateStore};
use super::http::ParamMap;
use super::model::Model;

pub struct Sim {
    pub config: SimConfig,
    model: Mutex<Model>,
    pub auth: Auth,
    pub hub: ConsoleHub,
    violations: Mutex<Vec<String>>,
    /// Wakes the state saver after a change.
    pub dirty: Notify,
    cancels: Mutex<HashMap<String, CancellationToken>>,
    fault_rng: Mutex<SplitMix>,
    /// Per-container shell state files (deployments inside containers).
    pub shell_state: ShellStateStore,
    /// Connections accepted so far (tests check that a client reuses its connections).
    pub connections_accepted: std::sync::atomic::AtomicUsize,
    /// The backup scheduler's clock (`--time-scale`).
    pub sched_clock: super::clock::ScaledClock,
}

/// Lock a mutex, recovering from poisoning (a panicked holder leaves plain data behind).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sim {
    pub fn new(
        config: SimConfig,
        model: Model,
        auth: Auth,
        hub: ConsoleHub,
        shell_state: ShellStateStore,
    ) -> Self {
        let fault_seed = config.seed ^ 0xFA17;
        let sched_clock = super::clock::ScaledClock::new(config.time_scale);
        Sim {
            sched_clock,
            config,
            model: Mutex::new(model),
            auth,
            hub,
            violations: Mutex::new(Vec::new()),
            dirty: Notify::new(),
            cancels: Mutex::new(HashMap::new()),
            fault_rng: Mutex::new(SplitMix::new(fault_seed)),
            shell_state,
            connections_accepted: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Read or change the model; never hold it across an await.
    pub fn with<R>(&self, f: impl FnOnce(&mut Model) -> R) -> R {
        f(&mut lock(&self.model))
    }

    /// Run `f` and, if it succeeded, schedule a state save.
    pub fn change<R, E>(&self, f: impl FnOnce(&mut Model) -> Result<R, E>) -> Result<R, E> {
        let r = self.with(f);
        if r.is_ok() {
            self.dirty.notify_one();
        }
        r
    }

    pub fn snapshot(&self) -> Model {
        lock(&self.model).clone()
    }

    pub fn record_violation(&self, v: String) {
        lock(&self.violations).push(v);
    }

    pub fn violations(&self) -> Vec<String> {
        lock(&self.violations).clone()
    }

    pub fn register_cancel(&self, upid: &str, token: CancellationToken) {
        lock(&self.cancels).insert(upid.to_string(), token);
    }

    pub fn take_cancel(&self, upid: &str) -> Option<CancellationToken> {
        lock(&self.cancels).remove(upid)
    }

    pub fn cancel(&self, upid: &str) -> bool {
        match lock(&self.cancels).get(upid) {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }

    /// Fault injection draw: true when this worker task should fail.
    pub fn inject_task_fault(&self) -> bool {
        self.config.fail_task_rate > 0.0
            && lock(&self.fault_rng).unit() < self.config.fail_task_rate
    }

    /// Whether `--fail-step` breaks `step`.
    pub fn fails(&self, step: DeployStep) -> bool {
        self.config.fail_step == Some(step)
    }

    /// Fault injection draw: true when this request should fail.
    pub fn inject_fault(&self) -> bool {
        self.config.fail_rate > 0.0 && lock(&self.fault_rng).unit() < self.config.fail_rate
    }
}

/// What a route handler sees of its request.
pub struct Ctx<'a> {
    pub sim: &'a std::sync::Arc<Sim>,
    pub authid: &'a str,
    pub params: &'a ParamMap,
}
