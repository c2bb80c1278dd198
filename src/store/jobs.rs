//! The `jobs` tree: the journal of jobs that change Proxmox, one JSON record per job id,
//! written when a job starts, at each step and at its end, and flushed each time, so a process
//! that dies mid-job leaves a record the next start reads (and the deploy journal builds on).
//! The record's shape belongs to the engine; the store keeps it as JSON, keyed by id.
//!
//! Ids come from a counter in `jobs_meta`, advanced with compare-and-swap, so two processes
//! sharing a store never hand out the same id.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Store, StoreError, decode, encode};

pub(crate) const TREE: &str = "jobs";
const META_TREE: &str = "jobs_meta";
const NEXT_ID: &[u8] = b"next_id";

/// Typed access to the `jobs` tree; get it from [`Store::jobs`].
pub struct JobsTree<'a> {
    store: &'a Store,
}

impl<'a> JobsTree<'a> {
    pub(crate) fn new(store: &'a Store) -> JobsTree<'a> {
        JobsTree { store }
    }

    /// A new job id, never handed out before by this store.
    pub fn next_id(&self) -> Result<u64, StoreError> {
        let kv = self.store.kv();
        loop {
            let current = kv.get(META_TREE, NEXT_ID)?;
            let id = match current.as_deref() {
                Some(bytes) if bytes.len() == 8 => {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(bytes);
                    u64::from_be_bytes(b)
                }
                Some(_) => {
                    return Err(StoreError::Corrupt {
                        record: format!("{META_TREE}/next_id"),
                        detail: "not an 8-byte counter".into(),
                    });
                }
                None => 1,
            };
            let next = (id + 1).to_be_bytes();
            if kv.compare_and_swap(META_TREE, NEXT_ID, current.as_deref(), Some(&next))? {
                kv.flush()?;
                return Ok(id);
            }
        }
    }

    /// Write (replace) the record of job `id`, flushed.
    pub fn put<T: Serialize + HasJobId>(&self, record: &T) -> Result<(), StoreError> {
        let id = record.job_id();
        let bytes = encode(|| format!("{TREE}/{id}"), record)?;
        self.store.kv().put(TREE, &id.to_be_bytes(), &bytes)?;
        self.store.flush()
    }

    pub fn get<T: DeserializeOwned>(&self, id: u64) -> Result<Option<T>, StoreError> {
        match self.store.kv().get(TREE, &id.to_be_bytes())? {
            Some(bytes) => decode(|| format!("{TREE}/{id}"), &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Every record, oldest id first. An unreadable record is reported, not skipped
    /// silently: the caller decides.
    pub fn list<T: DeserializeOwned>(&self) -> Result<Vec<Result<T, StoreError>>, StoreError> {
        let pairs = self.store.kv().scan_prefix(TREE, b"")?;
        Ok(pairs
            .into_iter()
            .map(|(key, value)| {
                let id = key_id(&key);
                decode(|| format!("{TREE}/{id}"), &value)
            })
            .collect())
    }

    /// Forget job `id` (absent is fine).
    pub fn remove(&self, id: u64) -> Result<(), StoreError> {
        self.store.kv().delete(TREE, &id.to_be_bytes())?;
        self.store.flush()
    }
}

/// A record that names its job id (the engine's `JobInfo`).
pub trait HasJobId {
    fn job_id(&self) -> u64;
}

fn key_id(key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    if key.len() == 8 {
        b.copy_from_slice(key);
    }
    u64::from_be_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Rec {
        id: u64,
        step: String,
    }
    impl HasJobId for Rec {
        fn job_id(&self) -> u64 {
            self.id
        }
    }

    #[test]
    fn ids_count_up_and_records_round_trip_in_id_order() {
        let store = Store::in_memory().unwrap();
        let a = store.jobs().next_id().unwrap();
        let b = store.jobs().next_id().unwrap();
        assert_eq!((a, b), (1, 2));
        for (id, step) in [(b, "two"), (a, "one")] {
            store
                .jobs()
                .put(&Rec {
                    id,
                    step: step.into(),
                })
                .unwrap();
        }
        let all: Vec<Rec> = store
            .jobs()
            .list::<Rec>()
            .unwrap()
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(all[0].step, "one");
        assert_eq!(all[1].step, "two");
        assert_eq!(store.jobs().get::<Rec>(b).unwrap().unwrap().step, "two");
        store.jobs().remove(a).unwrap();
        assert!(store.jobs().get::<Rec>(a).unwrap().is_none());
    }
}
