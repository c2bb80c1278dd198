//! The simulated container/node shell that runs inside the emulator's PTYs
//! (`proximity __sim-shell`). It never touches the host: its filesystem is an in-memory fake
//! ([`fs`]), it runs no programs, and the only system calls it makes on its terminal are reading
//! stdin, the window size and signal handlers ([`tty`]).
//!
//! It reads lines in the PTY's cooked mode (the kernel echoes and edits), prints a Debian-like
//! banner and a colored `root@<hostname>:~# ` prompt (`$PS1` once set). Each line is parsed
//! ([`parse`]) and run ([`interp`]): enough POSIX sh for `ConsoleExecutor`'s protocol and plain
//! deploy scripts (variables, quoting, `;` `&&` `||` `|`, redirections, `printf`, `test`,
//! `base64 -d`, `stty -echo`, ...); anything more prints `sh: ...: not supported` (status 2).

pub mod apps;
mod builtins;
pub mod commands;
mod compose;
pub mod ct_state;
mod docker;
mod docker_out;
mod docker_progress;
pub mod fs;
mod interp;
mod net;
mod parse;
mod pkg;
mod printf;
mod tty;

use std::io::Write;
use std::time::Duration;

use commands::{Flow, Shell, Terminal};

/// Arguments of `proximity __sim-shell`.
#[derive(Debug, Clone, clap::Args)]
pub struct ShellArgs {
    #[arg(long)]
    pub hostname: String,
    /// `ct` or `node`.
    #[arg(long, default_value = "ct")]
    pub kind: String,
    #[arg(long, default_value = "root")]
    pub user: String,
    /// Where this container's deployment state persists between sessions (owned by the sim).
    #[arg(long)]
    pub state_file: Option<std::path::PathBuf>,
    /// Deployment step to break: `docker`, `pull`, `up` or `health`.
    #[arg(long)]
    pub fail_step: Option<String>,
    /// `fast` or `realistic`.
    #[arg(long, default_value = "fast")]
    pub deploy_timing: String,
}

/// The real terminal on fd 0.
struct PtyTerminal;

impl Terminal for PtyTerminal {
    fn size(&self) -> Option<(u16, u16)> {
        tty::window_size()
    }

    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
            .unwrap_or(0)
    }

    fn set_echo(&self, on: bool) -> bool {
        tty::set_echo(on)
    }

    fn sleep(&self, seconds: f64) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs_f64(seconds);
        while std::time::Instant::now() < deadline {
            if tty::take_interrupt() {
                return false;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            std::thread::sleep(Duration::from_millis(20).min(left));
        }
        true
    }
}

/// The login banner: kernel line, Debian notice, last login.
pub fn banner(hostname: &str, kind_node: bool) -> String {
    let mut text = format!(
        "Linux {hostname} 6.8.12-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-4 (2024-11-06T15:04Z) x86_64\n\
         \n\
         The programs included with the Debian GNU/Linux system are free software;\n\
         the exact distribution terms for each program are described in the\n\
         individual files in /usr/share/doc/*/copyright.\n\
         \n\
         Debian GNU/Linux comes with ABSOLUTELY NO WARRANTY, to the extent\n\
         permitted by applicable law.\n"
    );
    if kind_node {
        text.push_str("\nThis is a simulated Proxmox VE node (Proximity emulator).\n");
    }
    text.push_str("Last login: Mon Jan 12 09:20:11 2026 from 10.0.0.2\n");
    text
}

pub fn run(args: ShellArgs) -> std::process::ExitCode {
    let kind_node = args.kind == "node";
    let mut shell = Shell::new(&args.hostname, &args.user, kind_node);
    shell.apps = apps::AppsSession::open(
        args.state_file.clone(),
        ct_state::FailStep::parse(args.fail_step.as_deref().unwrap_or("")),
        ct_state::Timing::parse(&args.deploy_timing),
        &args.hostname,
        &shell.home.clone(),
        &mut shell.fs,
    );
    tty::install_signal_handlers();
    let terminal = PtyTerminal;
    let mut reader = tty::LineReader::default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = out.write_all(banner(&args.hostname, kind_node).as_bytes());
    loop {
        let _ = out.write_all(shell.prompt().as_bytes());
        let _ = out.flush();
        match reader.read_line() {
            tty::LineRead::Line(line) => {
                let flow = shell.run_line(&line, &mut out, &terminal);
                shell.apps.sync(&shell.fs);
                if let Flow::Exit(code) = flow {
                    let _ = out.write_all(b"logout\n");
                    let _ = out.flush();
                    return std::process::ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1));
                }
            }
            // The kernel already echoed `^C`; bash moves to a fresh prompt.
            tty::LineRead::Interrupted => {
                shell.status = 130;
                let _ = out.write_all(b"\n");
            }
            tty::LineRead::Eof => {
                let _ = out.write_all(b"logout\n");
                let _ = out.flush();
                return std::process::ExitCode::SUCCESS;
            }
        }
    }
}
