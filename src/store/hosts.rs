//! The `hosts` tree: one JSON record per host, keyed by name, secrets sealed.
//!
//! The stored form mirrors [`HostConfig`] with every [`Secret`] replaced by a [`Sealed`] value
//! whose associated data is `hosts/<name>/<field>`: a ciphertext copied into another host's
//! record (or another field) does not decrypt. Every change is flushed before returning.

use serde::{Deserialize, Serialize};

use super::crypto::Sealed;
use super::host::{HostAuth, HostConfig};
use super::secret::Secret;
use super::{Store, StoreError, decode, encode};

pub(crate) const TREE: &str = "hosts";

#[derive(Serialize, Deserialize)]
struct StoredHost {
    name: String,
    url: String,
    auth: StoredAuth,
    #[serde(default)]
    fingerprint: Option<String>,
    #[serde(default)]
    insecure: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum StoredAuth {
    Token {
        id: String,
        secret: Sealed,
    },
    User {
        user: String,
        #[serde(default)]
        password: Option<Sealed>,
        #[serde(default)]
        totp: bool,
    },
}

/// Associated data binding a sealed secret to its record and field.
fn aad(name: &str, field: &str) -> Vec<u8> {
    format!("{TREE}/{name}/{field}").into_bytes()
}

/// Typed access to the `hosts` tree; get it from [`Store::hosts`].
pub struct Hosts<'a> {
    store: &'a Store,
}

impl<'a> Hosts<'a> {
    pub(crate) fn new(store: &'a Store) -> Hosts<'a> {
        Hosts { store }
    }

    /// Validate and add a new host; a host with the same name is an error.
    /// Returns the record as stored (fingerprint normalized).
    pub fn add(&self, cfg: HostConfig) -> Result<HostConfig, StoreError> {
        let cfg = cfg.validated()?;
        let bytes = self.seal(&cfg)?;
        let kv = self.store.kv();
        // Atomic "insert if absent": two tasks adding the same name cannot both win.
        if !kv.compare_and_swap(TREE, cfg.name.as_bytes(), None, Some(&bytes))? {
            return Err(StoreError::DuplicateHost { name: cfg.name });
        }
        kv.flush()?;
        Ok(cfg)
    }

    /// Replace an existing host (matched by name).
    pub fn update(&self, cfg: HostConfig) -> Result<HostConfig, StoreError> {
        let cfg = cfg.validated()?;
        let bytes = self.seal(&cfg)?;
        let kv = self.store.kv();
        let key = cfg.name.as_bytes();
        // Swap against the value we saw so a concurrent remove is not undone.
        loop {
            let Some(old) = kv.get(TREE, key)? else {
                return Err(StoreError::HostNotFound { name: cfg.name });
            };
            if kv.compare_and_swap(TREE, key, Some(&old), Some(&bytes))? {
                break;
            }
        }
        kv.flush()?;
        Ok(cfg)
    }

    pub fn get(&self, name: &str) -> Result<Option<HostConfig>, StoreError> {
        match self.store.kv().get(TREE, name.as_bytes())? {
            Some(bytes) => self.open(name, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Every host, sorted by name.
    pub fn list(&self) -> Result<Vec<HostConfig>, StoreError> {
        self.store
            .kv()
            .scan_prefix(TREE, b"")?
            .into_iter()
            .map(|(key, bytes)| self.open(&String::from_utf8_lossy(&key), &bytes))
            .collect()
    }

    /// Host names only, sorted; reads no secret.
    pub fn names(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .store
            .kv()
            .scan_prefix(TREE, b"")?
            .into_iter()
            .map(|(key, _)| String::from_utf8_lossy(&key).into_owned())
            .collect())
    }

    /// Remove a host and its cached inventory.
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        let kv = self.store.kv();
        if !kv.delete(TREE, name.as_bytes())? {
            return Err(StoreError::HostNotFound {
                name: name.to_string(),
            });
        }
        // A later host with the same name must not start from this one's inventory.
        self.store.cache().remove(name)?;
        kv.flush()?;
        Ok(())
    }

    fn seal(&self, cfg: &HostConfig) -> Result<Vec<u8>, StoreError> {
        let cipher = self.store.cipher();
        let auth = match &cfg.auth {
            HostAuth::Token { id, secret } => StoredAuth::Token {
                id: id.clone(),
                secret: cipher.seal(&aad(&cfg.name, "secret"), secret.expose().as_bytes())?,
            },
            HostAuth::User {
                user,
                password,
                totp,
            } => StoredAuth::User {
                user: user.clone(),
                password: password
                    .as_ref()
                    .map(|p| cipher.seal(&aad(&cfg.name, "password"), p.expose().as_bytes()))
                    .transpose()?,
                totp: *totp,
            },
        };
        let stored = StoredHost {
            name: cfg.name.clone(),
            url: cfg.url.clone(),
            auth,
            fingerprint: cfg.fingerprint.clone(),
            insecure: cfg.insecure,
        };
        encode(|| format!("{TREE}/{}", cfg.name), &stored)
    }

    fn open(&self, key: &str, bytes: &[u8]) -> Result<HostConfig, StoreError> {
        let stored: StoredHost = decode(|| format!("{TREE}/{key}"), bytes)?;
        // The record key, not the name inside the JSON, is what the secrets are bound to.
        let unseal = |field: &str, sealed: &Sealed| -> Result<Secret, StoreError> {
            let record = format!("{TREE}/{key}/{field}");
            let plain = self
                .store
                .cipher()
                .open(record.as_bytes(), sealed)
                .map_err(|_| StoreError::Decrypt {
                    record: record.clone(),
                })?;
            let text = std::str::from_utf8(&plain).map_err(|_| StoreError::Corrupt {
                record,
                detail: "decrypted secret is not UTF-8".to_string(),
            })?;
            Ok(Secret::new(text))
        };
        let auth = match &stored.auth {
            StoredAuth::Token { id, secret } => HostAuth::Token {
                id: id.clone(),
                secret: unseal("secret", secret)?,
            },
            StoredAuth::User {
                user,
                password,
                totp,
            } => HostAuth::User {
                user: user.clone(),
                password: password
                    .as_ref()
                    .map(|p| unseal("password", p))
                    .transpose()?,
                totp: *totp,
            },
        };
        Ok(HostConfig {
            name: key.to_string(),
            url: stored.url,
            auth,
            fingerprint: stored.fingerprint,
            insecure: stored.insecure,
        })
    }
}
