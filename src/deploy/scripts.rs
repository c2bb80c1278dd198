//! The shell commands a deployment runs inside the container, one function each, so the
//! exact text is in one place and tested. Everything runs as root in the container's own
//! shell; paths are built from validated names, and anything else is single-quoted.

use crate::catalog::{AppSpec, HealthCheck, OsFamily};

/// Where an app's files live in its container.
pub fn app_dir(name: &str) -> String {
    format!("/opt/proximity/{name}")
}

pub fn compose_path(name: &str) -> String {
    format!("{}/compose.json", app_dir(name))
}

pub use super::shell_quote::quote;

/// The template file name prefix for an OS family (the newest match is used). Debian 13:
/// its `docker-compose` package is the v2 plugin that `docker compose` needs.
pub fn template_prefix(os: OsFamily) -> &'static str {
    match os {
        OsFamily::Debian => "debian-13-standard_",
        OsFamily::Alpine => "alpine-3.",
    }
}

/// Succeeds when Docker is already there (a resumed deployment, an adopted container).
pub const DOCKER_PRESENT: &str = "command -v docker >/dev/null 2>&1";

pub fn install_docker(os: OsFamily) -> &'static str {
    match os {
        OsFamily::Debian => {
            "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io docker-compose"
        }
        OsFamily::Alpine => "apk add --no-cache docker docker-cli-compose",
    }
}

pub fn start_docker(os: OsFamily) -> &'static str {
    match os {
        OsFamily::Debian => "systemctl enable --now docker",
        OsFamily::Alpine => "rc-update add docker default && rc-service docker start",
    }
}

pub const DOCKER_READY: &str = "docker info >/dev/null 2>&1";

pub fn compose(name: &str, args: &str) -> String {
    format!("docker compose -f {} {args}", quote(&compose_path(name)))
}

pub fn compose_exists(name: &str) -> String {
    format!("test -f {}", quote(&compose_path(name)))
}

/// One probe of the app from inside its container (the machine running Proximity often
/// cannot reach the guests' network). busybox and Debian both have `wget`; `nc -z` for TCP.
pub fn health_probe(check: &HealthCheck) -> String {
    match check {
        HealthCheck::Http { port, path } => {
            let path = if path.starts_with('/') {
                path.clone()
            } else {
                format!("/{path}")
            };
            format!(
                "wget -q -O /dev/null {}",
                quote(&format!("http://127.0.0.1:{port}{path}"))
            )
        }
        HealthCheck::Tcp { port } => format!("nc -z 127.0.0.1 {port}"),
    }
}

/// A container's first IPv4 address (without its prefix length) from its interfaces as
/// Proxmox reports them, loopback left out. Read to be shown, never dialed.
pub fn first_address(ifaces: &[crate::pve::LxcInterface]) -> Option<String> {
    ifaces
        .iter()
        .filter(|i| i.name != "lo")
        .find_map(|i| i.inet.as_deref())
        .map(|a| a.split('/').next().unwrap_or(a).to_string())
}

/// The URL a person opens, from the container's address (shown, never fetched here).
pub fn app_url(app: &AppSpec, address: &str) -> Option<String> {
    let web = app.web.as_ref()?;
    Some(url_at(&web.scheme, address, web.port, &web.path))
}

/// `scheme://address:port/path`, an IPv6 address in brackets.
pub fn url_at(scheme: &str, address: &str, port: u16, path: &str) -> String {
    let host = if address.contains(':') {
        format!("[{address}]")
    } else {
        address.to_string()
    };
    format!("{scheme}://{host}:{port}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(
            compose("web", "up -d"),
            "docker compose -f '/opt/proximity/web/compose.json' up -d"
        );
    }

    #[test]
    fn health_probes_run_inside_the_container() {
        let http = HealthCheck::Http {
            port: 8096,
            path: "health".into(),
        };
        assert_eq!(
            health_probe(&http),
            "wget -q -O /dev/null 'http://127.0.0.1:8096/health'"
        );
        assert_eq!(
            health_probe(&HealthCheck::Tcp { port: 53 }),
            "nc -z 127.0.0.1 53"
        );
    }
}
