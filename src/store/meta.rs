//! The `meta` tree: schema version (refuse newer, migrate older) and the key bookkeeping
//! (which key source the store was created with, the Argon2id salt, and a key check value so a
//! wrong key is reported once at open instead of as a decrypt error on every host).
//!
//! The key bookkeeping is one record, `key`, written in one atomic step with the removal of
//! the older layout (three records, `key_mode`, `kdf` and `key_check`, written one by one: a
//! crash between them left a store that would not open). A store in the older layout is
//! converted on open; one left half-written by that crash is treated as never unlocked.

use serde::{Deserialize, Serialize};

use super::StoreError;
use super::crypto::{KdfParams, KeyError, KeySource, Sealed, SecretCipher};
use super::key_file::{KeyFile, read_key_file, write_new_key_file};
use super::kv::{KvEntry, KvStore};

/// The schema this build reads and writes.
///
/// History:
/// - 0: stores written before the `meta` tree existed (no version record).
/// - 1: `meta` tree with version and key bookkeeping; records as in `hosts`, `cache`, `settings`.
/// - 2: host secrets bound to the whole non-secret host record (`host_record`); step 1 -> 2
///   re-seals every host, after which a record sealed the old way is refused.
pub const SCHEMA_VERSION: u32 = 2;

pub(crate) const TREE: &str = "meta";
const VERSION_KEY: &[u8] = b"schema_version";
const KEY_RECORD_KEY: &[u8] = b"key";
/// The older layout of the key bookkeeping, read for conversion only.
const LEGACY_KEY_MODE: &[u8] = b"key_mode";
const LEGACY_KDF: &[u8] = b"kdf";
const LEGACY_KEY_CHECK: &[u8] = b"key_check";
/// Associated data of the key check value (the older layout's record key, kept so converted
/// check values still open).
const KEY_CHECK_AAD: &[u8] = b"key_check";
/// Known plaintext sealed under the store key; opening it proves the key is right.
const KEY_CHECK_PLAIN: &[u8] = b"proximity store key check v1";

/// Trees that can hold data in a store without a version record (schema 0).
const DATA_TREES: &[&str] = &["hosts", "cache", "settings"];

const MODE_FILE: &str = "file";
const MODE_PASSPHRASE: &str = "passphrase";

/// The key bookkeeping, one record.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyRecord {
    mode: String,
    #[serde(default)]
    kdf: Option<KdfParams>,
    check: Sealed,
}

fn read_json<T: serde::de::DeserializeOwned>(
    kv: &dyn KvStore,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    let Some(bytes) = kv.get(TREE, key)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| StoreError::Corrupt {
            record: format!("meta/{}", String::from_utf8_lossy(key)),
            detail: e.to_string(),
        })
}

fn to_json<T: serde::Serialize>(key: &[u8], value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        record: format!("meta/{}", String::from_utf8_lossy(key)),
        detail: e.to_string(),
    })
}

fn write_version(kv: &dyn KvStore, version: u32) -> Result<(), StoreError> {
    kv.put(TREE, VERSION_KEY, &to_json(VERSION_KEY, &version)?)?;
    kv.flush()?;
    Ok(())
}

/// The version recorded in the store; `None` for a store with no data at all.
pub fn stored_version(kv: &dyn KvStore) -> Result<Option<u32>, StoreError> {
    if let Some(v) = read_json::<u32>(kv, VERSION_KEY)? {
        return Ok(Some(v));
    }
    for tree in DATA_TREES {
        if !kv.scan_prefix(tree, b"")?.is_empty() {
            return Ok(Some(0));
        }
    }
    Ok(None)
}

