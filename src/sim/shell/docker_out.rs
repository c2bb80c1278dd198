//! What Docker prints about containers: `docker ps`, `docker compose ps` (table or JSON lines)
//! and `docker compose logs` (per-image startup lines, the ready lines once the app warmed up).

use std::io::Write;

use serde_json::json;

use super::apps::AppsSession;
use super::compose::{self, ServiceSpec};
use super::ct_state::ServiceState;

fn ports_text(svc: &ServiceState) -> String {
    if svc.state != "running" {
        return String::new();
    }
    svc.ports
        .iter()
        .map(|(host, container, proto)| {
            format!("0.0.0.0:{host}->{container}/{proto}, [::]:{host}->{container}/{proto}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn status_text(svc: &ServiceState, now: i64) -> String {
    match svc.state.as_str() {
        "running" => format!("Up {}", compose::human_duration(now - svc.started_ms)),
        "exited" => format!(
            "Exited ({}) {} ago",
            svc.exit_code,
            compose::human_duration(now - svc.started_ms)
        ),
        _ => "Created".into(),
    }
}

/// Print rows padded into columns separated by three spaces, like Docker's tabwriter.
fn table(out: &mut dyn Write, rows: &[Vec<String>]) {
    let cols = rows.first().map(Vec::len).unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == cols {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}   ", w = widths[c]));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// `docker ps [-a]`: every container of every project.
pub fn docker_ps(apps: &AppsSession, all: bool, out: &mut dyn Write) {
    let now = apps.now_ms();
    let mut rows = vec![
        [
            "CONTAINER ID",
            "IMAGE",
            "COMMAND",
            "CREATED",
            "STATUS",
            "PORTS",
            "NAMES",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (stack, svc) in apps.state.all_services() {
        if !all && svc.state != "running" {
            continue;
        }
        let command = compose::profile(&svc.image).command;
        let command: String = command.chars().take(20).collect();
        rows.push(vec![
            svc.id.clone(),
            svc.image.clone(),
            format!("\"{command}\u{2026}\""),
            format!("{} ago", compose::human_duration(now - svc.created_ms)),
            status_text(svc, now),
            ports_text(svc),
            format!("{}-{}-1", stack.project, svc.name),
        ]);
    }
    table(out, &rows);
}

/// `docker compose ps`: the project's containers (running ones unless `all`).
#[allow(clippy::too_many_arguments)]
pub fn compose_ps(
    apps: &AppsSession,
    project: &str,
    services: &[&ServiceSpec],
    all: bool,
    json_lines: bool,
    quiet: bool,
    services_only: bool,
    out: &mut dyn Write,
) {
    let now = apps.now_ms();
    let shown: Vec<&ServiceState> = apps
        .state
        .stacks
        .get(project)
        .map(|stack| {
            stack
                .services
                .iter()
                .filter(|s| services.iter().any(|p| p.name == s.name))
                .filter(|s| all || s.state == "running")
                .collect()
        })
        .unwrap_or_default();
    if quiet || services_only {
        for svc in shown {
            let _ = writeln!(out, "{}", if quiet { &svc.id } else { &svc.name });
        }
        return;
    }
    if json_lines {
        for svc in shown {
            let name = format!("{project}-{}-1", svc.name);
            let publishers: Vec<_> = svc
                .ports
                .iter()
                .map(|(host, container, proto)| {
                    json!({"URL": "0.0.0.0", "TargetPort": container, "PublishedPort": host, "Protocol": proto})
                })
                .collect();
            let line = json!({
                "Command": format!("\"{}\"", compose::profile(&svc.image).command),
                "CreatedAt": super::commands::format_date(svc.created_ms / 1000),
                "ExitCode": svc.exit_code,
                "Health": "",
                "ID": svc.id,
                "Image": svc.image,
                "Labels": format!("com.docker.compose.project={project},com.docker.compose.service={}", svc.name),
                "LocalVolumes": "0",
                "Mounts": "",
                "Name": name,
                "Names": name,
                "Networks": format!("{project}_default"),
                "Ports": ports_text(svc),
                "Project": project,
                "Publishers": publishers,
                "RunningFor": format!("{} ago", compose::human_duration(now - svc.created_ms)),
                "Service": svc.name,
                "Size": "0B",
                "State": svc.state,
                "Status": status_text(svc, now),
            });
            let _ = writeln!(out, "{line}");
        }
        return;
    }
    let mut rows = vec![
        [
            "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for svc in shown {
        let command: String = compose::profile(&svc.image)
            .command
            .chars()
            .take(20)
            .collect();
        rows.push(vec![
            format!("{project}-{}-1", svc.name),
            svc.image.clone(),
            format!("\"{command}\u{2026}\""),
            svc.name.clone(),
            format!("{} ago", compose::human_duration(now - svc.created_ms)),
            status_text(svc, now),
            ports_text(svc),
        ]);
    }
    table(out, &rows);
}

/// Whether `svc` answers on its ports at `now`.
pub fn ready(svc: &ServiceState, now: i64) -> bool {
    svc.state == "running" && !svc.never_ready && now >= svc.started_ms + svc.warmup_ms
}

/// The log lines one container has printed by `now`.
fn log_lines(svc: &ServiceState, now: i64) -> Vec<String> {
    let profile = compose::profile(&svc.image);
    let mut lines: Vec<String> = profile.starting.iter().map(|l| l.to_string()).collect();
    match svc.state.as_str() {
        "running" if svc.never_ready => {
            lines.push("Waiting for the database to become available ...".into());
            let waited = ((now - svc.started_ms) / 5000).clamp(1, 20);
            for i in 0..waited {
                lines.push(format!(
                    "connect ECONNREFUSED 172.18.0.2:5432 (retry {} of 20)",
                    i + 1
                ));
            }
        }
        "running" if ready(svc, now) => {
            lines.extend(profile.ready.iter().map(|l| l.to_string()));
        }
        "running" => {}
        _ if svc.exit_code != 0 => {
            lines.push("Error: EACCES: permission denied, open '/config/config.json'".into());
            lines.push(format!("process exited with code {}", svc.exit_code));
        }
        _ => {
            lines.extend(profile.ready.iter().map(|l| l.to_string()));
            lines.push("Received SIGTERM, shutting down gracefully".into());
        }
    }
    lines
}

/// One beat of `docker compose logs --follow`: a request line from each running service.
/// False when the terminal is gone (the follow ends).
pub fn follow_tick(
    apps: &AppsSession,
    project: &str,
    services: &[&ServiceSpec],
    prefix: bool,
    tick: u64,
    now_ms: i64,
    out: &mut dyn Write,
) -> bool {
    let Some(stack) = apps.state.stacks.get(project) else {
        return true;
    };
    let running = stack
        .services
        .iter()
        .filter(|s| s.state == "running" && services.iter().any(|p| p.name == s.name));
    for svc in running {
        let line = format!("{now_ms} GET /health 200 (request {tick})");
        let written = if prefix {
            writeln!(out, "{}-1  | {line}", svc.name)
        } else {
            writeln!(out, "{line}")
        };
        if written.is_err() {
            return false;
        }
    }
    out.flush().is_ok()
}

/// `docker compose logs [--tail N] [--no-log-prefix] [SERVICE...]`.
pub fn compose_logs(
    apps: &AppsSession,
    project: &str,
    services: &[&ServiceSpec],
    tail: Option<usize>,
    prefix: bool,
    out: &mut dyn Write,
) {
    let now = apps.now_ms();
    let Some(stack) = apps.state.stacks.get(project) else {
        return;
    };
    let picked: Vec<&ServiceState> = stack
        .services
        .iter()
        .filter(|s| services.iter().any(|p| p.name == s.name))
        .collect();
    let width = picked
        .iter()
        .map(|s| s.name.chars().count() + 2)
        .max()
        .unwrap_or(0);
    for svc in picked {
        let lines = log_lines(svc, now);
        let skip = tail.map(|n| lines.len().saturating_sub(n)).unwrap_or(0);
        for line in lines.into_iter().skip(skip) {
            if prefix {
                let label = format!("{}-1", svc.name);
                let _ = writeln!(out, "{label:<width$}  | {line}");
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
    }
}
