//! The embedded emulator behind `proximity demo` and onboarding's "try the demo": a
//! Proxmox VE on a loopback port with a temporary state dir, and the connection to it.

use super::{ConnAuth, ConnSpec, connection};

/// Start the emulator with `nodes` and `guests`; its connection (host `demo`) and handle.
pub async fn start_sim(
    nodes: usize,
    guests: usize,
    seed: u64,
    dir: &std::path::Path,
) -> Result<(ConnSpec, crate::sim::SimHandle), String> {
    let config = crate::sim::SimConfig {
        nodes,
        guests,
        seed,
        state_dir: Some(dir.to_path_buf()),
        auth_failure_delay_ms: 0,
        // Shows (and lets tests prove) the console's drop-and-reconnect path: every console
        // connection is cut after this many seconds.
        drop_console_after_s: std::env::var("PROXIMITY_DEMO_CONSOLE_DROP_S")
            .ok()
            .and_then(|v| v.parse().ok()),
        // The seeded apps' consoles and new deployments take seconds, like a real host.
        deploy_timing: crate::sim::DeployTiming::Realistic,
        ..crate::sim::SimConfig::default()
    };
    let sim = crate::sim::start(config)
        .await
        .map_err(|e| format!("demo emulator: {e}"))?;
    let (id, secret) = connection::parse_token(&sim.info.token).map_err(|e| e.to_string())?;
    let spec = ConnSpec {
        name: "demo".into(),
        url: sim.info.url.clone(),
        auth: ConnAuth::Token { id, secret },
        fingerprint: sim.info.fingerprint.clone(),
        insecure: false,
    };
    Ok((spec, sim))
}
