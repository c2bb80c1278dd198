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
//! Sharing between processes (the TUI and CLI commands beside it, both writing) needs no
//! daemon: sled locks its directory only while open, so [`SledKv`] opens it for a burst of
//! operations and closes it after [`IDLE_CLOSE`] idle (or [`MAX_HOLD`] busy), and an opener
//! that finds it held retries with a doubling sleep (2 to 40 ms) for up to [`LOCK_WAIT`].
//! Measured on a small store: an open costs 1-15 ms, a close under 5 ms.
//!
//! Every write of [`SledKv`] passes a `crash::point` first: a test hook that kills the process
//! at the Nth write when `PROXIMITY_TEST_CRASH_AT` is set, and costs one load otherwise.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

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
        "the database at {path} stayed in use by another proximity process for {secs} s",
        secs = LOCK_WAIT.as_secs()
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
    /// Remove a whole tree (a record kind that moved elsewhere); true if it was there.
    fn drop_tree(&self, tree: &str) -> Result<bool, KvError> {
        let _ = tree;
        Ok(false)
    }
    /// Make every earlier write durable.
    fn flush(&self) -> Result<(), KvError>;
}

/// How long an open database stays open after its last use. Long enough that a burst of
/// operations (a command, a job step: read, write, flush) shares one open (an open costs
/// 1-15 ms on a small store), short enough that another process waits little for its turn.
pub const IDLE_CLOSE: Duration = Duration::from_millis(200);
/// The longest one process keeps the database open while it stays busy; then it closes and
/// waits [`TURN_PAUSE`] before opening again, so a waiting process gets its turn.
pub const MAX_HOLD: Duration = Duration::from_secs(1);
/// The pause after a forced close (see [`MAX_HOLD`]): longer than the waiter's longest sleep.
const TURN_PAUSE: Duration = Duration::from_millis(60);
/// How long an operation waits for another process to close the database before it fails
/// with [`KvError::Locked`].
pub const LOCK_WAIT: Duration = Duration::from_secs(10);
/// The first and the longest sleep between two tries to open a database another process
/// holds (doubling in between).
const RETRY_FIRST: Duration = Duration::from_millis(2);
const RETRY_MAX: Duration = Duration::from_millis(40);
/// sled's page cache (default 1 GB): the records here are small, and the cache is dropped at
/// every close anyway.
const CACHE_CAPACITY_BYTES: u64 = 1 << 20;

/// The sled-backed store, shared by processes: the database is opened on demand and closed
/// after [`IDLE_CLOSE`] without use, because sled holds an exclusive lock on its directory
/// while open. Two processes (the TUI and a CLI command) take turns: an operation that finds
/// the database held by the other process retries with a growing sleep for up to
/// [`LOCK_WAIT`]. Each operation runs inside one open, so `compare_and_swap` and transactions
/// stay atomic; flushed writes are on disk before they return, and a close flushes the rest.
///
/// Within a process every `SledKv` of one directory shares one handle (a second handle would
/// only contend with the first). sled's background flusher is off: writes that must survive a
/// crash are flushed by their callers, and the close flushes everything else.
///
/// The directory is kept at 0700 and its files at 0600 (see `perms`): after each open, after
/// each flush, and after each close (sled writes its last files on close).
pub struct SledKv {
    shared: Arc<SharedDb>,
}

/// One directory's database and when it was last used, shared by the handles of a process
/// and the thread that closes it when idle.
struct SharedDb {
    dir: PathBuf,
    state: Mutex<DbState>,
}

#[derive(Default)]
struct DbState {
    db: Option<OpenDb>,
    /// A closer thread is watching the open database.
    closer: bool,
    /// Do not reopen before this (set by a forced close, see [`MAX_HOLD`]).
    pause_until: Option<Instant>,
}

struct OpenDb {
    db: sled::Db,
    opened: Instant,
    last_used: Instant,
}

