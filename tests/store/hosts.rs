//! Host records, settings and the inventory cache through the typed API (in-memory store unless
//! the test is about sharing one sled store between tasks).

use proximity::paths::Paths;
use proximity::store::{
    HostAuth, HostConfig, KeySource, Secret, Settings, Store, StoreError, normalize_fingerprint,
};

fn token(name: &str, id: &str, secret: &str) -> HostConfig {
    HostConfig {
        name: name.to_string(),
        url: "https://pve1:8006".to_string(),
        auth: HostAuth::Token {
            id: id.to_string(),
            secret: Secret::new(secret),
        },
        fingerprint: None,
        insecure: false,
    }
}

fn user(name: &str, user: &str, password: Option<&str>) -> HostConfig {
    HostConfig {
        name: name.to_string(),
        url: "https://192.0.2.7:8006/".to_string(),
        auth: HostAuth::User {
            user: user.to_string(),
            password: password.map(Secret::new),
            totp: false,
        },
        fingerprint: None,
        insecure: true,
    }
}

const FP_LOWER: &str = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89";

#[test]
fn add_get_list_update_remove() {
    let store = Store::in_memory().unwrap();
    let hosts = store.hosts();
    let mut zeta = token("zeta", "root@pam!prox", "uuid-1");
    zeta.fingerprint = Some(FP_LOWER.to_string());
    let stored = hosts.add(zeta.clone()).unwrap();
    assert_eq!(
        stored.fingerprint.as_deref(),
        Some(FP_LOWER.to_uppercase().as_str())
    );
    hosts.add(user("alpha", "admin@pve", None)).unwrap();

    assert_eq!(hosts.get("zeta").unwrap(), Some(stored.clone()));
    assert_eq!(hosts.get("nope").unwrap(), None);
    let names: Vec<String> = hosts.list().unwrap().into_iter().map(|h| h.name).collect();
    assert_eq!(names, ["alpha", "zeta"]);
    assert_eq!(hosts.names().unwrap(), ["alpha", "zeta"]);

    let dup = hosts.add(token("zeta", "root@pam!other", "x")).unwrap_err();
    assert_eq!(dup.to_string(), "a host named \"zeta\" already exists");
    // The failed add left the original alone.
    assert_eq!(hosts.get("zeta").unwrap(), Some(stored));

    let changed = user("alpha", "admin@pve", Some("new password"));
    hosts.update(changed.clone()).unwrap();
    assert_eq!(hosts.get("alpha").unwrap(), Some(changed));
    assert_eq!(
        hosts
            .update(token("ghost", "a@pam!tok", "s"))
            .unwrap_err()
            .to_string(),
        "no host named \"ghost\""
    );

    store.cache().put("alpha", b"[]", 5).unwrap();
    hosts.remove("alpha").unwrap();
    assert_eq!(hosts.get("alpha").unwrap(), None);
    assert_eq!(
        store.cache().get("alpha").unwrap(),
        None,
        "cache goes with the host"
    );
    assert!(matches!(
        hosts.remove("alpha").unwrap_err(),
        StoreError::HostNotFound { .. }
    ));
}

#[test]
fn validation_messages_name_field_and_problem() {
    let long = "a".repeat(64);
    let cases: Vec<(HostConfig, String)> = vec![
        (token("", "root@pam!t1", "s"), "name: must not be empty".into()),
        (
            token(&long, "root@pam!t1", "s"),
            "name: must be at most 63 characters (got 64)".into(),
        ),
        (
            token("-lab", "root@pam!t1", "s"),
            "name: must start with a letter or digit (got \"-lab\")".into(),
        ),
        (
            token("my lab", "root@pam!t1", "s"),
            "name: may contain only letters, digits, '.', '_' and '-' (found ' ' in \"my lab\")"
                .into(),
        ),
        (
            token("x\u{1b}[2J", "root@pam!t1", "s"),
            "name: may contain only letters, digits, '.', '_' and '-' (found '\\u{1b}' in \"x\\u{1b}[2J\")"
                .into(),
        ),
        (
            token("lab", "root@pam", "s"),
            "auth.id: must look like user@realm!tokenid, e.g. root@pam!proximity (got \"root@pam\")"
                .into(),
        ),
        (
            token("lab", "root!tok", "s"),
            "auth.id: must look like user@realm!tokenid, e.g. root@pam!proximity (got \"root!tok\")"
                .into(),
        ),
        (token("lab", "root@pam!t1", ""), "auth.secret: must not be empty".into()),
        (
            user("lab", "root", None),
            "auth.user: must look like user@realm, e.g. root@pam (got \"root\")".into(),
        ),
        (
            user("lab", "root@pam", Some("")),
            "auth.password: must not be empty".into(),
        ),
    ];
    for (cfg, expected) in cases {
        let err = cfg.clone().validated().unwrap_err();
        assert_eq!(err.to_string(), expected, "for {cfg:?}");
        // The store reports the same message, prefixed.
        let store_err = Store::in_memory().unwrap().hosts().add(cfg).unwrap_err();
        assert_eq!(store_err.to_string(), format!("invalid host: {expected}"));
    }
}

