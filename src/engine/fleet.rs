//! Every configured host at once: one request per host, all in flight together, each bounded
//! by its own deadline so a dead host never delays the others beyond it. Results come back
//! per host, in the order the hosts were given; resolving a TARGET across hosts refuses
//! anything it cannot prove unique (two matches, or a host that did not answer).

use std::future::Future;
use std::time::Duration;

use crate::pve::types::ClusterResource;
use crate::pve::{PveClient, PveError, TaskListEntry, TaskStatus, Upid};

use super::target::{
    Candidates, Failures, HostDown, ResolvedGuest, TargetError, guests_of, matching, parse_target,
    pick_one,
};

/// How long one host may take to answer one fleet call (retries included) before it is
/// reported unreachable. The client's own request timeout (30 s) times its GET retries
/// would otherwise hold a whole `proximity ls` on one black-holed host for minutes.
pub const HOST_DEADLINE: Duration = Duration::from_secs(15);

/// A connected host of the fleet.
#[derive(Debug, Clone)]
pub struct FleetHost {
    /// The configured host's name (`env` for a `PROXIMITY_URL` connection).
    pub name: String,
    pub client: PveClient,
}

/// Why one host gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("{0}")]
    Pve(#[from] PveError),
    #[error("no answer within {0} s")]
    Timeout(u64),
    /// The caller could not even connect (login refused, bad TLS pin...).
    #[error("{0}")]
    Connect(String),
}

/// One host's answer to a fleet call.
#[derive(Debug)]
pub struct HostResult<T> {
    pub host: String,
    pub result: Result<T, FleetError>,
}