/// The databases this process has open, by directory.
static OPEN: Mutex<Option<HashMap<PathBuf, Weak<SharedDb>>>> = Mutex::new(None);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Critical sections are map updates and sled calls that do not leave the state half
    // changed on a panic: a poisoned lock is safe to keep using.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SledKv {
    /// Open (creating if needed) the database in `dir`, owner-only. The open is checked (and
    /// the database created) now, then closed after [`IDLE_CLOSE`] like every later one.
    pub fn open(dir: &Path) -> Result<SledKv, KvError> {
        perms::ensure_private_dir(dir).map_err(|source| KvError::Modes {
            path: dir.display().to_string(),
            source,
        })?;
        let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let shared = {
            let mut open = lock(&OPEN);
            let map = open.get_or_insert_with(HashMap::new);
            map.retain(|_, weak| weak.strong_count() > 0);
            match map.get(&key).and_then(Weak::upgrade) {
                Some(shared) => shared,
                None => {
                    let shared = Arc::new(SharedDb {
                        dir: dir.to_path_buf(),
                        state: Mutex::new(DbState::default()),
                    });
                    map.insert(key, Arc::downgrade(&shared));
                    shared
                }
            }
        };
        let kv = SledKv { shared };
        kv.with_db(|_| Ok(()))?;
        Ok(kv)
    }

    /// Whether this process has the database open right now (tests of the idle close).
    pub fn is_open(&self) -> bool {
        lock(&self.shared.state).db.is_some()
    }

    /// Run `f` on the open database, opening it first if needed (waiting for another process
    /// to close it), and keep it open until it has been idle for [`IDLE_CLOSE`].
    fn with_db<R>(&self, f: impl FnOnce(&sled::Db) -> Result<R, KvError>) -> Result<R, KvError> {
        let shared = &self.shared;
        let mut state = lock(&shared.state);
        let open = match state.db.take() {
            Some(open) => open,
            None => {
                if let Some(until) = state.pause_until.take() {
                    std::thread::sleep(until.saturating_duration_since(Instant::now()));
                }
                let db = shared.open_waiting()?;
                let now = Instant::now();
                OpenDb {
                    db,
                    opened: now,
                    last_used: now,
                }
            }
        };
        let open = state.db.insert(open);
        let result = f(&open.db);
        open.last_used = Instant::now();
        if !state.closer {
            state.closer = true;
            let weak = Arc::downgrade(shared);
            let spawned = std::thread::Builder::new()
                .name("store-closer".into())
                .spawn(move || close_when_idle(weak));
            if let Err(e) = spawned {
                // Without a closer the database stays open until the process ends: the other
                // process waits, nothing is lost.
                tracing::warn!(error = %e, "cannot start the store's closer thread");
            }
        }
        result
    }

    fn tree(db: &sled::Db, tree: &str) -> Result<sled::Tree, KvError> {
        db.open_tree(tree).map_err(|e| sled_err(tree, e))
    }
}

impl SharedDb {
    /// Open the database, retrying while another process holds it, for up to [`LOCK_WAIT`].
    fn open_waiting(&self) -> Result<sled::Db, KvError> {
        let path = self.dir.display().to_string();
        let deadline = Instant::now() + LOCK_WAIT;
        let mut sleep = RETRY_FIRST;
        loop {
            let opened = sled::Config::new()
                .path(&self.dir)
                .cache_capacity(CACHE_CAPACITY_BYTES)
                .flush_every_ms(None)
                .open();
            match opened {
                Ok(db) => {
                    perms::tighten_tree(&self.dir).map_err(|source| KvError::Modes {
                        path: path.clone(),
                        source,
                    })?;
                    return Ok(db);
                }
                Err(source) if is_lock_error(&source) => {
                    if Instant::now() >= deadline {
                        return Err(KvError::Locked { path });
                    }
                    std::thread::sleep(sleep);
                    sleep = (sleep * 2).min(RETRY_MAX);
                }
                Err(source) => {
                    return Err(KvError::Open {
                        path: path.clone(),
                        source,
                    });
                }
            }
        }
    }

    /// Close the database (sled flushes on drop) and restore the file modes.
    fn close(&self, state: &mut DbState) {
        if let Some(open) = state.db.take() {
            drop(open);
            if let Err(e) = perms::tighten_tree(&self.dir) {
                tracing::warn!(dir = %self.dir.display(), error = %e, "cannot restrict store file modes");
            }
        }
    }
}

impl Drop for SharedDb {
    fn drop(&mut self) {
        let mut state = std::mem::take(&mut *lock(&self.state));
        self.close(&mut state);
    }
}

/// The closer thread: close the database once idle for [`IDLE_CLOSE`], or busy for longer
/// than [`MAX_HOLD`] (then pause before the next open, so the other process gets its turn).
fn close_when_idle(weak: Weak<SharedDb>) {
    loop {
        let Some(shared) = weak.upgrade() else {
            return;
        };
        let wait = {
            let mut state = lock(&shared.state);
            let Some(open) = state.db.as_ref() else {
                state.closer = false;
                return;
            };
            let now = Instant::now();
            let idle_for = now.saturating_duration_since(open.last_used);
            let held_for = now.saturating_duration_since(open.opened);
            if idle_for >= IDLE_CLOSE || held_for >= MAX_HOLD {
                if idle_for < IDLE_CLOSE {
                    state.pause_until = Some(now + TURN_PAUSE);
                }
                shared.close(&mut state);
                state.closer = false;
                return;
            }
            (IDLE_CLOSE - idle_for).min(MAX_HOLD - held_for)
        };
        drop(shared);
        std::thread::sleep(wait);
    }
}

/// sled reports the advisory lock held by another process as an `Other` io error whose only
/// marker is its text.
fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io)
        if io.kind() == std::io::ErrorKind::WouldBlock
            || io.to_string().starts_with("could not acquire lock"))
}

fn sled_err(tree: &str, source: sled::Error) -> KvError {
    KvError::Sled {
        tree: tree.to_string(),
        source,
    }
}

