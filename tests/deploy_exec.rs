//! `ConsoleExecutor` end to end on loopback: the emulator in-process, the real client, a
//! container's termproxy console, and on its PTY a real `/bin/sh` or bash (`--console-cmd`),
//! or the emulator's own simulated shell. The same suite runs against both: exit codes, output
//! shapes (multi-line, long, no final newline, escapes, `\r` progress, sentinel look-alikes),
//! `write_file` of binary data checked by `sha256sum`, a timeout that leaves the shell usable,
//! and a console that closes mid-command.

#[path = "pve_sim_support/mod.rs"]
mod pve_sim_support;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use proximity::deploy::console_exec::{ConsoleExecOptions, ConsoleExecutor};
use proximity::deploy::exec::{ExecError, ExecOutput, Executor, OutputLine};
use proximity::sim::{SimConfig, SimHandle};
use pve_sim_support::*;
use sha2::{Digest, Sha256};

const STEP: Duration = Duration::from_secs(15);

async fn sim(console_cmd: Option<&str>, drop_after_s: Option<u64>) -> SimHandle {
    start_with(SimConfig {
        console_cmd: console_cmd.map(str::to_string),
        drop_console_after_s: drop_after_s,
        ..config()
    })
    .await
}

async fn executor(handle: &SimHandle) -> ConsoleExecutor {
    let client = token_client(handle);
    let (node, vmid) = find_guest(&client, "lxc", "running").await;
    let opts = ConsoleExecOptions {
        ready_timeout: Duration::from_secs(15),
        ..ConsoleExecOptions::default()
    };
    ConsoleExecutor::open(&client, &node, vmid, opts)
        .await
        .expect("the console opens and the shell gets ready")
}

/// Runs `command`, returning its result and the lines `log` saw.
async fn run_logged(exec: &ConsoleExecutor, command: &str) -> (ExecOutput, Vec<String>) {
    let seen = Mutex::new(Vec::new());
    let log = |line: OutputLine<'_>| seen.lock().unwrap().push(line.text.to_string());
    let out = exec
        .run(command, STEP, &log)
        .await
        .unwrap_or_else(|e| panic!("`{command}` failed: {e}"));
    (out, seen.into_inner().unwrap())
}

async fn run(exec: &ConsoleExecutor, command: &str) -> ExecOutput {
    run_logged(exec, command).await.0
}

