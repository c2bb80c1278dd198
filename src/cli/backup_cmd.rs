//! `backup`, `backups`, `restore` and `snapshot`: the engine's backup and snapshot
//! operations from the command line. TARGET rules are the power verbs' (HOST:VMID to pick
//! among matches); destructive steps (restore over a container, rollback) need `--yes`.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::CliError;
use super::commands::print_out;
use super::fleet::{FleetScope, exit, fleet, fleet_for_target, report};
use super::output::{human_bytes, render_table};
use crate::deploy::auto_backup;
use crate::engine::backups::{BackupFilter, BackupOpts, BackupRow};
use crate::engine::fleet::{self as engine_fleet, HOST_DEADLINE};
use crate::engine::{Engine, HostDown, JobId, Refusal, ResolvedGuest};
use crate::pve::{BackupMode, Retention};
use crate::text::clean_string;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Snapshot,
    Suspend,
    Stop,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// A vmid or a guest name, optionally HOST:VMID or HOST:NAME.
    pub target: String,
    /// Backup storage (default: the node's backup storage with the most free space).
    #[arg(long)]
    pub storage: Option<String>,
    /// vzdump mode.
    #[arg(long, value_enum, default_value_t = ModeArg::Snapshot)]
    pub mode: ModeArg,
    /// Wait for the backup to end, printing its log (default: return once it started).
    #[arg(long)]
    pub wait: bool,
    /// Instead of backing up now, put the guest in Proximity's scheduled backup job for
    /// this schedule (`daily`, `hourly`, `HH:MM`, `*/N` minutes, `sun 02:00`, `mon..fri 02:00`),
    /// or `off` to take it out.
    #[arg(long, value_name = "SCHEDULE", conflicts_with_all = ["storage", "wait"])]
    pub schedule: Option<String>,
    /// Retention of the scheduled backups, with --schedule (default keep-daily=7,keep-weekly=4).
    #[arg(long, value_name = "RETENTION", requires = "schedule")]
    pub keep: Option<String>,
}

#[derive(Debug, Args)]
pub struct BackupsArgs {
    /// Only this guest's backups (vmid, name, HOST:VMID or HOST:NAME).
    pub target: Option<String>,
    /// Machine-readable output (documented in the README).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup's volid (`local:backup/vzdump-lxc-100-....tar.zst`, see `proximity backups`).
    pub volid: String,
    /// Restore into this vmid (default: the one the backup was taken from).
    #[arg(long, value_name = "VMID")]
    pub to: Option<u32>,
    /// Confirm replacing an existing container (its disks and config are overwritten).
    #[arg(long)]
    pub yes: bool,
    /// Wait for the restore to end, printing its log.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnapshotVerb {
    Ls,
    Create,
    Rollback,
    Rm,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[arg(value_enum)]
    pub verb: SnapshotVerb,
    /// A container: vmid, name, HOST:VMID or HOST:NAME.
    pub target: String,
    /// The snapshot's name (create, rollback, rm).
    pub snapname: Option<String>,
    /// The new snapshot's description.
    #[arg(long)]
    pub description: Option<String>,
    /// Confirm a rollback (the container's current state is lost).
    #[arg(long)]
    pub yes: bool,
    /// Machine-readable output for `ls`.
    #[arg(long)]
    pub json: bool,
}

/// The guest a TARGET names, with an engine attached to its host.
async fn resolve(
    scope: &FleetScope<'_>,
    target: &str,
) -> Result<(ResolvedGuest, Engine), CliError> {
    let (hosts, failures) = fleet_for_target(scope, target).await?;
    let (guest, host) = engine_fleet::find_guest(&hosts, &failures, target, HOST_DEADLINE)
        .await
        .map_err(CliError::new)?;
    let engine = super::jobs::engine(scope.paths);
    engine.attach(&host.name, host.client.clone());
    Ok((guest, engine))
}

