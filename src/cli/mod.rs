//! The command line (clap). Every command exits non-zero with one clear line on error.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "proximity", version, about = "A terminal rack dashboard for Proxmox VE")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the simulated shell inside an emulator PTY (internal).
    #[command(name = "__sim-shell", hide = true)]
    SimShell(crate::sim::shell::ShellArgs),
}

pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::SimShell(args)) => crate::sim::shell::run(args),
        None => {
            eprintln!("proximity: the TUI is not built yet");
            std::process::ExitCode::FAILURE
        }
    }
}
