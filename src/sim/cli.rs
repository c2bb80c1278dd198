//! `proximity sim`: the emulator as a server. Prints exactly one JSON line (how to connect) on
//! stdout, then serves until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use super::{DeployStep, DeployTiming, SimConfig, SimError, start};

#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8006")]
    pub listen: SocketAddr,
    /// Number of nodes (pve1, pve2, ...).
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Number of guests spread over the nodes.
    #[arg(long, default_value_t = 30)]
    pub guests: usize,
    /// Seed of the generated cluster (same seed, same cluster).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Directory where the model is saved and reloaded from.
    #[arg(long = "state", value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Serve HTTPS with a generated certificate (default).
    #[arg(long, overrides_with = "no_tls")]
    pub tls: bool,
    /// Serve plain HTTP.
    #[arg(long = "no-tls", overrides_with = "tls")]
    pub no_tls: bool,
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long, env = "PROXIMITY_SIM_PASSWORD")]
    pub password: Option<String>,
    /// Full API token `user@realm!id=secret`.
    #[arg(long, env = "PROXIMITY_SIM_TOKEN")]
    pub token: Option<String>,
    /// Base32 TOTP secret: logins then require the second factor.
    #[arg(long)]
    pub totp_secret: Option<String>,
    /// Probability (0..1) that a request fails like an unreachable cluster node.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Probability (0..1) that a worker task ends `TASK ERROR` without changing anything.
    #[arg(long, default_value_t = 0.0)]
    pub fail_task_rate: f64,
    /// Extra latency added to every request.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    #[arg(long, default_value_t = 7200)]
    pub ticket_lifetime_s: u64,
    /// Drop console sessions after this many seconds.
    #[arg(long)]
    pub drop_console_after_s: Option<u64>,
    /// Program to run in console PTYs instead of the simulated shell.
    #[arg(long, value_name = "PROGRAM")]
    pub console_cmd: Option<String>,
    /// Delay of 401 answers (Proxmox waits about 3 s).
    #[arg(long, default_value_t = 3000)]
    pub auth_failure_delay_ms: u64,
    /// Pause between the steps of worker tasks.
    #[arg(long, default_value_t = 300)]
    pub task_step_ms: u64,
    /// Make one step of app deployments fail, every time: `template` (template download
    /// task), `create` (vzcreate task), `start` (vzstart task), or inside the container's
    /// console `docker` (Docker package install), `pull` (image pull: manifest unknown),
    /// `up` (a service exits), `health` (the app never answers).
    #[arg(long, value_enum, value_name = "STEP")]
    pub fail_step: Option<DeployStep>,
    /// How long work inside containers takes (package installs, image pulls, app warm-up):
    /// `fast` (well under a second per step, for tests) or `realistic` (seconds).
    #[arg(long, value_enum, default_value_t = DeployTiming::Realistic)]
    pub deploy_timing: DeployTiming,
    /// Allow `--console-cmd` or `--no-tls` on a non-loopback `--listen` address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Run the backup-job scheduler this many times faster than the wall clock (86400: a
    /// daily job fires every second). Only schedules speed up; reported times stay real.
    #[arg(long, default_value_t = 1.0, value_parser = positive_scale)]
    pub time_scale: f64,
    /// Start with node NAME offline (repeatable), for alert tests. At run time:
    /// `POST /_proximity-sim/node/NAME/offline` (and `/online`), from loopback only.
    #[arg(long = "offline-node", value_name = "NAME")]
    pub offline_nodes: Vec<String>,
    /// Start with guest VMID's CPU and memory spiked to at least these percentages
    /// (`VMID`, `VMID:CPU` or `VMID:CPU:MEM`; default 97), for alert tests. At run time:
    /// `POST /_proximity-sim/guest/VMID/spike?cpu=97&mem=97` (and `/calm`).
    #[arg(long = "spike", value_name = "VMID[:CPU[:MEM]]", value_parser = super::control::parse_spike)]
    pub spikes: Vec<super::SpikeSpec>,
}

