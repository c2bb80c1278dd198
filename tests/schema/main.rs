//! The `schema` integration tests in one binary: one link instead of 4 keeps the
//! release test build short on CI.

mod fixture;
mod params;
mod returns;
mod robustness;
