//! The app catalog: one TOML file per app in `assets/catalog/` (embedded in the binary),
//! plus the user's own files in `~/.config/proximity/catalog/` that add or override entries.
//!
//! [`model`] holds the typed entry every other module uses (the deploy engine, the catalog
//! screen, `proximity catalog`). [`load`] parses and checks files ([`validate`] holds the
//! rules, [`issue`] the messages), [`compose`] turns an entry and its values into the
//! compose file a deploy writes.

pub mod compose;
pub mod issue;
pub mod load;
pub mod model;
pub mod shipped;
pub mod validate;

pub use compose::{ComposeError, EnvError, compose_file, resolve_env};
pub use issue::CatalogIssue;
pub use load::{Catalog, parse_app};
pub use model::{
    AppSpec, EnvVar, HealthCheck, OsFamily, PortMap, Protocol, Resources, Service, VolumeMount,
    WebEndpoint,
};
