//! PLACEHOLDER until the catalog branch lands (it replaces this file): the compose file from
//! typed data, serialized by serde_json (compose reads JSON: JSON is YAML).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::AppSpec;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    #[error("service {service}: ${{{key}}} is not set")]
    Unresolved { service: String, key: String },
}

fn substitute(
    service: &str,
    text: &str,
    values: &BTreeMap<String, String>,
) -> Result<String, ComposeError> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let key = &after[..end];
        let value = values.get(key).ok_or_else(|| ComposeError::Unresolved {
            service: service.into(),
            key: key.into(),
        })?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

pub fn compose_file(
    app: &AppSpec,
    values: &BTreeMap<String, String>,
) -> Result<String, ComposeError> {
    let mut services = Map::new();
    for s in &app.services {
        let mut env = Map::new();
        for (k, v) in &s.environment {
            env.insert(k.clone(), Value::String(substitute(&s.name, v, values)?));
        }
        let ports: Vec<String> = s
            .ports
            .iter()
            .map(|p| {
                let proto = match p.protocol {
                    super::Protocol::Tcp => "tcp",
                    super::Protocol::Udp => "udp",
                };
                format!("{}:{}/{proto}", p.host, p.container)
            })
            .collect();
        let volumes: Vec<String> = s
            .volumes
            .iter()
            .map(|v| format!("/opt/proximity/{}/data/{}:{}", app.id, v.name, v.target))
            .collect();
        let mut svc = json!({
            "image": s.image,
            "restart": "unless-stopped",
            "ports": ports,
            "volumes": volumes,
            "environment": env,
        });
        if let Some(cmd) = &s.command {
            svc["command"] = json!(cmd);
        }
        if !s.depends_on.is_empty() {
            svc["depends_on"] = json!(s.depends_on);
        }
        services.insert(s.name.clone(), svc);
    }
    Ok(serde_json::to_string_pretty(&json!({ "services": services })).unwrap_or_default())
}
