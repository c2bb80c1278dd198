//! ratatui views. The only module (with the CLI edge) that imports the terminal.
pub mod term_widget;
