//! The TUI's link to the engine: the UI's `Effect`s become engine calls, and the engine's
//! events become `AppEvent`s in the UI's one inbox. Every engine call returns at once (work
//! that waits on the network runs as a job), so no effect ever holds up another: console
//! keystrokes pass while a slow host is being added.

use tokio::sync::{broadcast, mpsc};

use super::action::{AppEvent, Effect};
use crate::engine::{Engine, EngineEvent};

/// Turn effects into engine calls until `Effect::Quit` or the UI is gone.
pub async fn run_effects(
    engine: Engine,
    mut effects: mpsc::UnboundedReceiver<Effect>,
    inbox: mpsc::Sender<AppEvent>,
) {
    while let Some(effect) = effects.recv().await {
        if matches!(effect, Effect::Quit) {
            break;
        }
        apply(&engine, effect, &inbox);
    }
}

/// One effect. Never awaits: see the module header.
pub fn apply(engine: &Engine, effect: Effect, inbox: &mpsc::Sender<AppEvent>) {
    match effect {
        // The UI loop performs these itself: they act on the user's terminal.
        Effect::Quit | Effect::Suspend | Effect::CopyToClipboard(_) => {}
        Effect::Refresh(host) => engine.refresh(&host),
        Effect::RefreshAll => engine.refresh_all(),
        Effect::Power { target, op } => {
            if let Err(e) = engine.power(&target, op) {
                refused(inbox, e.to_string());
            }
        }
        Effect::Delete { target } => {
            if let Err(e) = engine.delete(&target, false) {
                refused(inbox, e.to_string());
            }
        }
        Effect::CancelJob(id) => {
            if !engine.cancel(id) {
                refused(inbox, format!("{id} is not running"));
            }
        }
        Effect::OpenTaskLog(upid) => engine.task_log(&upid),
        Effect::SaveSettings { theme } => engine.save_theme(&theme),
        Effect::SaveRecording { switch, on } => engine.save_recording(&switch, on),
        Effect::AddHost(draft) => engine.add_host(draft, None),
        Effect::EditHost { original, draft } => engine.add_host(draft, Some(original)),
        Effect::RemoveHost(name) => engine.remove_host(&name),
        Effect::TestHost(draft) => engine.test_host(draft),
        Effect::TrustFingerprint {
            host,
            fingerprint,
            accept,
        } => engine.trust_fingerprint(&host, fingerprint, accept),
        Effect::LoadDetail { host, node, vmid } => engine.load_detail(&host, &node, vmid),
        Effect::StartDemo => engine.start_demo(),
        Effect::OpenConsole {
            session,
            host,
            target,
            cols,
            rows,
        } => engine.open_console(session, &host, target, (cols, rows), inbox.clone()),
        Effect::ConsoleInput { session, bytes } => engine.console_input(session, bytes),
        Effect::ConsoleResize {
            session,
            cols,
            rows,
        } => engine.console_resize(session, cols, rows),
        Effect::CloseConsole { session } => engine.close_console(session),
    }
}

/// A refusal is the user's to read: a toast, sent without waiting (the inbox is the UI's).
fn refused(inbox: &mpsc::Sender<AppEvent>, text: String) {
    let _ = inbox.try_send(AppEvent::Toast { text, error: true });
}

/// Forward the engine's events into the inbox until either side is gone. A subscriber that
/// fell behind re-reads what it may have missed (the hosts list; jobs end with a snapshot).
pub async fn forward_events(
    engine: Engine,
    mut events: broadcast::Receiver<EngineEvent>,
    inbox: mpsc::Sender<AppEvent>,
) {
    loop {
        let batch = match events.recv().await {
            Ok(e) => vec![to_app_event(e)],
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!("the UI fell {n} engine events behind");
                resync(&engine)
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        for event in batch {
            if inbox.send(event).await.is_err() {
                return;
            }
        }
    }
}

/// What a lagging UI re-reads: the hosts, and the end of every job it may have missed (a
/// slot must not pulse forever; ends it already saw change nothing).
fn resync(engine: &Engine) -> Vec<AppEvent> {
    let mut out = vec![AppEvent::HostsConfigured(engine.host_entries())];
    for job in engine.jobs().into_iter().filter(|j| j.state.is_finished()) {
        out.push(AppEvent::Job(crate::engine::JobEvent::Finished(Box::new(
            job,
        ))));
    }
    out
}

pub fn to_app_event(event: EngineEvent) -> AppEvent {
    match event {
        EngineEvent::Inventory { host, result, at } => AppEvent::Inventory(host, result, at),
        EngineEvent::Cached { host, list, at } => AppEvent::Cached(host, list, at),
        EngineEvent::Hosts(list) => AppEvent::HostsConfigured(list),
        EngineEvent::Job(job) => AppEvent::Job(job),
        EngineEvent::AppPorts { host, vmid, ports } => AppEvent::AppPorts { host, vmid, ports },
        EngineEvent::FingerprintPrompt {
            host,
            url,
            fingerprint,
        } => AppEvent::FingerprintPrompt {
            host,
            url,
            fingerprint,
        },
        EngineEvent::HostTestResult { name, result } => AppEvent::HostTestResult { name, result },
        EngineEvent::Recording(switches) => AppEvent::Recording(switches),
        EngineEvent::Notice { text, error } => AppEvent::Toast { text, error },
        EngineEvent::GuestDetail {
            host,
            vmid,
            ips,
            config,
        } => AppEvent::GuestDetail {
            host,
            vmid,
            ips,
            config,
        },
        EngineEvent::Metrics {
            host,
            vmid,
            cpu,
            mem,
        } => AppEvent::Metrics {
            host,
            vmid,
            cpu,
            mem,
        },
        EngineEvent::TaskLog {
            upid,
            lines,
            running,
        } => AppEvent::TaskLog {
            upid,
            lines,
            running,
        },
    }
}
