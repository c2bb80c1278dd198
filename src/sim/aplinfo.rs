//! The appliance catalog (`GET /nodes/{n}/aplinfo`) and template downloads
//! (`POST /nodes/{n}/aplinfo` -> `download` task that adds `local:vztmpl/<file>`).

use std::sync::Arc;

use serde_json::{Value, json};

use super::clock;
use super::deploy_sim::DeployStep;
use super::http::{ApiError, ApiResult, Params, Reply};
use super::model::{Volume, storage_def};
use super::state::Ctx;
use super::tasks;

pub struct Appliance {
    pub template: &'static str,
    pub package: &'static str,
    pub version: &'static str,
    pub os: &'static str,
    pub section: &'static str,
    pub headline: &'static str,
}

const SYSTEM_URL: &str = "http://download.proxmox.com/images/system";

pub const CATALOG: [Appliance; 8] = [
    Appliance {
        template: "debian-12-standard_12.7-1_amd64.tar.zst",
        package: "debian-12-standard",
        version: "12.7-1",
        os: "debian-12",
        section: "system",
        headline: "Debian 12 Bookworm (standard)",
    },
    Appliance {
        template: "ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
        package: "ubuntu-24.04-standard",
        version: "24.04-2",
        os: "ubuntu-24.04",
        section: "system",
        headline: "Ubuntu 24.04 Noble (standard)",
    },
    Appliance {
        template: "alpine-3.20-default_20240908_amd64.tar.xz",
        package: "alpine-3.20-default",
        version: "3.20-0",
        os: "alpine-3.20",
        section: "system",
        headline: "Alpine Linux 3.20 (default)",
    },
    Appliance {
        template: "debian-13-standard_13.1-2_amd64.tar.zst",
        package: "debian-13-standard",
        version: "13.1-2",
        os: "debian-13",
        section: "system",
        headline: "Debian 13 Trixie (standard)",
    },
    Appliance {
        template: "ubuntu-22.04-standard_22.04-1_amd64.tar.zst",
        package: "ubuntu-22.04-standard",
        version: "22.04-1",
        os: "ubuntu-22.04",
        section: "system",
        headline: "Ubuntu 22.04 Jammy (standard)",
    },
    Appliance {
        template: "rockylinux-9-default_20240912_amd64.tar.xz",
        package: "rockylinux-9-default",
        version: "9-0",
        os: "rockylinux-9",
        section: "system",
        headline: "Rocky Linux 9 (default)",
    },
    Appliance {
        template: "archlinux-base_20240911-1_amd64.tar.zst",
        package: "archlinux-base",
        version: "20240911-1",
        os: "archlinux",
        section: "system",
        headline: "ArchLinux base image",
    },
    Appliance {
        template: "debian-12-turnkey-nextcloud_18.1-1_amd64.tar.gz",
        package: "turnkey-nextcloud",
        version: "18.1-1",
        os: "debian-12",
        section: "turnkeylinux",
        headline: "TurnKey Nextcloud",
    },
];

fn record(a: &Appliance) -> Value {
    let location = if a.section == "system" {
        format!("{SYSTEM_URL}/{}", a.template)
    } else {
        format!("https://releases.turnkeylinux.org/pve/{}", a.template)
    };
    let sha = format!("{:016x}", clock::mix64(a.template.len() as u64 ^ 0x5A)).repeat(8);
    json!({
        "template": a.template, "package": a.package, "version": a.version, "type": "lxc",
        "os": a.os, "section": a.section, "headline": a.headline,
        "description": format!("{}.", a.headline), "infopage": "https://www.proxmox.com/",
        "location": location, "source": format!("{SYSTEM_URL}/aplinfo-pve-9.dat"),
        "sha512sum": sha, "architecture": "amd64", "maintainer": "Proxmox Support Team <support@proxmox.com>",
    })
}

pub fn list(ctx: &Ctx, node: &str) -> ApiResult {
    ctx.sim.with(|m| m.node(node).map(|_| ()))?;
    Ok(Reply::ser(&CATALOG.iter().map(record).collect::<Vec<_>>()))
}

/// The tarball format code storage content reports for a template file name.
pub fn template_format(file: &str) -> &'static str {
    if file.ends_with(".tar.zst") {
        "tzst"
    } else if file.ends_with(".tar.xz") {
        "txz"
    } else if file.ends_with(".tar.gz") {
        "tgz"
    } else {
        "tar"
    }
}

pub fn download(ctx: &Ctx, node: &str) -> ApiResult {
    let p = Params(ctx.params);
    let storage = p.req_str("storage")?.to_string();
    let template = p.req_str("template")?.to_string();
    ctx.sim.with(|m| m.node(node).map(|_| ()))?;
    let app = CATALOG
        .iter()
        .find(|a| a.template == template)
        .ok_or_else(|| ApiError::param("template", "no such template"))?;
    let def = storage_def(&storage)
        .ok_or_else(|| ApiError::die(format!("storage '{storage}' does not exist")))?;
    if !def.supports("vztmpl") {
        return Err(ApiError::die(format!(
            "storage '{storage}' does not support templates"
        )));
    }
    let location = record(app)["location"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let node_s = node.to_string();
    let task_id = template.clone();
    let upid = tasks::spawn(
        ctx.sim,
        node,
        "download",
        &task_id,
        ctx.authid,
        move |t| async move {
            let path = format!("/var/lib/vz/template/cache/{template}");
            t.log(format!("starting template download from: {location}"));
            t.log(format!("target file: {path}"));
            let size: u64 = 130_000_000 + (template.len() as u64 * 1_048_573) % 60_000_000;
            if t.sim.fails(DeployStep::Template) {
                t.step().await?;
                let host = location
                    .split("://")
                    .nth(1)
                    .and_then(|rest| rest.split('/').next())
                    .unwrap_or("download.proxmox.com");
                t.log(format!(
                    "download failed: 500 Can't connect to {host}:80 (Temporary failure in name resolution)"
                ));
                return Err("download failed".into());
            }
            for pct in [25, 50, 75, 100] {
                t.step().await?;
                t.log(format!(
                    "{:.2} MiB downloaded ({pct}%)",
                    size as f64 * f64::from(pct) / 100.0 / 1_048_576.0
                ));
            }
            t.log("calculating checksum...OK, checksum verified");
            t.log(format!("download of '{location}' to '{path}' finished"));
            let volid = format!("{storage}:vztmpl/{template}");
            let sim = Arc::clone(&t.sim);
            let _ = sim.change(|m| {
                m.volumes
                    .retain(|v| !(v.node == node_s && v.volid == volid));
                m.volumes.push(Volume {
                    node: node_s.clone(),
                    storage: storage.clone(),
                    volid: volid.clone(),
                    content: "vztmpl".into(),
                    format: template_format(&template).into(),
                    size,
                    ctime: clock::now_epoch(),
                    vmid: None,
                    subtype: None,
                    notes: None,
                    protected: false,
                    config: None,
                });
                Ok::<(), ()>(())
            });
            Ok(())
        },
    );
    Ok(Reply::string(&upid))
}
