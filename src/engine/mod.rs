//! The engine: the operations every caller (CLI, TUI, later SSH sessions and MCP) runs the
//! same way, with the same checks. It owns no UI state; callers pass a client and get typed
//! results.

pub mod apps;
pub mod connection;
pub mod ops;
pub mod target;

pub use connection::{ConnAuth, ConnError, ConnSpec};
pub use ops::{EngineError, PowerOp};
pub use target::{GuestRef, TargetError, resolve_target};
