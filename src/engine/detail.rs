//! Reads for the detail panel and the task-log popup, published as events. Not jobs: they
//! change nothing, and the newest request wins on screen.

use tokio::sync::broadcast;

use super::events::EngineEvent;
use crate::pve::PveClient;
use crate::text::clean_string;

/// Config lines and addresses, then an hour of CPU and memory samples.
pub(super) async fn load(
    client: PveClient,
    host: String,
    node: String,
    vmid: u32,
    events: broadcast::Sender<EngineEvent>,
) {
    let mut config = Vec::new();
    if let Ok(cfg) = client.lxc_config(&node, vmid).await
        && let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&cfg)
    {
        for (k, v) in map {
            if k == "digest" || v.is_null() {
                continue;
            }
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            config.push((clean_string(&k), clean_string(&text)));
        }
    }
    let mut ips = Vec::new();
    if let Ok(ifaces) = client.lxc_interfaces(&node, vmid).await {
        for iface in ifaces.iter().filter(|i| i.name != "lo") {
            if let Some(inet) = &iface.inet {
                ips.push(clean_string(&format!("{} {}", iface.name, inet)));
            }
        }
    }
    let _ = events.send(EngineEvent::GuestDetail {
        host: host.clone(),
        vmid,
        ips,
        config,
    });
    if let Ok(points) = client
        .lxc_rrddata(&node, vmid, crate::pve::Timeframe::Hour, None)
        .await
    {
        let cpu: Vec<f64> = points.iter().filter_map(|p| p.cpu).collect();
        let mem: Vec<f64> = points
            .iter()
            .filter_map(|p| match (p.mem, p.maxmem) {
                (Some(m), Some(max)) if max > 0.0 => Some(m / max),
                _ => None,
            })
            .collect();
        let _ = events.send(EngineEvent::Metrics {
            host,
            vmid,
            cpu,
            mem,
        });
    }
}
