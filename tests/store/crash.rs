//! Crash safety of the store's own writes, simulated in process: a [`CrashingKv`] lets the
//! first `n` writes through and fails every later one (the process "died" there), then the
//! store is opened again on what was written. Every write is durable the moment it returns
//! (MemoryKv), so each half-done state a real crash could leave is reached.
//! The real-process version (SIGKILL at each write) is `tests/store_crash.rs`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use proximity::engine::hosts::save;
use proximity::store::{
    HostAuth, HostConfig, KeySource, KvEntry, KvError, KvPair, KvStore, MemoryKv, Secret, Store,
    StoreError,
};

/// Lets `budget` writes through, then fails every write as if the process had died.
struct CrashingKv {
    inner: Arc<MemoryKv>,
    budget: AtomicU64,
}

impl CrashingKv {
    fn new(inner: Arc<MemoryKv>, budget: u64) -> CrashingKv {
        CrashingKv {
            inner,
            budget: AtomicU64::new(budget),
        }
    }

    fn set_budget(&self, budget: u64) {
        self.budget.store(budget, Ordering::SeqCst);
    }

    fn spend(&self) -> Result<(), KvError> {
        let left = self.budget.load(Ordering::SeqCst);
        if left == 0 {
            return Err(KvError::Modes {
                path: "crash".to_string(),
                source: std::io::Error::other("simulated crash"),
            });
        }
        self.budget.store(left - 1, Ordering::SeqCst);
        Ok(())
    }
}