/// Refuse a store from a newer proximity. Returns the version found (`None` for a new
/// store). Writes nothing: [`migrate`] does, once the key is known.
pub fn check_version(kv: &dyn KvStore, store: &str) -> Result<Option<u32>, StoreError> {
    let found = stored_version(kv)?;
    if let Some(v) = found
        && v > SCHEMA_VERSION
    {
        return Err(StoreError::SchemaTooNew {
            path: store.to_string(),
            found: v,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// Bring a store at version `found` (from [`check_version`]) up to [`SCHEMA_VERSION`];
/// stamp a new store. Each step is stamped so a crash mid-way resumes at the right step, and
/// each step can run again over its own partial work.
pub fn migrate(
    kv: &dyn KvStore,
    found: Option<u32>,
    cipher: &SecretCipher,
) -> Result<(), StoreError> {
    let Some(mut version) = found else {
        return write_version(kv, SCHEMA_VERSION);
    };
    while version < SCHEMA_VERSION {
        migrate_step(kv, version, cipher)?;
        version += 1;
        write_version(kv, version)?;
    }
    Ok(())
}

/// Transform records from schema `from` to `from + 1`.
fn migrate_step(kv: &dyn KvStore, from: u32, cipher: &SecretCipher) -> Result<(), StoreError> {
    match from {
        // Version 0 records already have the version 1 shape; only the meta tree is new,
        // and `unlock` fills in the key bookkeeping.
        0 => Ok(()),
        1 => {
            super::hosts::reseal_legacy(kv, cipher)?;
            Ok(())
        }
        other => Err(StoreError::Corrupt {
            record: "meta/schema_version".to_string(),
            detail: format!("no migration from schema version {other}"),
        }),
    }
}

/// Whether any host record exists (and so may hold a secret sealed with the store key).
fn holds_secrets(kv: &dyn KvStore) -> Result<bool, StoreError> {
    Ok(!kv.scan_prefix(super::hosts::TREE, b"")?.is_empty())
}

/// Obtain the store key from `source`, check it against the store, and set up the key
/// bookkeeping on first use (or convert the older layout).
pub fn unlock(
    kv: &dyn KvStore,
    source: &KeySource,
    store: &str,
) -> Result<SecretCipher, StoreError> {
    if let Some(record) = read_json::<KeyRecord>(kv, KEY_RECORD_KEY)? {
        return unlock_recorded(kv, source, store, record);
    }
    let mode: Option<String> = read_json(kv, LEGACY_KEY_MODE)?;
    let kdf: Option<KdfParams> = read_json(kv, LEGACY_KDF)?;
    let check: Option<Sealed> = read_json(kv, LEGACY_KEY_CHECK)?;
    if let (Some(mode), Some(check)) = (mode, check) {
        // A complete older layout: unlock with it, then store it as one record.
        let record = KeyRecord { mode, kdf, check };
        let cipher = unlock_recorded(kv, source, store, record.clone())?;
        if !replace_key_record(kv, None, &record)? {
            return unlock(kv, source, store);
        }
        return Ok(cipher);
    }
    // No bookkeeping, or an older layout cut short by a crash before its check value: the
    // first open never finished. A salt already written may have derived nothing that was
    // kept, but reusing it is harmless.
    let (key, mode, kdf) = match source {
        KeySource::KeyFile(path) => {
            let key = match read_key_file(path)? {
                KeyFile::Key(key) => key,
                KeyFile::Missing if holds_secrets(kv)? => {
                    return Err(KeyError::KeyFileMissing {
                        path: path.display().to_string(),
                        store: store.to_string(),
                    }
                    .into());
                }
                KeyFile::Missing => write_new_key_file(path, false)?,
                KeyFile::Short { hex_len } => replace_short_key(kv, path, hex_len, store)?,
            };
            (key, MODE_FILE, None)
        }
        KeySource::Passphrase(pass) => {
            let params = match kdf {
                Some(params) => params,
                None => KdfParams::generate()?,
            };
            (params.derive(pass)?, MODE_PASSPHRASE, Some(params))
        }
    };
    let cipher = SecretCipher::new(&key);
    let record = KeyRecord {
        mode: mode.to_string(),
        kdf,
        check: cipher.seal(KEY_CHECK_AAD, KEY_CHECK_PLAIN)?,
    };
    if !replace_key_record(kv, None, &record)? {
        // Another opener of the same database finished first: use its bookkeeping.
        return unlock(kv, source, store);
    }
    Ok(cipher)
}

/// A key file cut short by a crash: replace it only when nothing can have been sealed with
/// the key it lost.
fn replace_short_key(
    kv: &dyn KvStore,
    path: &std::path::Path,
    hex_len: usize,
    store: &str,
) -> Result<zeroize::Zeroizing<[u8; super::crypto::KEY_LEN]>, StoreError> {
    if holds_secrets(kv)? {
        return Err(KeyError::KeyFileShort {
            path: path.display().to_string(),
            hex_len,
            store: store.to_string(),
        }
        .into());
    }
    tracing::warn!(path = %path.display(), hex_len, "replacing a key file cut short by a crash");
    Ok(write_new_key_file(path, true)?)
}

/// Write `record` as the key bookkeeping if the current one is `old` (None = absent), and
/// drop the older layout's records in the same atomic step; then flush.
fn replace_key_record(
    kv: &dyn KvStore,
    old: Option<&[u8]>,
    record: &KeyRecord,
) -> Result<bool, StoreError> {
    let bytes = to_json(KEY_RECORD_KEY, record)?;
    let expect: [KvEntry<'_>; 1] = [(KEY_RECORD_KEY, old)];
    let set: [KvEntry<'_>; 4] = [
        (KEY_RECORD_KEY, Some(&bytes)),
        (LEGACY_KEY_MODE, None),
        (LEGACY_KDF, None),
        (LEGACY_KEY_CHECK, None),
    ];
    let swapped = kv.compare_and_swap_many(TREE, &expect, &set)?;
    if swapped {
        kv.flush()?;
    }
    Ok(swapped)
}

/// Unlock a store whose key bookkeeping is complete.
fn unlock_recorded(
    kv: &dyn KvStore,
    source: &KeySource,
    store: &str,
    record: KeyRecord,
) -> Result<SecretCipher, StoreError> {
    let (cipher, which) = match (source, record.mode.as_str()) {
        (KeySource::KeyFile(path), MODE_FILE) => {
            let key = match read_key_file(path)? {
                KeyFile::Key(key) => key,
                KeyFile::Missing => {
                    return Err(KeyError::KeyFileMissing {
                        path: path.display().to_string(),
                        store: store.to_string(),
                    }
                    .into());
                }
                KeyFile::Short { hex_len } => {
                    // Only the check value was sealed with the lost key: start a new one.
                    let key = replace_short_key(kv, path, hex_len, store)?;
                    let cipher = SecretCipher::new(&key);
                    let fresh = KeyRecord {
                        check: cipher.seal(KEY_CHECK_AAD, KEY_CHECK_PLAIN)?,
                        ..record.clone()
                    };
                    let current = kv.get(TREE, KEY_RECORD_KEY)?;
                    replace_key_record(kv, current.as_deref(), &fresh)?;
                    return Ok(cipher);
                }
            };
            (
                SecretCipher::new(&key),
                format!("the key file {}", path.display()),
            )
        }
        (KeySource::Passphrase(pass), MODE_PASSPHRASE) => {
            let params = record.kdf.as_ref().ok_or_else(|| StoreError::Corrupt {
                record: "meta/key".to_string(),
                detail: "no key derivation parameters in a passphrase-protected store".to_string(),
            })?;
            let key = params.derive(pass)?;
            (
                SecretCipher::new(&key),
                "the one derived from PROXIMITY_PASSPHRASE".to_string(),
            )
        }
        (KeySource::KeyFile(_), MODE_PASSPHRASE) => {
            return Err(KeyError::PassphraseRequired.into());
        }
        (KeySource::Passphrase(_), MODE_FILE) => {
            return Err(KeyError::PassphraseNotUsed {
                store: store.to_string(),
            }
            .into());
        }
        (_, other) => {
            return Err(StoreError::Corrupt {
                record: "meta/key".to_string(),
                detail: format!("unknown key mode {other:?}"),
            });
        }
    };
    match cipher.open(KEY_CHECK_AAD, &record.check) {
        Ok(plain) if plain.as_slice() == KEY_CHECK_PLAIN => Ok(cipher),
        _ => Err(KeyError::WrongKey { which }.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::crypto::{KEY_LEN, random_bytes};
    use crate::store::kv::MemoryKv;

    fn cipher() -> SecretCipher {
        SecretCipher::new(&random_bytes::<KEY_LEN>().unwrap())
    }

    #[test]
    fn new_store_gets_current_version() {
        let kv = MemoryKv::new();
        assert_eq!(check_version(&kv, "mem").unwrap(), None);
        migrate(&kv, None, &cipher()).unwrap();
        assert_eq!(stored_version(&kv).unwrap(), Some(SCHEMA_VERSION));
    }

    #[test]
    fn version_zero_store_is_migrated() {
        let kv = MemoryKv::new();
        kv.put("settings", b"settings", b"{}").unwrap();
        assert_eq!(check_version(&kv, "mem").unwrap(), Some(0));
        migrate(&kv, Some(0), &cipher()).unwrap();
        assert_eq!(stored_version(&kv).unwrap(), Some(SCHEMA_VERSION));
        assert_eq!(kv.get("settings", b"settings").unwrap().unwrap(), b"{}");
    }

    #[test]
    fn newer_version_is_refused() {
        let kv = MemoryKv::new();
        kv.put(TREE, VERSION_KEY, b"99").unwrap();
        let err = check_version(&kv, "/x/store").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the store at /x/store has schema version 99, newer than the {SCHEMA_VERSION} this proximity supports: upgrade proximity, or move the store aside"
            )
        );
    }

    #[test]
    fn older_key_layout_is_converted_to_one_record() {
        let kv = MemoryKv::new();
        let dir = tempfile::tempdir().unwrap();
        let source = KeySource::KeyFile(dir.path().join("secret.key"));
        let first = unlock(&kv, &source, "mem").unwrap();
        // Rewrite the bookkeeping in the older three-record layout.
        let record: KeyRecord = read_json(&kv, KEY_RECORD_KEY).unwrap().unwrap();
        kv.delete(TREE, KEY_RECORD_KEY).unwrap();
        kv.put(TREE, LEGACY_KEY_MODE, b"\"file\"").unwrap();
        kv.put(
            TREE,
            LEGACY_KEY_CHECK,
            &to_json(b"", &record.check).unwrap(),
        )
        .unwrap();
        let again = unlock(&kv, &source, "mem").unwrap();
        assert!(kv.get(TREE, LEGACY_KEY_MODE).unwrap().is_none());
        assert!(kv.get(TREE, LEGACY_KEY_CHECK).unwrap().is_none());
        assert!(kv.get(TREE, KEY_RECORD_KEY).unwrap().is_some());
        let sealed = first.seal(b"x", b"same key").unwrap();
        assert_eq!(again.open(b"x", &sealed).unwrap().as_slice(), b"same key");
    }
}
