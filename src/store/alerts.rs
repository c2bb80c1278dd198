//! Alerts in the store: the history (`alerts`, one JSON record per firing, keyed so the keys
//! sort by time, bounded by [`prune_history`]) and the alert settings (`alert_settings`): the
//! thresholds the settings screen saved and where notifications go. A webhook URL (it often
//! carries a key), an ntfy topic (on a public server the topic is the password) and an ntfy
//! token are sealed like host secrets, each bound to its field.

use serde::{Deserialize, Serialize};

use super::crypto::Sealed;
use super::secret::Secret;
use super::{Store, StoreError, decode, encode};
use crate::alerts::{Alert, RawThresholds};

pub(crate) const HISTORY_TREE: &str = "alerts";
pub(crate) const SETTINGS_TREE: &str = "alert_settings";
const NOTIFY_KEY: &[u8] = b"notify";
const THRESHOLDS_KEY: &[u8] = b"thresholds";

/// History entries kept at most (the oldest go first).
pub const HISTORY_MAX: usize = 500;
/// Cleared entries older than this are dropped.
pub const HISTORY_MAX_AGE_MS: u64 = 30 * 86_400 * 1000;

/// Where notifications go. Secrets stay [`Secret`]s until the request is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifySettings {
    pub webhook_url: Option<Secret>,
    pub ntfy: Option<NtfySettings>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtfySettings {
    /// `https://ntfy.sh` or a self-hosted server.
    pub server: String,
    pub topic: Secret,
    pub token: Option<Secret>,
}

#[derive(Serialize, Deserialize, Default)]
struct StoredNotify {
    #[serde(default)]
    webhook: Option<Sealed>,
    #[serde(default)]
    ntfy_server: Option<String>,
    #[serde(default)]
    ntfy_topic: Option<Sealed>,
    #[serde(default)]
    ntfy_token: Option<Sealed>,
}

fn aad(field: &str) -> Vec<u8> {
    format!("proximity alert_settings/notify/{field}").into_bytes()
}

/// Typed access to the alert settings; get it from [`Store::alert_settings`].
pub struct AlertSettingsTree<'a> {
    pub(crate) store: &'a Store,
}

impl AlertSettingsTree<'_> {
    pub fn notify(&self) -> Result<NotifySettings, StoreError> {
        let Some(bytes) = self.store.kv().get(SETTINGS_TREE, NOTIFY_KEY)? else {
            return Ok(NotifySettings::default());
        };
        let stored: StoredNotify = decode(|| format!("{SETTINGS_TREE}/notify"), &bytes)?;
        let open = |field: &str, sealed: &Option<Sealed>| -> Result<Option<Secret>, StoreError> {
            let Some(s) = sealed else { return Ok(None) };
            let plain =
                self.store
                    .cipher()
                    .open(&aad(field), s)
                    .map_err(|_| StoreError::Decrypt {
                        record: format!("{SETTINGS_TREE}/notify/{field}"),
                    })?;
            Ok(Some(Secret::new(
                String::from_utf8_lossy(&plain).into_owned(),
            )))
        };
        let webhook_url = open("webhook", &stored.webhook)?;
        let ntfy = match (stored.ntfy_server, open("ntfy_topic", &stored.ntfy_topic)?) {
            (Some(server), Some(topic)) => Some(NtfySettings {
                server,
                topic,
                token: open("ntfy_token", &stored.ntfy_token)?,
            }),
            _ => None,
        };
        Ok(NotifySettings { webhook_url, ntfy })
    }

    pub fn set_notify(&self, n: &NotifySettings) -> Result<(), StoreError> {
        let cipher = self.store.cipher();
        let seal = |field: &str, s: &Secret| cipher.seal(&aad(field), s.expose().as_bytes());
        let stored = StoredNotify {
            webhook: n
                .webhook_url
                .as_ref()
                .map(|s| seal("webhook", s))
                .transpose()?,
            ntfy_server: n.ntfy.as_ref().map(|x| x.server.clone()),
            ntfy_topic: n
                .ntfy
                .as_ref()
                .map(|x| seal("ntfy_topic", &x.topic))
                .transpose()?,
            ntfy_token: n
                .ntfy
                .as_ref()
                .and_then(|x| x.token.as_ref())
                .map(|t| seal("ntfy_token", t))
                .transpose()?,
        };
        let bytes = encode(|| format!("{SETTINGS_TREE}/notify"), &stored)?;
        self.store.kv().put(SETTINGS_TREE, NOTIFY_KEY, &bytes)?;
        self.store.flush()
    }

    /// The thresholds the settings screen saved (the layer under `alerts.toml`).
    pub fn thresholds(&self) -> Result<RawThresholds, StoreError> {
        match self.store.kv().get(SETTINGS_TREE, THRESHOLDS_KEY)? {
            Some(bytes) => decode(|| format!("{SETTINGS_TREE}/thresholds"), &bytes),
            None => Ok(RawThresholds::default()),
        }
    }

    pub fn set_thresholds(&self, t: &RawThresholds) -> Result<(), StoreError> {
        let bytes = encode(|| format!("{SETTINGS_TREE}/thresholds"), t)?;
        self.store.kv().put(SETTINGS_TREE, THRESHOLDS_KEY, &bytes)?;
        self.store.flush()
    }
}

