//! The commands that span every configured host: `ls`, `nodes`, `tasks` (every host unless
//! `--host`), the power verbs and `rm` (TARGET resolved across hosts, `HOST:VMID` to pick),
//! and `logs` (the host that knows the task). An environment connection is the one host.
//!
//! A host that cannot be reached is one stderr line (`host NAME: reason`); the others still
//! print, and the exit code is then `EXIT_PARTIAL`.

use std::io::Write;
use std::process::ExitCode;

use futures_util::StreamExt;

use super::commands::{configured_hosts, env_connection, print_out, prompt_line, spec_for};
use super::output::{guest_rows, guests_table, node_rows, nodes_table, task_rows, tasks_table};
use super::{CliError, LogsArgs, RmArgs, TasksArgs};
use crate::engine::fleet::{self, FleetHost, HOST_DEADLINE, HostResult};
use crate::engine::target::parse_target;
use crate::engine::{self, ConnAuth, ConnSpec, HostDown, PowerOp, connection};
use crate::paths::Paths;
use crate::pve::{PveClient, Upid};
use crate::text::clean_string;

/// Exit code when some hosts answered and others did not: the output is incomplete.
pub const EXIT_PARTIAL: u8 = 3;

/// Which hosts a command covers: the environment's one connection, or the configured hosts
/// (`--host` narrows to one).
pub struct FleetScope<'a> {
    pub host: Option<&'a str>,
    pub paths: &'a Paths,
}

/// The connection specs in scope. A host whose password must be typed but cannot be (no
/// terminal) is a failure of that host only.
fn specs(scope: &FleetScope<'_>) -> Result<(Vec<ConnSpec>, Vec<HostDown>), CliError> {
    if let Some(spec) = env_connection()? {
        return Ok((vec![spec], Vec::new()));
    }
    let mut specs = Vec::new();
    let mut failures = Vec::new();
    for host in configured_hosts(scope.host, scope.paths)? {
        match spec_for(&host) {
            Ok(spec) => specs.push(spec),
            Err(e) => failures.push(HostDown {
                host: host.name,
                reason: e.to_string(),
            }),
        }
    }
    Ok((specs, failures))
}

/// Log in to every host concurrently (password hosts; tokens need no login), then ask for
/// the TOTP codes one host at a time so two prompts never share the terminal.
async fn connect_all(specs: Vec<ConnSpec>) -> (Vec<FleetHost>, Vec<HostDown>) {
    // Every insecure connection says so, one line each, before any output.
    for spec in &specs {
        if let Some(warning) = connection::insecure_warning(spec) {
            eprintln!("{warning}");
        }
    }
    let logins = specs.into_iter().map(|spec| async move {
        let login = async {
            let client = connection::client_for(&spec)?;
            let needs_tfa = match spec.auth {
                ConnAuth::User { .. } => {
                    matches!(client.login().await?, crate::pve::LoginOutcome::NeedTfa)
                }
                ConnAuth::Token { .. } => false,
            };
            Ok::<_, crate::pve::PveError>((client, needs_tfa))
        };
        let outcome = match tokio::time::timeout(HOST_DEADLINE, login).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err(fleet::FleetError::Timeout(HOST_DEADLINE.as_secs()).to_string()),
        };
        (spec.name, outcome)
    });
    let mut hosts = Vec::new();
    let mut failures = Vec::new();
    for (name, outcome) in futures_util::future::join_all(logins).await {
        let finished = match outcome {
            Ok((client, true)) => complete_tfa(&name, client).await,
            Ok((client, false)) => Ok(client),
            Err(reason) => Err(reason),
        };
        match finished {
            Ok(client) => hosts.push(FleetHost { name, client }),
            Err(reason) => failures.push(HostDown { host: name, reason }),
        }
    }
    (hosts, failures)
}

async fn complete_tfa(name: &str, client: PveClient) -> Result<PveClient, String> {
    let code = prompt_line(&format!("TOTP code for {name}: ")).map_err(|e| e.to_string())?;
    client
        .complete_tfa(code.trim())
        .await
        .map_err(|e| e.to_string())?;
    Ok(client)
}

/// Print each failure on one stderr line.
pub(super) fn report(failures: &[HostDown]) {
    let mut err = std::io::stderr().lock();
    for f in failures {
        let _ = writeln!(err, "host {}: {}", f.host, clean_string(&f.reason));
    }
}

