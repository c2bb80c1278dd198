//! What a simulated container remembers between console sessions: installed packages, the
//! Docker daemon, pulled images, compose stacks, and the files written under `/opt` and `/etc`.
//!
//! Each console session is a new `__sim-shell` process, so this lives in a per-container JSON
//! file the emulator owns (`--state-file`): loaded when the shell starts, written atomically
//! (temp file + rename, mode 0600) whenever it changed. A missing or corrupt file is a fresh
//! container, never an error. The emulator deletes the file when the container is destroyed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The deployment step the emulator is told to break (`proximity sim --fail-step`). The
/// shell sees only its own steps; the API steps (`template`, `create`, `start`) fail tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailStep {
    #[default]
    None,
    /// Installing a Docker package fails (network error).
    Docker,
    /// Pulling an image fails (`manifest unknown`).
    Pull,
    /// A service exits right after `up`.
    Up,
    /// The app never answers its health check.
    Health,
}

impl FailStep {
    pub fn parse(s: &str) -> FailStep {
        match s {
            "docker" => FailStep::Docker,
            "pull" => FailStep::Pull,
            "up" => FailStep::Up,
            "health" => FailStep::Health,
            _ => FailStep::None,
        }
    }
}

/// How long simulated work takes (`--deploy-timing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timing {
    /// Every step well under a second (tests).
    #[default]
    Fast,
    /// Seconds per step, like a real container on a home connection (the demo).
    Realistic,
}

impl Timing {
    pub fn parse(s: &str) -> Timing {
        if s == "realistic" {
            Timing::Realistic
        } else {
            Timing::Fast
        }
    }

    /// Pause between two redraws of a progress display.
    pub fn frame_s(self) -> f64 {
        match self {
            Timing::Fast => 0.004,
            Timing::Realistic => 0.25,
        }
    }

    /// Time between two lines of `docker compose logs --follow`.
    pub fn follow_every_s(self) -> f64 {
        match self {
            Timing::Fast => 0.05,
            Timing::Realistic => 3.0,
        }
    }

    /// Pause for one unit of plain work (a package, a container start).
    pub fn unit_s(self) -> f64 {
        match self {
            Timing::Fast => 0.005,
            Timing::Realistic => 0.6,
        }
    }

    /// Time from `up` until an app answers on its port; `realistic_ms` is the app's own.
    pub fn warmup_ms(self, realistic_ms: i64) -> i64 {
        match self {
            Timing::Fast => 250,
            Timing::Realistic => realistic_ms,
        }
    }
}

/// One compose service as the simulated daemon runs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceState {
    pub name: String,
    pub image: String,
    /// (host port, container port, protocol).
    #[serde(default)]
    pub ports: Vec<(u16, u16, String)>,
    /// `running`, `exited` or `created`.
    pub state: String,
    #[serde(default)]
    pub exit_code: i32,
    /// When the container was created and last started (ms since the epoch).
    #[serde(default)]
    pub created_ms: i64,
    #[serde(default)]
    pub started_ms: i64,
    /// Milliseconds after start until the app answers.
    #[serde(default)]
    pub warmup_ms: i64,
    /// The app never answers (`--fail-step health`).
    #[serde(default)]
    pub never_ready: bool,
    /// 12 hex digits, like `docker ps`.
    #[serde(default)]
    pub id: String,
}

/// One compose project (`docker compose -p`, by default the compose file's directory name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackState {
    pub project: String,
    /// Absolute path of the compose file it was started from.
    pub file: String,
    pub services: Vec<ServiceState>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtState {
    #[serde(default)]
    pub packages: BTreeSet<String>,
    /// `Docker version ...` once a Docker engine package is installed.
    #[serde(default)]
    pub docker_version: Option<String>,
    /// `Docker Compose version ...` once the compose plugin is installed.
    #[serde(default)]
    pub compose_version: Option<String>,
    #[serde(default)]
    pub daemon_running: bool,
    /// Started at boot (`rc-update add docker`, `systemctl enable docker`).
    #[serde(default)]
    pub daemon_enabled: bool,
    #[serde(default)]
    pub apt_updated: bool,
    #[serde(default)]
    pub images: BTreeSet<String>,
    /// By project name.
    #[serde(default)]
    pub stacks: BTreeMap<String, StackState>,
    /// Files written under the persisted roots (`/opt`, `/etc`) that differ from a fresh
    /// container; `None` marks a directory.
    #[serde(default)]
    pub files: BTreeMap<String, Option<String>>,
}

impl CtState {
    /// The saved state at `path`; a fresh container when it is missing or unreadable.
    pub fn load(path: &Path) -> CtState {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Write atomically with mode 0600; errors are ignored by callers (a lost save loses
    /// only simulated state).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "ct-state".into());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    }

    pub fn docker_installed(&self) -> bool {
        self.docker_version.is_some()
    }

    /// Every service of every stack, with its project.
    pub fn all_services(&self) -> impl Iterator<Item = (&StackState, &ServiceState)> {
        self.stacks
            .values()
            .flat_map(|stack| stack.services.iter().map(move |svc| (stack, svc)))
    }
}

/// A plausible 12-hex-digit id from any text (stable, so the same container keeps its id).
pub fn short_id(seed: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:012x}", h & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corrupt_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ct-100.json");
        assert_eq!(CtState::load(&path), CtState::default());
        let mut state = CtState::default();
        state.packages.insert("docker".into());
        state.daemon_running = true;
        state.save(&path).unwrap();
        assert_eq!(CtState::load(&path), state);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"{not json").unwrap();
        assert_eq!(CtState::load(&path), CtState::default());
    }

    #[test]
    fn knobs_parse() {
        assert_eq!(FailStep::parse("pull"), FailStep::Pull);
        assert_eq!(FailStep::parse("template"), FailStep::None);
        assert_eq!(Timing::parse("realistic"), Timing::Realistic);
        assert_eq!(Timing::parse("fast"), Timing::Fast);
        assert_eq!(short_id("a").len(), 12);
    }
}