/// Wait for the job (`wait`) or only until its Proxmox task started; the task's id is
/// printed either way.
async fn run_job(engine: &Engine, id: JobId, wait: bool, what: &str) -> Result<ExitCode, CliError> {
    if wait {
        let info = super::jobs::run_to_end(engine, id).await?;
        println!(
            "{what} done  {}  {}",
            clean_string(&info.upid.unwrap_or_default()),
            info.id
        );
        return Ok(ExitCode::SUCCESS);
    }
    loop {
        let Some(info) = engine.job(id) else {
            return Err(CliError::new(format!("{id} vanished")));
        };
        if info.state.is_finished() {
            let info = super::jobs::run_to_end(engine, id).await?;
            println!(
                "{what} done  {}  {}",
                clean_string(&info.upid.unwrap_or_default()),
                info.id
            );
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(upid) = &info.upid {
            println!("{what} started  {}  {}", clean_string(upid), info.id);
            return Ok(ExitCode::SUCCESS);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn backup(scope: &FleetScope<'_>, args: &BackupArgs) -> Result<ExitCode, CliError> {
    // Checked before any host is asked.
    let retention = match &args.keep {
        Some(k) => Retention::parse(k).map_err(|e| CliError::new(format!("--keep: {e}")))?,
        None => auto_backup::default_retention(),
    };
    if let Some(s) = &args.schedule
        && s != "off"
    {
        auto_backup::job_id(s).map_err(|e| CliError::new(format!("--schedule: {e}")))?;
    }
    let (guest, engine) = resolve(scope, &args.target).await?;
    let who = format!(
        "{} {} ({}) on {}",
        guest.guest.kind.short(),
        guest.guest.vmid,
        clean_string(&guest.name),
        guest.guest.host
    );
    match args.schedule.as_deref() {
        Some("off") => {
            engine
                .remove_from_backup_jobs(&guest.guest)
                .await
                .map_err(CliError::new)?;
            println!("{who}: no longer in a Proximity backup job");
            return Ok(ExitCode::SUCCESS);
        }
        Some(schedule) => {
            let id = engine
                .ensure_backup_job(&guest.guest, schedule, &retention)
                .await
                .map_err(CliError::new)?;
            println!(
                "{who}: in backup job {id} ({schedule}, {})",
                retention.to_wire()
            );
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    let mode = match args.mode {
        ModeArg::Snapshot => BackupMode::Snapshot,
        ModeArg::Suspend => BackupMode::Suspend,
        ModeArg::Stop => BackupMode::Stop,
    };
    let opts = BackupOpts {
        storage: args.storage.clone(),
        mode: Some(mode),
        ..BackupOpts::default()
    };
    let id = engine.backup(&guest.guest, opts).map_err(CliError::new)?;
    let what = format!(
        "backup of {} {} ({}) on {}",
        guest.guest.kind.short(),
        guest.guest.vmid,
        clean_string(&guest.name),
        guest.guest.host
    );
    run_job(&engine, id, args.wait, &what).await
}

/// An engine with every host in scope attached, and the hosts that could not be reached.
async fn fleet_engine(scope: &FleetScope<'_>) -> Result<(Engine, Vec<HostDown>), CliError> {
    let (hosts, failures) = fleet(scope).await?;
    let engine = super::jobs::engine(scope.paths);
    for h in &hosts {
        engine.attach(&h.name, h.client.clone());
    }
    Ok((engine, failures))
}

/// `backups --json` rows: the volume's fields plus `host` and `guest` (its current name).
#[derive(serde::Serialize)]
struct BackupJson<'a> {
    host: &'a str,
    node: &'a str,
    storage: &'a str,
    volid: &'a str,
    vmid: Option<u32>,
    guest: Option<&'a str>,
    subtype: Option<&'a str>,
    format: &'a str,
    size: u64,
    ctime: Option<u64>,
    notes: Option<&'a str>,
    protected: bool,
}

pub async fn backups(scope: &FleetScope<'_>, args: &BackupsArgs) -> Result<ExitCode, CliError> {
    let mut filter = BackupFilter::default();
    let (engine, mut failures) = match &args.target {
        Some(target) => {
            let (guest, engine) = resolve(scope, target).await?;
            filter.host = Some(guest.guest.host.clone());
            filter.vmid = Some(guest.guest.vmid);
            (engine, Vec::new())
        }
        None => fleet_engine(scope).await?,
    };
    let list = engine.backups(&filter).await;
    failures.extend(list.failures.iter().map(|(host, reason)| HostDown {
        host: host.clone(),
        reason: reason.clone(),
    }));
    if list.rows.is_empty() && !failures.is_empty() && engine.connected().len() <= failures.len() {
        report(&failures);
        return Err(CliError::new("no host answered"));
    }
    report(&failures);
    let rows: Vec<BackupJson> = list.rows.iter().map(json_row).collect();
    let now = crate::engine::jobs::now_ms() / 1000;
    print_out(args.json, &rows, || backups_table(&list.rows, now))?;
    Ok(exit(!failures.is_empty()))
}

fn json_row(r: &BackupRow) -> BackupJson<'_> {
    let v = &r.volume;
    BackupJson {
        host: &r.host,
        node: &v.node,
        storage: &v.storage,
        volid: &v.volid,
        vmid: v.vmid,
        guest: r.guest_name.as_deref(),
        subtype: v.subtype.as_deref(),
        format: &v.format,
        size: v.size,
        ctime: v.ctime,
        notes: v.notes.as_deref(),
        protected: v.protected,
    }
}

/// `3d ago`, `5h ago`, `just now`.
pub fn age(now: u64, then: u64) -> String {
    let secs = now.saturating_sub(then);
    match secs {
        0..60 => "just now".into(),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86_400 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86_400),
    }
}

fn backups_table(rows: &[BackupRow], now: u64) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let v = &r.volume;
            vec![
                r.host.clone(),
                v.vmid.map(|id| id.to_string()).unwrap_or_default(),
                clean_string(r.guest_name.as_deref().unwrap_or("-")),
                v.ctime.map(|t| age(now, t)).unwrap_or_else(|| "-".into()),
                human_bytes(v.size),
                if v.protected {
                    "yes".into()
                } else {
                    String::new()
                },
                clean_string(v.notes.as_deref().unwrap_or("")),
                clean_string(&v.volid),
            ]
        })
        .collect();
    render_table(
        &[
            "HOST",
            "VMID",
            "GUEST",
            "AGE",
            "SIZE",
            "PROTECTED",
            "NOTES",
            "VOLID",
        ],
        &body,
    )
}

