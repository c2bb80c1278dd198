//! The store on disk: secrets never in plain text, owner-only file modes, key file and
//! passphrase handling, schema version checks, persistence across reopen.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use proximity::paths::Paths;
use proximity::store::{
    HostAuth, HostConfig, KeySource, KvStore, Secret, SledKv, Store, StoreError,
};

const TOKEN_SECRET: &str = "5f0c1a2e-9b7d-4e3f-8a61-c0ffee15e3c7";
const PASSWORD: &str = "correct-horse-battery-staple-42";

fn paths(root: &Path) -> Paths {
    Paths {
        config_dir: root.join("config"),
        data_dir: root.join("data"),
        state_dir: root.join("state"),
    }
}

fn key_file(p: &Paths) -> KeySource {
    KeySource::KeyFile(Store::key_file(p))
}

fn token_host(name: &str) -> HostConfig {
    HostConfig {
        name: name.to_string(),
        url: "https://pve-alpha.example:8006".to_string(),
        auth: HostAuth::Token {
            id: "root@pam!proximity".to_string(),
            secret: Secret::new(TOKEN_SECRET),
        },
        fingerprint: None,
        insecure: false,
    }
}

fn user_host(name: &str) -> HostConfig {
    HostConfig {
        name: name.to_string(),
        url: "https://10.0.0.2:8006".to_string(),
        auth: HostAuth::User {
            user: "admin@pve".to_string(),
            password: Some(Secret::new(PASSWORD)),
            totp: true,
        },
        fingerprint: None,
        insecure: true,
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn secrets_never_appear_in_plain_text_on_disk() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    {
        let store = Store::open_with(&p, &key_file(&p)).unwrap();
        store.hosts().add(token_host("alpha")).unwrap();
        store.hosts().add(user_host("beta")).unwrap();
        store.flush().unwrap();
    }
    let files = files_under(&p.data_dir);
    assert!(
        files.len() >= 2,
        "expected key file and sled files: {files:?}"
    );
    let mut url_seen = false;
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        assert!(
            !contains(&bytes, TOKEN_SECRET.as_bytes()),
            "token secret in plain text in {}",
            file.display()
        );
        assert!(
            !contains(&bytes, PASSWORD.as_bytes()),
            "password in plain text in {}",
            file.display()
        );
        url_seen |= contains(&bytes, b"pve-alpha.example");
    }
    // The grep must be able to find things: the non-secret URL is stored as is.
    assert!(url_seen, "the scan found no record bytes at all");
}

#[test]
fn directories_are_0700_and_files_0600() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    {
        let store = Store::open_with(&p, &key_file(&p)).unwrap();
        store.hosts().add(token_host("alpha")).unwrap();
        let mut body = b"{\"data\":\"".to_vec();
        body.extend(std::iter::repeat_n(b'x', 200_000));
        body.extend(b"\"}");
        store.cache().put("alpha", &body, 1).unwrap();
        store.flush().unwrap();
    }
    assert_eq!(mode(&p.data_dir), 0o700);
    assert_eq!(mode(&Store::db_dir(&p)), 0o700);
    assert_eq!(mode(&Store::key_file(&p)), 0o600);
    let files = files_under(&p.data_dir);
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn reopen_keeps_hosts_settings_and_cache() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    {
        let store = Store::open_with(&p, &key_file(&p)).unwrap();
        store.hosts().add(token_host("alpha")).unwrap();
        store.hosts().add(user_host("beta")).unwrap();
        store
            .settings()
            .update(|s| {
                s.theme = Some("gruvbox".to_string());
                s.console_recording.insert("beta".to_string(), true);
            })
            .unwrap();
        store
            .cache()
            .put("alpha", br#"{"data":[]}"#, 1_700_000_000)
            .unwrap();
    }
    let store = Store::open_with(&p, &key_file(&p)).unwrap();
    assert_eq!(
        store.hosts().get("alpha").unwrap(),
        Some(token_host("alpha"))
    );
    assert_eq!(store.hosts().get("beta").unwrap(), Some(user_host("beta")));
    let settings = store.settings().get().unwrap();
    assert_eq!(settings.theme.as_deref(), Some("gruvbox"));
    assert!(settings.console_recording_for("beta"));
    let cached = store.cache().get("alpha").unwrap().unwrap();
    assert_eq!(cached.resources_json, br#"{"data":[]}"#);
    assert_eq!(cached.fetched_at_unix, 1_700_000_000);
}

#[test]
fn key_file_readable_by_others_is_refused_by_name() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    drop(Store::open_with(&p, &key_file(&p)).unwrap());
    let key = Store::key_file(&p);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Store::open_with(&p, &key_file(&p)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "key file {k} is readable by group or others (mode 0644); refusing to use it: run `chmod 600 {k}` if it was not exposed, or replace it",
            k = key.display()
        )
    );
}

