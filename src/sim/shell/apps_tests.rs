//! Tests of the deployment commands (packages, Docker, compose, probes) against a fake
//! terminal and a fixed clock.

use base64::Engine as _;

use super::super::commands::{Shell, Terminal};
use super::super::ct_state::{FailStep, Timing};
use super::*;

struct FakeTerm;

impl Terminal for FakeTerm {
    fn size(&self) -> Option<(u16, u16)> {
        Some((30, 100))
    }
    fn now(&self) -> i64 {
        1_795_965_314
    }
    fn sleep(&self, _seconds: f64) -> bool {
        true
    }
}

const T0: i64 = 1_795_965_314_000;

fn run(shell: &mut Shell, line: &str) -> (String, i32) {
    let mut out = Vec::new();
    shell.run_line(line, &mut out, &FakeTerm);
    (String::from_utf8(out).unwrap(), shell.status)
}

fn ct(fail: FailStep) -> Shell {
    let mut shell = Shell::new("app1", "root", false);
    shell.apps.fail = fail;
    shell.apps.timing = Timing::Fast;
    shell.apps.clock_ms = Some(T0);
    shell
}

const COMPOSE: &str = r#"{"services":{"jellyfin":{"image":"jellyfin/jellyfin:10.10.3","ports":["8096:8096/tcp"],"volumes":["config:/config"]},"cache":{"image":"redis:7"}}}"#;

fn write_compose(shell: &mut Shell, text: &str) {
    let data = base64::engine::general_purpose::STANDARD.encode(text);
    let (out, code) = run(
        shell,
        &format!("__px-write /opt/proximity/jellyfin/compose.json {data}"),
    );
    assert_eq!((out.as_str(), code), ("", 0));
}

/// Install Docker the Alpine way, start the daemon, write the compose file.
fn ready_ct(fail: FailStep) -> Shell {
    let mut shell = ct(fail);
    assert_eq!(
        run(&mut shell, "apk add --no-cache docker docker-cli-compose").1,
        0
    );
    assert_eq!(run(&mut shell, "rc-service docker start").1, 0);
    write_compose(&mut shell, COMPOSE);
    shell
}

const F: &str = "-f /opt/proximity/jellyfin/compose.json";

