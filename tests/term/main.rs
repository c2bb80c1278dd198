//! The `term` integration tests in one binary: one link instead of 7 keeps the
//! release test build short on CI.

mod conformance;
mod keys;
mod pty;
mod replay;
mod screen;
mod vttest;
mod widget;
