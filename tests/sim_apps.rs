//! App deployments against the emulator, end to end through `pve::PveClient`: create and start
//! a container like the deploy engine does, then through its termproxy console (one session
//! per step, so the container's state must persist between sessions) install Docker, write
//! the compose file, pull, `up -d` and probe the app from inside; every `--fail-step` makes
//! its step fail; destroying the container forgets what ran inside it; the seeded apps run.

#[path = "pve_sim_support/mod.rs"]
mod pve_sim_support;

use std::time::Duration;

use base64::Engine as _;
use futures_util::StreamExt;
use proximity::pve::{
    ConsoleOptions, ConsoleTarget, DeleteOptions, LxcCreate, PveClient, PveError, ResourceFilter,
    TermproxyStream,
};
use proximity::sim::{DeployStep, SimConfig};
use pve_sim_support::*;

const NODE: &str = "pve1";
/// Bound on one command in the console (fast timing: well under a second each).
const COMMAND: Duration = Duration::from_secs(8);

const COMPOSE: &str = r#"{"services":{"jellyfin":{"image":"jellyfin/jellyfin:10.10.3","ports":["8096:8096/tcp"],"volumes":["config:/config"],"restart":"unless-stopped"}}}"#;
const FILE: &str = "/opt/proximity/jellyfin/compose.json";

/// Output without ANSI sequences and carriage returns.
fn plain(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let re = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07").unwrap();
    re.replace_all(&text, "").replace('\r', "")
}

/// One console session into a container, running commands with an exit-status sentinel.
struct Session {
    stream: TermproxyStream,
    buf: Vec<u8>,
    seq: u32,
}

impl Session {
    async fn open(c: &PveClient, vmid: u32) -> Session {
        Session::open_on(c, NODE, vmid).await
    }

    async fn open_on(c: &PveClient, node: &str, vmid: u32) -> Session {
        let target = ConsoleTarget::Lxc {
            node: node.into(),
            vmid,
        };
        let opts = ConsoleOptions {
            initial_size: Some((120, 40)),
            ..ConsoleOptions::default()
        };
        let stream = c.open_console(&target, &opts).await.expect("console opens");
        let mut s = Session {
            stream,
            buf: Vec::new(),
            seq: 0,
        };
        s.read_until(|text| text.contains("# ").then_some(())).await;
        s
    }

    async fn read_until<T>(&mut self, mut done: impl FnMut(&str) -> Option<T>) -> T {
        let work = async {
            loop {
                if let Some(t) = done(&plain(&self.buf)) {
                    return t;
                }
                match self.stream.next().await {
                    Some(Ok(bytes)) => self.buf.extend_from_slice(&bytes),
                    other => panic!("console ended: {other:?}: {:?}", plain(&self.buf)),
                }
            }
        };
        match tokio::time::timeout(COMMAND, work).await {
            Ok(t) => t,
            Err(_) => panic!("console stalled: {:?}", plain(&self.buf)),
        }
    }

    /// Run `command`; its output (cleaned) and exit status.
    async fn run(&mut self, command: &str) -> (String, i32) {
        self.seq += 1;
        let tag = format!("__PX_{}_RC=", self.seq);
        self.buf.clear();
        let line = format!("{command}; echo {tag}$?\n");
        self.stream.send_input(line.as_bytes()).await.unwrap();
        // The echoed command line has `$?`, so only the answer matches (it may follow output that
        // has no final newline, like `curl -w '%{http_code}'`).
        let re = regex::Regex::new(&format!(r"{tag}(\d+)\n")).unwrap();
        // Wait for the next prompt too, so the next command is not typed ahead of it.
        self.read_until(|text| {
            let caps = re.captures(text)?;
            let all = caps.get(0)?;
            text[all.end()..].contains("# ").then_some(())?;
            let code: i32 = caps[1].parse().ok()?;
            let start = text.find('\n').map(|i| i + 1).unwrap_or(0);
            let end = all.start();
            Some((text[start.min(end)..end].to_string(), code))
        })
        .await
    }

    async fn close(mut self) {
        let _ = self.stream.send_input(b"exit\n").await;
        let _ = tokio::time::timeout(COMMAND, async {
            while let Some(Ok(_)) = self.stream.next().await {}
        })
        .await;
    }
}

fn config_with(fail_step: Option<DeployStep>, state: Option<&std::path::Path>) -> SimConfig {
    SimConfig {
        fail_step,
        state_dir: state.map(|p| p.to_path_buf()),
        ..config()
    }
}

/// The first template on `local`.
async fn a_template(c: &PveClient) -> String {
    c.storage_content(NODE, "local", Some("vztmpl"), None)
        .await
        .unwrap()
        .first()
        .expect("a template")
        .volid
        .clone()
}

