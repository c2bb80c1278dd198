//! The `cache` tree: the last `/cluster/resources` answer per host, for offline start (draw the
//! last known rack at once, marked stale, while the first refresh runs).
//!
//! The answer is kept as the raw response bytes, not re-encoded: it is parsed by `pve` with the
//! same code as a live answer, and a JSON array of numbers would triple the size of an
//! inventory that can run to megabytes. Record layout: 1 format byte (1), the fetch time as
//! 8 bytes big-endian unix seconds, then the bytes. Not flushed per write (see `store`).

use super::{Store, StoreError};

pub(crate) const TREE: &str = "cache";
const FORMAT: u8 = 1;
const HEADER_LEN: usize = 9;

/// A cached inventory answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedInventory {
    /// The raw `/cluster/resources` response body.
    pub resources_json: Vec<u8>,
    /// When it was fetched, unix seconds.
    pub fetched_at_unix: u64,
}

/// Typed access to the `cache` tree; get it from [`Store::cache`].
pub struct InventoryCache<'a> {
    store: &'a Store,
}

impl<'a> InventoryCache<'a> {
    pub(crate) fn new(store: &'a Store) -> InventoryCache<'a> {
        InventoryCache { store }
    }

    /// Replace the cached inventory of `host`.
    pub fn put(
        &self,
        host: &str,
        resources_json: &[u8],
        fetched_at_unix: u64,
    ) -> Result<(), StoreError> {
        let mut record = Vec::with_capacity(HEADER_LEN + resources_json.len());
        record.push(FORMAT);
        record.extend_from_slice(&fetched_at_unix.to_be_bytes());
        record.extend_from_slice(resources_json);
        self.store.kv().put(TREE, host.as_bytes(), &record)?;
        Ok(())
    }

    pub fn get(&self, host: &str) -> Result<Option<CachedInventory>, StoreError> {
        let Some(record) = self.store.kv().get(TREE, host.as_bytes())? else {
            return Ok(None);
        };
        let corrupt = |detail: &str| StoreError::Corrupt {
            record: format!("{TREE}/{host}"),
            detail: detail.to_string(),
        };
        if record.len() < HEADER_LEN {
            return Err(corrupt("shorter than its header"));
        }
        if record[0] != FORMAT {
            return Err(corrupt(&format!("unknown format {}", record[0])));
        }
        let mut time = [0u8; 8];
        time.copy_from_slice(&record[1..HEADER_LEN]);
        Ok(Some(CachedInventory {
            resources_json: record[HEADER_LEN..].to_vec(),
            fetched_at_unix: u64::from_be_bytes(time),
        }))
    }

    /// Forget the cached inventory of `host` (absent is fine).
    pub fn remove(&self, host: &str) -> Result<(), StoreError> {
        self.store.kv().delete(TREE, host.as_bytes())?;
        Ok(())
    }
}
