//! The commands a deployment runs in a simulated container: package managers ([`pkg`]),
//! Docker and compose ([`docker`]), probes of the app from inside ([`net`]), and the service
//! managers that start the Docker daemon. Their state survives between console sessions
//! ([`AppsSession`] over [`CtState`]). Nothing here runs a real program or opens a socket.
//!
//! Hooked into the shell by one arm of `Shell::command`'s dispatch: [`handles`] then [`run`].

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use super::commands::{Shell, Terminal};
use super::ct_state::{CtState, FailStep, Timing};
use super::fs::FakeFs;
use super::{docker, net, pkg};

/// Trees whose files persist between sessions (the deploy writes `/opt/proximity/<app>`).
const PERSISTED_ROOTS: [&str; 2] = ["/opt", "/etc"];

/// Commands this module answers (after any `NAME=value` prefix assignments).
const NAMES: [&str; 14] = [
    "apk",
    "apt-get",
    "apt",
    "docker",
    "docker-compose",
    "curl",
    "wget",
    "nc",
    "rc-service",
    "rc-update",
    "service",
    "systemctl",
    "__px-write",
    "__px-state",
];

/// The deployment state of this shell's container and the emulator's knobs.
#[derive(Debug, Clone, Default)]
pub struct AppsSession {
    pub state: CtState,
    /// Where the state persists (`--state-file`); None: this session only.
    pub path: Option<PathBuf>,
    pub fail: FailStep,
    pub timing: Timing,
    /// Files under the persisted roots in a fresh container (only differences are saved).
    baseline: BTreeMap<String, Option<String>>,
    /// What was last written to `path`.
    saved: Option<CtState>,
    /// Fixed clock in ms (tests); None = the system clock.
    pub clock_ms: Option<i64>,
}

impl AppsSession {
    /// Load the container's state from `path` and put its saved files back into `fs`.
    pub fn open(
        path: Option<PathBuf>,
        fail: FailStep,
        timing: Timing,
        hostname: &str,
        home: &str,
        fs: &mut FakeFs,
    ) -> AppsSession {
        let state = path.as_deref().map(CtState::load).unwrap_or_default();
        let fresh = FakeFs::new(hostname, home, false);
        let baseline = PERSISTED_ROOTS
            .iter()
            .flat_map(|root| fresh.entries_under(root))
            .collect();
        let mut session = AppsSession {
            saved: Some(state.clone()),
            state,
            path,
            fail,
            timing,
            baseline,
            clock_ms: None,
        };
        session.restore(fs);
        session
    }

    fn restore(&mut self, fs: &mut FakeFs) {
        for (path, content) in &self.state.files {
            fs.put_entry(path, content.as_deref());
        }
        if self.state.docker_installed() {
            fs.put_entry("/usr/bin/docker", Some("\u{7f}ELF\n"));
        }
    }

    /// Record the persisted files of `fs` and save the state if anything changed.
    pub fn sync(&mut self, fs: &FakeFs) {
        let Some(path) = self.path.clone() else {
            return;
        };
        self.state.files = PERSISTED_ROOTS
            .iter()
            .flat_map(|root| fs.entries_under(root))
            .filter(|(p, content)| self.baseline.get(p) != Some(content))
            .collect();
        if self.saved.as_ref() != Some(&self.state) && self.state.save(&path).is_ok() {
            self.saved = Some(self.state.clone());
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.clock_ms.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
                .unwrap_or(0)
        })
    }
}

/// The command behind `NAME=value ...` prefix assignments, and its arguments.
fn strip_assignments<'a>(name: &'a str, args: &[&'a str]) -> Option<(&'a str, Vec<&'a str>)> {
    let is_assignment = |w: &str| {
        w.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty()
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !k.starts_with(|c: char| c.is_ascii_digit())
        })
    };
    let words: Vec<&str> = std::iter::once(name).chain(args.iter().copied()).collect();
    let first = words.iter().position(|w| !is_assignment(w))?;
    Some((words[first], words[first + 1..].to_vec()))
}

/// Programs `command -v`/`which` know here.
fn program_path(state: &CtState, name: &str) -> Option<&'static str> {
    match name {
        "docker" if state.docker_installed() => Some("/usr/bin/docker"),
        "docker-compose" if state.compose_version.is_some() => Some("/usr/bin/docker-compose"),
        "apt-get" => Some("/usr/bin/apt-get"),
        "apt" => Some("/usr/bin/apt"),
        "apk" => Some("/sbin/apk"),
        "curl" => Some("/usr/bin/curl"),
        "wget" => Some("/usr/bin/wget"),
        "nc" => Some("/usr/bin/nc"),
        "systemctl" => Some("/usr/bin/systemctl"),
        "service" => Some("/usr/sbin/service"),
        "rc-service" => Some("/sbin/rc-service"),
        _ => None,
    }
}

fn is_mine(name: &str) -> bool {
    NAMES.contains(&name) || name == "docker-compose"
}

/// Whether this module answers the command `name args...`.
pub fn handles(name: &str, args: &[&str]) -> bool {
    let Some((name, args)) = strip_assignments(name, args) else {
        return false;
    };
    match name {
        "command" => matches!(args.as_slice(), ["-v", prog] if is_mine(prog)),
        "which" => matches!(args.as_slice(), [prog] if is_mine(prog)),
        other => is_mine(other),
    }
}

