//! The simulated container/node shell that runs inside the emulator's PTYs
//! (`proximity __sim-shell`). It never touches the host.

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
}

pub fn run(_args: ShellArgs) -> std::process::ExitCode {
    eprintln!("simulated shell not implemented");
    std::process::ExitCode::FAILURE
}
