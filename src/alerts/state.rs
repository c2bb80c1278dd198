//! The alert state machine. Each (rule, target) is absent, pending (breached, waiting out the
//! rule's "for" duration) or firing; a firing alert that is no longer breached is resolved
//! (a `Cleared` transition) and forgotten. A pending one that stops being breached is dropped
//! silently: a CPU that flaps above 90% for less than 5 minutes at a time never fires.
//!
//! Each observation covers one scope (a host's inventory rules, its backup rules, its health
//! checks): keys in that scope that the observation does not breach are over. Keys outside
//! it keep their state, so a backup listing never clears a CPU alert, and a host that does
//! not answer keeps its guests' alerts until it answers again.

use std::collections::HashMap;

use super::rules::Breach;
use super::{Alert, AlertKey};

/// What an observation changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    Raised(Alert),
    Cleared(Alert),
}

#[derive(Debug, Clone)]
struct Track {
    firing: bool,
    alert: Alert,
}

/// Every pending and firing alert.
#[derive(Debug, Default, Clone)]
pub struct Evaluator {
    tracks: HashMap<AlertKey, Track>,
}

impl Evaluator {
    pub fn new() -> Evaluator {
        Evaluator::default()
    }

    /// Take over alerts that were firing before (the store's open history entries): they
    /// stay one alert, and clear when their scope is next observed without them.
    pub fn restore(&mut self, firing: impl IntoIterator<Item = Alert>) {
        for alert in firing {
            self.tracks.insert(
                alert.key(),
                Track {
                    firing: true,
                    alert,
                },
            );
        }
    }

    /// One observation at `now_ms`: `breaches` are the conditions true now, `in_scope` says
    /// which keys this observation decides.
    pub fn observe(
        &mut self,
        in_scope: impl Fn(&AlertKey) -> bool,
        breaches: Vec<Breach>,
        now_ms: u64,
    ) -> Vec<Transition> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::with_capacity(breaches.len());
        for b in breaches {
            let key = b.key.clone();
            let track = self.tracks.entry(key.clone()).or_insert_with(|| Track {
                firing: false,
                alert: Alert {
                    rule: b.key.rule,
                    severity: b.key.rule.severity(),
                    target: b.key.target.clone(),
                    name: String::new(),
                    message: String::new(),
                    value: None,
                    since_ms: now_ms,
                    fired_ms: 0,
                    cleared_ms: None,
                },
            });
            track.alert.name = b.name;
            track.alert.message = b.message;
            track.alert.value = b.value;
            if !track.firing && now_ms.saturating_sub(track.alert.since_ms) >= b.for_ms {
                track.firing = true;
                track.alert.fired_ms = now_ms;
                out.push(Transition::Raised(track.alert.clone()));
            }
            seen.insert(key);
        }
        let over: Vec<AlertKey> = self
            .tracks
            .keys()
            .filter(|k| in_scope(k) && !seen.contains(*k))
            .cloned()
            .collect();
        for key in over {
            if let Some(track) = self.tracks.remove(&key)
                && track.firing
            {
                let mut alert = track.alert;
                alert.cleared_ms = Some(now_ms);
                out.push(Transition::Cleared(alert));
            }
        }
        out
    }

    /// The firing alerts, most severe first, then oldest first.
    pub fn firing(&self) -> Vec<Alert> {
        let mut list: Vec<Alert> = self
            .tracks
            .values()
            .filter(|t| t.firing)
            .map(|t| t.alert.clone())
            .collect();
        sort_alerts(&mut list);
        list
    }

    /// Keys breached but still waiting out their duration.
    pub fn pending(&self) -> Vec<Alert> {
        let mut list: Vec<Alert> = self
            .tracks
            .values()
            .filter(|t| !t.firing)
            .map(|t| t.alert.clone())
            .collect();
        sort_alerts(&mut list);
        list
    }
}

