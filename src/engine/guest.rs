//! One way to name a guest across hosts, for every front end and the engine.

use crate::inventory::GuestKind;

/// Identifies one guest across hosts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GuestRef {
    pub host: String,
    pub node: String,
    pub vmid: u32,
    pub kind: GuestKind,
}