impl KvStore for SledKv {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.with_db(|db| {
            let value = SledKv::tree(db, tree)?
                .get(key)
                .map_err(|e| sled_err(tree, e))?;
            Ok(value.map(|v| v.to_vec()))
        })
    }

    fn put(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        crash::point();
        self.with_db(|db| {
            SledKv::tree(db, tree)?
                .insert(key, value)
                .map_err(|e| sled_err(tree, e))?;
            Ok(())
        })
    }

    fn delete(&self, tree: &str, key: &[u8]) -> Result<bool, KvError> {
        crash::point();
        self.with_db(|db| {
            let old = SledKv::tree(db, tree)?
                .remove(key)
                .map_err(|e| sled_err(tree, e))?;
            Ok(old.is_some())
        })
    }

    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Vec<KvPair>, KvError> {
        self.with_db(|db| {
            let mut out = Vec::new();
            for item in SledKv::tree(db, tree)?.scan_prefix(prefix) {
                let (k, v) = item.map_err(|e| sled_err(tree, e))?;
                out.push((k.to_vec(), v.to_vec()));
            }
            Ok(out)
        })
    }

    fn compare_and_swap(
        &self,
        tree: &str,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, KvError> {
        crash::point();
        self.with_db(|db| {
            let swapped = SledKv::tree(db, tree)?
                .compare_and_swap(key, old, new)
                .map_err(|e| sled_err(tree, e))?;
            Ok(swapped.is_ok())
        })
    }

    fn compare_and_swap_many(
        &self,
        tree: &str,
        expect: &[KvEntry<'_>],
        set: &[KvEntry<'_>],
    ) -> Result<bool, KvError> {
        use sled::transaction::{ConflictableTransactionResult, TransactionError};
        crash::point();
        self.with_db(|db| {
            let handle = SledKv::tree(db, tree)?;
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
        })
    }

    fn drop_tree(&self, tree: &str) -> Result<bool, KvError> {
        self.with_db(|db| db.drop_tree(tree).map_err(|e| sled_err(tree, e)))
    }

    fn flush(&self) -> Result<(), KvError> {
        crash::point();
        let dir = &self.shared.dir;
        let state = lock(&self.shared.state);
        // Closed: the close flushed everything (a close is a flush).
        let Some(open) = state.db.as_ref() else {
            return Ok(());
        };
        // Db::flush covers every tree: they share one page cache and log.
        open.db
            .flush()
            .map_err(|source| KvError::Flush { source })?;
        // sled may have started a new segment or snapshot file since the last pass.
        perms::tighten_tree(dir).map_err(|source| KvError::Modes {
            path: dir.display().to_string(),
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

    fn drop_tree(&self, tree: &str) -> Result<bool, KvError> {
        Ok(self.with(|t| t.remove(tree).is_some()))
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

    #[test]
    fn sled_kv_closes_when_idle_and_reopens_on_demand() {
        let dir = tempfile::tempdir().unwrap();
        let db_dir = dir.path().join("db");
        let kv = SledKv::open(&db_dir).unwrap();
        kv.put("t", b"k", b"v").unwrap();
        kv.flush().unwrap();
        assert!(kv.is_open());
        std::thread::sleep(IDLE_CLOSE * 3);
        assert!(!kv.is_open(), "still open after {IDLE_CLOSE:?} idle");
        // Closed means unlocked: a second, independent sled handle opens the directory.
        {
            let other = open_retrying(&db_dir);
            let tree = other.open_tree("t").unwrap();
            assert_eq!(tree.get(b"k").unwrap().as_deref(), Some(&b"v"[..]));
            tree.insert(b"k2", b"from the other").unwrap();
            other.flush().unwrap();
        }
        assert_eq!(
            kv.get("t", b"k2").unwrap().as_deref(),
            Some(&b"from the other"[..])
        );
        // Handles of one directory in one process share the open database.
        let second = SledKv::open(&db_dir).unwrap();
        assert!(Arc::ptr_eq(&kv.shared, &second.shared));
    }

    /// A plain sled open that waits for this process's closer thread to let go.
    fn open_retrying(dir: &Path) -> sled::Db {
        for _ in 0..100 {
            if let Ok(db) = sled::Config::new().path(dir).open() {
                return db;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("cannot open {}", dir.display());
    }

    #[test]
    fn sled_kv_waits_for_a_holder_then_fails_with_locked() {
        let dir = tempfile::tempdir().unwrap();
        let db_dir = dir.path().join("db");
        drop(SledKv::open(&db_dir).unwrap());
        // Another holder (as another process would be) that lets go after 300 ms.
        let holder = open_retrying(&db_dir);
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(holder);
        });
        let started = Instant::now();
        let kv = SledKv::open(&db_dir).unwrap();
        assert!(started.elapsed() >= Duration::from_millis(250));
        kv.put("t", b"k", b"v").unwrap();
        release.join().unwrap();
    }
}