#[test]
fn wrong_key_file_is_reported_at_open() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    {
        let store = Store::open_with(&p, &key_file(&p)).unwrap();
        store.hosts().add(token_host("alpha")).unwrap();
    }
    let key = Store::key_file(&p);
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = Store::open_with(&p, &key_file(&p)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the store's secrets were sealed with a different key than the key file {}",
            key.display()
        )
    );
}

#[test]
fn malformed_and_missing_key_files_are_named() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    drop(Store::open_with(&p, &key_file(&p)).unwrap());
    let key = Store::key_file(&p);
    std::fs::write(&key, "not hex\n").unwrap();
    let err = Store::open_with(&p, &key_file(&p)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "key file {} is malformed: expected 64 hex characters (a 32-byte key)",
            key.display()
        )
    );
    std::fs::remove_file(&key).unwrap();
    let err = Store::open_with(&p, &key_file(&p)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "key file {} is missing but the store at {} holds secrets sealed with it; restore the file, or move the store aside to start over",
            key.display(),
            Store::db_dir(&p).display()
        )
    );
    assert!(!key.exists(), "a missing key must not be silently replaced");
}

#[test]
fn ciphertext_moved_to_another_record_does_not_decrypt() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    let store = Store::open_with(&p, &key_file(&p)).unwrap();
    store.hosts().add(token_host("alpha")).unwrap();
    store.hosts().add(token_host("gamma")).unwrap();
    // An attacker with write access copies alpha's record (and its ciphertext) over gamma's.
    let alpha = store.kv().get("hosts", b"alpha").unwrap().unwrap();
    store.kv().put("hosts", b"gamma", &alpha).unwrap();
    let err = store.hosts().get("gamma").unwrap_err();
    assert!(matches!(err, StoreError::Decrypt { .. }));
    assert_eq!(
        err.to_string(),
        "cannot decrypt hosts/gamma/secret: the key is not the one it was sealed with, or the record was altered or moved"
    );
    assert!(store.hosts().get("alpha").unwrap().is_some());
}

#[test]
fn passphrase_mode_round_trip_and_errors() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    let pass = KeySource::Passphrase(Secret::new("a long shared-disk passphrase"));
    {
        let store = Store::open_with(&p, &pass).unwrap();
        store.hosts().add(user_host("beta")).unwrap();
    }
    assert!(
        !Store::key_file(&p).exists(),
        "passphrase mode must not write a key file"
    );
    for file in files_under(&p.data_dir) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!contains(&bytes, PASSWORD.as_bytes()), "{}", file.display());
        assert!(
            !contains(&bytes, b"shared-disk passphrase"),
            "{}",
            file.display()
        );
    }
    let store = Store::open_with(&p, &pass).unwrap();
    assert_eq!(store.hosts().get("beta").unwrap(), Some(user_host("beta")));
    drop(store);

    let wrong = KeySource::Passphrase(Secret::new("another passphrase"));
    assert_eq!(
        Store::open_with(&p, &wrong).unwrap_err().to_string(),
        "the store's secrets were sealed with a different key than the one derived from PROXIMITY_PASSPHRASE"
    );
    assert_eq!(
        Store::open_with(&p, &key_file(&p)).unwrap_err().to_string(),
        "this store is protected by a passphrase: set PROXIMITY_PASSPHRASE"
    );
    let empty = KeySource::Passphrase(Secret::new(""));
    assert_eq!(
        Store::open_with(&p, &empty).unwrap_err().to_string(),
        "PROXIMITY_PASSPHRASE is set but empty"
    );
}

#[test]
fn key_file_store_refuses_a_passphrase() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    drop(Store::open_with(&p, &key_file(&p)).unwrap());
    let pass = KeySource::Passphrase(Secret::new("whatever"));
    assert_eq!(
        Store::open_with(&p, &pass).unwrap_err().to_string(),
        format!(
            "the store at {} uses its key file, not a passphrase: unset PROXIMITY_PASSPHRASE",
            Store::db_dir(&p).display()
        )
    );
}

