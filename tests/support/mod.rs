//! Shared helpers for integration tests: the real binary under a PTY read through a vt100
//! screen, and `proximity sim` started on 127.0.0.1:0.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, NativePtySystem, PtySize, PtySystem};

fn nz(v: u16) -> std::num::NonZero<u16> {
    std::num::NonZero::new(v.max(1)).expect("max(1) is non-zero")
}

pub const BIN: &str = env!("CARGO_BIN_EXE_proximity");

/// A running `proximity sim` child and how to connect to it.
pub struct SimProcess {
    pub child: Child,
    pub info: serde_json::Value,
}

impl SimProcess {
    /// Start `proximity sim --listen 127.0.0.1:0 <args>` and read its one JSON line.
    pub fn start(args: &[&str]) -> SimProcess {
        let mut child = Command::new(BIN)
            .args([
                "sim",
                "--listen",
                "127.0.0.1:0",
                "--auth-failure-delay-ms",
                "0",
            ])
            .args(args)
            .env("PROXIMITY_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn proximity sim");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read sim line");
        let info: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("sim line {line:?}: {e}"));
        SimProcess { child, info }
    }

    pub fn field(&self, key: &str) -> String {
        self.info[key].as_str().unwrap_or_default().to_string()
    }

    /// Environment for a one-off token connection to this emulator.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("PROXIMITY_URL".to_string(), self.field("url")),
            ("PROXIMITY_TOKEN".to_string(), self.field("token")),
        ];
        if let Some(fp) = self.info["fingerprint"].as_str() {
            env.push(("PROXIMITY_FINGERPRINT".to_string(), fp.to_string()));
        }
        env
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run the binary to completion with `env`; returns (exit ok, stdout, stderr).
pub fn run_cli(args: &[&str], env: &[(String, String)], home: &Path) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("PROXIMITY_HOME", home)
        .stdin(Stdio::null())
        .output()
        .expect("run proximity");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run the binary to completion with `env`; returns (exit code, stdout, stderr).
pub fn run_cli_code(
    args: &[&str],
    env: &[(String, String)],
    home: &Path,
) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("PROXIMITY_HOME", home)
        .stdin(Stdio::null())
        .output()
        .expect("run proximity");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Configure `sim` as host `name` in `home` (token auth, its fingerprint pinned up front).
pub fn add_host(home: &Path, name: &str, sim: &SimProcess) {
    let (url, token, fp) = (
        sim.field("url"),
        sim.field("token"),
        sim.field("fingerprint"),
    );
    let mut args: Vec<&str> = vec!["hosts", "add", name, "--url", &url, "--token", &token];
    if !fp.is_empty() {
        args.extend(["--fingerprint", fp.as_str()]);
    }
    let (ok, _, err) = run_cli(&args, &[], home);
    assert!(ok, "hosts add {name}: {err}");
}

/// The binary running in a real PTY; its output feeds a vt100 screen.
pub struct PtyApp {
    pub screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
}

impl PtyApp {
    pub fn spawn(
        args: &[&str],
        env: &[(String, String)],
        home: &Path,
        cols: u16,
        rows: u16,
    ) -> PtyApp {
        let pty = NativePtySystem::default()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.env("PROXIMITY_HOME", home);
        cmd.env("TERM", "xterm-256color");
        cmd.env("COLORTERM", "truecolor");
        let child = pty.slave.spawn_command(cmd).expect("spawn in pty");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(rows), nz(cols), 0)));
        let feed = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut parser) = feed.lock() {
                    parser.process(&buf[..n]);
                }
            }
        });
        PtyApp {
            screen,
            writer,
            child,
            master: pty.master,
        }
    }

    pub fn text(&self) -> String {
        self.screen
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to pty");
        self.writer.flush().expect("flush pty");
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
        if let Ok(mut p) = self.screen.lock() {
            p.screen_mut().set_size(nz(rows), nz(cols));
        }
    }

    /// Wait until the screen satisfies `pred`; panics with the screen on timeout.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) {
        let start = Instant::now();
        loop {
            let text = self.text();
            if pred(&text) {
                return;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_text(&self, needle: &str, timeout: Duration) {
        self.wait_for(needle, timeout, |t| t.contains(needle));
    }

    pub fn exited(&mut self) -> Option<bool> {
        self.child.try_wait().ok().flatten().map(|s| s.success())
    }
}

impl Drop for PtyApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
