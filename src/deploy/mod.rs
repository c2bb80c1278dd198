//! The deployment engine: a job in the core that turns a catalog entry into a running app in
//! an LXC container (place, template, create, start, Docker, compose, health check), journaled
//! step by step, cancellable and rolled back on failure.
//!
//! - [`request`]: what a caller asks for and the checks before anything starts;
//! - [`place`]: which node, and why;
//! - [`record`]: the journal's records (deployments, apps);
//! - [`runner`]: the steps; [`rollback`]: undoing one;
//! - [`exec`], [`executors`], [`console_exec`]: running commands inside a container (the
//!   termproxy console by default, [`fake_exec`] in tests); [`scripts`]: which.

pub mod auto_backup;
pub mod console_exec;
pub mod console_lines;
pub mod edit_env;
pub mod env;
pub mod exec;
pub mod executors;
pub mod fake_exec;
pub mod place;
pub mod reconcile;
pub mod record;
pub mod request;
pub mod rollback;
pub mod runner;
pub mod scripts;
pub mod shell_quote;
pub mod update;

pub use executors::{ExecutorFactory, SharedExecutors};
pub use record::{AppOrigin, AppRecord, DeployStep, DeploymentRecord, DeploymentStatus};
pub use request::{DeployRefusal, DeployRequest};
pub use runner::{DeployTuning, Deployer, HostAccess};