/// Critical first, then the oldest, then by target (a stable order for lists and tests).
pub fn sort_alerts(list: &mut [Alert]) {
    list.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.since_ms.cmp(&b.since_ms))
            .then(a.target.cmp(&b.target))
            .then(a.rule.cmp(&b.rule))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{Rule, Target};

    const MIN: u64 = 60_000;

    fn cpu(vmid: u32, for_ms: u64) -> Breach {
        Breach {
            key: AlertKey {
                rule: Rule::Cpu,
                target: Target::guest("lab", Some("pve1"), vmid),
            },
            name: format!("ct{vmid}"),
            message: "CPU 97% > 90%".into(),
            value: Some(0.97),
            for_ms,
        }
    }

    fn host_scope(k: &AlertKey) -> bool {
        k.target.host == "lab" && k.rule == Rule::Cpu
    }

    #[test]
    fn fires_only_after_the_for_duration_then_clears_once() {
        let mut ev = Evaluator::new();
        assert!(
            ev.observe(host_scope, vec![cpu(101, 5 * MIN)], 0)
                .is_empty()
        );
        assert_eq!(ev.pending().len(), 1);
        assert!(
            ev.observe(host_scope, vec![cpu(101, 5 * MIN)], 4 * MIN)
                .is_empty()
        );
        let t = ev.observe(host_scope, vec![cpu(101, 5 * MIN)], 5 * MIN);
        assert!(
            matches!(&t[..], [Transition::Raised(a)] if a.since_ms == 0 && a.fired_ms == 5 * MIN),
            "{t:?}"
        );
        // Still breached: no second raise (dedup by rule and target).
        assert!(
            ev.observe(host_scope, vec![cpu(101, 5 * MIN)], 6 * MIN)
                .is_empty()
        );
        assert_eq!(ev.firing().len(), 1);
        let t = ev.observe(host_scope, vec![], 7 * MIN);
        assert!(
            matches!(&t[..], [Transition::Cleared(a)] if a.cleared_ms == Some(7 * MIN)),
            "{t:?}"
        );
        assert!(ev.firing().is_empty() && ev.pending().is_empty());
        assert!(ev.observe(host_scope, vec![], 8 * MIN).is_empty());
    }

    #[test]
    fn flapping_under_the_duration_never_fires() {
        let mut ev = Evaluator::new();
        for i in 0..20 {
            let breaches = if i % 2 == 0 {
                vec![cpu(101, 5 * MIN)]
            } else {
                vec![]
            };
            let t = ev.observe(host_scope, breaches, i * 2 * MIN);
            assert!(t.is_empty(), "step {i}: {t:?}");
        }
        assert!(ev.firing().is_empty());
    }

    #[test]
    fn a_new_episode_after_a_clear_raises_again_and_zero_duration_fires_at_once() {
        let mut ev = Evaluator::new();
        assert_eq!(ev.observe(host_scope, vec![cpu(101, 0)], 0).len(), 1);
        assert_eq!(ev.observe(host_scope, vec![], MIN).len(), 1);
        let t = ev.observe(host_scope, vec![cpu(101, 0)], 2 * MIN);
        assert!(matches!(&t[..], [Transition::Raised(a)] if a.since_ms == 2 * MIN));
    }

    #[test]
    fn keys_outside_the_scope_keep_their_state() {
        let mut ev = Evaluator::new();
        ev.observe(host_scope, vec![cpu(101, 0)], 0);
        let other_rule = |k: &AlertKey| k.rule == Rule::BackupFailed;
        assert!(ev.observe(other_rule, vec![], MIN).is_empty());
        let other_host = |k: &AlertKey| k.target.host == "prod";
        assert!(ev.observe(other_host, vec![], MIN).is_empty());
        assert_eq!(ev.firing().len(), 1);
    }

    #[test]
    fn restored_alerts_clear_when_their_scope_is_seen_without_them() {
        let mut ev = Evaluator::new();
        ev.observe(host_scope, vec![cpu(101, 0)], 0);
        let firing = ev.firing();
        let mut again = Evaluator::new();
        again.restore(firing);
        // Still breached: it stays the same alert, not a second raise.
        assert!(again.observe(host_scope, vec![cpu(101, 0)], MIN).is_empty());
        let t = again.observe(host_scope, vec![], 2 * MIN);
        assert!(matches!(&t[..], [Transition::Cleared(a)] if a.fired_ms == 0));
    }
}