/// The answers of every host, failures reported; `Err` when nothing answered at all (with a
/// single host in scope, its reason is the one error line).
fn answered<T>(
    results: Vec<HostResult<T>>,
    mut failures: Vec<HostDown>,
) -> Result<(Vec<(String, T)>, bool), CliError> {
    let mut answers = Vec::new();
    for r in results {
        match r.result {
            Ok(v) => answers.push((r.host, v)),
            Err(e) => failures.push(HostDown {
                host: r.host,
                reason: e.to_string(),
            }),
        }
    }
    if answers.is_empty() {
        if let [only] = failures.as_slice() {
            return Err(CliError::new(&only.reason));
        }
        report(&failures);
        return Err(CliError::new("no host answered"));
    }
    report(&failures);
    Ok((answers, !failures.is_empty()))
}

pub(super) fn exit(partial: bool) -> ExitCode {
    if partial {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    }
}

/// Every host in scope, connected; the hosts that could not be reached.
pub(super) async fn fleet(
    scope: &FleetScope<'_>,
) -> Result<(Vec<FleetHost>, Vec<HostDown>), CliError> {
    let (specs, mut failures) = specs(scope)?;
    let (hosts, login_failures) = connect_all(specs).await;
    failures.extend(login_failures);
    Ok((hosts, failures))
}

pub async fn ls(scope: &FleetScope<'_>, json: bool) -> Result<ExitCode, CliError> {
    let (hosts, failures) = fleet(scope).await?;
    let (answers, partial) = answered(fleet::resources(&hosts, HOST_DEADLINE).await, failures)?;
    let mut rows: Vec<_> = answers
        .iter()
        .flat_map(|(host, resources)| guest_rows(host, resources))
        .collect();
    rows.sort_by(|a, b| a.vmid.cmp(&b.vmid).then_with(|| a.host.cmp(&b.host)));
    print_out(json, &rows, || guests_table(&rows))?;
    Ok(exit(partial))
}

pub async fn nodes(scope: &FleetScope<'_>, json: bool) -> Result<ExitCode, CliError> {
    let (hosts, failures) = fleet(scope).await?;
    let (answers, partial) = answered(fleet::resources(&hosts, HOST_DEADLINE).await, failures)?;
    let mut rows: Vec<_> = answers
        .iter()
        .flat_map(|(host, resources)| node_rows(host, resources))
        .collect();
    rows.sort_by(|a, b| a.node.cmp(&b.node).then_with(|| a.host.cmp(&b.host)));
    print_out(json, &rows, || nodes_table(&rows))?;
    Ok(exit(partial))
}

pub async fn tasks(scope: &FleetScope<'_>, args: &TasksArgs) -> Result<ExitCode, CliError> {
    let (hosts, failures) = fleet(scope).await?;
    let (answers, partial) = answered(fleet::tasks(&hosts, HOST_DEADLINE).await, failures)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut rows: Vec<_> = answers
        .iter()
        .flat_map(|(host, entries)| task_rows(host, entries, now))
        .filter(|r| !args.running || r.running)
        .collect();
    // Newest first, as Proxmox lists them.
    rows.sort_by(|a, b| {
        b.starttime
            .cmp(&a.starttime)
            .then_with(|| a.host.cmp(&b.host))
    });
    print_out(args.json, &rows, || tasks_table(&rows))?;
    Ok(exit(partial))
}

/// The hosts a TARGET needs: only the named one for `HOST:X` (so no other host is asked
/// for a password), else every host in scope.
pub(super) async fn fleet_for_target(
    scope: &FleetScope<'_>,
    target: &str,
) -> Result<(Vec<FleetHost>, Vec<HostDown>), CliError> {
    let named = parse_target(target).map_err(CliError::new)?.host;
    let (mut specs, mut failures) = specs(scope)?;
    if let Some(name) = &named {
        specs.retain(|s| &s.name == name);
        failures.retain(|f| &f.host == name);
        if specs.is_empty() && failures.is_empty() {
            return Err(CliError::new(engine::TargetError::NoHost(name.clone())));
        }
    }
    let (hosts, login_failures) = connect_all(specs).await;
    failures.extend(login_failures);
    Ok((hosts, failures))
}

