//! The deployment engine: a job in the core that turns a catalog entry into a running app in
//! an LXC container (place, template, create, start, Docker, compose, health check), journaled
//! step by step, cancellable and rolled back on failure.
//!
//! [`exec`] runs commands inside a container.

pub mod exec;
