//! Cleaning guest and task text for display outside the console pane (log views, toasts,
//! titles). The implementation is `crate::text`, shared with the rack and the CLI so a
//! name reads the same everywhere; this name stays while callers move over.

pub use crate::text::clean_string as sanitize_line;