pub async fn restore(scope: &FleetScope<'_>, args: &RestoreArgs) -> Result<ExitCode, CliError> {
    let (engine, failures) = fleet_engine(scope).await?;
    report(&failures);
    let list = engine.backups(&BackupFilter::default()).await;
    let found: Vec<&BackupRow> = list
        .rows
        .iter()
        .filter(|r| r.volume.volid == args.volid)
        .collect();
    let row = match found.as_slice() {
        [one] => *one,
        [] => {
            report(
                &list
                    .failures
                    .iter()
                    .map(|(h, r)| HostDown {
                        host: h.clone(),
                        reason: r.clone(),
                    })
                    .collect::<Vec<_>>(),
            );
            return Err(CliError::new(format!(
                "no backup '{}' on any host (see `proximity backups`)",
                args.volid
            )));
        }
        many => {
            let hosts: Vec<&str> = many.iter().map(|r| r.host.as_str()).collect();
            return Err(CliError::new(format!(
                "'{}' is on {} hosts: {}; use --host",
                args.volid,
                many.len(),
                hosts.join(", ")
            )));
        }
    };
    let id = engine
        .restore(&row.reference(), args.to, args.yes)
        .await
        .map_err(|e| match e {
            Refusal::ConfirmOverwrite { .. } => CliError::new(format!("{e} (--yes)")),
            other => CliError::new(other),
        })?;
    let vmid = args.to.or(row.volume.vmid).unwrap_or_default();
    let guest = if row.volume.subtype.as_deref() == Some("qemu") {
        "VM"
    } else {
        "CT"
    };
    let what = format!(
        "restore of {} into {guest} {vmid} on {}",
        args.volid, row.host
    );
    run_job(&engine, id, args.wait, &what).await
}

pub async fn snapshot(scope: &FleetScope<'_>, args: &SnapshotArgs) -> Result<ExitCode, CliError> {
    let (guest, engine) = resolve(scope, &args.target).await?;
    let g = &guest.guest;
    let name = || {
        args.snapname
            .as_deref()
            .ok_or_else(|| CliError::new("give the snapshot's name: snapshot VERB TARGET SNAPNAME"))
    };
    let id = match args.verb {
        SnapshotVerb::Ls => {
            let tree = engine.snapshots(g).await.map_err(CliError::new)?;
            let now = crate::engine::jobs::now_ms() / 1000;
            print_out(args.json, &tree, || {
                let body: Vec<Vec<String>> = tree
                    .iter()
                    .map(|l| {
                        let indent = "  ".repeat(l.depth);
                        let mark = if l.current { "> " } else { "" };
                        vec![
                            format!("{indent}{mark}{}", clean_string(&l.name)),
                            l.snaptime.map(|t| age(now, t)).unwrap_or_default(),
                            clean_string(&l.description),
                        ]
                    })
                    .collect();
                render_table(&["SNAPSHOT", "TAKEN", "DESCRIPTION"], &body)
            })?;
            return Ok(ExitCode::SUCCESS);
        }
        SnapshotVerb::Create => engine.snapshot_create(g, name()?, args.description.as_deref()),
        SnapshotVerb::Rollback => {
            if !args.yes {
                return Err(CliError::new(format!(
                    "rolling CT {} back to '{}' loses its current state: confirm with --yes",
                    g.vmid,
                    clean_string(name()?)
                )));
            }
            engine.snapshot_rollback(g, name()?)
        }
        SnapshotVerb::Rm => engine.snapshot_delete(g, name()?),
    }
    .map_err(CliError::new)?;
    let verb = match args.verb {
        SnapshotVerb::Create => "snapshot",
        SnapshotVerb::Rollback => "rollback",
        _ => "snapshot delete",
    };
    let what = format!(
        "{verb} '{}' of CT {} ({}) on {}",
        clean_string(name()?),
        g.vmid,
        clean_string(&guest.name),
        g.host
    );
    run_job(&engine, id, true, &what).await
}