#[test]
fn docker_is_missing_until_installed() {
    let mut shell = ct(FailStep::None);
    assert_eq!(
        run(&mut shell, "docker --version"),
        ("sh: docker: not found\n".into(), 127)
    );
    assert_eq!(run(&mut shell, "command -v docker"), (String::new(), 1));
    assert!(!handles("ls", &[]));
    assert!(!handles("command", &["-v", "ls"]));
    let (out, code) = run(
        &mut shell,
        "DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io docker-compose",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Unpacking docker.io (20.10.24"), "{out}");
    assert!(out.contains("Setting up docker-compose"), "{out}");
    assert_eq!(
        run(&mut shell, "command -v docker"),
        ("/usr/bin/docker\n".into(), 0)
    );
    assert!(
        run(&mut shell, "docker --version")
            .0
            .starts_with("Docker version 20.10.24")
    );
    // apt's postinst started the daemon.
    assert_eq!(run(&mut shell, "docker info").1, 0);
    assert_eq!(
        run(&mut shell, "docker compose version").0,
        "Docker Compose version v2.26.1\n"
    );
    assert_eq!(
        run(&mut shell, "apt-get install docker.io").1,
        0,
        "already installed"
    );
}

#[test]
fn alpine_needs_the_daemon_started_and_compose_installed() {
    let mut shell = ct(FailStep::None);
    let (out, code) = run(&mut shell, "apk add docker");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Installing docker-engine (26.1.5-r0)"),
        "{out}"
    );
    assert!(out.contains("OK: "), "{out}");
    let (out, code) = run(&mut shell, "docker info");
    assert_eq!(code, 1);
    assert!(out.contains("Is the docker daemon running?"), "{out}");
    assert_eq!(
        run(&mut shell, "docker compose version").1,
        1,
        "no compose plugin yet"
    );
    assert_eq!(run(&mut shell, "rc-update add docker default").1, 0);
    assert_eq!(
        run(&mut shell, "rc-service docker status").1,
        3,
        "enabling does not start"
    );
    assert_eq!(run(&mut shell, "rc-service docker start").1, 0);
    assert_eq!(run(&mut shell, "docker info").1, 0);
    assert_eq!(run(&mut shell, "apk add docker-cli-compose").1, 0);
    assert_eq!(
        run(&mut shell, "docker compose version --short").0,
        "2.27.0\n"
    );
}

#[test]
fn fail_step_docker_breaks_the_install() {
    let mut shell = ct(FailStep::Docker);
    let (out, code) = run(&mut shell, "apt-get install -y docker.io");
    assert_eq!(code, 100);
    assert!(out.contains("Temporary failure resolving"), "{out}");
    assert_eq!(run(&mut shell, "apk add docker").1, 1);
    assert_eq!(run(&mut shell, "docker ps").1, 127);
    assert_eq!(
        run(&mut shell, "apk add jq").1,
        0,
        "other packages still install"
    );
}

#[test]
fn pull_redraws_progress_then_up_and_health() {
    let mut shell = ready_ct(FailStep::None);
    let (out, code) = run(&mut shell, &format!("docker compose {F} pull"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Downloading ["), "{out}");
    assert!(out.contains("\x1b[2K"), "{out:?}");
    assert!(
        out.contains("A\x1b[2K[+] Pulling"),
        "cursor moves up over the block: {out:?}"
    );
    assert!(out.contains("Pull complete"), "{out}");
    assert!(out.contains(" jellyfin Pulled"), "{out}");
    assert_eq!(
        run(&mut shell, &format!("docker compose {F} pull -q")).0,
        ""
    );

    let (out, code) = run(&mut shell, &format!("docker compose {F} up -d"));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Container jellyfin-jellyfin-1  Started"),
        "{out}"
    );
    assert!(out.contains("Network jellyfin_default"), "{out}");
    assert!(out.contains("Creating"), "{out}");

    // Warming up: refused.
    let probe = "curl -fsS -o /dev/null -w '%{http_code}' http://127.0.0.1:8096/health";
    let (out, code) = run(&mut shell, probe);
    assert_eq!(code, 7, "{out}");
    assert!(
        out.starts_with("000curl: (7) Failed to connect to 127.0.0.1 port 8096"),
        "{out}"
    );
    assert_eq!(run(&mut shell, "wget -q -O- http://127.0.0.1:8096/").1, 4);
    assert_eq!(run(&mut shell, "nc -z 127.0.0.1 8096").1, 1);

    shell.apps.clock_ms = Some(T0 + 1_000);
    assert_eq!(run(&mut shell, probe), ("200".into(), 0));
    let (out, code) = run(&mut shell, "curl -fsSL http://localhost:8096/");
    assert_eq!(code, 0);
    assert!(out.contains("<title>Jellyfin</title>"), "{out}");
    assert_eq!(
        run(&mut shell, "wget -q -O- http://127.0.0.1:8096/health"),
        ("{\"status\":\"ok\"}".into(), 0)
    );
    assert_eq!(
        run(&mut shell, "wget -q --spider http://127.0.0.1:8096/").1,
        0
    );
    assert_eq!(run(&mut shell, "nc -z 127.0.0.1 8096").1, 0);
    // Other ports and hosts: refused, never the network.
    assert_eq!(run(&mut shell, "nc -z 127.0.0.1 8097").1, 1);
    assert_eq!(run(&mut shell, "curl -fsS http://10.0.0.1:8096/").1, 7);
    assert_eq!(run(&mut shell, "curl -fsS http://example.com/").1, 6);
}

#[test]
fn ps_logs_and_lifecycle() {
    let mut shell = ready_ct(FailStep::None);
    assert_eq!(
        run(&mut shell, &format!("docker compose {F} up -d")).1,
        0,
        "up pulls what is missing"
    );
    shell.apps.clock_ms = Some(T0 + 125_000);
    let (out, _) = run(&mut shell, &format!("docker compose {F} ps"));
    assert!(out.starts_with("NAME "), "{out}");
    assert!(out.contains("jellyfin-jellyfin-1"), "{out}");
    assert!(out.contains("Up 2 minutes"), "{out}");
    assert!(out.contains("0.0.0.0:8096->8096/tcp"), "{out}");
    let (out, _) = run(&mut shell, &format!("docker compose {F} ps --format json"));
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["Service"], "jellyfin");
    assert_eq!(rows[1]["State"], "running");
    assert_eq!(rows[1]["Publishers"][0]["PublishedPort"], 8096);

    let (out, _) = run(
        &mut shell,
        &format!("docker compose {F} logs --tail 2 jellyfin"),
    );
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.contains("jellyfin-1  | [INF] [1] Main: Startup complete"),
        "{out}"
    );
    assert!(
        run(&mut shell, &format!("docker compose {F} logs"))
            .0
            .contains("cache-1")
    );
    assert!(
        run(&mut shell, "docker ps")
            .0
            .contains("jellyfin/jellyfin:10.10.3")
    );

    assert_eq!(run(&mut shell, &format!("docker compose {F} stop")).1, 0);
    assert_eq!(run(&mut shell, "curl -fsS http://127.0.0.1:8096/").1, 7);
    assert_eq!(
        run(&mut shell, &format!("docker compose {F} ps"))
            .0
            .lines()
            .count(),
        1
    );
    assert!(
        run(&mut shell, &format!("docker compose {F} ps -a"))
            .0
            .contains("Exited (0)")
    );
    assert_eq!(run(&mut shell, &format!("docker compose {F} start")).1, 0);
    assert_eq!(
        run(&mut shell, &format!("docker compose {F} restart jellyfin")).1,
        0
    );
    shell.apps.clock_ms = Some(T0 + 126_000);
    assert_eq!(run(&mut shell, "nc -z localhost 8096").1, 0);
    let (out, code) = run(&mut shell, &format!("docker compose {F} down -v"));
    assert_eq!(code, 0);
    assert!(out.contains("Volume jellyfin_config  Removed"), "{out}");
    assert_eq!(run(&mut shell, "nc -z localhost 8096").1, 1);
    assert!(shell.apps.state.stacks.is_empty());
}

#[test]
fn fail_steps_pull_up_health() {
    let mut shell = ready_ct(FailStep::Pull);
    let (out, code) = run(&mut shell, &format!("docker compose {F} pull"));
    assert_eq!(code, 1);
    assert!(out.contains("manifest unknown"), "{out}");

    let mut shell = ready_ct(FailStep::Up);
    let (out, code) = run(&mut shell, &format!("docker compose {F} up -d"));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("container jellyfin-jellyfin-1 exited (1)"),
        "{out}"
    );
    assert!(
        run(&mut shell, &format!("docker compose {F} ps -a"))
            .0
            .contains("Exited (1)")
    );
    assert!(
        run(&mut shell, &format!("docker compose {F} logs jellyfin"))
            .0
            .contains("exited with code 1")
    );

    let mut shell = ready_ct(FailStep::Health);
    assert_eq!(run(&mut shell, &format!("docker compose {F} up -d")).1, 0);
    shell.apps.clock_ms = Some(T0 + 3_600_000);
    assert_eq!(run(&mut shell, "curl -fsS http://127.0.0.1:8096/").1, 7);
}