/// Run a command [`handles`] accepted; its exit status.
pub fn run(
    shell: &mut Shell,
    name: &str,
    args: &[&str],
    out: &mut dyn Write,
    term: &dyn Terminal,
) -> i32 {
    let Some((name, args)) = strip_assignments(name, args) else {
        return 0;
    };
    match name {
        "command" | "which" => {
            let prog = args.last().copied().unwrap_or_default();
            match program_path(&shell.apps.state, prog) {
                Some(path) => {
                    let _ = writeln!(out, "{path}");
                    0
                }
                None => 1,
            }
        }
        "apk" => pkg::apk(&mut shell.apps, &mut shell.fs, &args, out, term),
        "apt-get" | "apt" => pkg::apt(&mut shell.apps, &mut shell.fs, &args, out, term),
        "docker" if !shell.apps.state.docker_installed() => not_found(out, name),
        "docker-compose" if shell.apps.state.compose_version.is_none() => not_found(out, name),
        "docker" => docker::docker(shell, &args, out, term),
        "docker-compose" => docker::compose(shell, &args, out, term),
        "curl" => net::curl(shell, &args, out),
        "wget" => net::wget(shell, &args, out),
        "nc" => net::nc(&shell.apps, &args, out),
        "rc-service" | "rc-update" | "service" | "systemctl" => {
            service(&mut shell.apps, name, &args, out)
        }
        "__px-write" => px_write(shell, &args, out),
        "__px-state" => {
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string(&shell.apps.state).unwrap_or_default()
            );
            0
        }
        other => not_found(out, other),
    }
}

fn not_found(out: &mut dyn Write, name: &str) -> i32 {
    let _ = writeln!(out, "sh: {name}: not found");
    127
}

/// TEST-ONLY PLUMBING: `__px-write PATH BASE64` writes a file (parents created) until the
/// shell's own `printf ... | base64 -d > PATH` lands; then tests should switch to that.
fn px_write(shell: &mut Shell, args: &[&str], out: &mut dyn Write) -> i32 {
    use base64::Engine as _;
    let [path, data] = args else {
        let _ = writeln!(out, "usage: __px-write PATH BASE64");
        return 2;
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) else {
        let _ = writeln!(out, "__px-write: invalid base64");
        return 1;
    };
    let path = super::fs::resolve(&shell.cwd, &shell.home, path);
    shell
        .fs
        .put_entry(&path, Some(&String::from_utf8_lossy(&bytes)));
    0
}

/// `rc-service docker start|stop|status`, `rc-update add docker [runlevel]`,
/// `service docker start`, `systemctl start|enable [--now]|is-active docker`.
fn service(apps: &mut AppsSession, name: &str, args: &[&str], out: &mut dyn Write) -> i32 {
    let words: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    let now = args.contains(&"--now");
    let (unit, action) = match name {
        "rc-service" | "service" => (words.first(), words.get(1)),
        // `rc-update add docker default` / `systemctl enable docker`
        _ => (words.get(1), words.first()),
    };
    let unit = unit.map(|u| u.trim_end_matches(".service")).unwrap_or("");
    let action = action.copied().unwrap_or("");
    if unit != "docker" || !apps.state.docker_installed() {
        let _ = match name {
            "rc-service" => writeln!(out, " * rc-service: service `{unit}' does not exist"),
            "rc-update" => writeln!(
                out,
                " * rc-update: service `{unit}' does not exist\n * rc-update: service `{unit}' does not exist"
            ),
            "service" => writeln!(out, "{unit}: unrecognized service"),
            _ => writeln!(
                out,
                "Failed to {action} {unit}.service: Unit {unit}.service not found."
            ),
        };
        return if name == "systemctl" { 5 } else { 1 };
    }
    let state = &mut apps.state;
    match (name, action) {
        ("rc-update", "add") => {
            state.daemon_enabled = true;
            let runlevel = words.get(2).copied().unwrap_or("default");
            let _ = writeln!(out, " * service docker added to runlevel {runlevel}");
            0
        }
        ("rc-update", "del") => {
            state.daemon_enabled = false;
            let _ = writeln!(out, " * service docker removed from runlevel default");
            0
        }
        ("systemctl", "enable") => {
            state.daemon_enabled = true;
            if now {
                state.daemon_running = true;
            }
            let _ = writeln!(
                out,
                "Synchronizing state of docker.service with SysV service script with /lib/systemd/systemd-sysv-install.\nExecuting: /lib/systemd/systemd-sysv-install enable docker"
            );
            0
        }
        (_, "start" | "restart") => {
            state.daemon_running = true;
            match name {
                "rc-service" => {
                    let _ = writeln!(out, " * Starting Docker Daemon ... [ ok ]");
                }
                "service" => {
                    let _ = writeln!(out, "Starting Docker: docker.");
                }
                _ => {}
            }
            0
        }
        (_, "stop") => {
            state.daemon_running = false;
            for stack in state.stacks.values_mut() {
                for svc in &mut stack.services {
                    if svc.state == "running" {
                        svc.state = "exited".into();
                        svc.exit_code = 0;
                    }
                }
            }
            if name == "rc-service" {
                let _ = writeln!(out, " * Stopping Docker Daemon ... [ ok ]");
            }
            0
        }
        (_, "status" | "is-active") => {
            let running = state.daemon_running;
            let _ = match name {
                "rc-service" | "service" => writeln!(
                    out,
                    " * status: {}",
                    if running { "started" } else { "stopped" }
                ),
                _ => writeln!(out, "{}", if running { "active" } else { "inactive" }),
            };
            if running { 0 } else { 3 }
        }
        (_, other) => {
            let _ = writeln!(out, "{name}: unknown action '{other}'");
            1
        }
    }
}

#[cfg(test)]
#[path = "apps_tests.rs"]
mod tests;
