//! The engine: the operations every caller (CLI, TUI, later SSH sessions and MCP) runs the
//! same way, with the same checks. It owns no UI state; callers pass a client and get typed
//! results.

pub mod apps;
pub mod connection;
pub mod fleet;
pub mod ops;
pub mod target;

pub use connection::{ConnAuth, ConnError, ConnSpec};
pub use ops::{EngineError, PowerOp};
pub use fleet::{FleetError, FleetHost, HostResult};
pub use target::{GuestRef, HostFailure, ResolvedGuest, TargetError, resolve_target};
