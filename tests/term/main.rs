//! The `term` integration tests in one binary: one link instead of 6 keeps the
//! release test build short on CI.

mod conformance;
mod keys;
mod pty;
mod replay;
mod screen;
mod vt100_patch;
mod widget;
