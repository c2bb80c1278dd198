//! The `meta` tree: schema version (refuse newer, migrate older) and the key bookkeeping
//! (which key source the store was created with, the Argon2id salt, and a key check value so a
//! wrong key is reported once at open instead of as a decrypt error on every host).

use super::StoreError;
use super::crypto::{KdfParams, KeyError, KeySource, SecretCipher, create_key_file, read_key_file};
use super::kv::KvStore;

/// The schema this build reads and writes.
///
/// History:
/// - 0: stores written before the `meta` tree existed (no version record).
/// - 1: `meta` tree with version and key bookkeeping; records as in `hosts`, `cache`, `settings`.
pub const SCHEMA_VERSION: u32 = 1;

pub(crate) const TREE: &str = "meta";
const VERSION_KEY: &[u8] = b"schema_version";
const KEY_MODE_KEY: &[u8] = b"key_mode";
const KDF_KEY: &[u8] = b"kdf";
const KEY_CHECK_KEY: &[u8] = b"key_check";
/// Known plaintext sealed under the store key; opening it proves the key is right.
const KEY_CHECK_PLAIN: &[u8] = b"proximity store key check v1";

/// Trees that can hold data in a store without a version record (schema 0).
const DATA_TREES: &[&str] = &["hosts", "cache", "settings"];

const MODE_FILE: &str = "file";
const MODE_PASSPHRASE: &str = "passphrase";

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

fn write_json<T: serde::Serialize>(
    kv: &dyn KvStore,
    key: &[u8],
    value: &T,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        record: format!("meta/{}", String::from_utf8_lossy(key)),
        detail: e.to_string(),
    })?;
    kv.put(TREE, key, &bytes)?;
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

/// Refuse a store from a newer proximity; bring an older one up to [`SCHEMA_VERSION`].
/// Returns the version found (`None` for a new store).
pub fn check_and_migrate(kv: &dyn KvStore, store: &str) -> Result<Option<u32>, StoreError> {
    let found = stored_version(kv)?;
    let mut version = match found {
        Some(v) if v > SCHEMA_VERSION => {
            return Err(StoreError::SchemaTooNew {
                path: store.to_string(),
                found: v,
                supported: SCHEMA_VERSION,
            });
        }
        Some(v) => v,
        None => SCHEMA_VERSION,
    };
    while version < SCHEMA_VERSION {
        migrate_step(kv, version)?;
        version += 1;
        // Stamp each step so a crash mid-way resumes from the right place.
        write_json(kv, VERSION_KEY, &version)?;
        kv.flush()?;
    }
    if found.is_none() {
        write_json(kv, VERSION_KEY, &SCHEMA_VERSION)?;
        kv.flush()?;
    }
    Ok(found)
}

/// Transform records from schema `from` to `from + 1`.
fn migrate_step(_kv: &dyn KvStore, from: u32) -> Result<(), StoreError> {
    match from {
        // Version 0 records already have the version 1 shape; only the meta tree is new,
        // and `unlock` fills in the key bookkeeping.
        0 => Ok(()),
        other => Err(StoreError::Corrupt {
            record: "meta/schema_version".to_string(),
            detail: format!("no migration from schema version {other}"),
        }),
    }
}

/// Obtain the store key from `source`, check it against the store, and set up the key
/// bookkeeping on first use.
pub fn unlock(
    kv: &dyn KvStore,
    source: &KeySource,
    store: &str,
) -> Result<SecretCipher, StoreError> {
    let mode: Option<String> = read_json(kv, KEY_MODE_KEY)?;
    let (cipher, which) = match (source, mode.as_deref()) {
        (KeySource::KeyFile(path), None) => {
            let key = match read_key_file(path)? {
                Some(key) => key,
                None => create_key_file(path)?,
            };
            write_json(kv, KEY_MODE_KEY, &MODE_FILE)?;
            (SecretCipher::new(&key), None)
        }
        (KeySource::KeyFile(path), Some(MODE_FILE)) => {
            let key = read_key_file(path)?.ok_or_else(|| KeyError::KeyFileMissing {
                path: path.display().to_string(),
                store: store.to_string(),
            })?;
            (
                SecretCipher::new(&key),
                Some(format!("the key file {}", path.display())),
            )
        }
        (KeySource::Passphrase(pass), None) => {
            let params = KdfParams::generate()?;
            let key = params.derive(pass)?;
            write_json(kv, KDF_KEY, &params)?;
            write_json(kv, KEY_MODE_KEY, &MODE_PASSPHRASE)?;
            (SecretCipher::new(&key), None)
        }
        (KeySource::Passphrase(pass), Some(MODE_PASSPHRASE)) => {
            let params: KdfParams = read_json(kv, KDF_KEY)?.ok_or_else(|| StoreError::Corrupt {
                record: "meta/kdf".to_string(),
                detail: "missing in a passphrase-protected store".to_string(),
            })?;
            let key = params.derive(pass)?;
            (
                SecretCipher::new(&key),
                Some("the one derived from PROXIMITY_PASSPHRASE".to_string()),
            )
        }
        (KeySource::KeyFile(_), Some(MODE_PASSPHRASE)) => {
            return Err(KeyError::PassphraseRequired.into());
        }
        (KeySource::Passphrase(_), Some(MODE_FILE)) => {
            return Err(KeyError::PassphraseNotUsed {
                store: store.to_string(),
            }
            .into());
        }
        (_, Some(other)) => {
            return Err(StoreError::Corrupt {
                record: "meta/key_mode".to_string(),
                detail: format!("unknown key mode {other:?}"),
            });
        }
    };
    match which {
        // First use of this store: record the check value.
        None => {
            let check = cipher.seal(KEY_CHECK_KEY, KEY_CHECK_PLAIN)?;
            write_json(kv, KEY_CHECK_KEY, &check)?;
            kv.flush()?;
        }
        Some(which) => {
            let check = read_json(kv, KEY_CHECK_KEY)?.ok_or_else(|| StoreError::Corrupt {
                record: "meta/key_check".to_string(),
                detail: "missing".to_string(),
            })?;
            match cipher.open(KEY_CHECK_KEY, &check) {
                Ok(plain) if plain.as_slice() == KEY_CHECK_PLAIN => {}
                _ => return Err(KeyError::WrongKey { which }.into()),
            }
        }
    }
    Ok(cipher)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::kv::MemoryKv;

    #[test]
    fn new_store_gets_current_version() {
        let kv = MemoryKv::new();
        assert_eq!(check_and_migrate(&kv, "mem").unwrap(), None);
        assert_eq!(stored_version(&kv).unwrap(), Some(SCHEMA_VERSION));
    }

    #[test]
    fn version_zero_store_is_migrated() {
        let kv = MemoryKv::new();
        kv.put("settings", b"settings", b"{}").unwrap();
        assert_eq!(check_and_migrate(&kv, "mem").unwrap(), Some(0));
        assert_eq!(stored_version(&kv).unwrap(), Some(SCHEMA_VERSION));
        assert_eq!(kv.get("settings", b"settings").unwrap().unwrap(), b"{}");
    }

    #[test]
    fn newer_version_is_refused() {
        let kv = MemoryKv::new();
        kv.put(TREE, VERSION_KEY, b"99").unwrap();
        let err = check_and_migrate(&kv, "/x/store").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the store at /x/store has schema version 99, newer than the {SCHEMA_VERSION} this proximity supports: upgrade proximity, or move the store aside"
            )
        );
    }
}
