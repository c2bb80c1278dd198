//! The `sim` integration tests in one binary: one link instead of 11 keeps the
//! release test build short on CI.

mod alert_knobs;
mod api;
mod auth;
mod common;
mod console;
mod console_lifecycle;
mod robustness;
mod scale;
mod shapes;
#[path = "../sim_support/mod.rs"]
mod sim_support;
mod state;
mod tasks;
mod termproxy;
