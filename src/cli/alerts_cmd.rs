//! `proximity alerts [--json]`: the alerts of every host now, evaluated from one fresh
//! snapshot of each (inventory and backups) over the open entries of the store's history
//! (which a running TUI keeps: health checks, and since when an alert fires). Plus
//! `alerts notify` (where notifications go; secrets read from stdin, sealed in the store)
//! and `alerts test` (one test notification to each target).
//!
//! Exit codes: 0 nothing fires; 4 at least one alert fires; 3 nothing fires but some host
//! did not answer; 1 an error (a bad `alerts.toml` names its file and line).

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::CliError;
use super::fleet::{EXIT_PARTIAL, FleetScope, fleet, report};
use crate::alerts::{Alert, AlertConfig};
use crate::engine::EngineEvent;
use crate::store::Secret;
use crate::store::alerts::{NotifySettings, NtfySettings};
use crate::text::clean_string;

/// Exit code when at least one alert fires.
pub const EXIT_FIRING: u8 = 4;
/// History entries `alerts --json` includes.
const HISTORY_SHOWN: usize = 20;

#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// Machine-readable output (documented in the README).
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<AlertsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Where notifications go. Secrets come from stdin, never the command line.
    Notify(NotifyArgs),
    /// Send a test notification to every target and say how each went.
    Test,
}

#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// Read the webhook URL from stdin's first line (an empty line turns the webhook off).
    #[arg(long)]
    pub webhook_stdin: bool,
    /// Notify through ntfy at SERVER (e.g. https://ntfy.sh): the topic is read from stdin's
    /// first line, an access token from the second (optional).
    #[arg(long, value_name = "SERVER", conflicts_with = "webhook_stdin")]
    pub ntfy: Option<String>,
    /// Turn every notification off.
    #[arg(long, conflicts_with_all = ["webhook_stdin", "ntfy"])]
    pub off: bool,
}

/// What `--json` prints.
#[derive(serde::Serialize)]
struct Report<'a> {
    firing: &'a [Alert],
    pending: &'a [Alert],
    history: &'a [Alert],
    hosts_down: Vec<HostDownJson>,
}

#[derive(serde::Serialize)]
struct HostDownJson {
    host: String,
    reason: String,
}

pub async fn run(scope: &FleetScope<'_>, args: &AlertsArgs) -> Result<ExitCode, CliError> {
    match &args.command {
        Some(AlertsCommand::Notify(n)) => return notify(scope, n),
        Some(AlertsCommand::Test) => return test(scope).await,
        None => {}
    }
    let mut config = AlertConfig::load(&scope.paths.config_dir).map_err(CliError::new)?;
    let (hosts, failures) = fleet(scope).await?;
    let engine = super::jobs::engine(scope.paths);
    if let Some(store) = engine.store() {
        config.screen = store.alert_settings().thresholds().map_err(CliError::new)?;
    }
    let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
    for h in hosts {
        engine.attach(&h.name, h.client);
    }
    let report_now = engine.evaluate_alerts(&names, &config).await;
    let mut down: Vec<HostDownJson> = failures
        .iter()
        .map(|f| HostDownJson {
            host: f.host.clone(),
            reason: f.reason.clone(),
        })
        .collect();
    down.extend(report_now.failures.iter().map(|(h, r)| HostDownJson {
        host: h.clone(),
        reason: r.clone(),
    }));
    let history = engine.alert_history(HISTORY_SHOWN);
    if args.json {
        let text = super::commands::clean_json(&Report {
            firing: &report_now.firing,
            pending: &report_now.pending,
            history: &history,
            hosts_down: down,
        })?;
        println!("{text}");
    } else {
        report(&failures);
        for (host, reason) in &report_now.failures {
            eprintln!("host {host}: {}", clean_string(reason));
        }
        print_table(&report_now.firing, &report_now.pending);
    }
    let partial = !failures.is_empty() || !report_now.failures.is_empty();
    Ok(if !report_now.firing.is_empty() {
        ExitCode::from(EXIT_FIRING)
    } else if partial {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_table(firing: &[Alert], pending: &[Alert]) {
    let mut out = std::io::stdout().lock();
    if firing.is_empty() && pending.is_empty() {
        let _ = writeln!(out, "no alert: every rule is quiet");
        return;
    }
    let _ = writeln!(
        out,
        "{:<8} {:<9} {:<14} {:<14} {:<16} MESSAGE",
        "STATE", "SEVERITY", "RULE", "TARGET", "NAME"
    );
    let rows = firing
        .iter()
        .map(|a| ("firing", a))
        .chain(pending.iter().map(|a| ("pending", a)));
    for (state, a) in rows {
        let _ = writeln!(
            out,
            "{:<8} {:<9} {:<14} {:<14} {:<16} {}",
            state,
            a.severity.name(),
            a.rule.name(),
            clean_string(&a.target.to_string()),
            clean_string(&a.name),
            clean_string(&a.message)
        );
    }
}

fn notify(scope: &FleetScope<'_>, args: &NotifyArgs) -> Result<ExitCode, CliError> {
    let engine = super::jobs::engine(scope.paths);
    let mut settings = engine.notify_settings();
    if args.off {
        settings = NotifySettings::default();
    } else if args.webhook_stdin {
        let url = stdin_lines(1)?.into_iter().next().unwrap_or_default();
        settings.webhook_url = (!url.is_empty()).then(|| Secret::new(url));
    } else if let Some(server) = &args.ntfy {
        let mut lines = stdin_lines(2)?.into_iter();
        let topic = lines.next().unwrap_or_default();
        if topic.is_empty() {
            return Err(CliError::new("ntfy: the topic is the first line of stdin"));
        }
        let token = lines.next().filter(|t| !t.is_empty()).map(Secret::new);
        settings.ntfy = Some(NtfySettings {
            server: server.trim_end_matches('/').to_string(),
            topic: Secret::new(topic),
            token,
        });
    } else {
        let say = |set: bool| if set { "set" } else { "off" };
        println!("webhook: {}", say(settings.webhook_url.is_some()));
        match &settings.ntfy {
            Some(n) => println!("ntfy: {} (topic set)", clean_string(&n.server)),
            None => println!("ntfy: off"),
        }
        return Ok(ExitCode::SUCCESS);
    }
    engine.set_notify(&settings).map_err(CliError::new)?;
    println!("notification settings saved");
    Ok(ExitCode::SUCCESS)
}

/// Up to `n` lines of stdin, trimmed.
fn stdin_lines(n: usize) -> Result<Vec<String>, CliError> {
    let stdin = std::io::stdin();
    let mut out = Vec::new();
    for line in stdin.lock().lines().take(n) {
        out.push(
            line.map_err(|e| CliError::new(format!("reading stdin: {e}")))?
                .trim()
                .to_string(),
        );
    }
    Ok(out)
}

async fn test(scope: &FleetScope<'_>) -> Result<ExitCode, CliError> {
    let engine = super::jobs::engine(scope.paths);
    let settings = engine.notify_settings();
    let targets =
        usize::from(settings.webhook_url.is_some()) + usize::from(settings.ntfy.is_some());
    let mut events = engine.subscribe();
    engine.test_notifications();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut failed = false;
    let mut heard = 0;
    while heard < targets.max(1) {
        let Ok(Ok(ev)) = tokio::time::timeout_at(deadline, events.recv()).await else {
            return Err(CliError::new(
                "no answer from the notification targets in 60s",
            ));
        };
        if let EngineEvent::Notice { text, error } = ev {
            heard += 1;
            failed |= error;
            if error {
                eprintln!("{}", clean_string(&text));
            } else {
                println!("{}", clean_string(&text));
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