/// Create a container the way the deploy engine does; its vmid and the task's result.
async fn create_ct(c: &PveClient) -> (u32, Result<(), PveError>) {
    let vmid = c.next_id().await.unwrap();
    let create = LxcCreate::new(vmid, &a_template(c).await)
        .hostname("jellyfin")
        .storage("local-lvm")
        .rootfs("local-lvm:8")
        .memory_mib(1024)
        .cores(2)
        .net(0, "name=eth0,bridge=vmbr0,ip=dhcp")
        .unprivileged(true)
        .features("nesting=1,keyctl=1")
        .extra("cmode", "shell")
        .extra("tags", "proximity;px-app-jellyfin");
    let upid = c.lxc_create(NODE, &create).await.unwrap();
    (vmid, wait(c, &upid).await)
}

async fn wait(c: &PveClient, upid: &proximity::pve::Upid) -> Result<(), PveError> {
    tokio::time::timeout(TASK_WAIT, c.wait_task(upid, Duration::from_millis(5)))
        .await
        .expect("task ends")
        .map(|_| ())
}

/// A created and started container.
async fn running_ct(c: &PveClient) -> u32 {
    let (vmid, created) = create_ct(c).await;
    created.expect("created");
    let upid = c.lxc_start(NODE, vmid).await.unwrap();
    wait(c, &upid).await.expect("started");
    vmid
}

fn write_command(path: &str, text: &str) -> String {
    // TEST-ONLY PLUMBING: switch to `printf '%s' B64 | base64 -d > PATH` once the shell has it.
    let data = base64::engine::general_purpose::STANDARD.encode(text);
    format!("__px-write {path} {data}")
}

/// Probe until the app answers (it warms up after `up`); the last answer.
async fn wait_healthy(s: &mut Session, probe: &str) -> (String, i32) {
    let mut last = (String::new(), -1);
    for _ in 0..40 {
        last = s.run(probe).await;
        if last.1 == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

#[tokio::test]
async fn deploy_across_sessions_then_destroy_forgets_it() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_with(config_with(None, Some(dir.path()))).await;
    let c = token_client(&sim);
    let upid = c
        .download_template(NODE, "local", "alpine-3.20-default_20240908_amd64.tar.xz")
        .await
        .unwrap();
    wait(&c, &upid).await.expect("template downloads");
    let vmid = running_ct(&c).await;
    let ifaces = c.lxc_interfaces(NODE, vmid).await.unwrap();
    assert!(ifaces.iter().any(|i| i.inet.is_some()), "{ifaces:?}");

    // Session 1: Docker and the compose file.
    let mut s = Session::open(&c, vmid).await;
    assert_eq!(s.run("docker ps").await.1, 127, "no Docker yet");
    assert_eq!(s.run("apt-get update").await.1, 0);
    let (out, code) = s
        .run("DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io docker-compose")
        .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Setting up docker.io"), "{out}");
    assert_eq!(s.run(&write_command(FILE, COMPOSE)).await.1, 0);
    s.close().await;
    let state_file = dir.path().join("shell").join(format!("ct-{vmid}.json"));
    assert!(state_file.exists(), "the sim keeps the container's state");

    // Session 2: pull, up, health.
    let mut s = Session::open(&c, vmid).await;
    assert_eq!(
        s.run("command -v docker").await,
        ("/usr/bin/docker\n".into(), 0)
    );
    let (out, code) = s.run(&format!("docker compose -f {FILE} pull")).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Pull complete"), "{out}");
    let (out, code) = s.run(&format!("docker compose -f {FILE} up -d")).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Container jellyfin-jellyfin-1  Started"),
        "{out}"
    );
    let (out, code) = wait_healthy(
        &mut s,
        "curl -fsS -o /dev/null -w '%{http_code}' http://127.0.0.1:8096/",
    )
    .await;
    assert_eq!((out.trim(), code), ("200", 0));
    s.close().await;

    // Session 3 (like `app logs` later): the stack is still up.
    let mut s = Session::open(&c, vmid).await;
    let (out, _) = s.run(&format!("docker compose -f {FILE} ps")).await;
    assert!(
        out.contains("jellyfin-jellyfin-1") && out.contains("Up "),
        "{out}"
    );
    let (out, _) = s
        .run(&format!("docker compose -f {FILE} logs --tail 3"))
        .await;
    assert!(out.contains("jellyfin-1  | "), "{out}");
    assert_eq!(s.run("nc -z 127.0.0.1 8096").await.1, 0);
    s.close().await;

    // Destroy: the state goes; a new container with the same vmid starts clean.
    let stop = c.lxc_stop(NODE, vmid).await.unwrap();
    wait(&c, &stop).await.unwrap();
    let del = c
        .lxc_delete(NODE, vmid, DeleteOptions::default())
        .await
        .unwrap();
    wait(&c, &del).await.unwrap();
    assert!(!state_file.exists(), "destroy removes the state file");
    let again = running_ct(&c).await;
    assert_eq!(again, vmid, "the freed vmid is reused");
    let mut s = Session::open(&c, again).await;
    assert_eq!(s.run("command -v docker").await.1, 1);
    assert_eq!(s.run(&format!("cat {FILE}")).await.1, 1);
    s.close().await;
    finish(sim).await;
}

