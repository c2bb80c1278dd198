//! sled-backed state behind a small trait: hosts (secrets encrypted), settings, the journal;
//! plus the inventory cache in files.
//!
//! Layout: `kv` is the byte-level [`KvStore`] trait (sled on disk, [`MemoryKv`] for tests);
//! typed trees sit on top as JSON records: [`Hosts`] (`hosts`), [`SettingsTree`]
//! (`settings`), [`JobsTree`] (`jobs`, the job journal) and `meta` (schema version and key
//! bookkeeping). The [`InventoryCache`] (megabytes per host, rewritten while the rack is open)
//! is not a sled record: one file per host in `cache/`, replaced atomically (see `cache`).
//!
//! On disk everything lives in `<data_dir>`: the sled database in `store/` (directory 0700,
//! files 0600, see `perms`), the inventory cache in `cache/` (same modes) and, in the default
//! key mode, the key in `secret.key` (0600).
//! Secrets are sealed with XChaCha20-Poly1305 before they reach the database; `crypto`
//! explains the two key sources (key file by default, `PROXIMITY_PASSPHRASE` for shared disks).
//!
//! Writes that must survive a crash (host add/remove/update, settings) are flushed before
//! returning. Changes that span records are one atomic step (a host rename, the key
//! bookkeeping of the first open), and the key file is written to a temp file and renamed,
//! so a crash at any write leaves a store that opens with everything flushed before it.
//!
//! Several processes share one data dir (the TUI and CLI commands beside it, both writing):
//! sled holds an exclusive lock on its directory while open, so [`SledKv`] opens it per burst
//! of operations and closes it when idle, and a process that finds it held waits its turn
//! (see `kv`). Within a process, [`Store`] is a cheap `Clone` shared by every task. Calls are synchronous and a
//! flushing write waits for fsync: async callers on a hot path should use `spawn_blocking`.

pub mod alerts;
mod cache;
mod crash;
mod crypto;
mod host;
mod host_record;
mod hosts;
mod jobs;
mod key_file;
mod kv;
mod meta;
mod perms;
mod records;
mod secret;
mod settings;

use std::path::PathBuf;
use std::sync::Arc;

pub use cache::{CACHE_DIR_NAME, CachedInventory, InventoryCache};
pub use crash::CRASH_AT_ENV;
pub use crypto::{KeyError, KeySource};
pub use host::{
    HostAuth, HostConfig, MAX_NAME_LEN, ValidationError, normalize_fingerprint, validate_name,
    validate_token_id, validate_url,
};
pub use hosts::Hosts;
pub use jobs::{HasJobId, JobsTree};
pub use kv::{IDLE_CLOSE, KvEntry, KvError, KvPair, KvStore, LOCK_WAIT, MemoryKv, SledKv};
pub use meta::SCHEMA_VERSION;
pub use perms::{DIR_MODE, FILE_MODE};
pub use records::RecordTree;
pub use secret::Secret;
pub use settings::{Settings, SettingsTree};

use crate::paths::Paths;
use cache::CacheBackend;
use crypto::SecretCipher;

/// Directory of the sled database under the data dir.
pub const DB_DIR_NAME: &str = "store";
/// Key file name under the data dir.
pub const KEY_FILE_NAME: &str = "secret.key";

/// Everything that can go wrong in the store, each with the context to act on it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Kv(#[from] KvError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the store at {path} has schema version {found}, newer than the {supported} this proximity supports: upgrade proximity, or move the store aside"
    )]
    SchemaTooNew {
        path: String,
        found: u32,
        supported: u32,
    },
    #[error("invalid host: {0}")]
    Invalid(#[from] ValidationError),
    #[error("a host named {name:?} already exists")]
    DuplicateHost { name: String },
    #[error("no host named {name:?}")]
    HostNotFound { name: String },
    #[error(
        "cannot decrypt {record}: the key is not the one it was sealed with, or the record was altered or moved"
    )]
    Decrypt { record: String },
    #[error("record {record} is unreadable: {detail}")]
    Corrupt { record: String, detail: String },
    #[error("cannot write the inventory cache {path}: {source}")]
    Cache {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The store: cheap to clone, `Send + Sync`, shared by every task of the process.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    kv: Arc<dyn KvStore>,
    cipher: SecretCipher,
    /// Where the inventory cache lives (files under the data dir, or memory).
    cache: CacheBackend,
    /// Where the database lives, for messages (`"memory"` for the in-memory store).
    location: String,
}

impl Store {
    /// Open (creating on first use) the store under `paths.data_dir`, with the key source
    /// chosen by the environment (see [`KeySource::from_env`]).
    pub fn open(paths: &Paths) -> Result<Store, StoreError> {
        Store::open_with(paths, &KeySource::from_env(&paths.data_dir))
    }

