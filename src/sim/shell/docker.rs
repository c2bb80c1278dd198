//! The simulated Docker CLI: `docker --version|info|ps|images` and `docker compose` (also as
//! `docker-compose`): `version`, `config`, `pull`, `up -d`, `ps`, `logs`, `restart`, `stop`,
//! `start`, `down`. Compose reads its file from the fake filesystem; containers are records in
//! the container's persisted state ([`super::ct_state`]); progress is redrawn in place with
//! cursor movement like the real compose on a terminal.

use std::io::Write;

use super::apps::AppsSession;
use super::commands::{Shell, Terminal};
use super::compose::{self, ServiceSpec};
use super::ct_state::{FailStep, ServiceState, short_id};
use super::fs::{Node, resolve};
use super::{docker_out, docker_progress};

const NO_DAEMON: &str = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";

/// Names compose looks for when no `-f` is given.
const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

pub fn docker(shell: &mut Shell, args: &[&str], out: &mut dyn Write, term: &dyn Terminal) -> i32 {
    let apps = &shell.apps;
    match args.first().copied() {
        Some("--version" | "-v") => {
            let v = apps.state.docker_version.clone().unwrap_or_default();
            say(out, &format!("Docker version {v}"))
        }
        Some("version") => {
            let v = apps.state.docker_version.clone().unwrap_or_default();
            let v = v.split(',').next().unwrap_or_default();
            let _ = writeln!(
                out,
                "Client:\n Version:           {v}\n API version:       1.45\n OS/Arch:           linux/amd64"
            );
            if !apps.state.daemon_running {
                return fail(out, NO_DAEMON);
            }
            say(
                out,
                &format!(
                    "\nServer:\n Engine:\n  Version:          {v}\n  API version:      1.45 (minimum version 1.24)"
                ),
            )
        }
        Some("info") => {
            let v = apps.state.docker_version.clone().unwrap_or_default();
            let v = v.split(',').next().unwrap_or_default();
            let _ = writeln!(
                out,
                "Client:\n Version:    {v}\n Context:    default\n Debug Mode: false"
            );
            if !apps.state.daemon_running {
                let _ = writeln!(
                    out,
                    "\nServer:\nERROR: {NO_DAEMON}\nerrors pretty printing info"
                );
                return 1;
            }
            let running = apps
                .state
                .all_services()
                .filter(|(_, s)| s.state == "running")
                .count();
            let total = apps.state.all_services().count();
            say(
                out,
                &format!(
                    "\nServer:\n Containers: {total}\n  Running: {running}\n  Paused: 0\n  Stopped: {}\n Images: {}\n Server Version: {v}\n Storage Driver: overlay2\n Cgroup Driver: systemd\n Cgroup Version: 2\n Kernel Version: 6.8.12-4-pve\n Operating System: Debian GNU/Linux 12 (bookworm)\n Docker Root Dir: /var/lib/docker",
                    total - running,
                    apps.state.images.len()
                ),
            )
        }
        Some("compose") if apps.state.compose_version.is_none() => fail(
            out,
            "docker: 'compose' is not a docker command.\nSee 'docker --help'",
        ),
        Some("compose") => compose(shell, &args[1..], out, term),
        Some("ps") => {
            if !apps.state.daemon_running {
                return fail(out, NO_DAEMON);
            }
            let all = args.iter().any(|a| matches!(*a, "-a" | "--all"));
            docker_out::docker_ps(apps, all, out);
            0
        }
        Some("images") => {
            if !apps.state.daemon_running {
                return fail(out, NO_DAEMON);
            }
            let _ = writeln!(
                out,
                "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE"
            );
            for image in &apps.state.images {
                let (repo, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
                let size: u64 = compose::layers(image).iter().map(|(_, s)| s).sum();
                let _ = writeln!(
                    out,
                    "{repo}   {tag}   {}   2 weeks ago   {}",
                    short_id(image),
                    compose::human_size(size * 2)
                );
            }
            0
        }
        None => say(
            out,
            "\nUsage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers",
        ),
        Some(other) => fail(
            out,
            &format!("docker: '{other}' is not a docker command.\nSee 'docker --help'"),
        ),
    }
}

fn say(out: &mut dyn Write, line: &str) -> i32 {
    let _ = writeln!(out, "{line}");
    0
}

fn fail(out: &mut dyn Write, line: &str) -> i32 {
    let _ = writeln!(out, "{line}");
    1
}

/// A compose invocation: the global options, then the subcommand and its words.
struct Invocation<'a> {
    files: Vec<String>,
    project: Option<String>,
    sub: Option<&'a str>,
    rest: Vec<&'a str>,
}

