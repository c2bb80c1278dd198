//! Knobs for alert tests: a node that goes offline, a guest whose CPU and memory spike. Set
//! at start (`--offline-node`, `--spike`), from a test's `SimHandle`, or at run time through
//! the emulator-only control endpoint under `/_proximity-sim/` (outside `/api2/`, so it can
//! never shadow a Proxmox path), answered for loopback peers only:
//!
//! - `POST /_proximity-sim/node/NAME/offline`, `.../online`
//! - `POST /_proximity-sim/guest/VMID/spike?cpu=97&mem=97` (percent), `.../calm`

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};

use super::model::{Model, Spike};
use super::state::Sim;
use super::{SimConfig, SimError, SpikeSpec, clock};

/// Where the control endpoint lives.
pub const PREFIX: &str = "/_proximity-sim/";

/// `VMID`, `VMID:CPU` or `VMID:CPU:MEM` (percentages, default 97).
pub fn parse_spike(text: &str) -> Result<SpikeSpec, String> {
    let mut parts = text.split(':');
    let vmid = parts
        .next()
        .and_then(|v| v.parse::<u32>().ok())
        .ok_or_else(|| format!("{text:?}: expected VMID[:CPU[:MEM]], e.g. 101:97:95"))?;
    let pct = |p: Option<&str>| -> Result<f64, String> {
        match p {
            None => Ok(0.97),
            Some(s) => match s.parse::<f64>() {
                Ok(v) if (0.0..=100.0).contains(&v) => Ok(v / 100.0),
                _ => Err(format!("{text:?}: {s:?} is not a percentage 0-100")),
            },
        }
    };
    let cpu = pct(parts.next())?;
    let mem = pct(parts.next())?;
    if parts.next().is_some() {
        return Err(format!("{text:?}: expected VMID[:CPU[:MEM]]"));
    }
    Ok(SpikeSpec { vmid, cpu, mem })
}

/// Apply `--offline-node` and `--spike` to a fresh or loaded model.
pub fn apply_start_knobs(model: &mut Model, config: &SimConfig) -> Result<(), SimError> {
    for name in &config.offline_nodes {
        let node = model
            .nodes
            .iter_mut()
            .find(|n| &n.name == name)
            .ok_or_else(|| SimError::Config(format!("--offline-node {name}: no such node")))?;
        node.online = false;
    }
    let now = clock::now_epoch().saturating_sub(SPIKE_BACKDATE_S);
    for s in &config.spikes {
        let guest = model
            .guests
            .get_mut(&s.vmid)
            .ok_or_else(|| SimError::Config(format!("--spike {}: no such guest", s.vmid)))?;
        guest.spike = Some(Spike {
            cpu: s.cpu,
            mem: s.mem,
            since: now,
        });
    }
    Ok(())
}

pub fn set_node_online(sim: &Sim, name: &str, online: bool) -> bool {
    sim.change(|m| match m.nodes.iter_mut().find(|n| n.name == name) {
        Some(n) => {
            n.online = online;
            Ok(())
        }
        None => Err(()),
    })
    .is_ok()
}

/// A spike is taken to have started this long ago, so the last complete minute of `rrddata`
/// (the current bucket is never reported) already shows it.
const SPIKE_BACKDATE_S: u64 = 120;

pub fn spike(sim: &Sim, vmid: u32, load: Option<(f64, f64)>) -> bool {
    let now = clock::now_epoch().saturating_sub(SPIKE_BACKDATE_S);
    sim.change(|m| match m.guests.get_mut(&vmid) {
        Some(g) => {
            g.spike = load.map(|(cpu, mem)| Spike {
                cpu: cpu.clamp(0.0, 1.0),
                mem: mem.clamp(0.0, 1.0),
                since: now,
            });
            Ok(())
        }
        None => Err(()),
    })
    .is_ok()
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

/// One control request. Never reached by a Proxmox path (see the module header).
pub fn handle<B>(sim: &Arc<Sim>, req: &Request<B>, peer: SocketAddr) -> Response<Full<Bytes>> {
    if !peer.ip().is_loopback() {
        return reply(
            StatusCode::FORBIDDEN,
            serde_json::json!({"error": "the control endpoint answers loopback only"}),
        );
    }
    if req.method() != hyper::Method::POST {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            serde_json::json!({"error": "POST only"}),
        );
    }
    let path = req.uri().path().strip_prefix(PREFIX).unwrap_or("");
    let mut params = super::http::ParamMap::new();
    if let Some(q) = req.uri().query() {
        super::http::decode_urlencoded(q, &mut params);
    }
    let pct = |key: &str| -> Option<f64> {
        match params.get(key) {
            None => Some(0.97),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=100.0).contains(p))
                .map(|p| p / 100.0),
        }
    };
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let done = match segs.as_slice() {
        ["node", name, "offline"] => set_node_online(sim, name, false),
        ["node", name, "online"] => set_node_online(sim, name, true),
        ["guest", vmid, "spike"] => match (vmid.parse::<u32>(), pct("cpu"), pct("mem")) {
            (Ok(vmid), Some(cpu), Some(mem)) => spike(sim, vmid, Some((cpu, mem))),
            _ => {
                return reply(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"error": "expected a vmid and cpu/mem percentages 0-100"}),
                );
            }
        },
        ["guest", vmid, "calm"] => vmid.parse::<u32>().is_ok_and(|v| spike(sim, v, None)),
        _ => {
            return reply(
                StatusCode::NOT_FOUND,
                serde_json::json!({"error": "no such control"}),
            );
        }
    };
    if done {
        reply(StatusCode::OK, serde_json::json!({"ok": true}))
    } else {
        reply(
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "no such node or guest"}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spike_specs() {
        assert_eq!(
            parse_spike("101"),
            Ok(SpikeSpec {
                vmid: 101,
                cpu: 0.97,
                mem: 0.97
            })
        );
        assert_eq!(parse_spike("101:50:95").map(|s| s.cpu), Ok(0.5));
        assert!(parse_spike("x").is_err());
        assert!(parse_spike("101:120").is_err());
        assert!(parse_spike("101:1:2:3").is_err());
    }
}
