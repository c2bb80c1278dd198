//! What notifications say, pure (the engine sends them: `engine::alerts_notify`).
//!
//! Webhook: one JSON POST per event, `Content-Type: application/json`:
//!
//! ```json
//! {"source":"proximity","event":"raised","rule":"cpu","severity":"warning",
//!  "host":"lab","node":"pve1","vmid":101,"target":"lab:101","name":"web",
//!  "message":"CPU 97% > 90% for 5m","value":0.97,
//!  "since":1796000000,"fired":1796000300,"cleared":null}
//! ```
//!
//! `event` is `raised`, `cleared` or `test`; times are Unix seconds; `node`, `vmid` and
//! `value` are null when the alert has none.
//!
//! ntfy: `POST <server>/<topic>` with the message as the body and the headers `Title`,
//! `Priority` (`urgent` critical, `high` warning, `default` cleared or test) and `Tags`
//! (emoji short codes ntfy shows: `rotating_light`, `warning`, `white_check_mark`).

use serde_json::{Value, json};

use super::{Alert, Severity};

/// Why a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyEvent {
    Raised,
    Cleared,
    Test,
}

impl NotifyEvent {
    pub fn name(self) -> &'static str {
        match self {
            NotifyEvent::Raised => "raised",
            NotifyEvent::Cleared => "cleared",
            NotifyEvent::Test => "test",
        }
    }
}

/// The webhook's JSON body.
pub fn webhook_body(event: NotifyEvent, alert: &Alert) -> Value {
    let secs = |ms: u64| ms / 1000;
    json!({
        "source": "proximity",
        "event": event.name(),
        "rule": alert.rule.name(),
        "severity": alert.severity.name(),
        "host": alert.target.host,
        "node": alert.target.node,
        "vmid": alert.target.vmid,
        "target": alert.target.to_string(),
        "name": alert.name,
        "message": alert.message,
        "value": alert.value,
        "since": secs(alert.since_ms),
        "fired": secs(alert.fired_ms),
        "cleared": alert.cleared_ms.map(secs),
    })
}

/// The ntfy headers and body: (title, priority, tags, body). Header values carry no line
/// breaks or control characters (they would end the header).
pub fn ntfy_message(
    event: NotifyEvent,
    alert: &Alert,
) -> (String, &'static str, &'static str, String) {
    let one_line = |s: &str| {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
    };
    let what = match event {
        NotifyEvent::Raised => "ALERT",
        NotifyEvent::Cleared => "cleared",
        NotifyEvent::Test => "test",
    };
    let title = one_line(&format!(
        "[proximity] {what}: {} on {} ({})",
        alert.rule.label(),
        alert.target,
        alert.name
    ));
    let (priority, tags) = match (event, alert.severity) {
        (NotifyEvent::Raised, Severity::Critical) => ("urgent", "rotating_light"),
        (NotifyEvent::Raised, Severity::Warning) => ("high", "warning"),
        (NotifyEvent::Cleared, _) => ("default", "white_check_mark"),
        (NotifyEvent::Test, _) => ("default", "test_tube"),
    };
    (title, priority, tags, alert.message.clone())
}

/// The alert a "test" action sends.
pub fn test_alert(now_ms: u64) -> Alert {
    Alert {
        rule: super::Rule::Health,
        severity: Severity::Warning,
        target: super::Target::host("proximity"),
        name: "test".into(),
        message: "a test notification from Proximity: notifications work".into(),
        value: None,
        since_ms: now_ms,
        fired_ms: now_ms,
        cleared_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{Rule, Target};

    #[test]
    fn body_and_headers() {
        let a = Alert {
            rule: Rule::Cpu,
            severity: Severity::Warning,
            target: Target::guest("lab", Some("pve1"), 101),
            name: "web".into(),
            message: "CPU 97% > 90% for 5m".into(),
            value: Some(0.97),
            since_ms: 1_000_000,
            fired_ms: 1_300_000,
            cleared_ms: None,
        };
        let body = webhook_body(NotifyEvent::Raised, &a);
        assert_eq!(body["target"], "lab:101");
        assert_eq!(body["event"], "raised");
        assert_eq!(body["fired"], 1300);
        assert_eq!(body["cleared"], Value::Null);
        let (title, prio, tags, text) = ntfy_message(NotifyEvent::Raised, &a);
        assert_eq!(title, "[proximity] ALERT: CPU on lab:101 (web)");
        assert_eq!((prio, tags), ("high", "warning"));
        assert_eq!(text, "CPU 97% > 90% for 5m");
    }
}
