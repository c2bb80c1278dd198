//! Named JSON records in one tree, flushed on every write: the deployment journal
//! (`deployments`, keyed by the deployment's job id) and the managed apps (`apps`, keyed by
//! the app's name). The record shapes belong to `deploy`; the store keeps them as JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Store, StoreError, decode, encode};

pub(crate) const DEPLOYMENTS_TREE: &str = "deployments";
pub(crate) const APPS_TREE: &str = "apps";

/// Typed access to one tree of named records.
pub struct RecordTree<'a> {
    store: &'a Store,
    tree: &'static str,
}

impl<'a> RecordTree<'a> {
    pub(crate) fn new(store: &'a Store, tree: &'static str) -> RecordTree<'a> {
        RecordTree { store, tree }
    }

    /// Write (replace) record `key`, flushed: it survives a crash right after.
    pub fn put<T: Serialize>(&self, key: &str, record: &T) -> Result<(), StoreError> {
        let bytes = encode(|| format!("{}/{key}", self.tree), record)?;
        self.store.kv().put(self.tree, key.as_bytes(), &bytes)?;
        self.store.flush()
    }

    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        match self.store.kv().get(self.tree, key.as_bytes())? {
            Some(bytes) => decode(|| format!("{}/{key}", self.tree), &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Every record in key order; an unreadable one is reported, not skipped silently.
    pub fn list<T: DeserializeOwned>(&self) -> Result<Vec<Result<T, StoreError>>, StoreError> {
        let pairs = self.store.kv().scan_prefix(self.tree, b"")?;
        Ok(pairs
            .into_iter()
            .map(|(key, value)| {
                let key = String::from_utf8_lossy(&key).into_owned();
                decode(|| format!("{}/{key}", self.tree), &value)
            })
            .collect())
    }

    /// Forget record `key` (absent is fine).
    pub fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.store.kv().delete(self.tree, key.as_bytes())?;
        self.store.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_list_in_key_order_and_report_corruption() {
        let store = Store::in_memory().unwrap();
        let tree = store.deployments();
        tree.put("2", &serde_json::json!({"a": 2})).unwrap();
        tree.put("1", &serde_json::json!({"a": 1})).unwrap();
        let got: Option<serde_json::Value> = tree.get("1").unwrap();
        assert_eq!(got, Some(serde_json::json!({"a": 1})));
        store.kv().put(DEPLOYMENTS_TREE, b"3", b"{not json").unwrap();
        let all = tree.list::<serde_json::Value>().unwrap();
        assert_eq!(all.len(), 3);
        assert!(all[0].is_ok() && all[1].is_ok());
        let err = all[2].as_ref().unwrap_err().to_string();
        assert!(err.contains("deployments/3"), "{err}");
        tree.remove("1").unwrap();
        assert_eq!(tree.get::<serde_json::Value>("1").unwrap(), None);
        assert!(store.apps().list::<serde_json::Value>().unwrap().is_empty());
    }
}
