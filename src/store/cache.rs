//! The inventory cache: the last `/cluster/resources` answer per host, for offline start (draw
//! the last known rack at once, marked stale, while the first refresh runs).
//!
//! It lives in files, not in sled: an answer runs to megabytes (4 MB at 10,000 guests) and
//! sled keeps every rewrite in its log until it compacts, so the store grew by one inventory
//! per refresh. One file per host, `<data_dir>/cache/<host>.json` (names escaped to be safe on
//! any file system, see [`file_name`]), replaced atomically: written to a temp file in the same
//! directory, fsynced, renamed over the old one, then the directory fsynced; a crash leaves the
//! old file or the new one. Files are 0600 in a 0700 directory. How often to write is the
//! caller's policy (the engine: only when changed, at most once a minute, and at exit).
//!
//! File layout: `{"format":1,"fetched_at_unix":N,"body":<the answer as it was cached>}`.
//! A file that does not parse (truncated, corrupt, another format) is ignored with a log
//! line: the cache is a convenience, never a reason to fail.
//!
//! Stores without a data dir (in memory, or over a bare [`KvStore`](super::KvStore)) keep the
//! cache in memory. Before the files, the cache was the sled tree `cache`; [`Store::open`]
//! drops that tree once (see [`LEGACY_TREE`]).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{Store, StoreError, perms};

/// The sled tree the cache used to live in; dropped at open.
pub(crate) const LEGACY_TREE: &str = "cache";
/// The cache directory under the data dir.
pub const CACHE_DIR_NAME: &str = "cache";
const FORMAT: u32 = 1;
const EXTENSION: &str = "json";

/// A cached inventory answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedInventory {
    /// The raw `/cluster/resources` response body.
    pub resources_json: Vec<u8>,
    /// When it was fetched, unix seconds.
    pub fetched_at_unix: u64,
}

/// Where a store keeps its cache.
pub(crate) enum CacheBackend {
    /// One file per host in this directory.
    Files(PathBuf),
    /// In memory, for stores without a data dir.
    Memory(Mutex<HashMap<String, CachedInventory>>),
}

impl CacheBackend {
    pub(crate) fn memory() -> CacheBackend {
        CacheBackend::Memory(Mutex::new(HashMap::new()))
    }
}

#[derive(Serialize)]
struct FileOut<'a, B: Serialize + ?Sized> {
    format: u32,
    fetched_at_unix: u64,
    body: &'a B,
}

#[derive(Deserialize)]
struct FileIn<'a> {
    format: u32,
    fetched_at_unix: u64,
    #[serde(borrow)]
    body: &'a RawValue,
}

/// Typed access to the inventory cache; get it from [`Store::cache`].
pub struct InventoryCache<'a> {
    store: &'a Store,
}

