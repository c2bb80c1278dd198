//! What the simulated `docker compose` knows about a project: the compose file (JSON, which
//! is YAML too) read from the fake filesystem, each image's plausible behaviour (log lines,
//! how long it takes to answer), and Docker's human durations.

use serde_json::Value;

use super::ct_state::short_id;

/// One service of a compose file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    pub name: String,
    /// With a tag (`:latest` added when the file has none).
    pub image: String,
    /// (host port, container port, protocol) of published ports.
    pub ports: Vec<(u16, u16, String)>,
    pub volumes: Vec<String>,
}

/// A compose file's error as compose reports it, with its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeError {
    pub message: String,
    pub code: i32,
}

fn config_error(message: String) -> ComposeError {
    ComposeError { message, code: 15 }
}

/// The project name compose derives from a directory: lowercase, `[a-z0-9_-]` only.
pub fn project_name(dir: &str) -> String {
    let base = dir.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let name: String = base
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if name.is_empty() {
        "default".into()
    } else {
        name
    }
}

fn with_tag(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') || last.contains('@') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

/// `"8080:80"`, `"8080:80/udp"`, `"127.0.0.1:8080:80"`, `80` (unpublished), or the long form.
fn parse_port(v: &Value) -> Option<(u16, u16, String)> {
    match v {
        Value::String(s) => {
            let (spec, proto) = s.split_once('/').unwrap_or((s, "tcp"));
            let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
            match parts.as_slice() {
                [container, host, ..] => {
                    Some((host.parse().ok()?, container.parse().ok()?, proto.into()))
                }
                _ => None,
            }
        }
        Value::Object(o) => {
            let num = |k: &str| {
                o.get(k).and_then(|v| {
                    v.as_u64()
                        .and_then(|n| u16::try_from(n).ok())
                        .or_else(|| v.as_str()?.parse().ok())
                })
            };
            let proto = o.get("protocol").and_then(Value::as_str).unwrap_or("tcp");
            Some((num("published")?, num("target")?, proto.into()))
        }
        _ => None,
    }
}

/// Parse a compose file's text into its services, in file order.
pub fn parse(text: &str) -> Result<Vec<ServiceSpec>, ComposeError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        config_error(format!(
            "yaml: line {}: did not find expected node content",
            e.line()
        ))
    })?;
    let Some(top) = value.as_object() else {
        return Err(config_error(
            "Top-level object must be a mapping".to_string(),
        ));
    };
    let services = match top.get("services") {
        None => return Err(config_error("empty compose file".into())),
        Some(Value::Object(map)) if map.is_empty() => {
            return Err(ComposeError {
                message: "no service selected".into(),
                code: 1,
            });
        }
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(config_error(
                "validating compose.json: services must be a mapping".into(),
            ));
        }
    };
    let mut specs = Vec::new();
    for (name, svc) in services {
        let image = svc.get("image").and_then(Value::as_str);
        let Some(image) = image.filter(|i| !i.trim().is_empty()) else {
            return Err(config_error(format!(
                "service \"{name}\" has neither an image nor a build context specified: invalid compose project"
            )));
        };
        let ports = svc
            .get("ports")
            .and_then(Value::as_array)
            .map(|ports| ports.iter().filter_map(parse_port).collect())
            .unwrap_or_default();
        let volumes = svc
            .get("volumes")
            .and_then(Value::as_array)
            .map(|vs| {
                vs.iter()
                    .filter_map(|v| v.as_str().or_else(|| v.get("source")?.as_str()))
                    .filter_map(|v| v.split(':').next())
                    .filter(|v| !v.starts_with('/') && !v.starts_with('.'))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        specs.push(ServiceSpec {
            name: name.clone(),
            image: with_tag(image),
            ports,
            volumes,
        });
    }
    Ok(specs)
}

/// How an image behaves once started.
pub struct Profile {
    /// `docker ps`'s COMMAND.
    pub command: &'static str,
    /// Realistic time from start until it answers.
    pub warmup_ms: i64,
    /// The page title its web UI answers with.
    pub title: &'static str,
    pub starting: &'static [&'static str],
    pub ready: &'static [&'static str],
}