pub async fn power(
    scope: &FleetScope<'_>,
    target: &str,
    op: PowerOp,
) -> Result<ExitCode, CliError> {
    let (hosts, failures) = fleet_for_target(scope, target).await?;
    let (guest, host) = fleet::find_guest(&hosts, &failures, target, HOST_DEADLINE)
        .await
        .map_err(CliError::new)?;
    // The same engine (checks, job, journal) as the TUI's.
    let engine = super::jobs::engine(scope.paths);
    engine.attach(&host.name, host.client.clone());
    let id = engine.power(&guest.guest, op).map_err(CliError::new)?;
    let info = super::jobs::run_to_end(&engine, id).await?;
    println!(
        "{} {} ({}) on {}: {} done  {}  {}",
        guest.guest.kind.short(),
        guest.guest.vmid,
        clean_string(&guest.name),
        guest.guest.host,
        op.verb(),
        clean_string(&info.upid.unwrap_or_default()),
        info.id
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn rm(scope: &FleetScope<'_>, args: &RmArgs) -> Result<ExitCode, CliError> {
    let (hosts, failures) = fleet_for_target(scope, &args.target).await?;
    let (guest, host) = fleet::find_guest(&hosts, &failures, &args.target, HOST_DEADLINE)
        .await
        .map_err(CliError::new)?;
    let engine = super::jobs::engine(scope.paths);
    engine.attach(&host.name, host.client.clone());
    // The status the TARGET was resolved with is the engine's latest for this host.
    let id = engine
        .delete_with_status(&guest.guest, &guest.status, args.force)
        .map_err(|e| match e {
            engine::Refusal::Running { .. } => CliError::new(format!("{e} or use --force")),
            other => CliError::new(other),
        })?;
    let info = super::jobs::run_to_end(&engine, id).await?;
    println!(
        "CT {} ({}) on {}: deleted  {}  {}",
        guest.guest.vmid,
        clean_string(&guest.name),
        guest.guest.host,
        clean_string(&info.upid.unwrap_or_default()),
        info.id
    );
    Ok(ExitCode::SUCCESS)
}

/// `logs ARG`: a Proximity job (`job-N`, from the journal) or a Proxmox task (UPID).
pub async fn logs(scope: &FleetScope<'_>, args: &LogsArgs) -> Result<ExitCode, CliError> {
    if args.upid.starts_with("job-") {
        let id: engine::JobId = args.upid.parse().map_err(CliError::new)?;
        return super::jobs::logs(scope.paths, id, args.follow).await;
    }
    task_logs(scope, &args.upid, args.follow).await
}

/// A Proxmox task's log, from the host that knows the task. With one host in scope it is
/// asked directly (its own error says what is wrong with the UPID).
async fn task_logs(scope: &FleetScope<'_>, upid: &str, follow: bool) -> Result<ExitCode, CliError> {
    let upid: Upid = upid.parse().map_err(CliError::new)?;
    let (hosts, failures) = fleet(scope).await?;
    let client = match (hosts.as_slice(), failures.as_slice()) {
        ([only], []) => only.client.clone(),
        ([], [only]) => return Err(CliError::new(&only.reason)),
        _ => {
            let (host, _) = fleet::host_for_upid(&hosts, &failures, &upid, HOST_DEADLINE)
                .await
                .map_err(CliError::new)?;
            host.client.clone()
        }
    };
    print_task_log(&client, &upid, follow).await
}

/// Print one task's log (all of it; with `follow`, new lines until the task ends).
async fn print_task_log(
    client: &PveClient,
    upid: &Upid,
    follow: bool,
) -> Result<ExitCode, CliError> {
    let mut out = std::io::stdout().lock();
    if follow {
        let mut lines =
            Box::pin(client.follow_task_log(upid, std::time::Duration::from_millis(500)));
        while let Some(line) = lines.next().await {
            let line = line.map_err(CliError::new)?;
            writeln!(out, "{}", clean_string(&line.t)).map_err(CliError::new)?;
            out.flush().map_err(CliError::new)?;
        }
    } else {
        let page = client.task_log(upid, 0, 0).await.map_err(CliError::new)?;
        for line in page.lines {
            writeln!(out, "{}", clean_string(&line.t)).map_err(CliError::new)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