async fn suite(console_cmd: Option<&str>) {
    let handle = sim(console_cmd, None).await;
    let exec = executor(&handle).await;

    // Exit codes.
    assert_eq!(
        run(&exec, "true").await,
        ExecOutput {
            code: 0,
            output: String::new()
        }
    );
    assert_eq!(run(&exec, "false").await.code, 1);
    assert_eq!(run(&exec, "sh -c 'exit 42'").await.code, 42);
    assert_eq!(run(&exec, "false; echo \"was $?\"").await.output, "was 1");

    // Several lines, each streamed to the log.
    let (out, logged) = run_logged(&exec, "printf 'a\\nb b\\n\\nc\\n'").await;
    assert_eq!(out.output, "a\nb b\n\nc");
    assert_eq!(logged, ["a", "b b", "", "c"]);

    // A line far wider than the terminal comes back whole.
    let long = format!("{}END", "0123456789".repeat(35));
    assert_eq!(
        run(&exec, &format!("printf '%s\\n' {long}")).await.output,
        long
    );

    // The last line without a newline is not lost.
    let (out, logged) = run_logged(&exec, "printf 'one\\nno newline'").await;
    assert_eq!(out.output, "one\nno newline");
    assert_eq!(logged, ["one", "no newline"]);

    // Sentinel look-alikes are output; even one with this session's nonce.
    let fake = format!("__PX_{}_999_E:7", exec.nonce());
    let out = run(
        &exec,
        &format!(
            "echo __PX_0123456789abcdef_1_E:0; printf '%s_%s_%d_E:%d\\n' __PX x 2 0; echo {fake}"
        ),
    )
    .await;
    assert_eq!(out.code, 0);
    assert_eq!(
        out.output,
        format!("__PX_0123456789abcdef_1_E:0\n__PX_x_2_E:0\n{fake}")
    );

    // Escape sequences are dropped whole; a `\r` progress line keeps its last state.
    let out = run(
        &exec,
        "printf '\\033[1;32mgreen\\033[0m\\n'; printf '10%%\\r50%%\\r100%%\\n'; printf 'x\\ty\\n'",
    )
    .await;
    assert_eq!(out.output, "green\n100%\nx y");

    // Pipes and redirections of a normal deploy script.
    let out = run(
        &exec,
        "printf 'a\\nb\\n' | grep -q b && echo found; cat /nope 2>/dev/null || echo gone",
    )
    .await;
    assert_eq!(out.output, "found\ngone");

    // write_file: 20 KiB of every byte value, quotes and newlines, into a new directory whose
    // name needs quoting; checked by the container's own sha256sum and cat.
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().display().to_string();
    let mut data: Vec<u8> = (0..20 * 1024u32).map(|i| (i * 7 % 256) as u8).collect();
    data.extend_from_slice(b"it's \"quoted\" $HOME `x`\n\\n\r\n\0end");
    let path = format!("{base}/sub dir/it's data.bin");
    exec.write_file(&path, &data, 0o640)
        .await
        .expect("write_file");
    let quoted = format!("'{}'", path.replace('\'', "'\\''"));
    let out = run(&exec, &format!("sha256sum {quoted}")).await;
    assert_eq!(out.code, 0, "{}", out.output);
    let want = hex::encode(Sha256::digest(&data));
    assert_eq!(
        out.output.split_whitespace().next(),
        Some(want.as_str()),
        "{}",
        out.output
    );
    assert_eq!(
        run(&exec, &format!("wc -c < {quoted}")).await.output.trim(),
        data.len().to_string()
    );
    let text = "line 1\nit's a 'test'\n\"two\"\n";
    let text_path = format!("{base}/conf.env");
    exec.write_file(&text_path, text.as_bytes(), 0o600)
        .await
        .expect("write_file");
    let out = run(&exec, &format!("cat '{text_path}'")).await;
    assert_eq!(out.output, text.trim_end());
    assert!(matches!(
        exec.write_file("/tmp/bad\nname", b"x", 0o644).await,
        Err(ExecError::Protocol(_))
    ));
    // Nothing of the upload is left behind.
    let leftovers = run(&exec, &format!("ls -a '{base}/sub dir'")).await.output;
    assert!(!leftovers.contains("px-upload"), "{leftovers}");

    // A timeout interrupts the command and the shell is usable again.
    let started = Instant::now();
    let err = exec
        .run("sleep 30", Duration::from_secs(1), &|_| {})
        .await
        .expect_err("sleep 30 times out");
    assert!(matches!(err, ExecError::Timeout { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run(&exec, "echo alive").await.output, "alive");
    assert_eq!(run(&exec, "sh -c 'exit 3'").await.code, 3);

    exec.close().await;
    assert!(matches!(
        exec.run("true", STEP, &|_| {}).await,
        Err(ExecError::Closed)
    ));
    finish(handle).await;
}

/// The console drops (the emulator cuts it after 3 s) while a command runs.
async fn closes_mid_command(console_cmd: Option<&str>) {
    let handle = sim(console_cmd, Some(3)).await;
    let exec = executor(&handle).await;
    let started = Instant::now();
    let result = exec.run("sleep 30", Duration::from_secs(20), &|_| {}).await;
    assert!(matches!(result, Err(ExecError::Closed)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(matches!(
        exec.run("true", STEP, &|_| {}).await,
        Err(ExecError::Closed)
    ));
    finish(handle).await;
}

#[tokio::test]
async fn real_sh_speaks_the_protocol() {
    suite(Some("/bin/sh")).await;
}

/// bash with readline, bracketed paste and history expansion, as `lxc-attach` usually gives.
#[tokio::test]
async fn real_bash_speaks_the_protocol() {
    suite(Some("exec bash --norc --noprofile")).await;
}

#[tokio::test]
async fn simulated_shell_speaks_the_protocol() {
    suite(None).await;
}

#[tokio::test]
async fn real_sh_closing_mid_command_is_closed() {
    closes_mid_command(Some("/bin/sh")).await;
}

#[tokio::test]
async fn simulated_shell_closing_mid_command_is_closed() {
    closes_mid_command(None).await;
}