impl<'a> InventoryCache<'a> {
    pub(crate) fn new(store: &'a Store) -> InventoryCache<'a> {
        InventoryCache { store }
    }

    /// Replace the cached inventory of `host` (`resources_json` must be JSON: the answer).
    pub fn put(
        &self,
        host: &str,
        resources_json: &[u8],
        fetched_at_unix: u64,
    ) -> Result<(), StoreError> {
        match self.store.cache_backend() {
            CacheBackend::Memory(map) => {
                lock(map).insert(
                    host.to_string(),
                    CachedInventory {
                        resources_json: resources_json.to_vec(),
                        fetched_at_unix,
                    },
                );
                Ok(())
            }
            CacheBackend::Files(dir) => {
                let corrupt = |detail: String| StoreError::Corrupt {
                    record: format!("{CACHE_DIR_NAME}/{host}"),
                    detail,
                };
                let text = std::str::from_utf8(resources_json)
                    .map_err(|e| corrupt(format!("not UTF-8: {e}")))?;
                let body: &RawValue =
                    serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
                self.write_file(dir, host, body, fetched_at_unix)
            }
        }
    }

    /// Replace the cached inventory of `host` with `answer` (serialized as the
    /// `/cluster/resources` answer it stands for), streamed to the file: never the whole
    /// text in memory.
    pub fn put_answer<T: Serialize + ?Sized>(
        &self,
        host: &str,
        answer: &T,
        fetched_at_unix: u64,
    ) -> Result<(), StoreError> {
        match self.store.cache_backend() {
            CacheBackend::Memory(_) => {
                let bytes = serde_json::to_vec(answer).map_err(|e| StoreError::Corrupt {
                    record: format!("{CACHE_DIR_NAME}/{host}"),
                    detail: e.to_string(),
                })?;
                self.put(host, &bytes, fetched_at_unix)
            }
            CacheBackend::Files(dir) => self.write_file(dir, host, answer, fetched_at_unix),
        }
    }

    fn write_file<T: Serialize + ?Sized>(
        &self,
        dir: &Path,
        host: &str,
        body: &T,
        fetched_at_unix: u64,
    ) -> Result<(), StoreError> {
        let path = dir.join(file_name(host));
        let file = FileOut {
            format: FORMAT,
            fetched_at_unix,
            body,
        };
        write_atomic(dir, &path, |out| {
            serde_json::to_writer(out, &file).map_err(io::Error::other)
        })
        .map_err(|source| StoreError::Cache {
            path: path.display().to_string(),
            source,
        })
    }

    /// The cached inventory of `host`; `None` when there is none or it is unreadable (logged).
    pub fn get(&self, host: &str) -> Result<Option<CachedInventory>, StoreError> {
        let dir = match self.store.cache_backend() {
            CacheBackend::Memory(map) => return Ok(lock(map).get(host).cloned()),
            CacheBackend::Files(dir) => dir,
        };
        let path = dir.join(file_name(host));
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read the inventory cache; ignored");
                return Ok(None);
            }
        };
        match serde_json::from_slice::<FileIn<'_>>(&bytes) {
            Ok(file) if file.format == FORMAT => Ok(Some(CachedInventory {
                resources_json: file.body.get().as_bytes().to_vec(),
                fetched_at_unix: file.fetched_at_unix,
            })),
            Ok(file) => {
                tracing::warn!(path = %path.display(), format = file.format, "inventory cache of an unknown format; ignored");
                Ok(None)
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "unreadable inventory cache (truncated or corrupt); ignored");
                Ok(None)
            }
        }
    }

    /// Forget the cached inventory of `host` (absent is fine).
    pub fn remove(&self, host: &str) -> Result<(), StoreError> {
        match self.store.cache_backend() {
            CacheBackend::Memory(map) => {
                lock(map).remove(host);
                Ok(())
            }
            CacheBackend::Files(dir) => {
                let path = dir.join(file_name(host));
                match std::fs::remove_file(&path) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                    Err(source) => Err(StoreError::Cache {
                        path: path.display().to_string(),
                        source,
                    }),
                }
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain map operations: a panic elsewhere cannot leave the map half changed.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The cache file name of `host`: ASCII letters, digits, `-` and `_` as they are, every other
/// byte as `%XX` (so `.`, `/` and a leading dot cannot escape the directory or hide the file,
/// and two names never map to one file), then `.json`.
pub fn file_name(host: &str) -> String {
    let mut name = String::with_capacity(host.len() + 5);
    for b in host.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("%{b:02X}"));
        }
    }
    if name.is_empty() {
        name.push('%');
    }
    name.push('.');
    name.push_str(EXTENSION);
    name
}

/// Replace `path` (in `dir`) with what `write` writes, atomically and durably, owner-only.
fn write_atomic(
    dir: &Path,
    path: &Path,
    write: impl FnOnce(&mut io::BufWriter<&File>) -> io::Result<()>,
) -> io::Result<()> {
    perms::ensure_private_dir(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let written = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(perms::FILE_MODE);
        }
        let file = options.open(&tmp)?;
        // An older temp file of ours may have had looser bits.
        perms::set_mode(&tmp, perms::FILE_MODE)?;
        let mut out = io::BufWriter::with_capacity(64 * 1024, &file);
        write(&mut out)?;
        out.flush()?;
        drop(out);
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // On Linux a rename is only durable once the directory itself is fsynced.
        File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_distinct() {
        assert_eq!(file_name("pve-lab_1"), "pve-lab_1.json");
        assert_eq!(file_name("pve.lab"), "pve%2Elab.json");
        assert_eq!(file_name("../x"), "%2E%2E%2Fx.json");
        assert_eq!(file_name(""), "%.json");
        assert_ne!(file_name("a.b"), file_name("a%2Eb"));
    }
}
