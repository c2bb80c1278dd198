//! Sending notifications (what they say is `crate::alerts::notify`). Every send is its own
//! task with a timeout per attempt and a bounded number of retries (1 s, 2 s, 4 s... apart):
//! a webhook that hangs or fails delays nothing else, and is only logged. URLs and tokens are
//! never logged (a webhook URL often carries its key): messages name the target's kind only.

use std::time::Duration;

use crate::alerts::Alert;
use crate::alerts::notify::{NotifyEvent, ntfy_message, test_alert, webhook_body};
use crate::store::Secret;
use crate::store::alerts::NotifySettings;

use super::alerts::{AlertOptions, now_ms};
use super::service::Engine;

/// The client notifications go out with: no redirects (a redirect would resend the body
/// elsewhere), a timeout per attempt.
pub(super) fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| {
            tracing::warn!("notification client: {e}; using the defaults");
            reqwest::Client::new()
        })
}

/// One prepared request, rebuilt for each attempt.
#[derive(Clone)]
enum Outgoing {
    Webhook {
        url: Secret,
        body: serde_json::Value,
    },
    Ntfy {
        url: Secret,
        token: Option<Secret>,
        title: String,
        priority: &'static str,
        tags: &'static str,
        body: String,
    },
}

impl Outgoing {
    fn what(&self) -> &'static str {
        match self {
            Outgoing::Webhook { .. } => "webhook",
            Outgoing::Ntfy { .. } => "ntfy",
        }
    }

    fn request(&self, http: &reqwest::Client) -> reqwest::RequestBuilder {
        match self {
            Outgoing::Webhook { url, body } => http.post(url.expose()).json(body),
            Outgoing::Ntfy {
                url,
                token,
                title,
                priority,
                tags,
                body,
            } => {
                let mut req = http
                    .post(url.expose())
                    .header("Title", title.as_str())
                    .header("Priority", *priority)
                    .header("Tags", *tags)
                    .body(body.clone());
                if let Some(t) = token {
                    req = req.bearer_auth(t.expose());
                }
                req
            }
        }
    }
}

/// The requests for `alert`, one per configured target.
fn outgoing(settings: &NotifySettings, event: NotifyEvent, alert: &Alert) -> Vec<Outgoing> {
    let mut out = Vec::new();
    if let Some(url) = &settings.webhook_url {
        out.push(Outgoing::Webhook {
            url: url.clone(),
            body: webhook_body(event, alert),
        });
    }
    if let Some(n) = &settings.ntfy {
        let (title, priority, tags, body) = ntfy_message(event, alert);
        let url = format!("{}/{}", n.server.trim_end_matches('/'), n.topic.expose());
        out.push(Outgoing::Ntfy {
            url: Secret::new(url),
            token: n.token.clone(),
            title,
            priority,
            tags,
            body,
        });
    }
    out
}

/// Try `req` up to `1 + retries` times; the last error if none succeeded.
async fn deliver(http: &reqwest::Client, req: &Outgoing, retries: u32) -> Result<(), String> {
    let mut last = String::new();
    for attempt in 0..=retries {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1 << (attempt - 1).min(5))).await;
        }
        match req.request(http).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => last = format!("answered {}", r.status()),
            // `without_url`: the URL may carry a key.
            Err(e) => last = e.without_url().to_string(),
        }
        tracing::debug!(
            "{} notification, attempt {}: {last}",
            req.what(),
            attempt + 1
        );
    }
    Err(last)
}

/// Notify every target of `alert`, in the background.
pub(super) fn send(
    settings: &NotifySettings,
    http: &reqwest::Client,
    options: &AlertOptions,
    event: NotifyEvent,
    alert: &Alert,
) {
    for req in outgoing(settings, event, alert) {
        let (http, retries) = (http.clone(), options.notify_retries);
        let label = format!("{} {}", alert.rule.name(), alert.target);
        tokio::spawn(async move {
            if let Err(e) = deliver(&http, &req, retries).await {
                tracing::warn!(
                    "{} notification for {label} failed after {} attempts: {e}",
                    req.what(),
                    retries + 1
                );
            }
        });
    }
}

/// The settings screen's and the CLI's "test": one notification to every target, each
/// result published as a notice.
pub(super) fn send_test(engine: Engine, options: AlertOptions) {
    let alert = test_alert(now_ms());
    let targets = outgoing(&engine.notify_settings(), NotifyEvent::Test, &alert);
    if targets.is_empty() {
        engine.notice(
            "no notification target set: `proximity alerts notify` sets a webhook or ntfy",
            true,
        );
        return;
    }
    let http = http_client(options.notify_timeout);
    let retries = options.notify_retries;
    for req in targets {
        let (engine, http) = (engine.clone(), http.clone());
        tokio::spawn(async move {
            match deliver(&http, &req, retries).await {
                Ok(()) => engine.notice(format!("test notification sent ({})", req.what()), false),
                Err(e) => engine.notice(format!("test notification ({}): {e}", req.what()), true),
            }
        });
    }
}