/// Install, write, pull, up: the status of each step (stops at the first failure).
async fn shell_steps(s: &mut Session) -> Vec<(String, i32)> {
    let steps = [
        "apk add --no-cache docker docker-cli-compose".to_string(),
        "rc-service docker start".to_string(),
        write_command(FILE, COMPOSE),
        format!("docker compose -f {FILE} pull"),
        format!("docker compose -f {FILE} up -d"),
    ];
    let mut done = Vec::new();
    for step in steps {
        let r = s.run(&step).await;
        let failed = r.1 != 0;
        done.push(r);
        if failed {
            break;
        }
    }
    done
}

#[tokio::test]
async fn each_shell_fail_step_fails_its_step() {
    for (step, failing_index, needle) in [
        (DeployStep::Docker, 0, "network error"),
        (DeployStep::Pull, 3, "manifest unknown"),
        (DeployStep::Up, 4, "exited (1)"),
    ] {
        let sim = start_with(config_with(Some(step), None)).await;
        let c = token_client(&sim);
        let vmid = running_ct(&c).await;
        let mut s = Session::open(&c, vmid).await;
        let done = shell_steps(&mut s).await;
        assert_eq!(done.len(), failing_index + 1, "{step:?}: {done:?}");
        let (out, code) = &done[failing_index];
        assert_ne!(*code, 0, "{step:?}");
        assert!(out.contains(needle), "{step:?}: {out}");
        s.close().await;
        finish(sim).await;
    }

    // `health`: everything succeeds, and the app never answers.
    let sim = start_with(config_with(Some(DeployStep::Health), None)).await;
    let c = token_client(&sim);
    let vmid = running_ct(&c).await;
    let mut s = Session::open(&c, vmid).await;
    let done = shell_steps(&mut s).await;
    assert!(done.iter().all(|(_, code)| *code == 0), "{done:?}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        s.run("wget -q -O- http://127.0.0.1:8096/").await.1,
        4,
        "past the warm-up and still refused"
    );
    assert_eq!(s.run("nc -z 127.0.0.1 8096").await.1, 1);
    s.close().await;
    finish(sim).await;
}

#[tokio::test]
async fn each_api_fail_step_fails_its_task() {
    let sim = start_with(config_with(Some(DeployStep::Template), None)).await;
    let c = token_client(&sim);
    let upid = c
        .download_template(NODE, "local", "alpine-3.20-default_20240908_amd64.tar.xz")
        .await
        .unwrap();
    let err = wait(&c, &upid).await.unwrap_err().to_string();
    assert!(err.contains("download failed"), "{err}");
    finish(sim).await;

    let sim = start_with(config_with(Some(DeployStep::Create), None)).await;
    let c = token_client(&sim);
    let (vmid, created) = create_ct(&c).await;
    let err = created.unwrap_err().to_string();
    assert!(
        err.contains(&format!("unable to create CT {vmid}")),
        "{err}"
    );
    assert!(
        c.next_id().await.unwrap() == vmid,
        "a failed create leaves nothing"
    );
    finish(sim).await;

    let sim = start_with(config_with(Some(DeployStep::Start), None)).await;
    let c = token_client(&sim);
    let (vmid, created) = create_ct(&c).await;
    created.expect("create works");
    let upid = c.lxc_start(NODE, vmid).await.unwrap();
    let err = wait(&c, &upid).await.unwrap_err().to_string();
    assert!(err.contains("startup for container"), "{err}");
    assert_eq!(c.lxc_status(NODE, vmid).await.unwrap().status, "stopped");
    finish(sim).await;
}

#[tokio::test]
async fn seeded_apps_run_their_stack() {
    let sim = start().await;
    let c = token_client(&sim);
    let all = c.cluster_resources(Some(ResourceFilter::Vm)).await.unwrap();
    let mut checked = 0;
    for ct in all
        .iter()
        .filter(|g| g.kind == "lxc" && g.status.as_deref() == Some("running"))
    {
        let (Some(node), Some(vmid)) = (ct.node.clone(), ct.vmid) else {
            continue;
        };
        let cfg = c.lxc_config(&node, vmid).await.unwrap();
        let tags = cfg.tags.clone().unwrap_or_default();
        let Some(app) = tags
            .split(';')
            .find_map(|t| t.strip_prefix("px-app-"))
            .map(str::to_string)
        else {
            continue;
        };
        let mut s = Session::open_on(&c, &node, vmid).await;
        let (out, code) = s
            .run(&format!(
                "docker compose -f /opt/proximity/{app}/compose.json ps"
            ))
            .await;
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!("{app}-{app}-1")) && out.contains("Up "),
            "{out}"
        );
        s.close().await;
        checked += 1;
    }
    assert!(checked >= 2, "the seed has running apps: {checked}");
    finish(sim).await;
}
