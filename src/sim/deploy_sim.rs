//! The emulator's side of app deployments: the knobs (`--fail-step`, `--deploy-timing`) and
//! the per-container state files the simulated shells keep between console sessions.
//!
//! Each container's shell state is `ct-<vmid>.json` in a directory the emulator owns:
//! `<state dir>/shell` with `--state`, else a private temporary directory removed when the
//! emulator is dropped. The emulator deletes a container's file when the container is
//! destroyed (or its vmid is claimed again), and writes the files of the apps a fresh seeded
//! cluster already runs, so their consoles show Docker and the compose stack up.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::model::{GuestKind, Model};
use super::shell::ct_state::{CtState, ServiceState, StackState, short_id};

/// A deployment step the emulator can be told to break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeployStep {
    /// The template download task (`aplinfo`) fails.
    Template,
    /// The `vzcreate` task fails.
    Create,
    /// Starting a container (`vzstart`) fails.
    Start,
    /// Installing a Docker package fails in the container.
    Docker,
    /// An image pull fails (`manifest unknown`).
    Pull,
    /// A service exits right after `docker compose up`.
    Up,
    /// The app never answers its health check.
    Health,
}

impl DeployStep {
    pub fn as_str(self) -> &'static str {
        match self {
            DeployStep::Template => "template",
            DeployStep::Create => "create",
            DeployStep::Start => "start",
            DeployStep::Docker => "docker",
            DeployStep::Pull => "pull",
            DeployStep::Up => "up",
            DeployStep::Health => "health",
        }
    }

    /// Steps that happen inside the container's shell (passed to `__sim-shell`).
    pub fn in_shell(self) -> bool {
        matches!(
            self,
            DeployStep::Docker | DeployStep::Pull | DeployStep::Up | DeployStep::Health
        )
    }
}

/// How long simulated deployment work takes inside containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DeployTiming {
    /// Each step well under a second (tests).
    #[default]
    Fast,
    /// Seconds per step, like a real container (the demo).
    Realistic,
}

impl DeployTiming {
    pub fn as_str(self) -> &'static str {
        match self {
            DeployTiming::Fast => "fast",
            DeployTiming::Realistic => "realistic",
        }
    }
}

/// The directory of the containers' shell state files.
pub struct ShellStateStore {
    dir: PathBuf,
    /// Held for its Drop (removes the directory) when the emulator has no `--state`.
    _temp: Option<tempfile::TempDir>,
}

impl ShellStateStore {
    /// `<state_dir>/shell`, or a private temporary directory.
    pub fn new(state_dir: Option<&Path>) -> std::io::Result<ShellStateStore> {
        match state_dir {
            Some(dir) => {
                let dir = dir.join("shell");
                std::fs::create_dir_all(&dir)?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
                }
                Ok(ShellStateStore { dir, _temp: None })
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("proximity-sim-shell-")
                    .tempdir()?;
                Ok(ShellStateStore {
                    dir: temp.path().to_path_buf(),
                    _temp: Some(temp),
                })
            }
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, vmid: u32) -> PathBuf {
        state_file(&self.dir, vmid)
    }

    /// Forget container `vmid`'s shell state (destroyed, or its vmid is taken again).
    pub fn remove(&self, vmid: u32) {
        let _ = std::fs::remove_file(self.path(vmid));
    }

    /// Write the state of every app container a freshly seeded cluster already runs.
    pub fn seed_apps(&self, model: &Model) {
        for guest in model.guests.values() {
            if guest.kind != GuestKind::Lxc || !guest.tags().is_some_and(|t| t.contains("px-app-"))
            {
                continue;
            }
            let Some(meta) = guest.cfg_str("description").and_then(app_meta) else {
                continue;
            };
            let started_ms = guest.started_at.unwrap_or(meta.deployed) as i64 * 1000;
            let state = deployed_state(&meta, started_ms, guest.running);
            let path = self.path(guest.vmid);
            if !path.exists() {
                let _ = state.save(&path);
            }
        }
    }
}

/// Where container `vmid`'s shell state lives inside `dir`.
pub fn state_file(dir: &Path, vmid: u32) -> PathBuf {
    dir.join(format!("ct-{vmid}.json"))
}

/// The app metadata comment Proximity keeps in a managed container's description.
struct AppMeta {
    app: String,
    version: String,
    port: u16,
    deployed: u64,
}

fn app_meta(description: &str) -> Option<AppMeta> {
    const MARKER: &str = "<!-- proximity:app ";
    let start = description.find(MARKER)? + MARKER.len();
    let end = start + description[start..].find("-->")?;
    let v: Value = serde_json::from_str(description[start..end].trim()).ok()?;
    Some(AppMeta {
        app: v.get("app")?.as_str()?.to_string(),
        version: v
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("latest")
            .to_string(),
        port: u16::try_from(v.get("port")?.as_u64()?).ok()?,
        deployed: v.get("deployed").and_then(Value::as_u64).unwrap_or(0),
    })
}

