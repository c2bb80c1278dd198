//! The app catalog: one TOML file per app in `assets/catalog/` (embedded in the binary),
//! plus the user's own files in `~/.config/proximity/catalog/` that add or override entries.
//!
//! [`model`] holds the typed entry every other module uses (the deploy engine, the catalog
//! screen, `proximity catalog`). Loading, validation, search and the compose serializer sit
//! beside it.

pub mod compose;
pub mod model;

pub use model::{
    AppSpec, EnvVar, HealthCheck, OsFamily, PortMap, Protocol, Resources, Service, VolumeMount,
    WebEndpoint,
};