#[test]
fn url_validation_messages() {
    let with_url = |url: &str| HostConfig {
        url: url.to_string(),
        ..token("lab", "root@pam!t1", "s")
    };
    let cases = [
        ("pve1:8006", "url: must use http or https (got \"pve1\")"),
        ("ftp://pve1", "url: must use http or https (got \"ftp\")"),
        (
            "pve1",
            "url: not a valid URL: relative URL without a base (got \"pve1\")",
        ),
        (
            "https://",
            "url: not a valid URL: empty host (got \"https://\")",
        ),
        (
            "https://root:pw@pve1:8006",
            "url: must not contain a user name or password; put credentials in auth",
        ),
        (
            "http://pve1:8006",
            "url: http:// sends credentials in clear; use https:// (http is allowed only for 127.0.0.1, ::1 or localhost; got \"http://pve1:8006\")",
        ),
        (
            "http://10.0.0.1",
            "url: http:// sends credentials in clear; use https:// (http is allowed only for 127.0.0.1, ::1 or localhost; got \"http://10.0.0.1\")",
        ),
    ];
    for (url, expected) in cases {
        assert_eq!(
            with_url(url).validated().unwrap_err().to_string(),
            expected,
            "for {url:?}"
        );
    }
    for ok in [
        "https://pve1:8006",
        "http://[::1]:8006",
        "https://10.0.0.1",
        "http://127.0.0.1:8006",
        "http://127.3.4.5",
        "http://localhost:8006",
    ] {
        with_url(ok).validated().unwrap();
    }
}

#[test]
fn fingerprint_normalization_and_messages() {
    let upper = FP_LOWER.to_uppercase();
    assert_eq!(normalize_fingerprint(FP_LOWER).unwrap(), upper);
    assert_eq!(
        normalize_fingerprint(&FP_LOWER.replace(':', "")).unwrap(),
        upper
    );
    assert_eq!(normalize_fingerprint(&format!(" {upper} ")).unwrap(), upper);
    let short = &FP_LOWER[..FP_LOWER.len() - 3];
    assert_eq!(
        normalize_fingerprint(short).unwrap_err().to_string(),
        "fingerprint: must be 32 bytes (SHA-256) of hex as Proxmox shows it (got 62 hex digits)"
    );
    assert_eq!(
        normalize_fingerprint(&FP_LOWER.replace("ab", "zz"))
            .unwrap_err()
            .to_string(),
        "fingerprint: may contain only hex digits and ':' (found 'z')"
    );
    assert_eq!(
        normalize_fingerprint(&FP_LOWER.replacen("ab:cd", "a:bcd", 1))
            .unwrap_err()
            .to_string(),
        "fingerprint: must be pairs of hex digits separated by ':', like AB:CD:..."
    );
}

#[test]
fn host_debug_output_hides_secrets() {
    let cfg = token("lab", "root@pam!t1", "9d2f-token-secret");
    let shown = format!("{cfg:?}");
    assert!(!shown.contains("9d2f-token-secret"), "{shown}");
    assert!(shown.contains("***"), "{shown}");
}

#[test]
fn settings_defaults_set_and_update() {
    let store = Store::in_memory().unwrap();
    let settings = store.settings();
    let defaults = settings.get().unwrap();
    assert_eq!(defaults, Settings::default());
    assert!(!defaults.audit_recording);
    assert!(!defaults.console_recording_for("lab"));

    let mut s = defaults.clone();
    s.theme = Some("high-contrast".to_string());
    s.keymap_overrides_path = Some("/home/u/.config/proximity/keys.toml".into());
    s.audit_recording = true;
    settings.set(&s).unwrap();
    assert_eq!(settings.get().unwrap(), s);

    let after = settings
        .update(|s| {
            s.console_recording.insert("lab".to_string(), true);
        })
        .unwrap();
    assert!(after.console_recording_for("lab"));
    assert_eq!(after.theme.as_deref(), Some("high-contrast"));
    assert_eq!(settings.get().unwrap(), after);

    // A record from a newer build with an extra field, and missing ones, still reads.
    store
        .kv()
        .put(
            "settings",
            b"settings",
            br#"{"theme":"nord","future_field":1}"#,
        )
        .unwrap();
    let read = settings.get().unwrap();
    assert_eq!(read.theme.as_deref(), Some("nord"));
    assert!(!read.audit_recording);
}

