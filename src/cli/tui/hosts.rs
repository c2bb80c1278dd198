//! The hosts screen's effects: add, edit (with trust on first use of a self-signed
//! certificate), remove and test endpoints, all through the store's validation.

use super::{Executor, connect_host, host_entry};
use crate::engine::connection;
use crate::store::{HostAuth, HostConfig, Secret};
use crate::ui::action::{AppEvent, HostDraft, HostEntry};

impl Executor {
    fn draft_to_config(
        draft: &HostDraft,
        keep_secret: Option<&HostConfig>,
    ) -> Result<HostConfig, String> {
        let secret = if draft.secret.0.is_empty() {
            match keep_secret.map(|c| &c.auth) {
                Some(HostAuth::Token { secret, .. }) => secret.clone(),
                _ => return Err("secret: required".into()),
            }
        } else {
            Secret::new(draft.secret.0.clone())
        };
        HostConfig {
            name: draft.name.clone(),
            url: draft.url.trim_end_matches('/').to_string(),
            auth: HostAuth::Token {
                id: draft.token_id.clone(),
                secret,
            },
            fingerprint: draft.fingerprint.clone(),
            insecure: false,
        }
        .validated()
        .map_err(|e| e.to_string())
    }

    pub(super) async fn add_host(&mut self, draft: HostDraft, original: Option<String>) {
        let Some(store) = self.store.clone() else {
            self.toast("hosts cannot be saved: the store is not open", true)
                .await;
            return;
        };
        let existing = original
            .as_deref()
            .and_then(|o| store.hosts().get(o).ok().flatten());
        let cfg = match Self::draft_to_config(&draft, existing.as_ref()) {
            Ok(cfg) => cfg,
            Err(e) => return self.toast(e, true).await,
        };
        if cfg.fingerprint.is_none() && cfg.url.starts_with("https://") {
            match crate::pve::tls::fetch_fingerprint(&cfg.url).await {
                Ok(fp) => {
                    let _ = self
                        .inbox
                        .send(AppEvent::FingerprintPrompt {
                            host: cfg.name.clone(),
                            url: cfg.url.clone(),
                            fingerprint: fp,
                        })
                        .await;
                    self.pending_hosts.insert(cfg.name.clone(), (cfg, original));
                }
                Err(e) => self.toast(format!("{}: {e}", cfg.url), true).await,
            }
            return;
        }
        self.save_host(cfg, original).await;
    }

    pub(super) async fn trust(&mut self, host: String, fingerprint: String, accept: bool) {
        let Some((mut cfg, original_name)) = self.pending_hosts.remove(&host) else {
            return;
        };
        if !accept {
            self.toast(format!("{host}: not saved, fingerprint not trusted"), true)
                .await;
            return;
        }
        cfg.fingerprint = Some(fingerprint);
        self.save_host(cfg, original_name).await;
    }

    async fn save_host(&mut self, cfg: HostConfig, original: Option<String>) {
        let Some(store) = self.store.clone() else {
            return;
        };
        let result = match &original {
            Some(o) if *o != cfg.name => store
                .hosts()
                .remove(o)
                .and_then(|_| store.hosts().add(cfg.clone())),
            Some(_) => store.hosts().update(cfg.clone()),
            None => store.hosts().add(cfg.clone()),
        };
        match result {
            Ok(saved) => {
                if let Some(o) = &original {
                    if let Some(old) = self.links.remove(o) {
                        old.stop.notify_one();
                    }
                }
                if let Some(spec) = connection::from_host(&saved) {
                    match connect_host(&spec, &self.inbox, Some(store.clone())) {
                        Ok(link) => {
                            self.links.insert(saved.name.clone(), link);
                        }
                        Err(e) => self.toast(format!("{}: {e}", saved.name), true).await,
                    }
                }
                self.send_hosts().await;
                self.toast(format!("host {} saved", saved.name), false)
                    .await;
            }
            Err(e) => self.toast(e.to_string(), true).await,
        }
    }

    pub(super) async fn remove_host(&mut self, name: &str) {
        if let Some(link) = self.links.remove(name) {
            link.stop.notify_one();
        }
        if let Some(store) = &self.store {
            if let Err(e) = store.hosts().remove(name) {
                self.toast(e.to_string(), true).await;
            }
        }
        self.send_hosts().await;
    }

    pub(super) async fn send_hosts(&self) {
        let mut entries: Vec<HostEntry> = self
            .store
            .as_ref()
            .and_then(|s| s.hosts().list().ok())
            .unwrap_or_default()
            .iter()
            .map(host_entry)
            .collect();
        for name in self.links.keys() {
            if !entries.iter().any(|e| &e.name == name) {
                entries.push(HostEntry {
                    name: name.clone(),
                    url: String::new(),
                    token_id: String::new(),
                    fingerprint: None,
                });
            }
        }
        let _ = self.inbox.send(AppEvent::HostsConfigured(entries)).await;
    }

    pub(super) fn test_host(&self, draft: HostDraft) {
        let inbox = self.inbox.clone();
        let existing = self
            .store
            .as_ref()
            .and_then(|s| s.hosts().get(&draft.name).ok().flatten());
        tokio::spawn(async move {
            let result = async {
                let cfg = Self::draft_to_config(&draft, existing.as_ref())?;
                let mut spec = connection::from_host(&cfg).ok_or("no credentials")?;
                if spec.fingerprint.is_none() && spec.url.starts_with("https://") {
                    // A test must not pin anything: look at the certificate, trust it for
                    // this one call only.
                    spec.fingerprint = Some(
                        crate::pve::tls::fetch_fingerprint(&spec.url)
                            .await
                            .map_err(|e| e.to_string())?,
                    );
                }
                let client = connection::client_for(&spec).map_err(|e| e.to_string())?;
                let v = client.version().await.map_err(|e| e.to_string())?;
                Ok::<String, String>(format!("Proxmox VE {}", v.version))
            }
            .await;
            let _ = inbox
                .send(AppEvent::HostTestResult {
                    name: draft.name.clone(),
                    result,
                })
                .await;
        });
    }
}