impl SimArgs {
    pub fn to_config(&self) -> Result<SimConfig, SimError> {
        if !(0.0..=1.0).contains(&self.fail_rate) {
            return Err(SimError::Config(format!(
                "--fail-rate must be within 0..1, got {}",
                self.fail_rate
            )));
        }
        if !(0.0..=1.0).contains(&self.fail_task_rate) {
            return Err(SimError::Config(format!(
                "--fail-task-rate must be within 0..1, got {}",
                self.fail_task_rate
            )));
        }
        // A real program in the console PTY is a shell for whoever logs in, and plain HTTP
        // shows the generated password to the network: both stay on loopback unless asked.
        if !self.listen.ip().is_loopback() && !self.allow_remote {
            let risky = match (&self.console_cmd, self.no_tls) {
                (Some(_), _) => Some("--console-cmd"),
                (None, true) => Some("--no-tls"),
                (None, false) => None,
            };
            if let Some(flag) = risky {
                return Err(SimError::Config(format!(
                    "{flag} with the non-loopback address --listen {} gives the network a shell or the password in clear; add --allow-remote to do it anyway",
                    self.listen
                )));
            }
        }
        Ok(SimConfig {
            listen: self.listen,
            nodes: self.nodes.max(1),
            guests: self.guests,
            seed: self.seed,
            state_dir: self.state.clone(),
            tls: !self.no_tls,
            user: self.user.clone(),
            password: self.password.clone(),
            token: self.token.clone(),
            fail_rate: self.fail_rate,
            fail_task_rate: self.fail_task_rate,
            latency_ms: self.latency_ms,
            ticket_lifetime_s: self.ticket_lifetime_s,
            drop_console_after_s: self.drop_console_after_s,
            console_cmd: self.console_cmd.clone(),
            auth_failure_delay_ms: self.auth_failure_delay_ms,
            shell_exe: None,
            totp_secret: self.totp_secret.clone(),
            task_step_ms: self.task_step_ms,
            check_returns: false,
            fail_step: self.fail_step,
            deploy_timing: self.deploy_timing,
            time_scale: self.time_scale,
            offline_nodes: self.offline_nodes.clone(),
            spikes: self.spikes.clone(),
        })
    }
}

fn positive_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a positive number")),
    }
}

async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub async fn run_cli(args: SimArgs) -> Result<(), SimError> {
    let handle = start(args.to_config()?).await?;
    let line = serde_json::to_string(&handle.info).map_err(|e| SimError::Config(e.to_string()))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    terminated().await;
    handle.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: SimArgs,
    }

    fn parse(argv: &[&str]) -> SimConfig {
        let w =
            Wrapper::try_parse_from(std::iter::once("sim").chain(argv.iter().copied())).unwrap();
        w.args.to_config().unwrap()
    }

    #[test]
    fn defaults_and_flags() {
        let c = parse(&[]);
        assert_eq!(c.listen, "127.0.0.1:8006".parse().unwrap());
        assert!(c.tls);
        assert_eq!(c.auth_failure_delay_ms, 3000);
        let c = parse(&[
            "--no-tls",
            "--listen",
            "127.0.0.1:0",
            "--guests",
            "5",
            "--fail-rate",
            "0.5",
        ]);
        assert!(!c.tls);
        assert_eq!((c.listen.port(), c.guests, c.fail_rate), (0, 5, 0.5));
        assert!(
            parse(&["--no-tls", "--tls"]).tls,
            "the last of --tls/--no-tls wins"
        );
        let w = Wrapper::try_parse_from(["sim", "--fail-rate", "2"]).unwrap();
        assert!(w.args.to_config().is_err());
        assert_eq!(c.deploy_timing, DeployTiming::Realistic);
        assert_eq!(c.fail_step, None);
        let c = parse(&["--fail-step", "pull", "--deploy-timing", "fast"]);
        assert_eq!(
            (c.fail_step, c.deploy_timing),
            (Some(DeployStep::Pull), DeployTiming::Fast)
        );
        assert!(Wrapper::try_parse_from(["sim", "--fail-step", "nope"]).is_err());
    }

    fn refusal(argv: &[&str]) -> Option<String> {
        let w =
            Wrapper::try_parse_from(std::iter::once("sim").chain(argv.iter().copied())).unwrap();
        w.args.to_config().err().map(|e| e.to_string())
    }

    #[test]
    fn remote_shell_or_cleartext_needs_allow_remote() {
        let err = refusal(&["--listen", "0.0.0.0:0", "--console-cmd", "/bin/sh"]).unwrap();
        assert!(
            err.contains("--console-cmd") && err.contains("--allow-remote"),
            "{err}"
        );
        assert!(!err.contains('\n'), "one line: {err}");
        let err = refusal(&["--listen", "[::]:0", "--no-tls"]).unwrap();
        assert!(
            err.contains("--no-tls") && err.contains("--allow-remote"),
            "{err}"
        );
        assert_eq!(
            refusal(&["--listen", "0.0.0.0:0"]),
            None,
            "TLS, simulated shell"
        );
        assert_eq!(
            refusal(&["--listen", "127.0.0.1:0", "--no-tls", "--console-cmd", "sh"]),
            None
        );
        assert_eq!(refusal(&["--listen", "[::1]:0", "--no-tls"]), None);
        assert_eq!(
            refusal(&[
                "--listen",
                "0.0.0.0:0",
                "--no-tls",
                "--console-cmd",
                "sh",
                "--allow-remote"
            ]),
            None
        );
    }
}
