//! The variables a deployment writes into its compose file: the user's values, the catalog's
//! defaults, and generated secrets. Only the non-secret ones are ever journaled.

use std::collections::BTreeMap;

use super::request::DeployRefusal;
use crate::catalog::AppSpec;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// All values (for the compose file) and the non-secret ones (for the journal).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResolvedEnv {
    pub all: BTreeMap<String, String>,
    pub plain: BTreeMap<String, String>,
}

/// `length` random alphanumerics from the OS generator.
pub fn generate_secret(length: usize) -> Result<String, getrandom::Error> {
    let mut out = String::with_capacity(length);
    let mut buf = [0u8; 64];
    while out.len() < length {
        getrandom::fill(&mut buf)?;
        // 62 * 4 = 248: bytes at or above it are dropped so every character is equally likely.
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == length {
                break;
            }
            out.push(char::from(ALPHANUMERIC[usize::from(*b) % ALPHANUMERIC.len()]));
        }
    }
    Ok(out)
}

/// Resolve `user` values against `app`'s variables: unknown keys and missing required
/// values are refused by name; empty secrets are generated; the rest take their defaults.
pub fn resolve_env(
    app: &AppSpec,
    user: &BTreeMap<String, String>,
) -> Result<ResolvedEnv, DeployRefusal> {
    if let Some(key) = user.keys().find(|k| !app.env.iter().any(|v| &v.key == *k)) {
        return Err(DeployRefusal::Env {
            key: crate::text::clean_string(key),
            reason: format!("{} has no such variable", app.name),
        });
    }
    let mut out = ResolvedEnv::default();
    for var in &app.env {
        let given = user.get(&var.key).filter(|v| !v.is_empty());
        let value = match (given, &var.default, var.secret_length) {
            (Some(v), _, _) => v.clone(),
            (None, _, Some(len)) => {
                generate_secret(usize::from(len)).map_err(|e| DeployRefusal::Env {
                    key: var.key.clone(),
                    reason: format!("cannot generate a secret: {e}"),
                })?
            }
            (None, Some(d), None) => d.clone(),
            (None, None, None) if var.required => {
                return Err(DeployRefusal::Env {
                    key: var.key.clone(),
                    reason: "required".into(),
                });
            }
            (None, None, None) => String::new(),
        };
        if value.contains('\0') {
            return Err(DeployRefusal::Env {
                key: var.key.clone(),
                reason: "must not contain NUL".into(),
            });
        }
        if !var.is_secret() {
            out.plain.insert(var.key.clone(), value.clone());
        }
        out.all.insert(var.key.clone(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{EnvVar, HealthCheck, Resources};

    fn app() -> AppSpec {
        let var = |key: &str, default: Option<&str>, required: bool, secret: Option<u16>| EnvVar {
            key: key.into(),
            description: String::new(),
            default: default.map(String::from),
            required,
            secret_length: secret,
        };
        AppSpec {
            id: "x".into(),
            name: "X".into(),
            category: "Tools".into(),
            description: String::new(),
            version: "1".into(),
            tags: vec![],
            docs: "https://example.org".into(),
            icon: "x".into(),
            os: Default::default(),
            resources: Resources {
                cores: 1,
                memory_mb: 256,
                disk_gb: 2,
            },
            web: None,
            health: HealthCheck::Tcp { port: 80 },
            env: vec![
                var("TZ", Some("UTC"), false, None),
                var("ADMIN", None, true, None),
                var("DB_PASSWORD", None, true, Some(24)),
            ],
            services: vec![],
        }
    }

    #[test]
    fn defaults_secrets_and_required_values() {
        let mut user = BTreeMap::new();
        let err = resolve_env(&app(), &user).unwrap_err();
        assert_eq!(err.to_string(), "variable ADMIN: required");
        user.insert("ADMIN".into(), "me".into());
        let env = resolve_env(&app(), &user).unwrap();
        assert_eq!(env.all["TZ"], "UTC");
        assert_eq!(env.all["ADMIN"], "me");
        let secret = &env.all["DB_PASSWORD"];
        assert_eq!(secret.len(), 24);
        assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(!env.plain.contains_key("DB_PASSWORD"), "secrets are not journaled");
        let again = resolve_env(&app(), &user).unwrap();
        assert_ne!(again.all["DB_PASSWORD"], *secret, "each deployment gets its own");
        user.insert("NOPE".into(), "1".into());
        assert_eq!(
            resolve_env(&app(), &user).unwrap_err().to_string(),
            "variable NOPE: X has no such variable"
        );
    }
}