impl<T> HostResult<T> {
    /// The failure as a `HostDown` (reason is server text: sanitize before printing).
    pub fn failure(&self) -> Option<HostDown> {
        self.result.as_ref().err().map(|e| HostDown {
            host: self.host.clone(),
            reason: e.to_string(),
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TaskLookupError {
    #[error("no configured host knows task {upid} (node {node}){}", unasked_suffix(.unreachable))]
    Unknown {
        upid: String,
        node: String,
        unreachable: Failures,
    },
}

fn unasked_suffix(unreachable: &Failures) -> String {
    if unreachable.0.is_empty() {
        String::new()
    } else {
        format!("; could not ask {unreachable}")
    }
}

/// Run `call` against every host concurrently, each under `deadline`.
pub async fn on_every_host<T, F, Fut>(
    hosts: &[FleetHost],
    deadline: Duration,
    call: F,
) -> Vec<HostResult<T>>
where
    F: Fn(PveClient) -> Fut,
    Fut: Future<Output = Result<T, PveError>>,
{
    let calls = hosts.iter().map(|h| {
        let answer = call(h.client.clone());
        let host = h.name.clone();
        async move {
            let result = match tokio::time::timeout(deadline, answer).await {
                Ok(r) => r.map_err(FleetError::from),
                Err(_) => Err(FleetError::Timeout(deadline.as_secs())),
            };
            HostResult { host, result }
        }
    });
    futures_util::future::join_all(calls).await
}

/// `/cluster/resources` of every host: one request per host.
pub async fn resources(
    hosts: &[FleetHost],
    deadline: Duration,
) -> Vec<HostResult<Vec<ClusterResource>>> {
    on_every_host(hosts, deadline, |client| async move {
        client.cluster_resources(None).await
    })
    .await
}

/// `/cluster/tasks` of every host: one request per host.
pub async fn tasks(hosts: &[FleetHost], deadline: Duration) -> Vec<HostResult<Vec<TaskListEntry>>> {
    on_every_host(hosts, deadline, |client| async move {
        client.cluster_tasks().await
    })
    .await
}

/// Resolve a TARGET over every host's inventory (failed hosts included, as `Err`).
/// `HOST:X` looks on that host only. Otherwise every answer is searched, and the result
/// must be unique: two matches are refused listing them, and a single match while some host
/// did not answer is refused too (that host may hold another), as is "not found" then.
pub fn resolve(
    target: &str,
    inventories: &[HostResult<Vec<ClusterResource>>],
) -> Result<ResolvedGuest, TargetError> {
    let spec = parse_target(target)?;
    if let Some(host) = &spec.host {
        let inventory = inventories
            .iter()
            .find(|h| &h.host == host)
            .ok_or_else(|| TargetError::NoHost(host.clone()))?;
        let resources = inventory
            .result
            .as_ref()
            .map_err(|e| TargetError::HostUnreachable {
                host: host.clone(),
                reason: e.to_string(),
            })?;
        let guests: Vec<ResolvedGuest> = guests_of(host, resources).collect();
        return pick_one(target, &spec, matching(&spec.selector, &guests));
    }
    let mut guests = Vec::new();
    for inventory in inventories {
        if let Ok(resources) = &inventory.result {
            guests.extend(guests_of(&inventory.host, resources));
        }
    }
    let failures: Vec<HostDown> = inventories.iter().filter_map(HostResult::failure).collect();
    let found = matching(&spec.selector, &guests);
    if failures.is_empty() || found.len() > 1 {
        return pick_one(target, &spec, found);
    }
    let target = target.trim().to_string();
    let unreachable = Failures(failures);
    match found.first() {
        None => Err(TargetError::NotFoundUnchecked {
            target,
            unreachable,
        }),
        Some(one) => Err(TargetError::Unchecked {
            target,
            found: Candidates(vec![(*one).clone()]),
            unreachable,
        }),
    }
}

/// Fetch what a TARGET needs (only the named host for `HOST:X`) and resolve it. Hosts the
/// caller could not connect are passed in `not_connected` so they count as unasked.
/// Returns the guest and the host to act on.
pub async fn find_guest<'h>(
    hosts: &'h [FleetHost],
    not_connected: &[HostDown],
    target: &str,
    deadline: Duration,
) -> Result<(ResolvedGuest, &'h FleetHost), TargetError> {
    let spec = parse_target(target)?;
    let asked: Vec<FleetHost> = hosts
        .iter()
        .filter(|h| spec.host.as_ref().is_none_or(|want| &h.name == want))
        .cloned()
        .collect();
    let mut inventories = resources(&asked, deadline).await;
    inventories.extend(
        not_connected
            .iter()
            .filter(|f| spec.host.as_ref().is_none_or(|want| &f.host == want))
            .map(|f| HostResult {
                host: f.host.clone(),
                result: Err(FleetError::Connect(f.reason.clone())),
            }),
    );
    let guest = resolve(target, &inventories)?;
    let host = hosts
        .iter()
        .find(|h| h.name == guest.guest.host)
        .ok_or_else(|| TargetError::NoHost(guest.guest.host.clone()))?;
    Ok((guest, host))
}

/// The host that knows a task: each host is asked for the task's status (the UPID names
/// its node, but node names repeat across clusters), concurrently; the first host in the
/// given order that answers wins.
pub async fn host_for_upid<'h>(
    hosts: &'h [FleetHost],
    not_connected: &[HostDown],
    upid: &Upid,
    deadline: Duration,
) -> Result<(&'h FleetHost, TaskStatus), TaskLookupError> {
    let answers = on_every_host(hosts, deadline, |client| {
        let upid = upid.clone();
        async move { client.task_status(&upid).await }
    })
    .await;
    let mut unreachable: Vec<HostDown> = not_connected.to_vec();
    for (host, answer) in hosts.iter().zip(answers) {
        match answer.result {
            Ok(status) => return Ok((host, status)),
            // A host that answered "no such task" (400) or "no such node" knows nothing of
            // it; only hosts that gave no answer at all are worth naming.
            Err(FleetError::Pve(e)) if e.status().is_some() => {}
            Err(e) => unreachable.push(HostDown {
                host: answer.host,
                reason: e.to_string(),
            }),
        }
    }
    Err(TaskLookupError::Unknown {
        upid: upid.to_string(),
        node: upid.node().to_string(),
        unreachable: Failures(unreachable),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::GuestKind;

    fn guest(vmid: u32, name: &str) -> ClusterResource {
        ClusterResource {
            id: format!("lxc/{vmid}").into(),
            kind: "lxc".into(),
            node: Some("pve1".into()),
            vmid: Some(vmid),
            name: Some(name.into()),
            status: Some("stopped".into()),
            ..Default::default()
        }
    }

    fn ok(host: &str, rs: Vec<ClusterResource>) -> HostResult<Vec<ClusterResource>> {
        HostResult {
            host: host.into(),
            result: Ok(rs),
        }
    }

    fn dead(host: &str) -> HostResult<Vec<ClusterResource>> {
        HostResult {
            host: host.into(),
            result: Err(FleetError::Connect("connection refused".into())),
        }
    }

    fn two_hosts() -> Vec<HostResult<Vec<ClusterResource>>> {
        vec![
            ok("lab", vec![guest(100, "web"), guest(101, "db")]),
            ok("prod", vec![guest(100, "web"), guest(200, "mail")]),
        ]
    }

    #[test]
    fn unique_targets_resolve_across_hosts() {
        let inv = two_hosts();
        let mail = resolve("mail", &inv).unwrap();
        assert_eq!(
            (mail.guest.host.as_str(), mail.guest.vmid, mail.guest.kind),
            ("prod", 200, GuestKind::Container)
        );
        assert_eq!(resolve("101", &inv).unwrap().guest.host, "lab");
        assert_eq!(resolve("MAIL", &inv).unwrap().guest.vmid, 200);
    }

    #[test]
    fn a_target_on_two_hosts_is_refused_listing_both() {
        let inv = two_hosts();
        let err = resolve("web", &inv).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'web' matches 2 guests: lab:100 (web), prod:100 (web); use HOST:VMID"
        );
        assert!(matches!(
            resolve("100", &inv),
            Err(TargetError::Ambiguous { .. })
        ));
    }

    #[test]
    fn host_qualified_targets_pick_one() {
        let inv = two_hosts();
        let web = resolve("prod:100", &inv).unwrap();
        assert_eq!(
            (web.guest.host.as_str(), web.name.as_str()),
            ("prod", "web")
        );
        assert_eq!(resolve("lab:web", &inv).unwrap().guest.host, "lab");
        assert_eq!(
            resolve("lab:mail", &inv),
            Err(TargetError::NotOnHost {
                host: "lab".into(),
                target: "mail".into()
            })
        );
        assert_eq!(
            resolve("nope:100", &inv),
            Err(TargetError::NoHost("nope".into()))
        );
    }

    #[test]
    fn an_exact_name_on_one_host_beats_a_case_match_on_another() {
        let inv = vec![
            ok("lab", vec![guest(100, "Web")]),
            ok("prod", vec![guest(300, "web")]),
        ];
        assert_eq!(resolve("web", &inv).unwrap().guest.host, "prod");
    }

    #[test]
    fn a_dead_host_makes_a_bare_target_unprovable() {
        let inv = vec![ok("lab", vec![guest(100, "web")]), dead("prod")];
        assert_eq!(
            resolve("web", &inv).unwrap_err().to_string(),
            "'web' is lab:100 (web), but prod (connection refused) could not be asked and may hold another; use HOST:VMID"
        );
        assert_eq!(
            resolve("nope", &inv).unwrap_err().to_string(),
            "no guest 'nope' on the hosts that answered; could not ask prod (connection refused)"
        );
        // Naming the host that answered works; naming the dead one says why it cannot.
        assert_eq!(resolve("lab:web", &inv).unwrap().guest.vmid, 100);
        assert_eq!(
            resolve("prod:100", &inv).unwrap_err().to_string(),
            "host prod: connection refused"
        );
        // Two matches among the answers are ambiguous whatever the dead host holds.
        let inv = vec![
            ok("lab", vec![guest(100, "web"), guest(101, "web")]),
            dead("prod"),
        ];
        assert!(matches!(
            resolve("web", &inv),
            Err(TargetError::Ambiguous { .. })
        ));
    }

    #[tokio::test]
    async fn a_silent_host_costs_its_deadline_and_never_holds_the_others() {
        // A listener that accepts TCP but never answers TLS or HTTP: the black hole.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_origin = format!("https://{}", silent.local_addr().unwrap());
        let client = |url: &str| {
            PveClient::new(crate::pve::EndpointConfig::new(
                url,
                crate::pve::Auth::Token {
                    token_id: "root@pam!t".into(),
                    secret: "s".into(),
                },
            ))
            .unwrap()
        };
        let hosts = vec![
            FleetHost {
                name: "silent".into(),
                client: client(&silent_origin),
            },
            FleetHost {
                name: "quick".into(),
                client: client("https://127.0.0.1:9"),
            },
        ];
        let started = std::time::Instant::now();
        let answers = on_every_host(&hosts, Duration::from_millis(300), |c| {
            let silent_origin = silent_origin.clone();
            async move {
                if c.origin() == silent_origin {
                    c.version().await.map(|_| "silent")
                } else {
                    // The quick host answers at once (no network needed to prove ordering).
                    Ok("quick")
                }
            }
        })
        .await;
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
        assert_eq!(answers[0].host, "silent");
        assert!(
            matches!(answers[0].result, Err(FleetError::Timeout(_))),
            "{:?}",
            answers[0].result
        );
        assert_eq!(answers[1].host, "quick");
        assert!(matches!(answers[1].result, Ok("quick")));
        drop(silent);
    }
}
