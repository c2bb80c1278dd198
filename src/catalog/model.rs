//! The typed catalog entry. Field names are the TOML keys of `assets/catalog/<id>.toml`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One app of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    /// `[a-z0-9][a-z0-9-]*`, equal to the file stem; the `px-app-<id>` tag.
    pub id: String,
    pub name: String,
    pub category: String,
    /// One or two sentences, written by us.
    pub description: String,
    /// The version deployed (usually the main image's tag, e.g. `latest` or `10.10.3`).
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Documentation link (https URL).
    pub docs: String,
    /// One glyph shown on the slot and in the catalog (a single terminal cell wide).
    #[serde(default = "default_icon")]
    pub icon: String,
    /// The container's OS family: decides the template and how Docker is installed.
    #[serde(default)]
    pub os: OsFamily,
    pub resources: Resources,
    /// Where a person reaches the app; `None` for apps with no web UI (e.g. a DNS server).
    #[serde(default)]
    pub web: Option<WebEndpoint>,
    pub health: HealthCheck,
    /// Variables the user can set in the wizard; services refer to them as `${KEY}`.
    #[serde(default)]
    pub env: Vec<EnvVar>,
    /// Compose services, in order; at least one.
    pub services: Vec<Service>,
}

fn default_version() -> String {
    "latest".into()
}

fn default_icon() -> String {
    "◆".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OsFamily {
    /// Debian template, Docker from apt.
    #[default]
    Debian,
    /// Alpine template, Docker from apk.
    Alpine,
}

/// Minimum resources of the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub cores: u32,
    pub memory_mb: u64,
    pub disk_gb: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebEndpoint {
    /// Port published on the container (a host port of some service).
    pub port: u16,
    #[serde(default = "default_path")]
    pub path: String,
    /// `http` or `https`.
    #[serde(default = "default_scheme")]
    pub scheme: String,
}

fn default_path() -> String {
    "/".into()
}

fn default_scheme() -> String {
    "http".into()
}

/// How the deploy engine (and later monitoring) knows the app is up. It runs *inside* the
/// container, because the machine running Proximity often cannot reach the guests' network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum HealthCheck {
    Http {
        port: u16,
        #[serde(default = "default_path")]
        path: String,
    },
    Tcp {
        port: u16,
    },
}

impl HealthCheck {
    pub fn port(&self) -> u16 {
        match self {
            HealthCheck::Http { port, .. } | HealthCheck::Tcp { port } => *port,
        }
    }
}

/// A variable the user sets (or accepts) in the wizard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvVar {
    /// `[A-Z_][A-Z0-9_]*`.
    pub key: String,
    pub description: String,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    /// Generated when left empty: this many random alphanumeric characters; masked in forms.
    #[serde(default)]
    pub secret_length: Option<u16>,
}

impl EnvVar {
    pub fn is_secret(&self) -> bool {
        self.secret_length.is_some()
    }
}

/// One compose service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Compose service name, `[a-z0-9][a-z0-9_-]*`.
    pub name: String,
    pub image: String,
    #[serde(default)]
    pub ports: Vec<PortMap>,
    #[serde(default)]
    pub volumes: Vec<VolumeMount>,
    /// Values may contain `${KEY}` references to the app's [`EnvVar`]s.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortMap {
    /// Port on the container (what the health check and the URL use).
    pub host: u16,
    /// Port inside the Docker container.
    pub container: u16,
    #[serde(default)]
    pub protocol: Protocol,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
}

/// A named volume (kept under `/opt/proximity/<app>/data/<name>` on the container) mounted
/// at `target` in the Docker container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeMount {
    pub name: String,
    pub target: String,
}
