//! The variables a deployment writes into its compose file: the user's values, the catalog's
//! defaults, and generated secrets. Only the non-secret ones are ever journaled.

use std::collections::BTreeMap;

use super::request::DeployRefusal;
use crate::catalog::{AppSpec, EnvError};

/// All values (for the compose file) and the non-secret ones (for the journal).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResolvedEnv {
    pub all: BTreeMap<String, String>,
    pub plain: BTreeMap<String, String>,
}

/// Resolve `user` values against `app`'s variables (the catalog's rules: unknown keys and
/// missing required values refused by name, empty secrets generated from the OS-seeded
/// generator, defaults for the rest) and split off what may be journaled.
pub fn resolve_env(
    app: &AppSpec,
    user: &BTreeMap<String, String>,
) -> Result<ResolvedEnv, DeployRefusal> {
    let all = crate::catalog::resolve_env(app, user, &mut rand::rng()).map_err(|e| match e {
        EnvError::Missing { key } => DeployRefusal::Env {
            key,
            reason: "required".into(),
        },
        EnvError::Unknown { key, .. } => DeployRefusal::Env {
            key: crate::text::clean_string(&key),
            reason: format!("{} has no such variable", app.name),
        },
    })?;
    if let Some(key) = all.iter().find(|(_, v)| v.contains('\0')).map(|(k, _)| k) {
        return Err(DeployRefusal::Env {
            key: key.clone(),
            reason: "must not contain NUL".into(),
        });
    }
    let plain = all
        .iter()
        .filter(|(k, _)| !app.env.iter().any(|v| &v.key == *k && v.is_secret()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(ResolvedEnv { all, plain })
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
        assert!(
            !env.plain.contains_key("DB_PASSWORD"),
            "secrets are not journaled"
        );
        let again = resolve_env(&app(), &user).unwrap();
        assert_ne!(
            again.all["DB_PASSWORD"], *secret,
            "each deployment gets its own"
        );
        user.insert("NOPE".into(), "1".into());
        assert_eq!(
            resolve_env(&app(), &user).unwrap_err().to_string(),
            "variable NOPE: X has no such variable"
        );
    }
}