fn split_globals<'a>(args: &[&'a str]) -> Invocation<'a> {
    let mut inv = Invocation {
        files: Vec::new(),
        project: None,
        sub: None,
        rest: Vec::new(),
    };
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        let value = args.get(i + 1).map(|v| v.to_string());
        match a {
            "-f" | "--file" => {
                inv.files.extend(value);
                i += 2;
            }
            "-p" | "--project-name" => {
                inv.project = value;
                i += 2;
            }
            "--project-directory" | "--ansi" | "--progress" | "--env-file" | "--profile" => i += 2,
            _ if a.starts_with("--file=") => {
                inv.files.push(a["--file=".len()..].to_string());
                i += 1;
            }
            _ if a.starts_with('-') => i += 1,
            _ => {
                inv.sub = Some(a);
                inv.rest = args[i + 1..].to_vec();
                return inv;
            }
        }
    }
    inv
}

/// The project an invocation works on: name, compose file path, services.
struct Project {
    name: String,
    file: String,
    services: Vec<ServiceSpec>,
}

fn load_project(shell: &Shell, inv: &Invocation) -> Result<Project, (String, i32)> {
    let file = match inv.files.first() {
        Some(f) => resolve(&shell.cwd, &shell.home, f),
        None => {
            let found = DEFAULT_FILES
                .iter()
                .map(|f| resolve(&shell.cwd, &shell.home, f))
                .find(|p| matches!(shell.fs.get(p), Some(Node::File(_))));
            match (found, &inv.project) {
                (Some(f), _) => f,
                // `-p NAME` alone works on a project the daemon knows.
                (None, Some(name)) => {
                    return match shell.apps.state.stacks.get(name) {
                        Some(stack) => Ok(Project {
                            name: name.clone(),
                            file: stack.file.clone(),
                            services: stack
                                .services
                                .iter()
                                .map(|s| ServiceSpec {
                                    name: s.name.clone(),
                                    image: s.image.clone(),
                                    ports: s.ports.clone(),
                                    volumes: Vec::new(),
                                })
                                .collect(),
                        }),
                        None => Err((format!("no such project: {name}"), 1)),
                    };
                }
                (None, None) => {
                    return Err(("no configuration file provided: not found".into(), 1));
                }
            }
        }
    };
    let text = match shell.fs.get(&file) {
        Some(Node::File(text)) => text.clone(),
        Some(Node::Dir) => return Err((format!("read {file}: is a directory"), 1)),
        None => return Err((format!("open {file}: no such file or directory"), 14)),
    };
    let services =
        compose::parse(&String::from_utf8_lossy(&text)).map_err(|e| (e.message, e.code))?;
    let dir = file.rsplit_once('/').map(|(d, _)| d).unwrap_or("/");
    Ok(Project {
        name: inv
            .project
            .clone()
            .unwrap_or_else(|| compose::project_name(dir)),
        file,
        services,
    })
}