const PROFILES: &[(&str, Profile)] = &[
    (
        "jellyfin",
        Profile {
            command: "/jellyfin/jellyfin",
            warmup_ms: 9000,
            title: "Jellyfin",
            starting: &[
                "[INF] [1] Main: Jellyfin version: 10.10.3",
                "[INF] [1] Main: Environment Variables: [\"[JELLYFIN_DATA_DIR, /config]\"]",
                "[INF] [1] Main: Program data path: /config",
                "[INF] [1] Emby.Server.Implementations.AppBase.BaseConfigurationManager: Setting cache path: /cache",
                "[INF] [1] Jellyfin.Networking.Manager.NetworkManager: Defined LAN subnets: [\"172.17.0.0/16\"]",
            ],
            ready: &[
                "[INF] [1] Main: Kestrel is listening on 0.0.0.0",
                "[INF] [1] Emby.Server.Implementations.ApplicationHost: Core startup complete",
                "[INF] [1] Main: Startup complete 0:00:08.2134523",
            ],
        },
    ),
    (
        "uptime-kuma",
        Profile {
            command: "/usr/bin/dumb-init -- node server/server.js",
            warmup_ms: 6000,
            title: "Uptime Kuma",
            starting: &[
                "==> Performing startup jobs and maintenance tasks",
                "==> Starting application with user 0 group 0",
                "Welcome to Uptime Kuma",
                "Your Node.js version: 18.20.4",
                "[SERVER] INFO: Connecting to the SQLite database",
            ],
            ready: &[
                "[SERVER] INFO: Listening on 3001",
                "[SERVER] INFO: Init the server",
            ],
        },
    ),
    (
        "nextcloud",
        Profile {
            command: "/entrypoint.sh apache2-foreground",
            warmup_ms: 14000,
            title: "Nextcloud",
            starting: &[
                "Initializing nextcloud 30.0.2.2 ...",
                "New nextcloud instance",
                "Initializing finished",
            ],
            ready: &[
                "AH00558: apache2: Could not reliably determine the server's fully qualified domain name",
                "[mpm_prefork:notice] [pid 1] AH00163: Apache/2.4.62 (Debian) PHP/8.2.26 configured -- resuming normal operations",
            ],
        },
    ),
    (
        "vaultwarden",
        Profile {
            command: "/start.sh",
            warmup_ms: 4000,
            title: "Vaultwarden Web",
            starting: &[
                "/--------------------------------------------------------------------\\",
                "|                        Starting Vaultwarden                        |",
                "|                           Version 1.32.5                           |",
                "\\--------------------------------------------------------------------/",
            ],
            ready: &["[INFO] Rocket has launched from http://0.0.0.0:80"],
        },
    ),
    (
        "gitea",
        Profile {
            command: "/usr/bin/entrypoint /usr/bin/s6-svscan /etc/s6",
            warmup_ms: 7000,
            title: "Gitea: Git with a cup of tea",
            starting: &[
                "Generating /data/ssh/ssh_host_ed25519_key...",
                "routers/init.go:116:InitWebInstallPage() [I] Gitea v1.22.4 built with GNU Make 4.4.1",
            ],
            ready: &[
                "cmd/web.go:304:listen() [I] Listen: http://0.0.0.0:3000",
                "cmd/web.go:308:listen() [I] AppURL(ROOT_URL): http://localhost:3000/",
            ],
        },
    ),
    (
        "grafana",
        Profile {
            command: "/run.sh",
            warmup_ms: 8000,
            title: "Grafana",
            starting: &[
                "logger=settings t=2024-11-29T10:00:00Z level=info msg=\"Starting Grafana\" version=11.3.1",
                "logger=sqlstore level=info msg=\"Connecting to DB\" dbtype=sqlite3",
                "logger=migrator level=info msg=\"migrations completed\" performed=0 skipped=613",
            ],
            ready: &[
                "logger=http.server level=info msg=\"HTTP Server Listen\" address=[::]:3000 protocol=http",
            ],
        },
    ),
    (
        "postgres",
        Profile {
            command: "docker-entrypoint.sh postgres",
            warmup_ms: 3000,
            title: "PostgreSQL",
            starting: &["PostgreSQL init process complete; ready for start up."],
            ready: &[
                "LOG:  listening on IPv4 address \"0.0.0.0\", port 5432",
                "LOG:  database system is ready to accept connections",
            ],
        },
    ),
    (
        "mariadb",
        Profile {
            command: "docker-entrypoint.sh mariadbd",
            warmup_ms: 4000,
            title: "MariaDB",
            starting: &["[Note] Starting MariaDB 11.4.4-MariaDB-ubu2404 as process 1"],
            ready: &["[Note] mariadbd: ready for connections."],
        },
    ),
    (
        "redis",
        Profile {
            command: "docker-entrypoint.sh redis-server",
            warmup_ms: 1000,
            title: "Redis",
            starting: &["# oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"],
            ready: &["* Ready to accept connections tcp"],
        },
    ),
    (
        "nginx",
        Profile {
            command: "/docker-entrypoint.sh nginx -g 'daemon off;'",
            warmup_ms: 1500,
            title: "Welcome to nginx!",
            starting: &["/docker-entrypoint.sh: Configuration complete; ready for start up"],
            ready: &["[notice] 1#1: start worker processes"],
        },
    ),
];

