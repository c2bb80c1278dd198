//! From a catalog entry and the variables' values to the compose file the deploy engine
//! writes into the container. The file is JSON (JSON is YAML, and compose reads it), built
//! from typed structs by serde: no value is ever pasted into text, so quotes, newlines or
//! unicode in a value cannot change the file's structure.
//!
//! Compose interpolates `$` in every value of the file, so each `$` of a resolved value is
//! written `$$`: compose reads back exactly the value given.

use std::collections::BTreeMap;

use rand::RngExt;
use serde::Serialize;

use super::model::{AppSpec, Protocol, Service};
use super::validate::{Piece, pieces};

/// Where an app's named volumes live on the container's disk.
pub fn volume_host_path(app_id: &str, volume: &str) -> String {
    format!("/opt/proximity/{app_id}/data/{volume}")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    #[error("service `{service}`: `${{{key}}}` has no value")]
    Unresolved { service: String, key: String },
    #[error("service `{service}`: {reason}")]
    BadReference { service: String, reason: String },
    #[error("cannot write the compose file: {0}")]
    Serialize(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    #[error("`{key}` is required")]
    Missing { key: String },
    #[error("`{key}` is not a variable of {app}")]
    Unknown { key: String, app: String },
}

#[derive(Serialize)]
struct ComposeFile {
    services: BTreeMap<String, ComposeService>,
}

#[derive(Serialize)]
struct ComposeService {
    image: String,
    restart: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ports: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    volumes: Vec<BindMount>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    environment: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
}

/// The long volume syntax: no `:`-splitting of paths by compose.
#[derive(Serialize)]
struct BindMount {
    #[serde(rename = "type")]
    kind: &'static str,
    source: String,
    target: String,
}

/// The compose file (JSON) of `app` with every `${KEY}` replaced from `values`.
pub fn compose_file(
    app: &AppSpec,
    values: &BTreeMap<String, String>,
) -> Result<String, ComposeError> {
    let mut services = BTreeMap::new();
    for svc in &app.services {
        services.insert(svc.name.clone(), compose_service(app, svc, values)?);
    }
    serde_json::to_string_pretty(&ComposeFile { services })
        .map_err(|e| ComposeError::Serialize(e.to_string()))
}

fn compose_service(
    app: &AppSpec,
    svc: &Service,
    values: &BTreeMap<String, String>,
) -> Result<ComposeService, ComposeError> {
    let resolve = |text: &str| resolve_value(&svc.name, text, values);
    let ports = svc
        .ports
        .iter()
        .map(|p| {
            let proto = match p.protocol {
                Protocol::Tcp => "tcp",
                Protocol::Udp => "udp",
            };
            format!("{}:{}/{proto}", p.host, p.container)
        })
        .collect();
    let volumes = svc
        .volumes
        .iter()
        .map(|v| BindMount {
            kind: "bind",
            source: volume_host_path(&app.id, &v.name),
            target: v.target.clone(),
        })
        .collect();
    let mut environment = BTreeMap::new();
    for (k, v) in &svc.environment {
        environment.insert(k.clone(), resolve(v)?);
    }
    let command = match &svc.command {
        Some(args) => Some(args.iter().map(|a| resolve(a)).collect::<Result<_, _>>()?),
        None => None,
    };
    Ok(ComposeService {
        image: svc.image.clone(),
        restart: "unless-stopped",
        ports,
        volumes,
        environment,
        command,
        depends_on: svc.depends_on.clone(),
    })
}

/// `text` with its references replaced, every `$` doubled for compose.
fn resolve_value(
    service: &str,
    text: &str,
    values: &BTreeMap<String, String>,
) -> Result<String, ComposeError> {
    let parts = pieces(text).map_err(|reason| ComposeError::BadReference {
        service: service.to_string(),
        reason,
    })?;
    let mut out = String::new();
    for part in parts {
        let raw = match part {
            Piece::Text(t) => t,
            Piece::Var(key) => values.get(key).ok_or_else(|| ComposeError::Unresolved {
                service: service.to_string(),
                key: key.to_string(),
            })?,
        };
        out.push_str(&raw.replace('$', "$$"));
    }
    Ok(out)
}

/// Every variable's value for a deploy: the user's where given, else the default, else a
/// generated secret (`secret_length` letters and digits from `rng`), else empty for an
/// optional one. A required variable with none of these, or a key the app does not
/// declare, is refused.
pub fn resolve_env<R: rand::CryptoRng + ?Sized>(
    app: &AppSpec,
    user_values: &BTreeMap<String, String>,
    rng: &mut R,
) -> Result<BTreeMap<String, String>, EnvError> {
    if let Some(key) = user_values
        .keys()
        .find(|k| !app.env.iter().any(|v| &v.key == *k))
    {
        return Err(EnvError::Unknown {
            key: key.clone(),
            app: app.id.clone(),
        });
    }
    let mut out = BTreeMap::new();
    for var in &app.env {
        let given = user_values.get(&var.key).filter(|v| !v.is_empty());
        let value = match (given, var.secret_length, &var.default) {
            (Some(v), _, _) => v.clone(),
            (None, Some(len), _) => generate_secret(rng, len),
            (None, None, Some(d)) => d.clone(),
            (None, None, None) if var.required => {
                return Err(EnvError::Missing {
                    key: var.key.clone(),
                });
            }
            (None, None, None) => String::new(),
        };
        out.insert(var.key.clone(), value);
    }
    Ok(out)
}

/// `len` characters from `[A-Za-z0-9]`, uniformly.
pub fn generate_secret<R: rand::CryptoRng + ?Sized>(rng: &mut R, len: u16) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
#[path = "compose_tests.rs"]
mod tests;
