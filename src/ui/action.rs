//! The UI's message types: `AppEvent` (everything that arrives in the one inbox), `Action`
//! (what a key means, after the keymap), and `Effect` (what the runtime must do: the UI
//! itself never does IO).

use std::time::SystemTime;

use crossterm::event::{KeyEvent, MouseEvent};

use std::sync::Arc;

use crate::engine::{ConsoleEvent, JobEvent, events::InventoryResult};

/// Everything the UI task receives, from the terminal and from workers.
#[derive(Debug, Clone)]
pub enum AppEvent {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// Animation / clock tick; carries wall time so `update` stays pure.
    Tick(SystemTime),
    /// A refresh of one host: its `/cluster/resources` or the reason it failed.
    Inventory(String, InventoryResult, SystemTime),
    /// The offline cache for a host, drawn at once and marked stale.
    Cached(String, crate::inventory::Nodes, SystemTime),
    /// A job of the engine started, moved on or ended.
    Job(JobEvent),
    HostState(String, crate::inventory::HostState),
    /// The configured hosts (from the store), for the hosts screen and onboarding.
    HostsConfigured(Vec<HostEntry>),
    TaskProgress {
        host: String,
        vmid: u32,
        upid: String,
        label: String,
        /// 0.0..=1.0 when known.
        fraction: Option<f32>,
    },
    TaskDone {
        host: String,
        vmid: u32,
        upid: String,
        ok: bool,
        message: String,
    },
    /// A target's metrics (after `Effect::LoadMetrics` or `LoadDetail`), or why not.
    MetricsReport {
        target: crate::engine::metrics::MetricsTarget,
        timeframe: crate::pve::Timeframe,
        result: Result<Arc<crate::engine::metrics::MetricsReport>, String>,
    },
    /// The top lists (after `Effect::LoadTopGuests`).
    TopGuests(
        Arc<
            Vec<(
                crate::engine::metrics::TopBy,
                Vec<crate::engine::metrics::TopEntry>,
            )>,
        >,
    ),
    /// Extra facts for the detail panel (config lines, IP addresses).
    GuestDetail {
        host: String,
        vmid: u32,
        ips: Vec<String>,
        config: Vec<(String, String)>,
    },
    /// Ports of a managed app, shown on its slot.
    AppPorts {
        host: String,
        vmid: u32,
        ports: Vec<u16>,
    },
    /// First contact with a self-signed host: ask the user to trust what it presented.
    FingerprintPrompt {
        host: String,
        url: String,
        fingerprint: String,
    },
    /// Result of a `TestHost` effect.
    HostTestResult {
        name: String,
        result: Result<String, String>,
    },
    /// The console recording switches as the store holds them: at start, and after each
    /// `SaveRecording` (what was written, or what stands when writing failed).
    Recording(super::settings::RecordingSwitches),
    /// A message for the user (bad config file, saved settings...).
    Toast {
        text: String,
        error: bool,
    },
    /// A console session's websocket is up (after `Effect::OpenConsole`).
    ConsoleOpened {
        session: u64,
    },
    /// Raw guest output for a session: fed to its `term::Screen`, never printed as is.
    ConsoleOutput {
        session: u64,
        bytes: Vec<u8>,
    },
    /// A session ended. `dropped`: the connection was lost (worth one automatic
    /// reconnect); otherwise the console was refused or the shell ended, and `reason` says
    /// why in Proxmox's words (`CT 101 not running`).
    ConsoleClosed {
        session: u64,
        reason: String,
        dropped: bool,
    },
    /// Lines of one log (after `Effect::FollowLog`): `from_line` is the index of the first
    /// line in `lines` (0 restarts the log, the current length appends, less overlaps:
    /// lines inside the log replace theirs in place, as a job's progress drawn in place does,
    /// and lines past its end replace from `from_line` on); `done` when the log has ended.
    LogLines {
        source: super::task_board::LogSource,
        from_line: usize,
        lines: Vec<super::task_board::LogLine>,
        done: bool,
    },
    /// Proxmox tasks of one host (`/cluster/tasks`), the whole list as of `at`: replaces
    /// that host's earlier rows.
    TaskRows {
        host: String,
        rows: Vec<super::task_board::TaskRow>,
        at: SystemTime,
    },
    /// Proximity's own jobs, the whole list: replaces the earlier one.
    Jobs(Vec<super::task_board::TaskRow>),
    /// The answer to `Effect::SaveLog`: the file written, or why not.
    LogSaved {
        path: std::path::PathBuf,
        result: Result<(), String>,
    },
    /// The engine took an `Effect::Deploy`: the job runs. `host`/`node` are where the
    /// wizard expected it to go (the job's log says where it really went).
    DeployStarted {
        job: crate::engine::JobId,
        name: String,
        host: Option<String>,
        node: Option<String>,
    },
    /// The engine refused an `Effect::Deploy` before starting (the typed refusal as text).
    DeployRefused {
        text: String,
    },
    /// Answers for the backups and snapshots screens.
    Backups(super::backups_link::BackupEvent),
    /// Answers for the apps screen.
    Apps(super::apps_link::AppsEvent),
    /// An alert began (`raised`) or ended.
    Alert {
        alert: Box<crate::alerts::Alert>,
        raised: bool,
    },
    /// A managed app's health check ran.
    AppHealth(Box<crate::alerts::HealthResult>),
    /// The alert thresholds in use changed (`alerts.toml` reloaded or saved).
    AlertConfig(Box<crate::alerts::AlertConfig>),
    /// The alerts firing now and the recent history (newest first), for the alerts screen.
    AlertsLoaded {
        firing: Vec<crate::alerts::Alert>,
        history: Vec<crate::alerts::Alert>,
        config: Box<crate::alerts::AlertConfig>,
    },
}