#[test]
fn bad_compose_files_and_missing_daemon() {
    let mut shell = ready_ct(FailStep::None);
    write_compose(&mut shell, "services: [oops");
    let (out, code) = run(&mut shell, &format!("docker compose {F} up -d"));
    assert_eq!(code, 15);
    assert!(out.starts_with("yaml: line"), "{out}");
    write_compose(&mut shell, "{}");
    assert_eq!(
        run(&mut shell, &format!("docker compose {F} pull")),
        ("empty compose file\n".into(), 15)
    );
    let (out, code) = run(&mut shell, "docker compose -f /nope.json up -d");
    assert_eq!(
        (out.as_str(), code),
        ("open /nope.json: no such file or directory\n", 14)
    );
    assert_eq!(
        run(&mut shell, "docker compose ps").0,
        "no configuration file provided: not found\n"
    );
    write_compose(&mut shell, COMPOSE);
    assert_eq!(run(&mut shell, "rc-service docker stop").1, 0);
    assert!(
        run(&mut shell, &format!("docker compose {F} up -d"))
            .0
            .contains("Is the docker daemon running?")
    );
    assert_eq!(
        run(&mut shell, &format!("docker compose {F} logs nosuch")).1,
        1
    );
}

#[test]
fn state_and_files_survive_a_new_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ct-100.json");
    let open = |shell: &mut Shell| {
        let home = shell.home.clone();
        shell.apps = AppsSession::open(
            Some(path.clone()),
            FailStep::None,
            Timing::Fast,
            "app1",
            &home,
            &mut shell.fs,
        );
        shell.apps.clock_ms = Some(T0);
    };
    let mut first = Shell::new("app1", "root", false);
    open(&mut first);
    run(&mut first, "apt-get install -y docker.io docker-compose");
    write_compose(&mut first, COMPOSE);
    assert_eq!(run(&mut first, &format!("docker compose {F} up -d")).1, 0);
    first.apps.sync(&first.fs);

    let mut second = Shell::new("app1", "root", false);
    open(&mut second);
    assert_eq!(run(&mut second, "command -v docker").1, 0);
    assert!(
        run(&mut second, "cat /opt/proximity/jellyfin/compose.json")
            .0
            .contains("jellyfin/jellyfin")
    );
    assert!(run(&mut second, "cat /etc/hostname").0 == "app1\n");
    second.apps.clock_ms = Some(T0 + 60_000);
    assert!(
        run(&mut second, &format!("docker compose {F} ps"))
            .0
            .contains("Up About a minute")
    );
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        !saved.contains("/etc/hostname"),
        "only changed files are saved"
    );
}
