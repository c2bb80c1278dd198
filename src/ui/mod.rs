//! ratatui views. The only module (with the CLI edge) that imports the terminal.
//!
//! Shape (ratatui "event-driven-async" / gitui / helix): one inbox of `AppEvent`s; keys go
//! through the `Keymap` into `Action`s; `App::update` changes state and returns `Effect`s
//! for the runtime; `render` is a pure function of `App`.

pub mod action;
pub mod alert_thresholds_form;
pub mod alerts_board;
pub mod alerts_view;
pub mod app;
pub mod apps_env_form;
pub mod apps_link;
pub mod apps_view;
pub mod backup_schedule_form;
pub mod backups_link;
pub mod backups_view;
pub mod catalog_view;
pub mod color;
pub mod config;
pub mod confirm;
pub mod console;
pub mod console_copy;
pub mod console_layer;
mod console_mouse;
pub mod deploy_form;
pub mod deploy_jobs;
pub mod deploy_wizard;
pub mod engine_link;
pub mod forms;
pub mod hosts_view;
mod input;
mod jobs;
pub mod keymap;
pub mod layer;
mod layers_app;
mod log_follow;
pub mod log_search;
pub mod log_view;
pub mod metrics_top;
pub mod metrics_view;
pub mod onboarding;
mod palette;
pub mod popups;
pub mod rack_layer;
pub mod rack_model;
pub mod rack_state;
pub mod render;
pub mod replay;
pub mod runtime;
pub mod sample;
pub mod sample_metrics;
pub mod settings;
pub mod settings_view;
pub mod snapshots_view;
pub mod task_board;
pub mod task_rows;
pub mod tasks_view;
pub mod term_widget;
pub mod terminal_guard;
pub mod theme;
mod update;
pub mod view;

pub use action::{Action, AppEvent, Effect, GuestRef, HostDraft, HostEntry, PowerOp};
pub use app::App;
pub use render::render;
pub use runtime::{RuntimeStats, run};
pub use terminal_guard::TerminalGuard;