/// The engine's: hosts as lists show them, and what the host form produces.
pub use crate::engine::{HostDraft, HostEntry, SecretString};

/// The engine's: one set of power operations for the CLI and the UI.
pub use crate::engine::PowerOp;

/// Identifies one guest across hosts (the engine's type: one identity for every caller).
pub use crate::engine::GuestRef;

/// What the runtime must do for the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    Refresh(String),
    RefreshAll,
    Power {
        target: GuestRef,
        op: PowerOp,
    },
    Delete {
        target: GuestRef,
    },
    /// Persist the chosen theme (and other settings).
    SaveSettings {
        theme: String,
    },
    /// Persist one console recording switch; the next console opened follows it.
    SaveRecording {
        switch: super::settings::RecordingSwitch,
        on: bool,
    },
    AddHost(HostDraft),
    EditHost {
        original: String,
        draft: HostDraft,
    },
    RemoveHost(String),
    TestHost(HostDraft),
    TrustFingerprint {
        host: String,
        fingerprint: String,
        accept: bool,
    },
    /// Fetch detail (config, IPs) and metrics for the selection.
    LoadDetail {
        host: String,
        node: String,
        vmid: u32,
    },
    /// Fetch a target's metrics over a time frame; answered by `AppEvent::MetricsReport`.
    LoadMetrics {
        target: crate::engine::metrics::MetricsTarget,
        timeframe: crate::pve::Timeframe,
    },
    /// Rank the guests of every host (from the inventories held); answered by
    /// `AppEvent::TopGuests`.
    LoadTopGuests,
    StartDemo,
    /// Ctrl-Z: the runtime hands this to the terminal guard.
    Suspend,
    /// Open (or reopen, same `session`) a console on `host` at the pane's size.
    OpenConsole {
        session: u64,
        host: String,
        target: crate::pve::ConsoleTarget,
        cols: u16,
        rows: u16,
    },
    /// Bytes for the guest: encoded keys, pastes, mouse reports, replies to its queries.
    ConsoleInput {
        session: u64,
        bytes: Vec<u8>,
    },
    /// The pane's inner size changed.
    ConsoleResize {
        session: u64,
        cols: u16,
        rows: u16,
    },
    CloseConsole {
        session: u64,
    },
    /// Put text on the user's clipboard: the UI loop writes it to the user's terminal as
    /// OSC 52, between frames (it works over ssh, with no X11 or clipboard tool).
    CopyToClipboard(String),
    /// Send the lines of a log as `AppEvent::LogLines`, from the first, then new ones as
    /// they come until it ends or `StopLog` (a viewer was opened or reloaded).
    FollowLog {
        source: super::task_board::LogSource,
    },
    /// No viewer shows this log any more: stop following it.
    StopLog {
        source: super::task_board::LogSource,
    },
    /// Write `lines` (already formatted) to `path`, creating its directory; answer with
    /// `AppEvent::LogSaved`.
    SaveLog {
        source: super::task_board::LogSource,
        path: std::path::PathBuf,
        lines: Vec<String>,
    },
    /// Fetch every host's Proxmox tasks (`/cluster/tasks`); answers are `AppEvent::TaskRows`.
    RefreshTasks,
    /// Cancel a running task: a Proximity job by id, or a Proxmox task by UPID.
    CancelTask {
        source: super::task_board::LogSource,
    },
    /// Start a deployment (the wizard's Review page); answered by `AppEvent::DeployStarted`
    /// or `AppEvent::DeployRefused`.
    Deploy(Box<crate::deploy::DeployRequest>),
    /// The alerts firing and their history, for the alerts screen.
    LoadAlerts,
    /// Send a test notification to every target.
    TestNotifications,
    /// Save the settings screen's alert thresholds.
    SaveAlertThresholds(Box<crate::alerts::RawThresholds>),
    /// Write one layer of `alerts.toml` (the settings screen's thresholds editor).
    SaveAlertLayer {
        scope: crate::alerts::AlertScope,
        layer: Box<crate::alerts::RawThresholds>,
    },
    /// Open the deploy wizard for an app (the catalog screen asks; the app opens it).
    OpenDeployWizard(Box<crate::catalog::AppSpec>),
    /// Backups and snapshots (the backups screen, the snapshots layer, `b` on the rack).
    Backups(super::backups_link::BackupEffect),
    /// The apps screen's lifecycle operations (update, logs, variables, delete, clone).
    Apps(super::apps_link::AppsEffect),
}

