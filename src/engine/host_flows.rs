//! The engine's host flows: the hosts list, add or edit from a form (with trust on first use
//! of a self-signed certificate, the probe running as a job), remove, and test. The steps
//! themselves are in `hosts`, shared with the CLI's `hosts add`.

use super::connection;
use super::events::{EngineEvent, HostEntry};
use super::hosts::{self, HostDraft, HostError};
use super::jobs::{JobKind, JobTarget};
use super::service::{Engine, lock};
use crate::store::HostConfig;

impl Engine {
    /// The configured hosts, then connected ones that are not configured (the environment's,
    /// the demo's).
    pub fn host_entries(&self) -> Vec<HostEntry> {
        let mut entries: Vec<HostEntry> = self
            .store()
            .and_then(|s| s.hosts().list().ok())
            .unwrap_or_default()
            .iter()
            .map(hosts::entry)
            .collect();
        for name in self.connected() {
            if !entries.iter().any(|e| e.name == name) {
                let url = self
                    .link(&name)
                    .map(|l| l.client.origin().to_string())
                    .unwrap_or_default();
                entries.push(HostEntry {
                    name,
                    url,
                    token_id: String::new(),
                    fingerprint: None,
                });
            }
        }
        entries
    }

    pub fn publish_hosts(&self) {
        self.publish(EngineEvent::Hosts(self.host_entries()));
    }

    /// Add a host (or replace `original`) from a form: when its certificate is not pinned
    /// yet, a probe job looks at it and the user is asked to trust it
    /// (`FingerprintPrompt`, answered by `trust_fingerprint`).
    pub fn add_host(&self, draft: HostDraft, original: Option<String>) {
        let Some(store) = self.store().cloned() else {
            return self.notice(HostError::NoStore.to_string(), true);
        };
        let existing = original
            .as_deref()
            .and_then(|o| store.hosts().get(o).ok().flatten());
        let cfg = match hosts::draft_to_config(&draft, existing.as_ref()) {
            Ok(cfg) => cfg,
            Err(e) => return self.notice(e.to_string(), true),
        };
        if !hosts::needs_fingerprint(&cfg) {
            return self.save_host(cfg, original);
        }
        let ctx = self.begin(
            JobKind::HostProbe,
            JobTarget {
                host: cfg.name.clone(),
                ..JobTarget::default()
            },
        );
        let engine = self.clone();
        tokio::spawn(async move {
            ctx.step(format!("certificate of {}", cfg.url), None);
            let probed = tokio::select! {
                r = hosts::probe_certificate(&cfg.url) => r,
                _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
            };
            match probed {
                Ok(fingerprint) => {
                    engine.publish(EngineEvent::FingerprintPrompt {
                        host: cfg.name.clone(),
                        url: cfg.url.clone(),
                        fingerprint,
                    });
                    lock(&engine.inner.pending_hosts).insert(cfg.name.clone(), (cfg, original));
                    ctx.succeed();
                }
                Err(e) => {
                    engine.notice(e.to_string(), true);
                    ctx.fail(e.to_string());
                }
            }
        });
    }

    /// The user's answer to a `FingerprintPrompt`.
    pub fn trust_fingerprint(&self, host: &str, fingerprint: String, accept: bool) {
        let Some((mut cfg, original)) = lock(&self.inner.pending_hosts).remove(host) else {
            return;
        };
        if !accept {
            return self.notice(format!("{host}: not saved, fingerprint not trusted"), true);
        }
        cfg.fingerprint = Some(fingerprint);
        self.save_host(cfg, original);
    }

    /// Prove the host answers with these credentials (as the CLI's `hosts add` does), then
    /// save it and connect; as a job, so a slow server holds up nothing.
    fn save_host(&self, cfg: HostConfig, original: Option<String>) {
        let Some(store) = self.store().cloned() else {
            return self.notice(HostError::NoStore.to_string(), true);
        };
        let ctx = self.begin(
            JobKind::HostSave,
            JobTarget {
                host: cfg.name.clone(),
                ..JobTarget::default()
            },
        );
        let engine = self.clone();
        tokio::spawn(async move {
            if let Some(spec) = connection::from_host(&cfg) {
                ctx.step(format!("log in to {}", cfg.url), None);
                let proved = tokio::select! {
                    r = hosts::prove(&spec) => r,
                    _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
                };
                if let Err(e) = proved {
                    engine.notice(format!("host {} not saved: {e}", cfg.name), true);
                    return ctx.fail(e.to_string());
                }
            }
            match hosts::save(&store, cfg, original.as_deref()) {
                Ok(saved) => {
                    if let Some(o) = &original {
                        engine.disconnect(o);
                    }
                    if let Some(spec) = connection::from_host(&saved)
                        && let Err(e) = engine.connect(&spec)
                    {
                        engine.notice(format!("{}: {e}", saved.name), true);
                    }
                    engine.publish_hosts();
                    engine.notice(format!("host {} saved", saved.name), false);
                    ctx.succeed();
                }
                Err(e) => {
                    engine.notice(e.to_string(), true);
                    ctx.fail(e.to_string());
                }
            }
        });
    }

    pub fn remove_host(&self, name: &str) {
        self.disconnect(name);
        if let Some(store) = self.store() {
            if let Err(e) = store.hosts().remove(name) {
                self.notice(e.to_string(), true);
            }
        }
        self.publish_hosts();
    }

    /// Log in with a draft and report the version (`HostTestResult`), as a job. An https
    /// draft with no pinned fingerprint is refused: nothing is sent to a certificate the
    /// user has not trusted (save it to go through the trust prompt).
    pub fn test_host(&self, draft: HostDraft) {
        let existing = self
            .store()
            .and_then(|s| s.hosts().get(&draft.name).ok().flatten());
        let ctx = self.begin(
            JobKind::HostTest,
            JobTarget {
                host: draft.name.clone(),
                ..JobTarget::default()
            },
        );
        let engine = self.clone();
        tokio::spawn(async move {
            let result = async {
                let cfg = hosts::draft_to_config(&draft, existing.as_ref())?;
                if hosts::needs_fingerprint(&cfg) {
                    let fp = hosts::probe_certificate(&cfg.url).await?;
                    return Err(HostError::Connect(format!(
                        "certificate not pinned: the server presents {fp}; save the host to trust it"
                    )));
                }
                let spec = connection::from_host(&cfg)
                    .ok_or_else(|| HostError::Connect("no credentials".into()))?;
                hosts::prove(&spec).await
            };
            let result = tokio::select! {
                r = result => r.map_err(|e| e.to_string()),
                _ = ctx.cancel_token().cancelled() => return ctx.cancelled(),
            };
            match &result {
                Ok(_) => ctx.succeed(),
                Err(e) => ctx.fail(e.clone()),
            }
            engine.publish(EngineEvent::HostTestResult {
                name: draft.name.clone(),
                result,
            });
        });
    }
}