impl KvStore for CrashingKv {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.inner.get(tree, key)
    }
    fn put(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        self.spend()?;
        self.inner.put(tree, key, value)
    }
    fn delete(&self, tree: &str, key: &[u8]) -> Result<bool, KvError> {
        self.spend()?;
        self.inner.delete(tree, key)
    }
    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Vec<KvPair>, KvError> {
        self.inner.scan_prefix(tree, prefix)
    }
    fn compare_and_swap(
        &self,
        tree: &str,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, KvError> {
        self.spend()?;
        self.inner.compare_and_swap(tree, key, old, new)
    }
    fn compare_and_swap_many(
        &self,
        tree: &str,
        expect: &[KvEntry<'_>],
        set: &[KvEntry<'_>],
    ) -> Result<bool, KvError> {
        self.spend()?;
        self.inner.compare_and_swap_many(tree, expect, set)
    }
    fn flush(&self) -> Result<(), KvError> {
        self.spend()?;
        self.inner.flush()
    }
}

fn key_source(dir: &Path) -> KeySource {
    KeySource::KeyFile(dir.join("secret.key"))
}

fn host(name: &str, url: &str, secret: &str) -> HostConfig {
    HostConfig {
        name: name.to_string(),
        url: url.to_string(),
        auth: HostAuth::Token {
            id: "root@pam!proximity".to_string(),
            secret: Secret::new(secret),
        },
        fingerprint: None,
        insecure: false,
    }
}

/// Open the store on what the "crashed" run left.
fn reopen(kv: &Arc<MemoryKv>, source: &KeySource) -> Result<Store, StoreError> {
    Store::over(kv.clone(), source, "memory".to_string())
}

#[test]
fn first_open_interrupted_at_any_write_still_opens() {
    for source in ["file", "passphrase"] {
        let mut completed = false;
        for budget in 0..50 {
            let dir = tempfile::tempdir().unwrap();
            let source = match source {
                "file" => key_source(dir.path()),
                _ => KeySource::Passphrase(Secret::new("a passphrase")),
            };
            let kv = Arc::new(MemoryKv::new());
            let crashing = Arc::new(CrashingKv::new(kv.clone(), budget));
            if Store::over(crashing, &source, "memory".to_string()).is_ok() {
                completed = true;
                break;
            }
            let store = reopen(&kv, &source)
                .unwrap_or_else(|e| panic!("after a crash at write {budget}: {e}"));
            store
                .hosts()
                .add(host("alpha", "https://a:8006", "s1"))
                .unwrap();
            drop(store);
            let store = reopen(&kv, &source).unwrap();
            assert!(store.hosts().get("alpha").unwrap().is_some());
        }
        assert!(completed, "the first open never completed");
    }
}

#[test]
fn rename_interrupted_at_any_write_keeps_exactly_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let source = key_source(dir.path());
    let mut completed = false;
    for budget in 0..20 {
        let kv = Arc::new(MemoryKv::new());
        let crashing = Arc::new(CrashingKv::new(kv.clone(), u64::MAX));
        let store = Store::over(crashing.clone(), &source, "memory".to_string()).unwrap();
        store
            .hosts()
            .add(host("old", "https://a:8006", "s-old"))
            .unwrap();
        store
            .hosts()
            .add(host("keep", "https://k:8006", "s-keep"))
            .unwrap();
        crashing.set_budget(budget);
        let done = save(&store, host("new", "https://a:8006", "s-old"), Some("old")).is_ok();
        drop(store);
        let store = reopen(&kv, &source).unwrap();
        let names = store.hosts().names().unwrap();
        assert_eq!(
            store.hosts().get("keep").unwrap(),
            Some(host("keep", "https://k:8006", "s-keep"))
        );
        let old = store.hosts().get("old").unwrap();
        let new = store.hosts().get("new").unwrap();
        match (old, new) {
            (Some(o), None) => assert_eq!(o, host("old", "https://a:8006", "s-old")),
            (None, Some(n)) => assert_eq!(n, host("new", "https://a:8006", "s-old")),
            _ => panic!("after a crash at write {budget}: hosts {names:?}"),
        }
        if done {
            completed = true;
            break;
        }
    }
    assert!(completed, "the rename never completed");
}

#[test]
fn empty_key_file_from_an_old_crash_is_replaced_when_nothing_is_sealed() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let key = data.join("secret.key");
    std::fs::write(&key, "").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let kv = Arc::new(MemoryKv::new());
    let store = Store::over(
        kv.clone(),
        &KeySource::KeyFile(key.clone()),
        "memory".into(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    store
        .hosts()
        .add(host("alpha", "https://a:8006", "s1"))
        .unwrap();
    let text = std::fs::read_to_string(&key).unwrap();
    assert_eq!(text.trim().len(), 64, "a fresh key was written");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    drop(store);
    let store = reopen(&kv, &KeySource::KeyFile(key)).unwrap();
    assert!(store.hosts().get("alpha").unwrap().is_some());
}

#[test]
fn short_key_file_with_sealed_secrets_is_named() {
    let root = tempfile::tempdir().unwrap();
    let key = root.path().join("secret.key");
    let kv = Arc::new(MemoryKv::new());
    let source = KeySource::KeyFile(key.clone());
    let store = Store::over(kv.clone(), &source, "/x/store".into()).unwrap();
    store
        .hosts()
        .add(host("alpha", "https://a:8006", "s1"))
        .unwrap();
    drop(store);
    let text = std::fs::read_to_string(&key).unwrap();
    std::fs::write(&key, &text[..10]).unwrap();
    let err = Store::over(kv.clone(), &source, "/x/store".into()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "key file {} is cut short (10 of 64 hex characters), likely by a crash while it was written, and the store at /x/store holds secrets sealed with the lost key: restore the file from a backup, or move the store aside to start over",
            key.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        &text[..10],
        "left as found"
    );
}

/// Someone who can write the store but not read the key points a host at their own server,
/// with TLS checks off: the secret must not decrypt for the changed record.
#[test]
fn changing_a_hosts_non_secret_fields_breaks_its_seal() {
    type Tamper = fn(&mut serde_json::Value);
    let tampers: [(&str, Tamper); 4] = [
        ("url", |r| r["url"] = "https://evil.example:8006".into()),
        ("insecure", |r| r["insecure"] = true.into()),
        ("fingerprint", |r| r["fingerprint"] = "AB:CD".into()),
        ("token id", |r| r["auth"]["id"] = "evil@pam!x".into()),
    ];
    for (what, tamper) in tampers {
        let store = Store::in_memory().unwrap();
        let mut cfg = host("alpha", "https://a:8006", "s1");
        cfg.fingerprint = Some(["00"; 32].join(":"));
        store.hosts().add(cfg).unwrap();
        let bytes = store.kv().get("hosts", b"alpha").unwrap().unwrap();
        let mut record: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        tamper(&mut record);
        let bytes = serde_json::to_vec(&record).unwrap();
        store.kv().put("hosts", b"alpha", &bytes).unwrap();
        let err = store.hosts().get("alpha").unwrap_err();
        assert!(matches!(err, StoreError::Decrypt { .. }), "{what}: {err}");
        assert!(store.hosts().list().is_err(), "{what}");
    }
}

/// A store as schema 1 wrote it, built by hand from the key file: the key bookkeeping in three
/// records, a host secret bound only to `hosts/<name>/secret`.
fn write_schema_1_store(p: &proximity::paths::Paths) -> Vec<u8> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
    // Let the current code create the key file, then rewrite the database the old way.
    drop(Store::open_with(p, &KeySource::KeyFile(Store::key_file(p))).unwrap());
    let text = std::fs::read_to_string(Store::key_file(p)).unwrap();
    let key: [u8; 32] = hex::decode(text.trim()).unwrap().try_into().unwrap();
    let aead = XChaCha20Poly1305::new(&Key::from(key));
    let seal = |aad: &[u8], msg: &[u8]| {
        let nonce = [7u8; 24];
        let ct = aead
            .encrypt(&XNonce::from(nonce), Payload { msg, aad })
            .unwrap();
        serde_json::json!({"nonce": hex::encode(nonce), "ciphertext": hex::encode(ct)})
    };
    let kv = proximity::store::SledKv::open(&Store::db_dir(p)).unwrap();
    kv.delete("meta", b"key").unwrap();
    kv.put("meta", b"schema_version", b"1").unwrap();
    kv.put("meta", b"key_mode", b"\"file\"").unwrap();
    let check = seal(b"key_check", b"proximity store key check v1");
    kv.put("meta", b"key_check", &serde_json::to_vec(&check).unwrap())
        .unwrap();
    let record = serde_json::json!({
        "name": "alpha",
        "url": "https://a:8006",
        "auth": {"kind": "token", "id": "root@pam!proximity",
                 "secret": seal(b"hosts/alpha/secret", b"s1")},
        "fingerprint": null,
        "insecure": false,
    });
    let bytes = serde_json::to_vec(&record).unwrap();
    kv.put("hosts", b"alpha", &bytes).unwrap();
    kv.flush().unwrap();
    bytes
}

#[test]
fn schema_1_store_is_converted_and_its_secrets_resealed() {
    let root = tempfile::tempdir().unwrap();
    let p = proximity::paths::Paths {
        config_dir: root.path().join("config"),
        data_dir: root.path().join("data"),
        state_dir: root.path().join("state"),
    };
    let legacy = write_schema_1_store(&p);
    let source = KeySource::KeyFile(Store::key_file(&p));
    let store = Store::open_with(&p, &source).unwrap();
    assert_eq!(
        store.hosts().get("alpha").unwrap(),
        Some(host("alpha", "https://a:8006", "s1"))
    );
    let kv = store.kv();
    assert_eq!(kv.get("meta", b"schema_version").unwrap().unwrap(), b"2");
    for old in [&b"key_mode"[..], b"kdf", b"key_check"] {
        assert_eq!(kv.get("meta", old).unwrap(), None, "older layout removed");
    }
    assert!(kv.get("meta", b"key").unwrap().is_some());
    let resealed = kv.get("hosts", b"alpha").unwrap().unwrap();
    assert_ne!(resealed, legacy, "re-sealed on open");
    // After the migration, a record sealed the old way (one put back from a backup with its
    // URL changed, say) is refused rather than trusted.
    let mut replayed: serde_json::Value = serde_json::from_slice(&legacy).unwrap();
    replayed["url"] = "https://evil.example:8006".into();
    kv.put("hosts", b"alpha", &serde_json::to_vec(&replayed).unwrap())
        .unwrap();
    assert!(matches!(
        store.hosts().get("alpha").unwrap_err(),
        StoreError::Decrypt { .. }
    ));
    drop(store);
    // The converted store opens again.
    let store = Store::open_with(&p, &source).unwrap();
    assert!(store.hosts().get("alpha").is_err());
}
