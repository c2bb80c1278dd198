//! Reads for the detail panel and the task-log popup, published as events. Not jobs: they
//! change nothing, and the newest request wins on screen.

use tokio::sync::broadcast;

use super::events::EngineEvent;
use crate::pve::PveClient;
use crate::text::clean_string;

/// Config lines and addresses, then an hour of metrics (the sparklines).
pub(super) async fn load(
    client: PveClient,
    target: super::metrics::MetricsTarget,
    events: broadcast::Sender<EngineEvent>,
) {
    let super::metrics::MetricsTarget::Guest {
        host, node, vmid, ..
    } = target.clone()
    else {
        return;
    };
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
        host,
        vmid,
        ips,
        config,
    });
    let timeframe = crate::pve::Timeframe::Hour;
    let result = super::metrics::fetch(&client, &target, timeframe)
        .await
        .map(std::sync::Arc::new)
        .map_err(|e| e.to_string());
    let _ = events.send(EngineEvent::MetricsReport {
        target,
        timeframe,
        result,
    });
}