#[test]
fn newer_schema_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    {
        let store = Store::open_with(&p, &key_file(&p)).unwrap();
        store.hosts().add(token_host("alpha")).unwrap();
        store.kv().put("meta", b"schema_version", b"3").unwrap();
        store.flush().unwrap();
    }
    let err = Store::open_with(&p, &key_file(&p)).unwrap_err();
    assert!(matches!(
        err,
        StoreError::SchemaTooNew {
            found: 3,
            supported: 2,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        format!(
            "the store at {} has schema version 3, newer than the 2 this proximity supports: upgrade proximity, or move the store aside",
            Store::db_dir(&p).display()
        )
    );
}

#[test]
fn older_schema_without_meta_is_migrated() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    {
        // A version-0 store: data trees, no meta tree.
        let kv = SledKv::open(&Store::db_dir(&p)).unwrap();
        kv.put("settings", b"settings", br#"{"theme":"nord"}"#)
            .unwrap();
        kv.flush().unwrap();
    }
    let store = Store::open_with(&p, &key_file(&p)).unwrap();
    assert_eq!(
        store.settings().get().unwrap().theme.as_deref(),
        Some("nord")
    );
    assert_eq!(
        store
            .kv()
            .get("meta", b"schema_version")
            .unwrap()
            .as_deref(),
        Some(&b"2"[..])
    );
}

#[test]
fn second_open_shares_the_store_and_one_held_too_long_is_a_clear_error() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    let first = Store::open_with(&p, &key_file(&p)).unwrap();
    first.hosts().add(token_host("alpha")).unwrap();
    let second = Store::open_with(&p, &key_file(&p)).unwrap();
    assert_eq!(second.hosts().names().unwrap(), ["alpha"]);
    drop((first, second));
    // Another holder (as another process would be) that never lets go: the open waits
    // LOCK_WAIT, then says so.
    let holder = loop {
        match sled::Config::new().path(Store::db_dir(&p)).open() {
            Ok(db) => break db,
            // This process's own handle closes within IDLE_CLOSE.
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    };
    let started = std::time::Instant::now();
    let err = Store::open_with(&p, &key_file(&p)).unwrap_err();
    assert!(started.elapsed() >= proximity::store::LOCK_WAIT);
    assert_eq!(
        err.to_string(),
        format!(
            "the database at {} stayed in use by another proximity process for {} s",
            Store::db_dir(&p).display(),
            proximity::store::LOCK_WAIT.as_secs()
        )
    );
    drop(holder);
}

/// The inventory cache is a file per host beside the database, not a sled record: rewriting
/// it (as the rack does) leaves the database as it was, and the file holds one answer.
#[test]
fn inventory_cache_is_one_file_per_host_outside_sled() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    let store = Store::open_with(&p, &key_file(&p)).unwrap();
    store.hosts().add(token_host("alpha")).unwrap();
    store.flush().unwrap();
    let db_size = || dir_size(&Store::db_dir(&p));
    let before = db_size();
    let mut body = b"{\"data\":[".to_vec();
    for i in 0..5_000 {
        body.extend(format!("{{\"id\":\"qemu/{i}\",\"type\":\"qemu\"}},").as_bytes());
    }
    body.extend(b"{}]}");
    for at in 0..20 {
        store.cache().put("alpha", &body, at).unwrap();
    }
    store.flush().unwrap();
    assert!(
        db_size() < before + 64 * 1024,
        "the database grew from {before} to {} bytes",
        db_size()
    );
    let file = Store::cache_dir(&p).join("alpha.json");
    let on_disk = std::fs::metadata(&file).unwrap().len() as usize;
    assert!(on_disk < body.len() + 100, "{on_disk} bytes for one answer");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&Store::cache_dir(&p)), 0o700);
    // No temp file left behind.
    let names: Vec<String> = std::fs::read_dir(Store::cache_dir(&p))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["alpha.json"]);
    let cached = store.cache().get("alpha").unwrap().unwrap();
    assert_eq!(cached.resources_json, body);
    assert_eq!(cached.fetched_at_unix, 19);
}

/// A truncated or corrupt cache file is no cache (logged), never an error or a panic.
#[test]
fn corrupt_or_truncated_cache_files_are_ignored() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    let store = Store::open_with(&p, &key_file(&p)).unwrap();
    store
        .cache()
        .put("lab", br#"{"data":[{"id":"qemu/100","type":"qemu"}]}"#, 7)
        .unwrap();
    let file = Store::cache_dir(&p).join("lab.json");
    let whole = std::fs::read(&file).unwrap();
    for cut in [0, 1, whole.len() / 2, whole.len() - 1] {
        std::fs::write(&file, &whole[..cut]).unwrap();
        assert_eq!(store.cache().get("lab").unwrap(), None, "cut at {cut}");
    }
    std::fs::write(&file, b"\x00\xff garbage").unwrap();
    assert_eq!(store.cache().get("lab").unwrap(), None);
    std::fs::write(&file, br#"{"format":99,"fetched_at_unix":1,"body":{}}"#).unwrap();
    assert_eq!(store.cache().get("lab").unwrap(), None);
    std::fs::write(&file, &whole).unwrap();
    assert_eq!(
        store.cache().get("lab").unwrap().unwrap().fetched_at_unix,
        7
    );
}

/// A store written before the cache moved out of sled: its `cache` tree is dropped at open.
#[test]
fn the_old_sled_cache_tree_is_dropped_at_open() {
    let root = tempfile::tempdir().unwrap();
    let p = paths(root.path());
    drop(Store::open_with(&p, &key_file(&p)).unwrap());
    {
        let kv = SledKv::open(&Store::db_dir(&p)).unwrap();
        kv.put("cache", b"alpha", &[1u8; 4096]).unwrap();
        kv.flush().unwrap();
    }
    let store = Store::open_with(&p, &key_file(&p)).unwrap();
    assert!(store.kv().scan_prefix("cache", b"").unwrap().is_empty());
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            dir_size(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}
