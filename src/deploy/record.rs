//! What the deploy journal and the apps tree hold. A deployment's record is written before
//! and after each step, flushed, so a process killed at any moment leaves a record saying
//! which step was under way and which container (vmid) it may have made.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::Resources;

/// The steps of a deployment, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeployStep {
    Validate,
    Place,
    Template,
    Allocate,
    Create,
    Start,
    Address,
    Docker,
    Compose,
    Pull,
    Up,
    Health,
    Done,
}

impl DeployStep {
    pub const ALL: [DeployStep; 13] = [
        DeployStep::Validate,
        DeployStep::Place,
        DeployStep::Template,
        DeployStep::Allocate,
        DeployStep::Create,
        DeployStep::Start,
        DeployStep::Address,
        DeployStep::Docker,
        DeployStep::Compose,
        DeployStep::Pull,
        DeployStep::Up,
        DeployStep::Health,
        DeployStep::Done,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DeployStep::Validate => "validate",
            DeployStep::Place => "place",
            DeployStep::Template => "template",
            DeployStep::Allocate => "allocate",
            DeployStep::Create => "create",
            DeployStep::Start => "start",
            DeployStep::Address => "address",
            DeployStep::Docker => "docker",
            DeployStep::Compose => "compose",
            DeployStep::Pull => "pull",
            DeployStep::Up => "up",
            DeployStep::Health => "health",
            DeployStep::Done => "done",
        }
    }

    /// What the slot and the log say while the step runs.
    pub fn label(self) -> &'static str {
        match self {
            DeployStep::Validate => "checking the request",
            DeployStep::Place => "choosing a node",
            DeployStep::Template => "preparing the template",
            DeployStep::Allocate => "allocating an id",
            DeployStep::Create => "creating the container",
            DeployStep::Start => "starting the container",
            DeployStep::Address => "waiting for an address",
            DeployStep::Docker => "installing Docker",
            DeployStep::Compose => "writing the compose file",
            DeployStep::Pull => "pulling images",
            DeployStep::Up => "starting the app",
            DeployStep::Health => "waiting for the app to answer",
            DeployStep::Done => "done",
        }
    }

    pub fn from_name(name: &str) -> Option<DeployStep> {
        DeployStep::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn next(self) -> DeployStep {
        let i = DeployStep::ALL.iter().position(|s| *s == self).unwrap_or(0);
        DeployStep::ALL
            .get(i + 1)
            .copied()
            .unwrap_or(DeployStep::Done)
    }

    /// The whole deployment's progress when this step starts: weighted by how long steps
    /// usually take (pulling images and installing Docker dominate).
    pub fn fraction(self) -> f32 {
        let weight = |s: DeployStep| -> f32 {
            match s {
                DeployStep::Template => 8.0,
                DeployStep::Create | DeployStep::Start => 5.0,
                DeployStep::Address => 3.0,
                DeployStep::Docker => 20.0,
                DeployStep::Pull => 35.0,
                DeployStep::Up => 8.0,
                DeployStep::Health => 10.0,
                DeployStep::Done => 0.0,
                _ => 2.0,
            }
        };
        let total: f32 = DeployStep::ALL.iter().map(|s| weight(*s)).sum();
        let before: f32 = DeployStep::ALL
            .iter()
            .take_while(|s| **s != self)
            .map(|s| weight(*s))
            .sum();
        before / total
    }
}

/// Where a deployment stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum DeploymentStatus {
    Running,
    Succeeded,
    /// Failed and rolled back (the container is gone).
    RolledBack(String),
    /// Failed and kept as it was (keep-on-failure), for a look inside.
    FailedKept(String),
    /// Failed, and the rollback failed too: the reason says what is left.
    RollbackFailed(String),
    Cancelled,
}

impl DeploymentStatus {
    pub fn is_finished(&self) -> bool {
        !matches!(self, DeploymentStatus::Running)
    }

    pub fn name(&self) -> &'static str {
        match self {
            DeploymentStatus::Running => "running",
            DeploymentStatus::Succeeded => "ok",
            DeploymentStatus::RolledBack(_) => "rolled back",
            DeploymentStatus::FailedKept(_) => "failed (kept)",
            DeploymentStatus::RollbackFailed(_) => "rollback failed",
            DeploymentStatus::Cancelled => "cancelled",
        }
    }
}

