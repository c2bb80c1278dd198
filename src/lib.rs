//! Proximity: a keyboard-driven terminal rack dashboard for Proxmox VE.
//!
//! The core (`pve`, `sim`, `store`, `catalog`, `deploy`, `term`, `inventory`) never imports
//! ratatui or crossterm; only `ui` and the binary edge (`cli`) touch the terminal.

pub mod alerts;
pub mod catalog;
pub mod civil;
pub mod cli;
pub mod deploy;
pub mod engine;
pub mod inventory;
pub mod paths;
pub mod pve;
pub mod sim;
pub mod store;
pub mod term;
pub mod text;
pub mod ui;
