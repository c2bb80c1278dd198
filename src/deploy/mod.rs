//! The deployment engine: a job in the core that turns a catalog entry into a running app in
//! an LXC container (place, template, create, start, Docker, compose, health check), journaled
//! step by step, cancellable and rolled back on failure.
//!
//! [`exec`] runs commands inside a container.

pub mod console_exec;
pub mod console_lines;
pub mod exec;
pub mod fake_exec;
pub mod shell_quote;