/// One deployment in the journal (`store.deployments()`, key = `id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentRecord {
    /// The first job's id: the deployment's name for `--resume` / `--rollback`.
    pub id: u64,
    /// Every job that worked on it (the first, then resumes and rollbacks).
    #[serde(default)]
    pub jobs: Vec<u64>,
    pub app: String,
    pub version: String,
    pub name: String,
    /// Chosen host and node (empty until placed).
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub node: String,
    /// Why this node (shown in the wizard and the log).
    #[serde(default)]
    pub placement_reason: String,
    pub resources: Resources,
    /// The variables the user set that are not secrets. Generated and typed secrets are
    /// never written here: they live only in the container's compose file.
    #[serde(default)]
    pub env_plain: BTreeMap<String, String>,
    pub keep_on_failure: bool,
    pub backups: bool,
    /// `local:vztmpl/...` once known.
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub rootfs_storage: Option<String>,
    /// Set (and journaled) before the container is created, so a crash during create still
    /// knows which id to look at.
    #[serde(default)]
    pub vmid: Option<u32>,
    /// The step under way, or the last one done when `step_done`.
    pub step: DeployStep,
    pub step_done: bool,
    pub status: DeploymentStatus,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    pub started_ms: u64,
    pub updated_ms: u64,
    /// The process working on it (set at every journal write): the TUI and the CLI share
    /// the store, so a deployment another live process runs must not look interrupted.
    #[serde(default)]
    pub owner_pid: Option<u32>,
}

impl DeploymentRecord {
    /// The step a resume starts at: the one under way is run again (every step checks
    /// what is already there first).
    pub fn resume_step(&self) -> DeployStep {
        if self.step_done {
            self.step.next()
        } else {
            self.step
        }
    }
}

/// How an app came to be managed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum AppOrigin {
    Deployed {
        deployment: u64,
    },
    /// Found on the cluster (tagged `proximity`) with no record here: another Proximity
    /// deployed it, or this store was lost.
    Adopted,
}

/// A managed app (`store.apps()`, key = `name`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppRecord {
    pub name: String,
    pub app: String,
    #[serde(default)]
    pub version: Option<String>,
    pub host: String,
    pub node: String,
    pub vmid: u32,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub deployed_ms: Option<u64>,
    pub origin: AppOrigin,
    /// The container vanished from the cluster (seen at a reconcile).
    #[serde(default)]
    pub missing: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_go_in_order_and_progress_grows() {
        let mut step = DeployStep::Validate;
        let mut last = -1.0;
        while step != DeployStep::Done {
            assert!(step.fraction() > last, "{step:?}");
            last = step.fraction();
            assert_eq!(DeployStep::from_name(step.name()), Some(step));
            step = step.next();
        }
        assert!(DeployStep::Done.fraction() < 1.0 + f32::EPSILON);
        assert_eq!(DeployStep::Done.next(), DeployStep::Done);
    }

    #[test]
    fn resume_reruns_the_step_under_way_and_skips_a_finished_one() {
        let mut r = DeploymentRecord {
            id: 1,
            jobs: vec![1],
            app: "a".into(),
            version: "1".into(),
            name: "a".into(),
            host: String::new(),
            node: String::new(),
            placement_reason: String::new(),
            resources: Resources {
                cores: 1,
                memory_mb: 512,
                disk_gb: 4,
            },
            env_plain: BTreeMap::new(),
            keep_on_failure: false,
            backups: true,
            template: None,
            rootfs_storage: None,
            vmid: Some(100),
            step: DeployStep::Create,
            step_done: false,
            status: DeploymentStatus::Running,
            address: None,
            url: None,
            started_ms: 0,
            updated_ms: 0,
            owner_pid: None,
        };
        assert_eq!(r.resume_step(), DeployStep::Create);
        r.step_done = true;
        assert_eq!(r.resume_step(), DeployStep::Start);
    }
}
