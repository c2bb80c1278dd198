//! The byte-level storage trait under the typed trees, with a sled implementation (the real
//! store) and an in-memory one (tests of higher layers, `--demo` runs that must not touch disk).
//!
//! Trees are named by string so later record kinds (apps, journal, audit) need no trait change.
//! `compare_and_swap` is in the trait because "add unless present" and "replace only if still
//! there" must be atomic when two tasks share one store; a get-then-put would race.
//! `compare_and_swap_many` is the same over several keys of one tree, applied all or nothing
//! (also across a crash: sled recovers a transaction whole or not at all), for changes that
//! span two records, like renaming a host.
//!
//! Every write of [`SledKv`] passes a `crash::point` first: a test hook that kills the process
//! at the Nth write when `PROXIMITY_TEST_CRASH_AT` is set, and costs one load otherwise.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::{crash, perms};

/// A storage failure below the typed layer.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    #[error("database error in tree {tree:?}: {source}")]
    Sled {
        tree: String,
        #[source]
        source: sled::Error,
    },
    #[error("cannot open the database at {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: sled::Error,
    },
    #[error(
        "the database at {path} is in use by another proximity process (sled allows one writer per directory)"
    )]
    Locked { path: String },
    #[error("cannot flush the database to disk: {source}")]
    Flush {
        #[source]
        source: sled::Error,
    },
    #[error("cannot restrict file modes under {path}: {source}")]
    Modes {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A pair from a prefix scan: (key, value).
pub type KvPair = (Vec<u8>, Vec<u8>);

/// A key and a value (None = absent) for [`KvStore::compare_and_swap_many`].
pub type KvEntry<'a> = (&'a [u8], Option<&'a [u8]>);

/// Byte key/value storage in named trees. Implementations are shared across tasks.
pub trait KvStore: Send + Sync + 'static {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, KvError>;
    fn put(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), KvError>;
    /// Remove a key; true if it was there.
    fn delete(&self, tree: &str, key: &[u8]) -> Result<bool, KvError>;
    /// Every pair whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Vec<KvPair>, KvError>;
    /// Atomically set `key` to `new` (None deletes) if its current value equals `old`
    /// (None = absent). Returns false, changing nothing, when the current value differs.
    fn compare_and_swap(
        &self,
        tree: &str,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, KvError>;
    /// Atomically, all or nothing: if every key in `expect` has its value (None = absent),
    /// apply every write in `set` (None deletes) and return true; else change nothing and
    /// return false. A crash leaves either none or all of `set` on disk.
    fn compare_and_swap_many(
        &self,
        tree: &str,
        expect: &[KvEntry<'_>],
        set: &[KvEntry<'_>],
    ) -> Result<bool, KvError>;
    /// Make every earlier write durable.
    fn flush(&self) -> Result<(), KvError>;
}

/// The sled-backed store. One `sled::Db` per directory; trees are opened on first use
/// (sled caches open trees internally, so `open_tree` per call is cheap).
///
/// The directory is kept at 0700 and its files at 0600 (see `perms`): after open, after each
/// flush, and after close. Field order matters: `db` drops (and sled writes its last files)
/// before `modes` re-applies the modes.
pub struct SledKv {
    db: sled::Db,
    modes: ModeGuard,
}

/// Re-applies owner-only modes to the database directory when dropped.
struct ModeGuard {
    dir: PathBuf,
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        if let Err(e) = perms::tighten_tree(&self.dir) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot restrict store file modes");
        }
    }
}

impl SledKv {
    /// Open (creating if needed) the database in `dir`, owner-only.
    pub fn open(dir: &Path) -> Result<SledKv, KvError> {
        let path = dir.display().to_string();
        let io_err = |source| KvError::Modes {
            path: path.clone(),
            source,
        };
        perms::ensure_private_dir(dir).map_err(io_err)?;
        let db = sled::Config::new().path(dir).open().map_err(|source| {
            // sled reports the advisory lock held by another process as an `Other` io error
            // whose only marker is its text; say what it means instead.
            if let sled::Error::Io(io) = &source
                && (io.kind() == std::io::ErrorKind::WouldBlock
                    || io.to_string().starts_with("could not acquire lock"))
            {
                return KvError::Locked { path: path.clone() };
            }
            KvError::Open {
                path: path.clone(),
                source,
            }
        })?;
        perms::tighten_tree(dir).map_err(io_err)?;
        Ok(SledKv {
            db,
            modes: ModeGuard {
                dir: dir.to_path_buf(),
            },
        })
    }

    fn tree(&self, tree: &str) -> Result<sled::Tree, KvError> {
        self.db.open_tree(tree).map_err(|e| sled_err(tree, e))
    }
}

fn sled_err(tree: &str, source: sled::Error) -> KvError {
    KvError::Sled {
        tree: tree.to_string(),
        source,
    }
}

impl KvStore for SledKv {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        let value = self.tree(tree)?.get(key).map_err(|e| sled_err(tree, e))?;
        Ok(value.map(|v| v.to_vec()))
    }

    fn put(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        crash::point();
        self.tree(tree)?
            .insert(key, value)
            .map_err(|e| sled_err(tree, e))?;
        Ok(())
    }

    fn delete(&self, tree: &str, key: &[u8]) -> Result<bool, KvError> {
        crash::point();
        let old = self
            .tree(tree)?
            .remove(key)
            .map_err(|e| sled_err(tree, e))?;
        Ok(old.is_some())
    }

    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Vec<KvPair>, KvError> {
        let mut out = Vec::new();
        for item in self.tree(tree)?.scan_prefix(prefix) {
            let (k, v) = item.map_err(|e| sled_err(tree, e))?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn compare_and_swap(
        &self,
        tree: &str,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, KvError> {
        crash::point();
        let swapped = self
            .tree(tree)?
            .compare_and_swap(key, old, new)
            .map_err(|e| sled_err(tree, e))?;
        Ok(swapped.is_ok())
    }

    fn compare_and_swap_many(
        &self,
        tree: &str,
        expect: &[KvEntry<'_>],
        set: &[KvEntry<'_>],
    ) -> Result<bool, KvError> {
        use sled::transaction::{ConflictableTransactionResult, TransactionError};
        crash::point();
        let handle = self.tree(tree)?;
        let outcome = handle.transaction(|tx| -> ConflictableTransactionResult<bool, ()> {
            for (key, old) in expect {
                if tx.get(key)?.as_deref() != *old {
                    return Ok(false);
                }
            }
            for (key, new) in set {
                match new {
                    Some(value) => {
                        tx.insert(*key, *value)?;
                    }
                    None => {
                        tx.remove(*key)?;
                    }
                }
            }
            Ok(true)
        });
        match outcome {
            Ok(swapped) => Ok(swapped),
            Err(TransactionError::Storage(e)) => Err(sled_err(tree, e)),
            // The closure never aborts; report it as a storage error rather than panic.
            Err(TransactionError::Abort(())) => Err(sled_err(
                tree,
                sled::Error::Unsupported("transaction aborted".to_string()),
            )),
        }
    }

    fn flush(&self) -> Result<(), KvError> {
        crash::point();
        // Db::flush covers every tree: they share one page cache and log.
        self.db
            .flush()
            .map_err(|source| KvError::Flush { source })?;
        // sled may have started a new segment or snapshot file since the last pass.
        perms::tighten_tree(&self.modes.dir).map_err(|source| KvError::Modes {
            path: self.modes.dir.display().to_string(),
            source,
        })
    }
}

/// Tree name -> ordered key/value map.
type MemoryTrees = HashMap<String, BTreeMap<Vec<u8>, Vec<u8>>>;

/// An in-memory store with the same semantics; nothing survives the value.
#[derive(Default)]
pub struct MemoryKv {
    trees: Mutex<MemoryTrees>,
}

impl MemoryKv {
    pub fn new() -> MemoryKv {
        MemoryKv::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut MemoryTrees) -> R) -> R {
        // A panic while holding the lock cannot leave a half-written map (the closures do plain
        // map operations, which do not panic), so a poisoned lock is safe to keep using.
        let mut guard = self.trees.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}

impl KvStore for MemoryKv {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.with(|t| t.get(tree).and_then(|m| m.get(key).cloned())))
    }

    fn put(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        self.with(|t| {
            t.entry(tree.to_string())
                .or_default()
                .insert(key.to_vec(), value.to_vec())
        });
        Ok(())
    }

    fn delete(&self, tree: &str, key: &[u8]) -> Result<bool, KvError> {
        Ok(self.with(|t| t.get_mut(tree).and_then(|m| m.remove(key)).is_some()))
    }

    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Vec<KvPair>, KvError> {
        Ok(self.with(|t| {
            t.get(tree)
                .map(|m| {
                    m.range(prefix.to_vec()..)
                        .take_while(|(k, _)| k.starts_with(prefix))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default()
        }))
    }

    fn compare_and_swap(
        &self,
        tree: &str,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, KvError> {
        Ok(self.with(|t| {
            let map = t.entry(tree.to_string()).or_default();
            if map.get(key).map(Vec::as_slice) != old {
                return false;
            }
            match new {
                Some(v) => map.insert(key.to_vec(), v.to_vec()),
                None => map.remove(key),
            };
            true
        }))
    }

    fn compare_and_swap_many(
        &self,
        tree: &str,
        expect: &[KvEntry<'_>],
        set: &[KvEntry<'_>],
    ) -> Result<bool, KvError> {
        Ok(self.with(|t| {
            let map = t.entry(tree.to_string()).or_default();
            if expect
                .iter()
                .any(|(key, old)| map.get(*key).map(Vec::as_slice) != *old)
            {
                return false;
            }
            for (key, new) in set {
                match new {
                    Some(v) => map.insert(key.to_vec(), v.to_vec()),
                    None => map.remove(*key),
                };
            }
            true
        }))
    }

    fn flush(&self) -> Result<(), KvError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(kv: &dyn KvStore) {
        kv.put("t", b"a/1", b"one").unwrap();
        kv.put("t", b"a/2", b"two").unwrap();
        kv.put("t", b"b/1", b"other").unwrap();
        kv.put("u", b"a/1", b"elsewhere").unwrap();
        assert_eq!(kv.get("t", b"a/1").unwrap().as_deref(), Some(&b"one"[..]));
        let scanned = kv.scan_prefix("t", b"a/").unwrap();
        assert_eq!(
            scanned,
            vec![
                (b"a/1".to_vec(), b"one".to_vec()),
                (b"a/2".to_vec(), b"two".to_vec())
            ]
        );
        assert!(!kv.compare_and_swap("t", b"a/1", None, Some(b"x")).unwrap());
        assert!(
            kv.compare_and_swap("t", b"a/1", Some(b"one"), Some(b"uno"))
                .unwrap()
        );
        assert!(kv.compare_and_swap("t", b"c", None, Some(b"new")).unwrap());
        assert!(kv.delete("t", b"a/2").unwrap());
        assert!(!kv.delete("t", b"a/2").unwrap());
        assert_eq!(kv.get("t", b"a/1").unwrap().as_deref(), Some(&b"uno"[..]));
        assert_eq!(
            kv.get("u", b"a/1").unwrap().as_deref(),
            Some(&b"elsewhere"[..])
        );
        assert_eq!(kv.get("missing", b"a/1").unwrap(), None);
        // Several keys at once: nothing changes unless every expectation holds.
        let expect_stale: [KvEntry<'_>; 2] = [(b"a/1", Some(b"one")), (b"d", None)];
        let set: [KvEntry<'_>; 2] = [(b"d", Some(b"moved")), (b"a/1", None)];
        assert!(!kv.compare_and_swap_many("t", &expect_stale, &set).unwrap());
        assert_eq!(kv.get("t", b"d").unwrap(), None);
        let expect: [KvEntry<'_>; 2] = [(b"a/1", Some(b"uno")), (b"d", None)];
        assert!(kv.compare_and_swap_many("t", &expect, &set).unwrap());
        assert_eq!(kv.get("t", b"d").unwrap().as_deref(), Some(&b"moved"[..]));
        assert_eq!(kv.get("t", b"a/1").unwrap(), None);
        kv.flush().unwrap();
    }

    #[test]
    fn memory_kv_semantics() {
        exercise(&MemoryKv::new());
    }

    #[test]
    fn sled_kv_semantics() {
        let dir = tempfile::tempdir().unwrap();
        exercise(&SledKv::open(&dir.path().join("db")).unwrap());
    }
}
