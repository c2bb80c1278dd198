//! The backups and snapshots screens' side of the engine: one `Effect::Backups` carries a
//! `BackupEffect`, carried out here off the UI's loop, and the answers come back as one
//! `AppEvent::Backups`. Refusals (a protected backup, a restore over a running container)
//! are toasts with the engine's reason.

use tokio::sync::mpsc;

use super::action::AppEvent;
use super::backup_schedule_form::ScheduleChoice;
use crate::engine::backups::{BackupFilter, BackupOpts, BackupRef, BackupRow};
use crate::engine::snapshots::SnapshotLine;
use crate::engine::{Engine, GuestRef, Refusal};

/// What the backups or snapshots screen asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum BackupEffect {
    /// Every backup of every host (answered by `BackupEvent::List`).
    Load,
    /// Back a guest up now (a job).
    BackupNow(GuestRef),
    /// Restore into `to` (default: the backup's own vmid); `confirmed`: the user typed the
    /// vmid to replace an existing container.
    Restore {
        backup: BackupRef,
        to: Option<u32>,
        confirmed: bool,
    },
    Delete(BackupRef),
    Protect(BackupRef, bool),
    Notes(BackupRef, String),
    /// The snapshot tree of a guest (answered by `BackupEvent::Snapshots`).
    LoadSnapshots(GuestRef),
    SnapshotCreate(GuestRef, String),
    SnapshotRollback(GuestRef, String),
    SnapshotDelete(GuestRef, String),
    /// Put the guest in a Proximity backup job (or take it out of them), as the CLI's
    /// `backup --schedule` does.
    Schedule(GuestRef, ScheduleChoice),
    /// The guest's current Proximity backup job, for the schedule form (answered by
    /// `BackupEvent::CurrentSchedule`).
    LoadSchedule(GuestRef),
}

/// The answers.
#[derive(Debug, Clone)]
pub enum BackupEvent {
    List {
        rows: Vec<BackupRow>,
        /// Hosts that did not answer, with why.
        failures: Vec<(String, String)>,
    },
    Snapshots {
        guest: GuestRef,
        result: Result<Vec<SnapshotLine>, String>,
    },
    /// A guest's current Proximity backup job (`None`: it is in none), or why not.
    CurrentSchedule {
        guest: GuestRef,
        result: Result<Option<crate::engine::backup_schedule::GuestSchedule>, String>,
    },
    /// Something changed (a job started, notes saved): the screen reloads.
    Changed,
    /// The newest backup of a guest, for the rack's detail panel (`None`: it has none).
    LastBackup {
        host: String,
        vmid: u32,
        ctime: Option<u64>,
    },
    /// The newest backup of every guest of a host, by vmid: the rack slots' ages.
    HostBackups {
        host: String,
        newest: std::sync::Arc<std::collections::HashMap<u32, u64>>,
    },
}

/// Read the newest backup of a guest for the detail panel (one storage listing per backup
/// storage of its node, filtered by vmid).
pub fn load_last_backup(
    engine: &Engine,
    host: String,
    node: String,
    vmid: u32,
    inbox: &mpsc::Sender<AppEvent>,
) {
    let (engine, inbox) = (engine.clone(), inbox.clone());
    tokio::spawn(async move {
        if let Ok(ctime) = engine.last_backup_of(&host, &node, vmid).await {
            send(&inbox, BackupEvent::LastBackup { host, vmid, ctime });
        }
    });
}

/// The schedule form's choice, through the engine calls the CLI uses; the toast says
/// which job the guest is in now.
async fn schedule(
    engine: &Engine,
    guest: &GuestRef,
    choice: ScheduleChoice,
) -> Result<Option<String>, Refusal> {
    let who = format!("{} {}", guest.kind.short(), guest.vmid);
    match choice {
        ScheduleChoice::Join {
            schedule,
            retention,
        } => engine
            .ensure_backup_job(guest, &schedule, &retention)
            .await
            .map(|id| {
                Some(format!(
                    "{who}: in backup job {id} ({schedule}, {})",
                    retention.to_wire()
                ))
            }),
        ScheduleChoice::Off => engine
            .remove_from_backup_jobs(guest)
            .await
            .map(|()| Some(format!("{who}: no longer in a Proximity backup job"))),
    }
}

fn send(inbox: &mpsc::Sender<AppEvent>, ev: BackupEvent) {
    let _ = inbox.try_send(AppEvent::Backups(ev));
}

fn toast(inbox: &mpsc::Sender<AppEvent>, text: String, error: bool) {
    let text = crate::text::clean_string(&text);
    let _ = inbox.try_send(AppEvent::Toast { text, error });
}

/// Carry one effect out; the network waits run in their own task.
pub fn apply(engine: &Engine, effect: BackupEffect, inbox: &mpsc::Sender<AppEvent>) {
    let (engine, inbox) = (engine.clone(), inbox.clone());
    tokio::spawn(async move {
        let result: Result<Option<String>, Refusal> = match effect {
            BackupEffect::Load => {
                let list = engine.backups(&BackupFilter::default()).await;
                send(
                    &inbox,
                    BackupEvent::List {
                        rows: list.rows,
                        failures: list.failures,
                    },
                );
                return;
            }
            BackupEffect::LoadSchedule(guest) => {
                let result = engine
                    .backup_schedule_of(&guest)
                    .await
                    .map_err(|e| e.to_string());
                send(&inbox, BackupEvent::CurrentSchedule { guest, result });
                return;
            }
            BackupEffect::LoadSnapshots(guest) => {
                let result = engine.snapshots(&guest).await.map_err(|e| e.to_string());
                send(&inbox, BackupEvent::Snapshots { guest, result });
                return;
            }
            BackupEffect::BackupNow(guest) => engine
                .backup(&guest, BackupOpts::default())
                .map(|id| Some(format!("backup of {} started ({id})", guest.vmid))),
            BackupEffect::Restore {
                backup,
                to,
                confirmed,
            } => engine
                .restore(&backup, to, confirmed)
                .await
                .map(|id| Some(format!("restore started ({id})"))),
            BackupEffect::Delete(backup) => engine
                .delete_backup(&backup)
                .await
                .map(|id| Some(format!("deleting the backup ({id})"))),
            BackupEffect::Protect(backup, on) => engine
                .set_backup_protected(&backup, on)
                .await
                .map(|()| Some(if on { "protected" } else { "unprotected" }.to_string())),
            BackupEffect::Notes(backup, notes) => engine
                .set_backup_notes(&backup, &notes)
                .await
                .map(|()| Some("notes saved".to_string())),
            BackupEffect::SnapshotCreate(guest, name) => engine
                .snapshot_create(&guest, &name, None)
                .map(|id| Some(format!("snapshot '{name}' started ({id})"))),
            BackupEffect::SnapshotRollback(guest, name) => engine
                .snapshot_rollback(&guest, &name)
                .map(|id| Some(format!("rollback to '{name}' started ({id})"))),
            BackupEffect::Schedule(guest, choice) => schedule(&engine, &guest, choice).await,
            BackupEffect::SnapshotDelete(guest, name) => engine
                .snapshot_delete(&guest, &name)
                .map(|id| Some(format!("deleting snapshot '{name}' ({id})"))),
        };
        match result {
            Ok(Some(text)) => toast(&inbox, text, false),
            Ok(None) => {}
            Err(e) => toast(&inbox, e.to_string(), true),
        }
        send(&inbox, BackupEvent::Changed);
    });
}