/// (image repository, port inside the container, extra services as (name, image)).
fn app_images(app: &str) -> (String, u16, Vec<(&'static str, &'static str)>) {
    match app {
        "jellyfin" => ("jellyfin/jellyfin".into(), 8096, Vec::new()),
        "nextcloud" => ("nextcloud".into(), 80, vec![("db", "mariadb:11.4")]),
        "uptime-kuma" => ("louislam/uptime-kuma".into(), 3001, Vec::new()),
        "vaultwarden" => ("vaultwarden/server".into(), 80, Vec::new()),
        "gitea" => ("gitea/gitea".into(), 3000, Vec::new()),
        "grafana" => ("grafana/grafana".into(), 3000, Vec::new()),
        other => (format!("{other}/{other}"), 8080, Vec::new()),
    }
}

/// Docker installed, the daemon up, and the app's compose stack running since `started_ms`.
fn deployed_state(meta: &AppMeta, started_ms: i64, running: bool) -> CtState {
    let (repo, inner_port, extras) = app_images(&meta.app);
    let image = format!("{repo}:{}", meta.version);
    let mut compose_services = serde_json::Map::new();
    compose_services.insert(
        meta.app.clone(),
        serde_json::json!({
            "image": image,
            "restart": "unless-stopped",
            "ports": [format!("{}:{inner_port}/tcp", meta.port)],
            "volumes": [format!("data:/data")],
        }),
    );
    for (name, extra) in &extras {
        compose_services.insert(
            (*name).to_string(),
            serde_json::json!({"image": extra, "restart": "unless-stopped"}),
        );
    }
    let compose = serde_json::json!({ "services": compose_services });
    let file = format!("/opt/proximity/{}/compose.json", meta.app);
    let service = |name: &str, image: &str, ports: Vec<(u16, u16, String)>| ServiceState {
        name: name.to_string(),
        image: image.to_string(),
        ports,
        state: if running { "running" } else { "exited" }.into(),
        exit_code: if running { 0 } else { 137 },
        created_ms: meta.deployed as i64 * 1000,
        started_ms,
        warmup_ms: 0,
        never_ready: false,
        id: short_id(&format!("{}-{name}", meta.app)),
    };
    let mut services = vec![service(
        &meta.app,
        &image,
        vec![(meta.port, inner_port, "tcp".into())],
    )];
    services.extend(
        extras
            .iter()
            .map(|(name, extra)| service(name, extra, Vec::new())),
    );
    let mut state = CtState {
        docker_version: Some("20.10.24+dfsg1, build 297e128".into()),
        compose_version: Some("2.26.1".into()),
        daemon_running: running,
        daemon_enabled: true,
        apt_updated: true,
        ..CtState::default()
    };
    for p in [
        "docker.io",
        "docker-compose",
        "containerd",
        "runc",
        "tini",
        "iptables",
    ] {
        state.packages.insert(p.to_string());
    }
    state.images = services.iter().map(|s| s.image.clone()).collect();
    state.stacks.insert(
        meta.app.clone(),
        StackState {
            project: meta.app.clone(),
            file: file.clone(),
            services,
        },
    );
    state.files.insert("/opt/proximity".into(), None);
    state
        .files
        .insert(format!("/opt/proximity/{}", meta.app), None);
    state.files.insert(file, Some(format!("{compose:#}\n")));
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_apps_get_a_running_stack_and_destroy_forgets_it() {
        let model = super::super::seed::build(7, 2, 24, String::new());
        let store = ShellStateStore::new(None).unwrap();
        store.seed_apps(&model);
        let apps: Vec<u32> = model
            .guests
            .values()
            .filter(|g| g.tags().is_some_and(|t| t.contains("px-app-")))
            .map(|g| g.vmid)
            .collect();
        assert!(apps.len() >= 2, "{apps:?}");
        for vmid in &apps {
            let state = CtState::load(&store.path(*vmid));
            assert!(state.docker_installed() && state.daemon_running);
            let stack = state.stacks.values().next().unwrap();
            assert!(state.files.contains_key(&stack.file), "{:?}", state.files);
            assert_eq!(stack.services[0].state, "running");
        }
        store.remove(apps[0]);
        assert!(!store.path(apps[0]).exists());
        let dir = store.dir().to_path_buf();
        drop(store);
        assert!(
            !dir.exists(),
            "the temporary directory goes with the emulator"
        );
    }

    #[test]
    fn meta_parse() {
        let d = "x\n<!-- proximity:app {\"app\":\"jellyfin\",\"version\":\"10.10.3\",\"port\":8096,\"deployed\":5} -->\n";
        let m = app_meta(d).unwrap();
        assert_eq!((m.app.as_str(), m.port, m.deployed), ("jellyfin", 8096, 5));
        assert!(app_meta("<!-- proximity:app {bad} -->").is_none());
    }
}