/// Services named in `words` (all when none is named); Err on an unknown one.
fn selected<'p>(project: &'p Project, words: &[&str]) -> Result<Vec<&'p ServiceSpec>, String> {
    let names: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !w.starts_with('-'))
        .collect();
    if let Some(bad) = names
        .iter()
        .find(|n| !project.services.iter().any(|s| s.name == **n))
    {
        return Err(format!("no such service: {bad}"));
    }
    Ok(project
        .services
        .iter()
        .filter(|s| names.is_empty() || names.contains(&s.name.as_str()))
        .collect())
}

/// Flags of a compose subcommand that take a value (so the value is not a service name).
fn strip_valued<'a>(words: &[&'a str], valued: &[&str]) -> (Vec<&'a str>, Vec<(String, String)>) {
    let mut rest = Vec::new();
    let mut values = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if valued.contains(&w) {
            values.push((w.to_string(), words.get(i + 1).unwrap_or(&"").to_string()));
            i += 2;
        } else if let Some((k, v)) = w.split_once('=').filter(|(k, _)| valued.contains(k)) {
            values.push((k.to_string(), v.to_string()));
            i += 1;
        } else {
            rest.push(w);
            i += 1;
        }
    }
    (rest, values)
}

pub fn compose(shell: &mut Shell, args: &[&str], out: &mut dyn Write, term: &dyn Terminal) -> i32 {
    let inv = split_globals(args);
    let Some(sub) = inv.sub else {
        return say(
            out,
            "\nUsage:  docker compose [OPTIONS] COMMAND\n\nDefine and run multi-container applications with Docker",
        );
    };
    if sub == "version" {
        let v = shell.apps.state.compose_version.clone().unwrap_or_default();
        return if inv.rest.contains(&"--short") {
            say(out, &v)
        } else {
            say(out, &format!("Docker Compose version v{v}"))
        };
    }
    let project = match load_project(shell, &inv) {
        Ok(p) => p,
        Err((message, code)) => {
            let _ = writeln!(out, "{message}");
            return code;
        }
    };
    if sub == "config" {
        if inv.rest.contains(&"--services") {
            for s in &project.services {
                let _ = writeln!(out, "{}", s.name);
            }
            return 0;
        }
        let _ = writeln!(out, "name: {}\nservices:", project.name);
        for s in &project.services {
            let _ = writeln!(out, "  {}:\n    image: {}", s.name, s.image);
        }
        return 0;
    }
    if !shell.apps.state.daemon_running {
        return fail(out, NO_DAEMON);
    }
    let (words, values) = strip_valued(
        &inv.rest,
        &[
            "--tail",
            "-n",
            "--format",
            "--timeout",
            "-t",
            "--pull",
            "--rmi",
            "--status",
            "--filter",
            "--since",
            "--until",
            "--wait-timeout",
        ],
    );
    let services = match selected(&project, &words) {
        Ok(s) => s,
        Err(e) => return fail(out, &e),
    };
    let flag = |names: &[&str]| words.iter().any(|w| names.contains(w));
    let value = |name: &[&str]| {
        values
            .iter()
            .find(|(k, _)| name.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
    };
    let apps = &mut shell.apps;
    match sub {
        "pull" => docker_progress::pull(apps, &services, flag(&["-q", "--quiet"]), out, term),
        "up" => {
            let quiet_pull = flag(&["--quiet-pull"]);
            let missing: Vec<&ServiceSpec> = services
                .iter()
                .copied()
                .filter(|s| !apps.state.images.contains(&s.image))
                .collect();
            if !missing.is_empty() {
                let code = docker_progress::pull(apps, &missing, quiet_pull, out, term);
                if code != 0 {
                    return code;
                }
            }
            docker_progress::up(apps, &project.name, &project.file, &services, out, term)
        }
        "ps" => {
            let all = flag(&["-a", "--all"]);
            let json = value(&["--format"]).is_some_and(|f| f == "json");
            let quiet = flag(&["-q", "--quiet"]);
            let services_only = flag(&["--services"]);
            docker_out::compose_ps(
                apps,
                &project.name,
                &services,
                all,
                json,
                quiet,
                services_only,
                out,
            );
            0
        }
        "logs" => {
            let tail = value(&["--tail", "-n"]).and_then(|t| t.parse::<usize>().ok());
            let prefix = !flag(&["--no-log-prefix"]);
            docker_out::compose_logs(apps, &project.name, &services, tail, prefix, out);
            if flag(&["-f", "--follow"]) {
                // Follow until Ctrl-C or the terminal goes away: each running service logs a
                // request now and then (fast in tests).
                let mut tick = 0u64;
                loop {
                    if !term.sleep(apps.timing.follow_every_s()) {
                        return 130;
                    }
                    tick += 1;
                    let now = apps.now_ms();
                    if !docker_out::follow_tick(
                        apps,
                        &project.name,
                        &services,
                        prefix,
                        tick,
                        now,
                        out,
                    ) {
                        return 0;
                    }
                }
            }
            0
        }
        "restart" | "stop" | "start" | "down" | "rm" => lifecycle(
            apps,
            sub,
            &project.name,
            &services,
            flag(&["-v", "--volumes"]),
            out,
            term,
        ),
        other => fail(out, &format!("unknown docker command: \"compose {other}\"")),
    }
}

/// `restart`, `stop`, `start`, `down`, `rm` on the selected services.
fn lifecycle(
    apps: &mut AppsSession,
    sub: &str,
    project: &str,
    services: &[&ServiceSpec],
    volumes: bool,
    out: &mut dyn Write,
    term: &dyn Terminal,
) -> i32 {
    let now = apps.now_ms();
    let fail_up = apps.fail == FailStep::Up;
    let never_ready = apps.fail == FailStep::Health;
    let Some(stack) = apps.state.stacks.get_mut(project) else {
        if sub == "down" || sub == "rm" {
            return 0;
        }
        return fail(
            out,
            &format!("no container found for project \"{project}\": not found"),
        );
    };
    let picked: Vec<&mut ServiceState> = stack
        .services
        .iter_mut()
        .filter(|s| services.iter().any(|p| p.name == s.name))
        .collect();
    let (verb, done) = match sub {
        "restart" => ("Restarting", "Started"),
        "stop" => ("Stopping", "Stopped"),
        "start" => ("Running", "Started"),
        _ => ("Running", "Removed"),
    };
    let _ = writeln!(out, "[+] {verb} {n}/{n}", n = picked.len());
    let first_port_service = services
        .iter()
        .position(|s| !s.ports.is_empty())
        .unwrap_or(0);
    for (i, svc) in picked.into_iter().enumerate() {
        term.sleep(apps.timing.unit_s());
        match sub {
            "restart" | "start" => {
                svc.started_ms = now;
                svc.never_ready = never_ready;
                if fail_up && i == first_port_service {
                    svc.state = "exited".into();
                    svc.exit_code = 1;
                } else {
                    svc.state = "running".into();
                    svc.exit_code = 0;
                }
            }
            "stop" => {
                if svc.state == "running" {
                    svc.state = "exited".into();
                    svc.exit_code = 0;
                }
            }
            _ => svc.state = "removed".into(),
        }
        let _ = writeln!(out, " \u{2714} Container {project}-{}-1  {done}", svc.name);
    }
    if sub == "down" || sub == "rm" {
        let volumes_of: Vec<String> = services
            .iter()
            .flat_map(|s| s.volumes.iter().map(|v| format!("{project}_{v}")))
            .collect();
        stack.services.retain(|s| s.state != "removed");
        if stack.services.is_empty() {
            apps.state.stacks.remove(project);
            if sub == "down" {
                let _ = writeln!(out, " \u{2714} Network {project}_default  Removed");
                if volumes {
                    for v in volumes_of {
                        let _ = writeln!(out, " \u{2714} Volume {v}  Removed");
                    }
                }
            }
        }
    }
    0
}