/// Keep the history bounded: at most [`HISTORY_MAX`] entries, no cleared one older than
/// [`HISTORY_MAX_AGE_MS`]. Open entries are kept whatever their age (they are still true).
pub fn prune_history(store: &Store, now_ms: u64) -> Result<usize, StoreError> {
    let tree = store.alerts();
    let pairs = store.kv().scan_prefix(HISTORY_TREE, b"")?;
    let total = pairs.len();
    let mut removed = 0;
    for (i, (key, value)) in pairs.into_iter().enumerate() {
        let key = String::from_utf8_lossy(&key).into_owned();
        let too_many = total - i > HISTORY_MAX;
        let old = match decode::<Alert>(|| format!("{HISTORY_TREE}/{key}"), &value) {
            Ok(a) => a
                .cleared_ms
                .is_some_and(|c| now_ms.saturating_sub(c) > HISTORY_MAX_AGE_MS),
            // An unreadable entry helps nobody.
            Err(_) => true,
        };
        if too_many || old {
            tree.remove(&key)?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{Rule, Severity, Target};

    #[test]
    fn notify_secrets_are_sealed_and_round_trip() {
        let store = Store::in_memory().unwrap();
        let n = NotifySettings {
            webhook_url: Some(Secret::new("https://hooks.example/abc?key=s3cr3t")),
            ntfy: Some(NtfySettings {
                server: "https://ntfy.sh".into(),
                topic: Secret::new("my-topic-xyz"),
                token: Some(Secret::new("tk_hidden")),
            }),
        };
        store.alert_settings().set_notify(&n).unwrap();
        let raw = store.kv().get(SETTINGS_TREE, NOTIFY_KEY).unwrap().unwrap();
        let text = String::from_utf8_lossy(&raw);
        for secret in ["s3cr3t", "my-topic-xyz", "tk_hidden"] {
            assert!(!text.contains(secret), "{secret} in plain text: {text}");
        }
        assert_eq!(store.alert_settings().notify().unwrap(), n);
    }

    #[test]
    fn history_is_bounded_and_old_cleared_entries_go() {
        let store = Store::in_memory().unwrap();
        let day = 86_400_000;
        let alert = |fired: u64, cleared: Option<u64>| Alert {
            rule: Rule::Cpu,
            severity: Severity::Warning,
            target: Target::host("lab"),
            name: "lab".into(),
            message: "m".into(),
            value: None,
            since_ms: fired,
            fired_ms: fired,
            cleared_ms: cleared,
        };
        let now = 100 * day;
        let a = alert(day, Some(2 * day));
        let b = alert(day + 1, None);
        store.alerts().put(&a.history_key(), &a).unwrap();
        store.alerts().put(&b.history_key(), &b).unwrap();
        for i in 0..HISTORY_MAX as u64 {
            let c = alert(99 * day + i, Some(99 * day + i + 1));
            store.alerts().put(&c.history_key(), &c).unwrap();
        }
        prune_history(&store, now).unwrap();
        let left = store.alerts().list::<Alert>().unwrap();
        assert_eq!(left.len(), HISTORY_MAX);
        assert!(
            store
                .alerts()
                .get::<Alert>(&a.history_key())
                .unwrap()
                .is_none()
        );
    }
}
