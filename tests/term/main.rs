//! The `term` integration tests in one binary: one link instead of 8 keeps the
//! release test build short on CI.

mod conformance;
mod htop;
mod keys;
mod nano;
mod pty;
mod replay;
mod screen;
mod screen_fixture;
mod vim;
mod vt100_patch;
mod vttest;
mod widget;
