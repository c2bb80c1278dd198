//! The `store` integration tests in one binary: one link instead of 2 keeps the
//! release test build short on CI.

mod crash;
mod disk;
mod hosts;
