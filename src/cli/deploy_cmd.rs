//! `proximity deploy`, `apps` and `app VERB NAME`: the deployment engine from the command
//! line. A deployment runs in the process that started it (there is no daemon): the command
//! stays until the app answers or the deployment failed and was rolled back; Ctrl-C cancels
//! (which rolls back). With `--wait` every log line is printed as it comes; without, one line
//! per step.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use super::fleet::{FleetScope, fleet, report};
use super::{AppArgs, AppVerb, CliError, DeployArgs};
use crate::catalog::AppSpec;
use crate::deploy::{AppRecord, DeployRequest, DeploymentRecord};
use crate::engine::{Engine, EngineEvent, GuestRef, JobEvent, JobId, PowerOp};
use crate::inventory::GuestKind;
use crate::paths::Paths;
use crate::text::clean_string;

/// The catalog entry `id` (shipped or the user's).
fn app_spec(paths: &Paths, id: &str) -> Result<AppSpec, CliError> {
    super::catalog_lookup::find(paths, id)
}

/// `K=V` pairs, refused by position when malformed.
fn parse_env(pairs: &[String]) -> Result<BTreeMap<String, String>, CliError> {
    let mut out = BTreeMap::new();
    for (i, pair) in pairs.iter().enumerate() {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            CliError::new(format!(
                "--env #{}: {:?} is not KEY=VALUE",
                i + 1,
                clean_string(pair)
            ))
        })?;
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

/// An engine with every host in scope attached (unreachable ones reported).
async fn engine_with_hosts(scope: &FleetScope<'_>) -> Result<(Engine, bool), CliError> {
    let (hosts, failures) = fleet(scope).await?;
    report(&failures);
    if hosts.is_empty() {
        return Err(CliError::new("no host answered"));
    }
    let engine = super::jobs::engine(scope.paths);
    if engine.store().is_none() {
        return Err(CliError::new(
            "the store did not open (see the log): a deployment needs its journal",
        ));
    }
    for h in hosts {
        engine.attach(&h.name, h.client);
    }
    Ok((engine, !failures.is_empty()))
}