macro_rules! actions {
    ($( $variant:ident = $name:literal : $desc:literal ),* $(,)?) => {
        /// What a key means. Named in `assets/keymap.toml` by the literal beside each variant.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $( $variant ),* }

        impl Action {
            pub const ALL: &'static [Action] = &[ $( Action::$variant ),* ];
            pub fn name(self) -> &'static str {
                match self { $( Action::$variant => $name ),* }
            }
            pub fn description(self) -> &'static str {
                match self { $( Action::$variant => $desc ),* }
            }
            pub fn from_name(s: &str) -> Option<Action> {
                match s { $( $name => Some(Action::$variant), )* _ => None }
            }
        }
    };
}

actions! {
    Up = "up": "move up",
    Down = "down": "move down",
    Left = "left": "previous rack",
    Right = "right": "next rack",
    PageUp = "page_up": "page up",
    PageDown = "page_down": "page down",
    PageLeft = "page_left": "page racks left",
    PageRight = "page_right": "page racks right",
    Top = "top": "first slot",
    Bottom = "bottom": "last slot",
    NextPane = "next_pane": "next pane",
    PrevPane = "prev_pane": "previous pane",
    Details = "details": "open details",
    Filter = "filter": "live filter",
    Palette = "palette": "command palette",
    Help = "help": "help",
    Back = "back": "back / close",
    Quit = "quit": "quit",
    Suspend = "suspend": "suspend to shell",
    Zoom = "zoom": "cycle zoom (detailed, compact, heatmap)",
    Refresh = "refresh": "refresh now",
    Mark = "mark": "mark for multi-select",
    ClearMarks = "clear_marks": "clear marks",
    Start = "start": "start guest",
    Shutdown = "shutdown": "shut down guest",
    Stop = "stop": "stop guest (hard)",
    Reboot = "reboot": "reboot guest",
    Delete = "delete": "delete guest",
    TaskLog = "task_log": "the guest's task log (or the last task's)",
    Rack = "rack": "rack screen",
    Hosts = "hosts": "hosts screen",
    Settings = "settings": "settings (themes, console recording)",
    AddHost = "add_host": "add a host",
    EditHost = "edit_host": "edit host",
    RemoveHost = "remove_host": "remove host",
    TestHost = "test_host": "test host connection",
    Demo = "demo": "start the demo",
    Apply = "apply": "apply the choice",
    Toggle = "toggle": "flip the switch",
    Console = "console": "open the container's console",
    NodeShell = "node_shell": "open a shell on the node",
    Consoles = "consoles": "back to the open consoles",
    ConsoleEscape = "console_escape": "console: the escape chord (then one key below)",
    ConsoleDetach = "console_detach": "console: back to the rack",
    ConsoleNext = "console_next": "console: next tab",
    ConsolePrev = "console_prev": "console: previous tab",
    ConsoleSplit = "console_split": "console: full screen / beside the rack",
    ConsoleClose = "console_close": "console: close this session",
    ConsoleReconnect = "console_reconnect": "console: reconnect",
    ConsoleCopyMode = "console_copy_mode": "console: copy mode (select and copy with keys)",
    CopyLeft = "copy_left": "copy mode: cursor left",
    CopyRight = "copy_right": "copy mode: cursor right",
    CopyUp = "copy_up": "copy mode: cursor up (into the history at the top)",
    CopyDown = "copy_down": "copy mode: cursor down",
    CopyPageUp = "copy_page_up": "copy mode: page up into the history",
    CopyPageDown = "copy_page_down": "copy mode: page down",
    CopyLineStart = "copy_line_start": "copy mode: start of the line",
    CopyLineEnd = "copy_line_end": "copy mode: end of the line",
    CopyTop = "copy_top": "copy mode: oldest line of the history",
    CopyBottom = "copy_bottom": "copy mode: last line of the screen",
    CopySelect = "copy_select": "copy mode: start / end the selection at the cursor",
    CopyYank = "copy_yank": "copy mode: copy the selection and leave",
    CopyLeave = "copy_leave": "copy mode: leave without copying",
    Tasks = "tasks": "tasks: Proximity's jobs and Proxmox's tasks",
    FocusNext = "focus_next": "focus the next log beside the rack (then the rack)",
    TaskLogBeside = "task_log_beside": "the last task's log beside the rack",
    Open = "open": "open the selected task's log",
    CancelTask = "cancel_task": "cancel the selected running task",
    LogFollow = "log_follow": "log: follow the end",
    LogWrap = "log_wrap": "log: wrap long lines",
    LogTimestamps = "log_timestamps": "log: show timestamps",
    LogSearch = "log_search": "log: search",
    LogNextMatch = "log_next_match": "log: next match",
    LogPrevMatch = "log_prev_match": "log: previous match",
    LogSave = "log_save": "log: save to a file",
    LogSplit = "log_split": "log: full screen / beside the rack",
    Catalog = "catalog": "app catalog: browse and deploy apps",
    DetailUp = "detail_up": "scroll the details up",
    DetailDown = "detail_down": "scroll the details down",
    Metrics = "metrics": "metrics of the selected guest (charts)",
    NodeMetrics = "node_metrics": "metrics of the selected rack's node (charts)",
    TopGuests = "top_guests": "top lists: busiest guests by CPU, memory, disk, network",
    TimeframeHour = "timeframe_hour": "metrics: the last hour",
    TimeframeDay = "timeframe_day": "metrics: the last day",
    TimeframeWeek = "timeframe_week": "metrics: the last week",
    TimeframeMonth = "timeframe_month": "metrics: the last month",
    Backups = "backups": "backups: every backup of every host",
    BackupNow = "backup_now": "back the selected guest up now",
    BackupSchedule = "backup_schedule": "the selected backup's guest: backup schedule and how many to keep",
    Snapshots = "snapshots": "snapshots of the selected container",
    Restore = "restore": "restore the selected backup into its guest",
    RestoreNew = "restore_new": "restore the selected backup to a new vmid",
    RemoveBackup = "remove_backup": "delete the selected backup",
    Protect = "protect": "protect / unprotect the selected backup",
    Notes = "notes": "edit the selected backup's notes",
    SnapshotCreate = "snapshot_create": "take a snapshot",
    SnapshotRollback = "snapshot_rollback": "roll back to the selected snapshot",
    SnapshotRemove = "snapshot_remove": "delete the selected snapshot",
    Submit = "submit": "popups: submit the form, run the chosen entry",
    Yes = "yes": "popups: yes",
    No = "no": "popups: no",
    NextField = "next_field": "popups: next field or entry",
    Reveal = "reveal": "forms: show / hide the secrets typed",
    ClearField = "clear_field": "forms: clear the field up to the cursor",
    PrevField = "prev_field": "popups: previous field or entry",
    Alerts = "alerts": "alerts: firing now and their history",
    TestNotify = "test_notify": "send a test notification (webhook, ntfy)",
    Apps = "apps": "apps: the managed apps across hosts (update, logs, variables, clone, delete)",
    AppUpdate = "app_update": "update the selected app (snapshot, pull, up, health check)",
    AppLogs = "app_logs": "the selected app's logs (docker compose logs) in the log viewer",
    AppComposeRestart = "app_compose_restart": "restart the selected app's compose project (docker compose restart)",
    AppEnv = "app_env": "edit the selected app's variables",
    AppClone = "app_clone": "clone the selected app (same app and variables, a new name)",
    CopyUrl = "copy_url": "copy the selected app's URL (OSC 52)",
}

