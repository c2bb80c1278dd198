//! `proximity console TARGET`: a raw console in this terminal, no TUI (scripts, SSH).
//! The terminal is in raw mode while connected; every key goes to the guest except the escape
//! chord Ctrl-] (as telnet uses), printed on entry.

use std::io::{Read, Write};
use std::process::ExitCode;

use futures_util::StreamExt;

use super::CliError;
use crate::engine::{self, ConnSpec};
use crate::pve::{ConsoleOptions, ConsoleTarget};

/// Ctrl-]: rarely used by shells or editors, and the traditional telnet escape.
const ESCAPE_BYTE: u8 = 0x1d;

/// Restores cooked mode however the session ends.
struct RawModeGuard;

impl RawModeGuard {
    fn enter() -> Result<RawModeGuard, CliError> {
        crossterm::terminal::enable_raw_mode()
            .map_err(|e| CliError::new(format!("cannot put the terminal in raw mode: {e}")))?;
        Ok(RawModeGuard)
    }
}

impl Drop for RawModeGuard {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// `node:NAME` is a node shell; anything else a container (vmid or name).
async fn console_target(
    client: &crate::pve::PveClient,
    host: &str,
    target: &str,
) -> Result<(ConsoleTarget, String), CliError> {
    if let Some(node) = target.strip_prefix("node:") {
        return Ok((
            ConsoleTarget::Node {
                node: node.to_string(),
            },
            format!("node {node}"),
        ));
    }
    let found = engine::ops::find_guest(client, host, target).await?;
    let (guest, name) = (found.guest, found.name);
    if guest.kind != crate::inventory::GuestKind::Container {
        return Err(CliError::new(format!(
            "{} is a VM: only container and node consoles are supported",
            guest.vmid
        )));
    }
    let label = format!("CT {} ({})", guest.vmid, crate::term::sanitize_line(&name));
    Ok((
        ConsoleTarget::Lxc {
            node: guest.node,
            vmid: guest.vmid,
        },
        label,
    ))
}

pub async fn run(spec: &ConnSpec, target: &str) -> Result<ExitCode, CliError> {
    let client = super::commands::connect(spec).await?;
    let (target, label) = console_target(&client, &spec.name, target).await?;
    let size = crossterm::terminal::size().ok();
    let opts = ConsoleOptions {
        initial_size: size,
        ..ConsoleOptions::default()
    };
    let stream = client
        .open_console(&target, &opts)
        .await
        .map_err(CliError::new)?;
    let (writer, mut reader) = stream.split();

    eprint!("Connected to {label}. Escape: Ctrl-]\r\n");
    let _raw = RawModeGuard::enter()?;

    // Keys come from a blocking thread: stdin has no portable async read.
    let (key_tx, mut key_rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 1024];
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 || key_tx.blocking_send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut winch = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        .map_err(CliError::new)?;
    let mut stdout = std::io::stdout();
    let outcome: Result<&str, CliError> = loop {
        tokio::select! {
            out = reader.next() => match out {
                Some(Ok(bytes)) => {
                    stdout.write_all(&bytes).and_then(|_| stdout.flush()).map_err(CliError::new)?;
                }
                Some(Err(e)) => break Err(CliError::new(e)),
                None => break Ok("console closed"),
            },
            keys = key_rx.recv() => match keys {
                Some(keys) => {
                    if let Some(at) = keys.iter().position(|b| *b == ESCAPE_BYTE) {
                        if at > 0 {
                            writer.send_input(&keys[..at]).await.map_err(CliError::new)?;
                        }
                        let _ = writer.close().await;
                        break Ok("disconnected (Ctrl-])");
                    }
                    writer.send_input(&keys).await.map_err(CliError::new)?;
                }
                None => break Ok("input closed"),
            },
            _ = winch.recv() => {
                if let Ok((cols, rows)) = crossterm::terminal::size() {
                    writer.resize(cols, rows).await.map_err(CliError::new)?;
                }
            }
        }
    };
    drop(_raw);
    match outcome {
        Ok(why) => {
            eprintln!("\r\n[{label}: {why}]");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(e),
    }
}