pub async fn deploy(scope: &FleetScope<'_>, args: &DeployArgs) -> Result<ExitCode, CliError> {
    let (engine, _) = engine_with_hosts(scope).await?;
    // Subscribed before the job starts: its first lines are printed too.
    let mut events = engine.subscribe();
    let id = if let Some(job) = &args.resume {
        let id: JobId = job.parse().map_err(CliError::new)?;
        let rec = engine
            .deployment(id.0)
            .ok_or_else(|| CliError::new(format!("no deployment {id} in the journal")))?;
        let app = app_spec(scope.paths, &rec.app)?;
        engine.resume_deployment(id.0, app).map_err(CliError::new)?
    } else if let Some(job) = &args.rollback {
        let id: JobId = job.parse().map_err(CliError::new)?;
        engine.rollback_deployment(id.0).map_err(CliError::new)?
    } else {
        let app_id = args
            .app
            .as_deref()
            .ok_or_else(|| CliError::new("which app? `proximity catalog` lists them"))?;
        let mut req = DeployRequest::new(app_spec(scope.paths, app_id)?);
        req.name = args.name.clone();
        req.host = args.target_host.clone().or(scope.host.map(String::from));
        req.node = args.node.clone();
        req.env = parse_env(&args.env)?;
        req.keep_on_failure = args.keep_on_failure;
        req.backups = !args.no_backup;
        engine.deploy(req).map_err(CliError::new)?
    };
    eprintln!("{id} started (Ctrl-C cancels and rolls back)");
    let printer = async {
        let stdout = std::io::stdout();
        let tty = std::io::IsTerminal::is_terminal(&stdout);
        // `--wait`: the job's log, pull progress drawn in place (see `live_log`).
        let mut live = super::live_log::LiveLog::new(stdout.lock(), tty);
        loop {
            // A pipe's held lines are final once nothing redrew them for a moment (a
            // progress block redraws several times a second): output lags by that at most.
            live.settle_older(super::live_log::QUIET);
            let tick = super::live_log::QUIET / 4;
            let Ok(event) = tokio::time::timeout(tick, events.recv()).await else {
                continue;
            };
            match event {
                Ok(EngineEvent::Job(JobEvent::Log {
                    id: j, index, line, ..
                })) if j == id && args.wait => live.line(index, &line.text),
                Ok(EngineEvent::Job(JobEvent::Step { id: j, .. })) if j == id && args.wait => {
                    live.settle()
                }
                Ok(EngineEvent::Job(JobEvent::Step {
                    id: j,
                    step: Some(s),
                    fraction,
                    ..
                })) if j == id && !args.wait => {
                    let pct = fraction
                        .map(|f| format!("{:>3.0}% ", f * 100.0))
                        .unwrap_or_default();
                    let _ = writeln!(live.out(), "{pct}{}", clean_string(&s));
                }
                Ok(EngineEvent::Job(JobEvent::Finished(info))) if info.id == id => {
                    live.settle();
                    break;
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
    };
    let (result, ()) = tokio::join!(super::jobs::run_to_end(&engine, id), printer);
    result?;
    let deployment = engine
        .deployments()
        .into_iter()
        .find(|d| d.jobs.contains(&id.0));
    if let Some(d) = deployment {
        print_done(&d);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_done(d: &DeploymentRecord) {
    let url = d.url.as_deref().unwrap_or("(no web UI)");
    println!(
        "{} ({}) on {}/{} CT {}: {}  {}",
        clean_string(&d.name),
        clean_string(&d.app),
        clean_string(&d.host),
        clean_string(&d.node),
        d.vmid.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
        d.status.name(),
        clean_string(url)
    );
}

/// `apps [--json]`: the managed apps, reconciled first with every host in scope (tagged
/// containers adopted, vanished ones marked missing); a host that does not answer is
/// reported and its apps shown as last known.
pub async fn apps(scope: &FleetScope<'_>, json: bool) -> Result<ExitCode, CliError> {
    let (engine, mut partial) = engine_with_hosts(scope).await?;
    for host in engine.connected() {
        if let Err(e) = engine.reconcile_apps(&host).await {
            eprintln!("host {host}: {}", clean_string(&e.to_string()));
            partial = true;
        }
    }
    let mut apps = engine.apps();
    apps.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = std::io::stdout().lock();
    if json {
        let text = super::commands::clean_json(&apps)?;
        let _ = writeln!(out, "{text}");
        return Ok(exit_code(partial));
    }
    let _ = writeln!(
        out,
        "{:<20} {:<16} {:<10} {:<10} {:>6}  URL",
        "NAME", "APP", "HOST", "NODE", "VMID"
    );
    for a in &apps {
        let url = if a.missing {
            "(container missing)".to_string()
        } else {
            a.url.clone().unwrap_or_default()
        };
        let _ = writeln!(
            out,
            "{:<20} {:<16} {:<10} {:<10} {:>6}  {}",
            clean_string(&a.name),
            clean_string(&a.app),
            clean_string(&a.host),
            clean_string(&a.node),
            a.vmid,
            clean_string(&url)
        );
    }
    Ok(exit_code(partial))
}

fn exit_code(partial: bool) -> ExitCode {
    if partial {
        ExitCode::from(super::fleet::EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    }
}

/// `app start|stop|restart|update|logs|rm|clone NAME`: the app's container through the
/// engine's jobs.
pub async fn app(scope: &FleetScope<'_>, args: &AppArgs) -> Result<ExitCode, CliError> {
    let record: AppRecord = {
        let store = crate::store::Store::open(scope.paths).map_err(CliError::new)?;
        store
            .apps()
            .get(&args.name)
            .map_err(CliError::new)?
            .ok_or_else(|| {
                CliError::new(format!(
                    "no app named {:?} (see `proximity apps`)",
                    clean_string(&args.name)
                ))
            })?
    };
    if args.verb == AppVerb::Clone {
        return clone(scope, args, &record).await;
    }
    let narrowed = FleetScope {
        host: Some(&record.host),
        paths: scope.paths,
    };
    let (engine, _) = engine_with_hosts(&narrowed).await?;
    let guest = GuestRef {
        host: record.host.clone(),
        node: record.node.clone(),
        vmid: record.vmid,
        kind: GuestKind::Container,
    };
    let id = match args.verb {
        AppVerb::Start => engine.power(&guest, PowerOp::Start),
        AppVerb::Stop => engine.power(&guest, PowerOp::Shutdown),
        AppVerb::Restart if args.compose => engine.restart_app_compose(&record.name),
        AppVerb::Restart => engine.power(&guest, PowerOp::Reboot),
        AppVerb::Update => {
            let spec = app_spec(scope.paths, &record.app)?;
            engine.update_app(&record.name, spec)
        }
        AppVerb::Logs if args.follow => return follow_logs(&engine, &record, args.tail).await,
        AppVerb::Logs => {
            let text = engine
                .app_logs(&record.name, args.tail)
                .await
                .map_err(CliError::new)?;
            let mut out = std::io::stdout().lock();
            for line in text.lines() {
                let _ = writeln!(out, "{}", clean_string(line));
            }
            return Ok(ExitCode::SUCCESS);
        }
        AppVerb::Rm => {
            if !args.yes {
                return Err(CliError::new(format!(
                    "this destroys {} and its data (CT {}): add --backup --yes to back it up first, or --yes to delete it without a backup",
                    clean_string(&record.name),
                    record.vmid
                )));
            }
            if args.backup {
                eprintln!("backing {} up first", clean_string(&record.name));
            }
            engine.remove_app(&record.name, args.backup)
        }
        AppVerb::Clone => unreachable!("handled above"),
    }
    .map_err(CliError::new)?;
    let info = super::jobs::run_to_end(&engine, id).await?;
    if args.compose && args.verb == AppVerb::Restart {
        // What compose said (each service restarted), from the job's log.
        let mut out = std::io::stdout().lock();
        for line in info.log.iter().skip(1) {
            let _ = writeln!(out, "{}", clean_string(&line.text));
        }
    }
    println!(
        "{}: {} done  {}",
        clean_string(&record.name),
        args.verb.name(),
        info.id
    );
    Ok(ExitCode::SUCCESS)
}

/// `app logs NAME --follow`: the engine's follow job, its lines printed as they come until
/// Ctrl-C (which cancels it: the normal end, exit 0) or the command ends.
async fn follow_logs(
    engine: &crate::engine::Engine,
    record: &AppRecord,
    tail: usize,
) -> Result<ExitCode, CliError> {
    use tokio::sync::broadcast::error::RecvError;
    let mut events = engine.subscribe();
    let id = engine
        .follow_app_logs_job(&record.name, tail)
        .map_err(CliError::new)?;
    let stdout = std::io::stdout();
    let tty = std::io::IsTerminal::is_terminal(&stdout);
    // Log lines do not redraw: each is printed as it comes, on a pipe too.
    let mut live = super::live_log::LiveLog::new(stdout.lock(), tty).unheld();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut interrupted = false;
    let info = loop {
        let event = tokio::select! {
            e = events.recv() => e,
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                engine.cancel(id);
                continue;
            }
        };
        match event {
            // Line 0 is the step's name.
            Ok(EngineEvent::Job(JobEvent::Log {
                id: j, index, line, ..
            })) if j == id && index > 0 => live.line(index, &line.text),
            Ok(EngineEvent::Job(JobEvent::Finished(info))) if info.id == id => break Some(info),
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => break None,
        }
    };
    live.settle();
    match info.map(|i| i.state) {
        Some(crate::engine::JobState::Succeeded | crate::engine::JobState::Cancelled) => {
            Ok(ExitCode::SUCCESS)
        }
        Some(crate::engine::JobState::Failed(reason)) => Err(CliError::new(reason)),
        other => Err(CliError::new(format!(
            "{id} {}",
            other.map_or("vanished", |s| s.name())
        ))),
    }
}

/// `app clone NAME NEW_NAME [--host H] [--node N] [--keep-secrets]`: the deploy job, with
/// the source's variables, on every host in scope (the source's host is always attached:
/// its compose file is read).
async fn clone(
    scope: &FleetScope<'_>,
    args: &AppArgs,
    record: &AppRecord,
) -> Result<ExitCode, CliError> {
    let new_name = args
        .new_name
        .clone()
        .ok_or_else(|| CliError::new("clone NAME NEW_NAME: the new app's name is missing"))?;
    let spec = app_spec(scope.paths, &record.app)?;
    // Every host: the source's for its variables, the target's (or all, for placement).
    let all = FleetScope {
        host: None,
        paths: scope.paths,
    };
    let (engine, _) = engine_with_hosts(&all).await?;
    let req = crate::engine::app_lifecycle::CloneRequest {
        name: new_name,
        host: scope.host.map(String::from),
        node: args.node.clone(),
        keep_secrets: args.keep_secrets,
    };
    let id = engine
        .clone_app(&record.name, spec, req)
        .await
        .map_err(CliError::new)?;
    eprintln!("{id} started (Ctrl-C cancels and rolls back)");
    super::jobs::run_to_end(&engine, id).await?;
    if let Some(d) = engine
        .deployments()
        .into_iter()
        .find(|d| d.jobs.contains(&id.0))
    {
        print_done(&d);
    }
    Ok(ExitCode::SUCCESS)
}