impl Action {
    /// Meaningful only inside a console (after its escape chord, or in copy mode): kept out
    /// of the command palette.
    pub fn console_only(self) -> bool {
        use Action::*;
        matches!(
            self,
            ConsoleEscape
                | ConsoleDetach
                | ConsoleNext
                | ConsolePrev
                | ConsoleSplit
                | ConsoleClose
                | ConsoleReconnect
                | ConsoleCopyMode
                | CopyLeft
                | CopyRight
                | CopyUp
                | CopyDown
                | CopyPageUp
                | CopyPageDown
                | CopyLineStart
                | CopyLineEnd
                | CopyTop
                | CopyBottom
                | CopySelect
                | CopyYank
                | CopyLeave
        )
    }

    /// Meaningful only inside the tasks view or a log viewer: kept out of the command
    /// palette (they act on a selected row or an open log).
    pub fn view_only(self) -> bool {
        use Action::*;
        matches!(
            self,
            Open | CancelTask
                | LogFollow
                | LogWrap
                | LogTimestamps
                | LogSearch
                | LogNextMatch
                | LogPrevMatch
                | LogSave
                | LogSplit
                | DetailUp
                | DetailDown
                | TimeframeHour
                | TimeframeDay
                | TimeframeWeek
                | TimeframeMonth
                | Restore
                | RestoreNew
                | RemoveBackup
                | Protect
                | Notes
                | SnapshotCreate
                | SnapshotRollback
                | SnapshotRemove
                | Submit
                | Yes
                | No
                | NextField
                | PrevField
                | Reveal
                | ClearField
                | AppUpdate
                | AppLogs
                | AppComposeRestart
                | AppEnv
                | AppClone
                | CopyUrl
        )
    }
}

impl From<ConsoleEvent> for AppEvent {
    fn from(e: ConsoleEvent) -> AppEvent {
        match e {
            ConsoleEvent::Opened { session } => AppEvent::ConsoleOpened { session },
            ConsoleEvent::Output { session, bytes } => AppEvent::ConsoleOutput { session, bytes },
            ConsoleEvent::Closed {
                session,
                reason,
                dropped,
            } => AppEvent::ConsoleClosed {
                session,
                reason,
                dropped,
            },
            ConsoleEvent::Notice { text, error } => AppEvent::Toast { text, error },
        }
    }
}