const GENERIC: Profile = Profile {
    command: "/entrypoint.sh",
    warmup_ms: 5000,
    title: "Welcome",
    starting: &["Starting service ...", "Loading configuration from /config"],
    ready: &["Server listening on 0.0.0.0"],
};

/// The behaviour of `image` (by name; unknown images get a generic app).
pub fn profile(image: &str) -> &'static Profile {
    let repo = image.split(':').next().unwrap_or(image);
    PROFILES
        .iter()
        .find(|(key, _)| repo.contains(key))
        .map(|(_, p)| p)
        .unwrap_or(&GENERIC)
}

/// Layers of `image` as (short digest, size in bytes): 3 to 6, stable per image.
pub fn layers(image: &str) -> Vec<(String, u64)> {
    let seed = short_id(image);
    let n = 3 + usize::from(seed.as_bytes()[0] % 4);
    (0..n)
        .map(|i| {
            let id = short_id(&format!("{image}#{i}"));
            let raw = u64::from_str_radix(&id[..6], 16).unwrap_or(0);
            let size = if i == 0 {
                20_000_000 + raw % 30_000_000
            } else {
                200_000 + raw % 60_000_000
            };
            (id, size)
        })
        .collect()
}

/// `12.3MB`, `512.0kB`, like Docker's progress.
pub fn human_size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2}GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1}MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1}kB", b / 1e3)
    } else {
        format!("{bytes}B")
    }
}

/// Docker's `units.HumanDuration`.
pub fn human_duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (m, h, d) = (s / 60, s / 3600, s / 86_400);
    match () {
        _ if s < 1 => "Less than a second".into(),
        _ if s == 1 => "1 second".into(),
        _ if s < 60 => format!("{s} seconds"),
        _ if m == 1 => "About a minute".into(),
        _ if m < 60 => format!("{m} minutes"),
        _ if h == 1 => "About an hour".into(),
        _ if h < 48 => format!("{h} hours"),
        _ if h < 24 * 7 * 2 => format!("{d} days"),
        _ if h < 24 * 30 * 2 => format!("{} weeks", d / 7),
        _ if h < 24 * 365 * 2 => format!("{} months", d / 30),
        _ => format!("{} years", d / 365),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_services_and_ports() {
        let text = r#"{"services":{"web":{"image":"jellyfin/jellyfin:10.10.3",
            "ports":["8096:8096/tcp","127.0.0.1:7359:7359/udp",{"target":80,"published":"8080"},"9000"],
            "volumes":["config:/config","/srv:/srv"]},"db":{"image":"postgres"}}}"#;
        let specs = parse(text).unwrap();
        // Services come sorted by name, as compose lists them.
        assert_eq!(specs[1].name, "web");
        assert_eq!(
            specs[1].ports,
            vec![
                (8096, 8096, "tcp".into()),
                (7359, 7359, "udp".into()),
                (8080, 80, "tcp".into())
            ]
        );
        assert_eq!(specs[1].volumes, vec!["config".to_string()]);
        assert_eq!(specs[0].image, "postgres:latest");
    }

    #[test]
    fn bad_files_fail_like_compose() {
        assert_eq!(parse("services: [").unwrap_err().code, 15);
        assert_eq!(parse("{}").unwrap_err().message, "empty compose file");
        assert_eq!(parse(r#"{"services":{}}"#).unwrap_err().code, 1);
        let e = parse(r#"{"services":{"web":{"ports":["80:80"]}}}"#).unwrap_err();
        assert!(e.message.contains("neither an image"), "{e:?}");
    }

    #[test]
    fn names_durations_profiles() {
        assert_eq!(project_name("/opt/proximity/Uptime.Kuma"), "uptimekuma");
        assert_eq!(human_duration(500), "Less than a second");
        assert_eq!(human_duration(75_000), "About a minute");
        assert_eq!(human_duration(3 * 86_400_000), "3 days");
        assert_eq!(profile("jellyfin/jellyfin:10.10.3").title, "Jellyfin");
        assert_eq!(profile("example/whatever").title, "Welcome");
        assert_eq!(layers("a:b"), layers("a:b"));
        assert_eq!(human_size(12_345_678), "12.3MB");
    }
}
