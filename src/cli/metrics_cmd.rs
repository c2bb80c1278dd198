//! `proximity metrics TARGET [--json] [--timeframe hour|day|week|month]`: a guest's or a
//! node's metrics from Proxmox's RRD, as a table of latest / avg / min / max per series, or
//! the points as JSON (gaps are `null`). TARGET is a guest as for `start` (vmid, name,
//! `HOST:VMID`, `HOST:NAME`) or a node: `node:NAME`, or `HOST:node:NAME` when two hosts have a
//! node of that name.

use std::process::ExitCode;

use super::CliError;
use super::commands::print_out;
use super::fleet::{FleetScope, fleet_for_target};
use super::output::render_table;
use crate::engine::fleet::{self, FleetHost, HOST_DEADLINE};
use crate::engine::metrics::{MetricsReport, MetricsTarget};
use crate::engine::metrics_series::{format_opt, parse_timeframe, span_label};
use crate::engine::{HostDown, TargetError};
use crate::text::clean_string;

#[derive(Debug, clap::Args)]
pub struct MetricsArgs {
    /// A guest (vmid, name, HOST:VMID, HOST:NAME) or a node (node:NAME, HOST:node:NAME).
    pub target: String,
    /// Machine-readable output: every series with its points (documented in the README).
    #[arg(long)]
    pub json: bool,
    /// hour, day, week or month.
    #[arg(long, default_value = "hour", value_name = "T")]
    pub timeframe: String,
}

/// A node TARGET: `node:NAME` -> (None, NAME), `HOST:node:NAME` -> (Some(HOST), NAME).
pub fn node_target(target: &str) -> Option<(Option<&str>, &str)> {
    let target = target.trim();
    if let Some(name) = target.strip_prefix("node:") {
        return Some((None, name.trim()));
    }
    let (host, rest) = target.split_once(':')?;
    let name = rest.trim().strip_prefix("node:")?;
    Some((Some(host.trim()), name.trim()))
}

pub async fn run(scope: &FleetScope<'_>, args: &MetricsArgs) -> Result<ExitCode, CliError> {
    let timeframe = parse_timeframe(&args.timeframe).map_err(CliError::new)?;
    let (target, name, host) = match node_target(&args.target) {
        Some((host, node)) => resolve_node(scope, host, node).await?,
        None => {
            let (hosts, failures) = fleet_for_target(scope, &args.target).await?;
            let (guest, host) = fleet::find_guest(&hosts, &failures, &args.target, HOST_DEADLINE)
                .await
                .map_err(CliError::new)?;
            let target = MetricsTarget::Guest {
                host: guest.guest.host.clone(),
                node: guest.guest.node.clone(),
                vmid: guest.guest.vmid,
                kind: guest.guest.kind,
            };
            (target, guest.name, host.clone())
        }
    };
    // The same engine operation the TUI's metrics screen uses.
    let engine = super::jobs::engine(scope.paths);
    engine.attach(&host.name, host.client.clone());
    let report = engine
        .metrics(&target, timeframe)
        .await
        .map_err(|e| CliError::new(format!("metrics of {}: {e}", target.title())))?;
    let out = JsonReport {
        name: clean_string(&name),
        report: &report,
    };
    print_out(args.json, &out, || table(&report, &name))
}

#[derive(serde::Serialize)]
struct JsonReport<'a> {
    /// The guest's name (empty for a node).
    name: String,
    #[serde(flatten)]
    report: &'a MetricsReport,
}

/// The node `name` on the hosts in scope (`host` narrows): exactly one must have it.
async fn resolve_node(
    scope: &FleetScope<'_>,
    host: Option<&str>,
    name: &str,
) -> Result<(MetricsTarget, String, FleetHost), CliError> {
    if name.is_empty() {
        return Err(CliError::new(
            "node name is empty: give node:NAME or HOST:node:NAME",
        ));
    }
    let probe = match host {
        Some(h) => format!("{h}:0"),
        None => "0".into(),
    };
    let (hosts, failures) = fleet_for_target(scope, &probe).await?;
    let answers = fleet::resources(&hosts, HOST_DEADLINE).await;
    let mut found: Vec<&FleetHost> = Vec::new();
    let mut unreachable: Vec<HostDown> = failures;
    for (h, answer) in hosts.iter().zip(&answers) {
        match &answer.result {
            Ok(list) => {
                if list
                    .iter()
                    .any(|r| r.kind == "node" && r.node.as_deref() == Some(name))
                {
                    found.push(h);
                }
            }
            Err(e) => unreachable.push(HostDown {
                host: answer.host.clone(),
                reason: e.to_string(),
            }),
        }
    }
    let shown = clean_string(name);
    match found.as_slice() {
        [one] if unreachable.is_empty() || host.is_some() => Ok((
            MetricsTarget::Node {
                host: one.name.clone(),
                node: name.to_string(),
            },
            String::new(),
            (*one).clone(),
        )),
        [] if !unreachable.is_empty() => Err(CliError::new(TargetError::NotFoundUnchecked {
            target: format!("node:{shown}"),
            unreachable: crate::engine::target::Failures(unreachable),
        })),
        [] => Err(CliError::new(format!("no node named '{shown}'"))),
        [_] => Err(CliError::new(format!(
            "node '{shown}' found, but {} could not be asked and may have one too; use HOST:node:{shown}",
            crate::engine::target::Failures(unreachable)
        ))),
        many => {
            let names: Vec<&str> = many.iter().map(|h| h.name.as_str()).collect();
            Err(CliError::new(format!(
                "node '{shown}' is on {} hosts: {}; use HOST:node:{shown}",
                many.len(),
                names.join(", ")
            )))
        }
    }
}

fn table(report: &MetricsReport, name: &str) -> String {
    let who = if name.is_empty() {
        report.target.title()
    } else {
        format!("{} ({})", report.target.title(), clean_string(name))
    };
    let points = report.series.first().map_or(0, |s| s.points.len());
    let mut out = format!(
        "{who}: {}, {points} points of {} s (UTC)\n",
        span_label(report.timeframe),
        report.step_s
    );
    let rows: Vec<Vec<String>> = report
        .series
        .iter()
        .map(|s| {
            let st = s.stats();
            let f = |v| format_opt(s.unit, v);
            vec![
                s.id.to_string(),
                s.label.to_string(),
                f(st.latest),
                f(st.avg),
                f(st.min),
                f(st.max),
                s.capacity.map_or_else(|| "-".into(), |c| f(Some(c))),
                format!("{}/{}", st.known, s.points.len()),
            ]
        })
        .collect();
    out.push_str(&render_table(
        &[
            "SERIES", "WHAT", "LATEST", "AVG", "MIN", "MAX", "OF", "KNOWN",
        ],
        &rows,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::node_target;

    #[test]
    fn node_targets_are_told_from_guests() {
        assert_eq!(node_target("node:pve1"), Some((None, "pve1")));
        assert_eq!(node_target("lab:node:pve1"), Some((Some("lab"), "pve1")));
        assert_eq!(node_target("lab:101"), None);
        assert_eq!(node_target("web"), None);
        assert_eq!(node_target("node:"), Some((None, "")));
    }
}
