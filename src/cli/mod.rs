//! The command line (clap). Every command exits non-zero with one clear line on error;
//! `run` returns a `CliError` and `main` prints it once (sanitized: it may quote a server).
//! Exit codes: 0 done, 1 error, 3 partial (`fleet::EXIT_PARTIAL`: some hosts did not answer,
//! the others' output was printed).

pub mod alerts_cmd;
pub mod backup_cmd;
pub mod catalog_cmd;
mod catalog_lookup;
pub mod commands;
pub mod console_raw;
mod deploy_cmd;
pub mod fleet;
pub mod jobs;
mod live_log;
pub mod logging;
pub mod metrics_cmd;
pub mod output;
pub mod replay;
pub mod tui;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "proximity",
    version,
    about = "A terminal rack dashboard for Proxmox VE"
)]
pub struct Cli {
    /// Use only this configured host (default: every host; `console`: the first).
    #[arg(long, global = true, value_name = "NAME")]
    pub host: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the TUI on an embedded emulated cluster: nothing to set up.
    Demo(DemoArgs),
    /// Run the Proxmox VE emulator as a server (prints one JSON line: how to connect).
    Sim(crate::sim::SimArgs),
    /// Manage Proxmox endpoints.
    #[command(subcommand)]
    Hosts(HostsCommand),
    /// List guests (containers and VMs) of every host.
    Ls(JsonFlag),
    /// List nodes of every host.
    Nodes(JsonFlag),
    /// List recent tasks of every host (Proxmox's cluster task list).
    Tasks(TasksArgs),
    /// List the app catalog (shipped and user entries), optionally fuzzy-searched.
    Catalog(catalog_cmd::CatalogArgs),
    /// Start a guest and wait for the task.
    Start(TargetArg),
    /// Stop a guest (hard) and wait for the task.
    Stop(TargetArg),
    /// Shut a guest down cleanly and wait for the task.
    Shutdown(TargetArg),
    /// Reboot a guest and wait for the task.
    Reboot(TargetArg),
    /// Delete a guest (purges its disks) and wait for the task.
    Rm(RmArgs),
    /// Show a task's log.
    Logs(LogsArgs),
    /// Deploy an app from the catalog into a new container (or resume / roll back an
    /// interrupted deployment).
    Deploy(DeployArgs),
    /// List the managed apps.
    Apps(JsonFlag),
    /// The alerts of every host now (exit 4 while one fires); `notify`, `test`.
    Alerts(alerts_cmd::AlertsArgs),
    /// Start, stop, restart, update, show the logs of, remove or clone a managed app.
    App(AppArgs),
    /// Back a guest up now (vzdump).
    Backup(backup_cmd::BackupArgs),
    /// List the backups of every host (or of one guest).
    Backups(backup_cmd::BackupsArgs),
    /// Restore a backup into a container (over an existing one with --yes).
    Restore(backup_cmd::RestoreArgs),
    /// List, take, roll back to or delete container snapshots.
    Snapshot(backup_cmd::SnapshotArgs),
    /// Open a raw console to a container or node in this terminal.
    Console(ConsoleArgs),
    /// Metrics of a guest or a node (node:NAME) over an hour, a day, a week or a month.
    Metrics(metrics_cmd::MetricsArgs),
    /// Play a console recording (asciicast v2, or a raw byte stream with --raw).
    Replay(ReplayArgs),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Run the simulated shell inside an emulator PTY (internal).
    #[command(name = "__sim-shell", hide = true)]
    SimShell(crate::sim::shell::ShellArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    #[arg(long, default_value_t = 30)]
    pub guests: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Machine-readable output (documented in the README).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TasksArgs {
    /// Machine-readable output (documented in the README).
    #[arg(long)]
    pub json: bool,
    /// Only tasks still running.
    #[arg(long)]
    pub running: bool,
}

#[derive(Debug, Args)]
pub struct TargetArg {
    /// A vmid or a guest name, optionally HOST:VMID or HOST:NAME.
    pub target: String,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// A vmid or a guest name, optionally HOST:VMID or HOST:NAME.
    pub target: String,
    /// Stop a running guest first instead of refusing.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The task's UPID.
    pub upid: String,
    /// Keep printing new lines until the task ends.
    #[arg(long, short)]
    pub follow: bool,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The catalog id of the app (see `proximity catalog`).
    #[arg(required_unless_present_any = ["resume", "rollback"])]
    pub app: Option<String>,
    /// The app's name and the container's hostname (default: the app id, made unique).
    #[arg(long)]
    pub name: Option<String>,
    /// Deploy to this host (default: placed automatically; the global --host works too).
    #[arg(long = "on-host", value_name = "HOST")]
    pub target_host: Option<String>,
    /// Deploy to this node of the host.
    #[arg(long)]
    pub node: Option<String>,
    /// Set a variable of the app: KEY=VALUE (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Print every log line as it comes (default: one line per step).
    #[arg(long)]
    pub wait: bool,
    /// On failure, keep the container as it is instead of rolling back.
    #[arg(long)]
    pub keep_on_failure: bool,
    /// Do not add the app to the automatic backups.
    #[arg(long)]
    pub no_backup: bool,
    /// Resume an interrupted deployment (its job id, `job-N`).
    #[arg(long, value_name = "JOB", conflicts_with_all = ["app", "rollback"])]
    pub resume: Option<String>,
    /// Roll an interrupted deployment back (destroys its container).
    #[arg(long, value_name = "JOB", conflicts_with_all = ["app", "resume"])]
    pub rollback: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AppVerb {
    Start,
    Stop,
    Restart,
    /// Snapshot, pull, re-create, health check; rolled back on failure.
    Update,
    /// The app's recent logs (docker compose logs).
    Logs,
    /// Delete the app's container and its data (`--backup` backs it up first).
    Rm,
    /// A new deployment of the same catalog app with the same variables: `clone NAME NEW`
    /// (generated secrets made afresh unless `--keep-secrets`; `--host`, `--node` place it).
    Clone,
}

impl AppVerb {
    pub fn name(self) -> &'static str {
        match self {
            AppVerb::Start => "start",
            AppVerb::Stop => "stop",
            AppVerb::Restart => "restart",
            AppVerb::Update => "update",
            AppVerb::Logs => "logs",
            AppVerb::Rm => "rm",
            AppVerb::Clone => "clone",
        }
    }
}

#[derive(Debug, Args)]
pub struct AppArgs {
    #[arg(value_enum)]
    pub verb: AppVerb,
    /// The app's name (see `proximity apps`).
    pub name: String,
    /// `clone`: the new app's name.
    #[arg(value_name = "NEW_NAME")]
    pub new_name: Option<String>,
    /// Confirm `rm` (it destroys the container and its data).
    #[arg(long)]
    pub yes: bool,
    /// `rm`: back the app up first (the backup must succeed before anything is deleted).
    #[arg(long)]
    pub backup: bool,
    /// `clone`: the node to put the new app on (default: placed automatically; `--host`
    /// picks the host).
    #[arg(long, value_name = "NODE")]
    pub node: Option<String>,
    /// `clone`: keep the source's generated secrets instead of generating new ones.
    #[arg(long)]
    pub keep_secrets: bool,
    /// Lines of `logs` to show.
    #[arg(long, default_value_t = 100)]
    pub tail: usize,
    /// `logs`: follow them live until Ctrl-C (`docker compose logs --follow`).
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// `restart`: restart the app's compose project (`docker compose restart`) instead of
    /// its container.
    #[arg(long)]
    pub compose: bool,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// A container (vmid or name), or `node:NAME` for a node shell.
    pub target: String,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    pub file: PathBuf,
    /// The file is a raw byte stream, not asciicast v2.
    #[arg(long)]
    pub raw: bool,
    /// Screen size, e.g. 80x24 (default: the recording's, 80x24 for raw).
    #[arg(long, value_name = "COLSxROWS")]
    pub size: Option<String>,
    /// Print the final screen as plain text instead of playing.
    #[arg(long)]
    pub dump: bool,
    /// Playback speed factor.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
}

#[derive(Debug, Subcommand)]
pub enum HostsCommand {
    /// Add a Proxmox endpoint.
    Add(HostAddArgs),
    /// List configured endpoints.
    Ls(JsonFlag),
    /// Remove an endpoint.
    Rm { name: String },
}

#[derive(Debug, Args)]
pub struct HostAddArgs {
    pub name: String,
    #[arg(long)]
    pub url: String,
    /// API token `user@realm!id=secret` (visible in `ps`: prefer --token-stdin).
    #[arg(long, conflicts_with = "user")]
    pub token: Option<String>,
    /// Read the API token from the first line of stdin: `user@realm!id=secret`, or just the
    /// secret when --token-id is given.
    #[arg(long, conflicts_with_all = ["token", "user"])]
    pub token_stdin: bool,
    /// The token id `user@realm!id` whose secret --token-stdin reads.
    #[arg(long, requires = "token_stdin")]
    pub token_id: Option<String>,
    /// User for ticket login, e.g. root@pam.
    #[arg(long, required_unless_present_any = ["token", "token_stdin"])]
    pub user: Option<String>,
    /// Read the password from stdin (else it is asked for at each login).
    #[arg(long, requires = "user")]
    pub password_stdin: bool,
    /// The user has a TOTP second factor (asked for at login).
    #[arg(long, requires = "user")]
    pub totp: bool,
    /// SHA-256 certificate fingerprint (colon hex, as Proxmox shows it).
    #[arg(long, conflicts_with = "insecure")]
    pub fingerprint: Option<String>,
    /// Do not verify TLS at all (loud and explicit).
    #[arg(long)]
    pub insecure: bool,
    /// Trust the presented fingerprint without asking (scripts).
    #[arg(long)]
    pub yes: bool,
}

/// Any error a command reports: one line, exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(pub String);

impl CliError {
    pub fn new(msg: impl std::fmt::Display) -> Self {
        CliError(msg.to_string())
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::SimShell(args)) => return crate::sim::shell::run(args),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "proximity",
                &mut std::io::stdout(),
            );
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let paths = crate::paths::Paths::resolve();
    let _log_guard = logging::init(&paths);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("proximity: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, paths)) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("proximity: {}", crate::text::clean_string(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, paths: crate::paths::Paths) -> Result<ExitCode, CliError> {
    use crate::engine::PowerOp;
    let host = cli.host.as_deref();
    let conn = || commands::resolve_connection(host, &paths);
    let scope = fleet::FleetScope {
        host,
        paths: &paths,
    };
    match cli.command {
        Some(Command::Sim(args)) => crate::sim::run_cli(args)
            .await
            .map(|_| ExitCode::SUCCESS)
            .map_err(CliError::new),
        Some(Command::Demo(args)) => tui::demo(args.nodes, args.guests, args.seed, &paths).await,
        None => tui::configured(host, &paths).await,
        Some(Command::Hosts(HostsCommand::Add(args))) => commands::hosts_add(&paths, &args).await,
        Some(Command::Hosts(HostsCommand::Ls(f))) => commands::hosts_ls(&paths, f.json),
        Some(Command::Hosts(HostsCommand::Rm { name })) => commands::hosts_rm(&paths, &name),
        Some(Command::Ls(f)) => fleet::ls(&scope, f.json).await,
        Some(Command::Nodes(f)) => fleet::nodes(&scope, f.json).await,
        Some(Command::Tasks(args)) => fleet::tasks(&scope, &args).await,
        Some(Command::Catalog(args)) => catalog_cmd::run(&paths, &args),
        Some(Command::Start(t)) => fleet::power(&scope, &t.target, PowerOp::Start).await,
        Some(Command::Stop(t)) => fleet::power(&scope, &t.target, PowerOp::Stop).await,
        Some(Command::Shutdown(t)) => fleet::power(&scope, &t.target, PowerOp::Shutdown).await,
        Some(Command::Reboot(t)) => fleet::power(&scope, &t.target, PowerOp::Reboot).await,
        Some(Command::Rm(args)) => fleet::rm(&scope, &args).await,
        Some(Command::Logs(args)) => fleet::logs(&scope, &args).await,
        Some(Command::Deploy(args)) => deploy_cmd::deploy(&scope, &args).await,
        Some(Command::Apps(f)) => deploy_cmd::apps(&scope, f.json).await,
        Some(Command::Alerts(args)) => alerts_cmd::run(&scope, &args).await,
        Some(Command::App(args)) => deploy_cmd::app(&scope, &args).await,
        Some(Command::Backup(args)) => backup_cmd::backup(&scope, &args).await,
        Some(Command::Backups(args)) => backup_cmd::backups(&scope, &args).await,
        Some(Command::Restore(args)) => backup_cmd::restore(&scope, &args).await,
        Some(Command::Snapshot(args)) => backup_cmd::snapshot(&scope, &args).await,
        Some(Command::Console(args)) => console_raw::run(&conn()?, &args.target).await,
        Some(Command::Metrics(args)) => metrics_cmd::run(&scope, &args).await,
        Some(Command::Replay(args)) => replay(&args),
        Some(Command::Completions { .. }) | Some(Command::SimShell(_)) => Ok(ExitCode::SUCCESS),
    }
}

fn replay(args: &ReplayArgs) -> Result<ExitCode, CliError> {
    replay::run(args)
}
