//! The `hosts` tree: one JSON record per host, keyed by name, secrets sealed.
//!
//! The stored form (`host_record`) mirrors [`HostConfig`] with every secret sealed and bound
//! to the whole non-secret record: a ciphertext copied into another host's record (or another
//! field), or a record whose URL, fingerprint, `insecure` or user was changed, does not
//! decrypt. Every change is flushed before returning; a rename is one atomic step.

use super::crypto::SecretCipher;
use super::host::HostConfig;
use super::host_record::{SEAL_RECORD, decode_host, open_host, seal_host};
use super::kv::{KvEntry, KvStore};
use super::{Store, StoreError};

pub(crate) use super::host_record::TREE;

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

    /// Rename `old` to `cfg.name` (and apply the rest of `cfg`) in one atomic step: after a
    /// crash or a failure there is either the old record or the new one, never both or
    /// neither. The same name is an [`update`](Hosts::update).
    pub fn rename(&self, old: &str, cfg: HostConfig) -> Result<HostConfig, StoreError> {
        if old == cfg.name {
            return self.update(cfg);
        }
        let cfg = cfg.validated()?;
        let bytes = self.seal(&cfg)?;
        let kv = self.store.kv();
        let (old_key, new_key) = (old.as_bytes(), cfg.name.as_bytes());
        loop {
            let Some(current) = kv.get(TREE, old_key)? else {
                return Err(StoreError::HostNotFound {
                    name: old.to_string(),
                });
            };
            let expect: [KvEntry<'_>; 2] = [(old_key, Some(&current)), (new_key, None)];
            let set: [KvEntry<'_>; 2] = [(new_key, Some(&bytes)), (old_key, None)];
            if kv.compare_and_swap_many(TREE, &expect, &set)? {
                break;
            }
            if kv.get(TREE, new_key)?.is_some() {
                return Err(StoreError::DuplicateHost { name: cfg.name });
            }
            // The old record changed under us: try again against its new value.
        }
        // A later host named `old` must not start from this one's inventory. A crash before
        // this line leaves only a stale cache entry, which is overwritten on first refresh.
        self.store.cache().remove(old)?;
        kv.flush()?;
        Ok(cfg)
    }

    fn seal(&self, cfg: &HostConfig) -> Result<Vec<u8>, StoreError> {
        seal_host(self.store.cipher(), cfg)
    }

    fn open(&self, key: &str, bytes: &[u8]) -> Result<HostConfig, StoreError> {
        open_host(self.store.cipher(), key, decode_host(key, bytes)?, false)
    }
}

/// The schema 1 -> 2 step: re-seal every host record sealed the older way, each in one
/// compare-and-swap (a crash mid-way leaves a mix, which the step handles when run again).
/// A record that does not open is left as is and reported when read. Returns how many were
/// re-sealed.
pub(crate) fn reseal_legacy(kv: &dyn KvStore, cipher: &SecretCipher) -> Result<usize, StoreError> {
    let mut resealed = 0;
    for (key, bytes) in kv.scan_prefix(TREE, b"")? {
        let name = String::from_utf8_lossy(&key).into_owned();
        let stored = match decode_host(&name, &bytes) {
            Ok(stored) if stored.seal != SEAL_RECORD => stored,
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!(host = %name, error = %e, "host record not re-sealed");
                continue;
            }
        };
        let cfg = match open_host(cipher, &name, stored, true) {
            Ok(cfg) => cfg,
            Err(e) => {
                tracing::warn!(host = %name, error = %e, "host record not re-sealed");
                continue;
            }
        };
        let fresh = seal_host(cipher, &cfg)?;
        if kv.compare_and_swap(TREE, &key, Some(&bytes), Some(&fresh))? {
            resealed += 1;
        }
    }
    kv.flush()?;
    Ok(resealed)
}
