//! The stored form of a host: [`HostConfig`] with every [`Secret`] sealed, and what each
//! sealed secret is bound to.
//!
//! A secret's associated data is the whole non-secret record (name, field, URL, fingerprint,
//! `insecure`, auth kind, token id or user, TOTP flag), not just `hosts/<name>/<field>`:
//! someone who can write the store but not read the key could otherwise point a host at their
//! own server with `insecure` on and have proximity send them the decrypted secret. Any change
//! to those fields now makes the secret fail to open.
//!
//! Records sealed the older way (`seal` absent, associated data `hosts/<name>/<field>`) are
//! opened only by the schema 1 -> 2 migration, which re-seals them; after it they are refused.

use serde::{Deserialize, Serialize};

use super::crypto::{Sealed, SecretCipher};
use super::host::{HostAuth, HostConfig};
use super::secret::Secret;
use super::{StoreError, decode, encode};

pub(crate) const TREE: &str = "hosts";

/// Associated data covers the whole non-secret record.
pub(crate) const SEAL_RECORD: u32 = 2;
/// Associated data is `hosts/<name>/<field>` (schema 1 and before).
const SEAL_LEGACY: u32 = 1;

fn legacy_seal() -> u32 {
    SEAL_LEGACY
}

#[derive(Serialize, Deserialize)]
pub(crate) struct StoredHost {
    name: String,
    url: String,
    auth: StoredAuth,
    #[serde(default)]
    fingerprint: Option<String>,
    #[serde(default)]
    insecure: bool,
    /// How the secrets are bound: [`SEAL_RECORD`], or absent in older records.
    #[serde(default = "legacy_seal")]
    pub(crate) seal: u32,
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

/// The non-secret fields a secret is bound to, in a fixed order (serde keeps field order, so
/// the JSON is the same bytes for the same record).
#[derive(Serialize)]
struct Binding<'a> {
    seal: u32,
    tree: &'a str,
    name: &'a str,
    field: &'a str,
    url: &'a str,
    fingerprint: Option<&'a str>,
    insecure: bool,
    auth: &'a str,
    principal: &'a str,
    totp: bool,
}

/// The non-secret view shared by [`HostConfig`] and [`StoredHost`].
struct Public<'a> {
    name: &'a str,
    url: &'a str,
    fingerprint: Option<&'a str>,
    insecure: bool,
    auth: &'a str,
    principal: &'a str,
    totp: bool,
}

impl Public<'_> {
    fn aad(&self, seal: u32, field: &str) -> Result<Vec<u8>, StoreError> {
        if seal == SEAL_LEGACY {
            return Ok(format!("{TREE}/{}/{field}", self.name).into_bytes());
        }
        let binding = Binding {
            seal,
            tree: TREE,
            name: self.name,
            field,
            url: self.url,
            fingerprint: self.fingerprint,
            insecure: self.insecure,
            auth: self.auth,
            principal: self.principal,
            totp: self.totp,
        };
        encode(|| format!("{TREE}/{}/{field}", self.name), &binding)
    }
}

/// Seal `cfg`'s secrets bound to its record and encode it.
pub(crate) fn seal_host(cipher: &SecretCipher, cfg: &HostConfig) -> Result<Vec<u8>, StoreError> {
    let (kind, principal, totp) = match &cfg.auth {
        HostAuth::Token { id, .. } => ("token", id.as_str(), false),
        HostAuth::User { user, totp, .. } => ("user", user.as_str(), *totp),
    };
    let public = Public {
        name: &cfg.name,
        url: &cfg.url,
        fingerprint: cfg.fingerprint.as_deref(),
        insecure: cfg.insecure,
        auth: kind,
        principal,
        totp,
    };
    let auth = match &cfg.auth {
        HostAuth::Token { id, secret } => StoredAuth::Token {
            id: id.clone(),
            secret: cipher.seal(
                &public.aad(SEAL_RECORD, "secret")?,
                secret.expose().as_bytes(),
            )?,
        },
        HostAuth::User {
            user,
            password,
            totp,
        } => StoredAuth::User {
            user: user.clone(),
            password: match password {
                Some(p) => Some(
                    cipher.seal(&public.aad(SEAL_RECORD, "password")?, p.expose().as_bytes())?,
                ),
                None => None,
            },
            totp: *totp,
        },
    };
    let stored = StoredHost {
        name: cfg.name.clone(),
        url: cfg.url.clone(),
        auth,
        fingerprint: cfg.fingerprint.clone(),
        insecure: cfg.insecure,
        seal: SEAL_RECORD,
    };
    encode(|| format!("{TREE}/{}", cfg.name), &stored)
}

/// Decode the record stored under `key`.
pub(crate) fn decode_host(key: &str, bytes: &[u8]) -> Result<StoredHost, StoreError> {
    decode(|| format!("{TREE}/{key}"), bytes)
}

/// Open the record stored under `key`. `allow_legacy` only for the migration: after it, a
/// record claiming the older binding was put back by someone, not written by us.
pub(crate) fn open_host(
    cipher: &SecretCipher,
    key: &str,
    stored: StoredHost,
    allow_legacy: bool,
) -> Result<HostConfig, StoreError> {
    let (kind, principal, totp) = match &stored.auth {
        StoredAuth::Token { id, .. } => ("token", id.as_str(), false),
        StoredAuth::User { user, totp, .. } => ("user", user.as_str(), *totp),
    };
    // The record key, not the name inside the JSON, is what the secrets are bound to.
    let public = Public {
        name: key,
        url: &stored.url,
        fingerprint: stored.fingerprint.as_deref(),
        insecure: stored.insecure,
        auth: kind,
        principal,
        totp,
    };
    let usable = stored.seal == SEAL_RECORD || (allow_legacy && stored.seal == SEAL_LEGACY);
    let unseal = |field: &str, sealed: &Sealed| -> Result<Secret, StoreError> {
        let record = format!("{TREE}/{key}/{field}");
        let decrypt = || StoreError::Decrypt {
            record: record.clone(),
        };
        if !usable {
            return Err(decrypt());
        }
        let plain = cipher
            .open(&public.aad(stored.seal, field)?, sealed)
            .map_err(|_| decrypt())?;
        let text = std::str::from_utf8(&plain).map_err(|_| StoreError::Corrupt {
            record: record.clone(),
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
