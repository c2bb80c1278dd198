//! The `pve` integration tests in one binary: one link instead of 12 keeps the
//! release test build short on CI.

mod client;
mod console;
mod hardening;
#[path = "../pve_sim_support/mod.rs"]
mod pve_sim_support;
mod resources;
mod resources_prop;
mod sim_console;
mod sim_faults;
mod sim_lxc;
mod sim_read;
mod sim_tasks;
mod sim_tfa;
#[path = "../support_pve/mod.rs"]
mod support_pve;
mod tasks;
mod upid_prop;