    /// Like [`Store::open`] with an explicit key source (tests, `--passphrase-file` style flags).
    pub fn open_with(paths: &Paths, source: &KeySource) -> Result<Store, StoreError> {
        let data_dir = &paths.data_dir;
        perms::ensure_private_dir(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let db_dir = Store::db_dir(paths);
        let kv = Arc::new(SledKv::open(&db_dir)?);
        let mut store = Store::over(kv, source, db_dir.display().to_string())?;
        // The cache moved out of sled: drop the old tree once (it held megabytes).
        match store.kv().drop_tree(cache::LEGACY_TREE) {
            Ok(true) => tracing::info!("dropped the old inventory cache tree from the store"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "cannot drop the old inventory cache tree"),
        }
        if let Some(inner) = Arc::get_mut(&mut store.inner) {
            inner.cache = CacheBackend::Files(Store::cache_dir(paths));
        }
        Ok(store)
    }

    /// A store on any [`KvStore`], e.g. [`MemoryKv`] for tests of higher layers.
    pub fn over(
        kv: Arc<dyn KvStore>,
        source: &KeySource,
        location: String,
    ) -> Result<Store, StoreError> {
        // Refuse a newer store before touching it; migrations may need the key (re-sealing).
        let found = meta::check_version(kv.as_ref(), &location)?;
        let cipher = meta::unlock(kv.as_ref(), source, &location)?;
        meta::migrate(kv.as_ref(), found, &cipher)?;
        Ok(Store {
            inner: Arc::new(Inner {
                kv,
                cipher,
                cache: CacheBackend::memory(),
                location,
            }),
        })
    }

    /// A fresh in-memory store with a random key: nothing touches the disk.
    pub fn in_memory() -> Result<Store, StoreError> {
        let key = crypto::random_bytes::<{ crypto::KEY_LEN }>()?;
        let kv: Arc<dyn KvStore> = Arc::new(MemoryKv::new());
        let cipher = SecretCipher::new(&key);
        meta::migrate(kv.as_ref(), None, &cipher)?;
        Ok(Store {
            inner: Arc::new(Inner {
                kv,
                cipher,
                cache: CacheBackend::memory(),
                location: "memory".to_string(),
            }),
        })
    }

    /// The sled directory for `paths`.
    pub fn db_dir(paths: &Paths) -> PathBuf {
        paths.data_dir.join(DB_DIR_NAME)
    }

    /// The inventory cache directory for `paths`.
    pub fn cache_dir(paths: &Paths) -> PathBuf {
        paths.data_dir.join(CACHE_DIR_NAME)
    }

    /// The default key file for `paths`.
    pub fn key_file(paths: &Paths) -> PathBuf {
        paths.data_dir.join(KEY_FILE_NAME)
    }

    /// Where the database lives (a path, or `memory`).
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    pub fn hosts(&self) -> Hosts<'_> {
        Hosts::new(self)
    }

    pub fn cache(&self) -> InventoryCache<'_> {
        InventoryCache::new(self)
    }

    pub fn settings(&self) -> SettingsTree<'_> {
        SettingsTree::new(self)
    }

    /// The journal of jobs that change Proxmox.
    pub fn jobs(&self) -> JobsTree<'_> {
        JobsTree::new(self)
    }

    /// The deployment journal: one record per deployment, keyed by its first job id.
    pub fn deployments(&self) -> RecordTree<'_> {
        RecordTree::new(self, records::DEPLOYMENTS_TREE)
    }

    /// The managed apps, keyed by name.
    pub fn apps(&self) -> RecordTree<'_> {
        RecordTree::new(self, records::APPS_TREE)
    }

    /// Alert history (see `alerts`): one record per firing, bounded by `alerts::prune_history`.
    pub fn alerts(&self) -> RecordTree<'_> {
        RecordTree::new(self, alerts::HISTORY_TREE)
    }

    /// Alert thresholds from the settings screen and notification targets (sealed).
    pub fn alert_settings(&self) -> alerts::AlertSettingsTree<'_> {
        alerts::AlertSettingsTree { store: self }
    }

    /// Make every earlier write durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.kv.flush()?;
        Ok(())
    }

    /// The raw byte store, for record kinds added later (apps, journal, audit).
    pub fn kv(&self) -> &dyn KvStore {
        self.inner.kv.as_ref()
    }

    pub(crate) fn cipher(&self) -> &SecretCipher {
        &self.inner.cipher
    }

    pub(crate) fn cache_backend(&self) -> &CacheBackend {
        &self.inner.cache
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.inner.location)
            .finish_non_exhaustive()
    }
}

/// Decode a JSON record, naming it on failure.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    record: impl FnOnce() -> String,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        record: record(),
        detail: e.to_string(),
    })
}

/// Encode a JSON record, naming it on failure.
pub(crate) fn encode<T: serde::Serialize>(
    record: impl FnOnce() -> String,
    value: &T,
) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        record: record(),
        detail: e.to_string(),
    })
}