#[test]
fn cache_round_trip_and_corruption() {
    let store = Store::in_memory().unwrap();
    let cache = store.cache();
    assert_eq!(cache.get("lab").unwrap(), None);
    let body = br#"{"data":[{"id":"qemu/100","type":"qemu"}]}"#;
    cache.put("lab", body, 1_732_000_000).unwrap();
    let got = cache.get("lab").unwrap().unwrap();
    assert_eq!(got.resources_json, body);
    assert_eq!(got.fetched_at_unix, 1_732_000_000);
    cache.put("lab", b"[]", 1_732_000_060).unwrap();
    assert_eq!(
        cache.get("lab").unwrap().unwrap().fetched_at_unix,
        1_732_000_060
    );

    cache.remove("lab").unwrap();
    assert_eq!(cache.get("lab").unwrap(), None);
    cache.remove("lab").unwrap();
}

#[test]
fn store_is_clone_send_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Store>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tasks_share_one_sled_store() {
    let root = tempfile::tempdir().unwrap();
    let p = Paths {
        config_dir: root.path().join("config"),
        data_dir: root.path().join("data"),
        state_dir: root.path().join("state"),
    };
    let store = Store::open_with(&p, &KeySource::KeyFile(Store::key_file(&p))).unwrap();
    let mut tasks = Vec::new();
    for t in 0..2 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut won_shared = 0;
            for i in 0..20 {
                let name = format!("t{t}-h{i}");
                store
                    .hosts()
                    .add(token(&name, "root@pam!prox", &format!("secret-{t}-{i}")))
                    .unwrap();
                // Both tasks race for the same names; exactly one add may win each.
                match store
                    .hosts()
                    .add(token(&format!("shared{i}"), "root@pam!prox", "s"))
                {
                    Ok(_) => won_shared += 1,
                    Err(StoreError::DuplicateHost { .. }) => {}
                    Err(e) => panic!("unexpected {e}"),
                }
                store
                    .settings()
                    .update(|s| {
                        s.console_recording.insert(name.clone(), true);
                    })
                    .unwrap();
                tokio::task::yield_now().await;
            }
            won_shared
        }));
    }
    let mut won = 0;
    for task in tasks {
        won += task.await.unwrap();
    }
    assert_eq!(won, 20, "each shared name is added exactly once");
    assert_eq!(store.hosts().list().unwrap().len(), 60);
    let settings = store.settings().get().unwrap();
    assert_eq!(
        settings.console_recording.len(),
        40,
        "no settings update was lost"
    );
    match store.hosts().get("t1-h7").unwrap().unwrap().auth {
        HostAuth::Token { secret, .. } => assert_eq!(secret.expose(), "secret-1-7"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn rename_moves_the_record_and_its_secret_in_one_step() {
    let store = Store::in_memory().unwrap();
    let hosts = store.hosts();
    hosts.add(token("lab", "root@pam!prox", "uuid-1")).unwrap();
    hosts
        .add(token("other", "root@pam!prox", "uuid-2"))
        .unwrap();
    store.cache().put("lab", b"[]", 5).unwrap();

    // Onto an existing name: refused, both records untouched.
    let err = hosts
        .rename("lab", token("other", "root@pam!prox", "uuid-1"))
        .unwrap_err();
    assert_eq!(err.to_string(), "a host named \"other\" already exists");
    assert_eq!(
        hosts.get("lab").unwrap(),
        Some(token("lab", "root@pam!prox", "uuid-1"))
    );
    assert_eq!(
        hosts.get("other").unwrap(),
        Some(token("other", "root@pam!prox", "uuid-2"))
    );
    // From a missing name.
    assert_eq!(
        hosts
            .rename("ghost", token("new", "root@pam!prox", "s"))
            .unwrap_err()
            .to_string(),
        "no host named \"ghost\""
    );

    let renamed = hosts
        .rename("lab", token("lab2", "root@pam!prox", "uuid-1"))
        .unwrap();
    assert_eq!(renamed.name, "lab2");
    assert_eq!(hosts.names().unwrap(), ["lab2", "other"]);
    assert_eq!(
        hosts.get("lab2").unwrap(),
        Some(token("lab2", "root@pam!prox", "uuid-1"))
    );
    assert_eq!(
        store.cache().get("lab").unwrap(),
        None,
        "cache goes with the old name"
    );
    // The same name is an update.
    hosts
        .rename("lab2", token("lab2", "root@pam!prox", "uuid-3"))
        .unwrap();
    assert_eq!(
        hosts.get("lab2").unwrap(),
        Some(token("lab2", "root@pam!prox", "uuid-3"))
    );
}
