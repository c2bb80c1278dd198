//! Hosts: add, edit, remove and test Proxmox endpoints, with the same steps for every caller
//! (the CLI's `hosts add` and the TUI's host form): validate, look at the certificate and have
//! the user trust it on first use (self-signed Proxmox), prove the credentials, then save.
//! Nothing here waits on the network in the caller's loop: the TUI's flow runs as jobs.

use super::ConnSpec;
use super::connection;
use crate::store::{HostAuth, HostConfig, Secret, Store, StoreError};

/// A secret typed into a form; never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretString(pub String);

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "SecretString(\"\")"
        } else {
            "SecretString(***)"
        })
    }
}

/// What the host form produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostDraft {
    pub name: String,
    pub url: String,
    pub token_id: String,
    /// Empty when editing and left blank: keep the stored one.
    pub secret: SecretString,
    pub fingerprint: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("secret: required")]
    SecretRequired,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a host named '{0}' exists already")]
    Exists(String),
    #[error("{url}: {reason}")]
    Certificate { url: String, reason: String },
    #[error("{0}")]
    Connect(String),
    #[error("hosts cannot be saved: the store is not open")]
    NoStore,
}

/// The config a draft describes, validated. An empty secret keeps `keep`'s, but only while
/// the URL is the same: a stored secret is never sent to a server it was not given for.
pub fn draft_to_config(
    draft: &HostDraft,
    keep: Option<&HostConfig>,
) -> Result<HostConfig, HostError> {
    let url = draft.url.trim_end_matches('/').to_string();
    let secret = if draft.secret.0.is_empty() {
        match keep {
            Some(HostConfig {
                auth: HostAuth::Token { secret, .. },
                url: kept_url,
                ..
            }) if *kept_url == url => secret.clone(),
            _ => return Err(HostError::SecretRequired),
        }
    } else {
        Secret::new(draft.secret.0.clone())
    };
    Ok(HostConfig {
        name: draft.name.clone(),
        url,
        auth: HostAuth::Token {
            id: draft.token_id.clone(),
            secret,
        },
        fingerprint: draft.fingerprint.clone(),
        insecure: false,
    }
    .validated()
    .map_err(StoreError::from)?)
}

/// Whether the certificate must be looked at and trusted before anything is sent.
pub fn needs_fingerprint(cfg: &HostConfig) -> bool {
    cfg.url.starts_with("https://") && cfg.fingerprint.is_none() && !cfg.insecure
}

/// The SHA-256 fingerprint the server at `url` presents (trust on first use).
pub async fn probe_certificate(url: &str) -> Result<String, HostError> {
    crate::pve::tls::fetch_fingerprint(url)
        .await
        .map_err(|e| HostError::Certificate {
            url: url.to_string(),
            reason: crate::text::clean_string(&e.to_string()),
        })
}

/// Prove that `spec` reaches a Proxmox VE and its credentials work: the version it runs.
pub async fn prove(spec: &ConnSpec) -> Result<String, HostError> {
    let connect =
        |e: crate::pve::PveError| HostError::Connect(crate::text::clean_string(&e.to_string()));
    let client = connection::client_for(spec).map_err(connect)?;
    let v = client.version().await.map_err(connect)?;
    Ok(format!(
        "Proxmox VE {}",
        crate::text::clean_string(&v.version)
    ))
}

/// Save `cfg`, replacing `original` when the form was an edit. A rename is one atomic step
/// in the store, so a failed or interrupted rename keeps the original and its secret.
pub fn save(
    store: &Store,
    cfg: HostConfig,
    original: Option<&str>,
) -> Result<HostConfig, HostError> {
    let saved = match original {
        Some(o) if o != cfg.name => store.hosts().rename(o, cfg)?,
        Some(_) => store.hosts().update(cfg)?,
        None => store.hosts().add(cfg)?,
    };
    Ok(saved)
}

/// The list entry of a configured host (no secret).
pub fn entry(cfg: &HostConfig) -> super::events::HostEntry {
    super::events::HostEntry {
        name: cfg.name.clone(),
        url: cfg.url.clone(),
        token_id: match &cfg.auth {
            HostAuth::Token { id, .. } => id.clone(),
            HostAuth::User { user, .. } => user.clone(),
        },
        fingerprint: cfg.fingerprint.clone(),
    }
}

/// The list entry of a connection (configured or from the environment).
pub fn spec_entry(spec: &ConnSpec) -> super::events::HostEntry {
    super::events::HostEntry {
        name: spec.name.clone(),
        url: spec.url.clone(),
        token_id: match &spec.auth {
            super::ConnAuth::Token { id, .. } => id.clone(),
            super::ConnAuth::User { user, .. } => user.clone(),
        },
        fingerprint: spec.fingerprint.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(url: &str) -> HostConfig {
        HostConfig {
            name: "lab".into(),
            url: url.into(),
            auth: HostAuth::Token {
                id: "root@pam!px".into(),
                secret: Secret::new("s3cret"),
            },
            fingerprint: None,
            insecure: false,
        }
    }

    fn draft(url: &str, secret: &str) -> HostDraft {
        HostDraft {
            name: "lab".into(),
            url: url.into(),
            token_id: "root@pam!px".into(),
            secret: SecretString(secret.into()),
            fingerprint: None,
        }
    }

    #[test]
    fn an_empty_secret_keeps_the_stored_one_only_for_the_same_url() {
        let keep = stored("https://pve.lab:8006");
        let same = draft_to_config(&draft("https://pve.lab:8006/", ""), Some(&keep)).unwrap();
        assert!(matches!(same.auth, HostAuth::Token { secret, .. } if secret.expose() == "s3cret"));
        let moved = draft_to_config(&draft("https://evil.example:8006", ""), Some(&keep));
        assert!(matches!(moved, Err(HostError::SecretRequired)));
        assert!(matches!(
            draft_to_config(&draft("https://pve.lab:8006", ""), None),
            Err(HostError::SecretRequired)
        ));
    }

    #[test]
    fn a_rename_that_fails_keeps_the_original() {
        let store = Store::in_memory().unwrap();
        store.hosts().add(stored("https://a.lab:8006")).unwrap();
        let mut other = stored("https://b.lab:8006");
        other.name = "other".into();
        store.hosts().add(other).unwrap();
        // Renaming "lab" to the existing "other" fails, and "lab" is still there.
        let mut renamed = stored("https://a.lab:8006");
        renamed.name = "other".into();
        assert!(save(&store, renamed, Some("lab")).is_err());
        assert!(store.hosts().get("lab").unwrap().is_some());
    }
}
