//! `proximity console TARGET`: a raw console in this terminal, no TUI (scripts, SSH).
//! The terminal is in raw mode while connected; every key goes to the guest except the escape
//! chord Ctrl-] (as telnet uses), printed on entry.
//!
//! Guest output goes to the user's terminal as is, except the string sequences (OSC, DCS,
//! SOS, PM, APC): OSC 52 would write the user's clipboard and OSC 0/2 the window title,
//! which a guest must not do. The TUI gets the same protection because its screen is a
//! vt100 model that never forwards those strings; here there is no model to parse into,
//! so `StringSequenceFilter` drops them from the byte stream.

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
    let label = format!("CT {} ({})", guest.vmid, crate::text::clean_string(&name));
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
    let mut guest_strings = StringSequenceFilter::default();
    let outcome: Result<&str, CliError> = loop {
        tokio::select! {
            out = reader.next() => match out {
                Some(Ok(bytes)) => {
                    let bytes = guest_strings.filter(&bytes);
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

/// Where the filter is in the ECMA-48 byte stream; kept across chunks, since a sequence can
/// be split between websocket frames.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum FilterState {
    #[default]
    Ground,
    /// ESC seen, held back until the next byte tells what it starts.
    Escape,
    /// 0xC2 seen: the UTF-8 lead byte of the C1 controls (U+0090..U+009F).
    C1Lead,
    /// Inside a dropped string, until BEL or ST (ESC \\ or U+009C); CAN/SUB abort it.
    Str,
    StrEscape,
    StrC1Lead,
}

/// Drops OSC, DCS, SOS, PM and APC strings (7-bit `ESC ] P X ^ _` and their UTF-8 encoded
/// C1 forms) from terminal output; every other byte passes unchanged.
#[derive(Debug, Default)]
pub struct StringSequenceFilter {
    state: FilterState,
}

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;
const C1_LEAD: u8 = 0xc2;

impl StringSequenceFilter {
    pub fn filter(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        for &byte in input {
            self.step(byte, &mut out);
        }
        out
    }

    fn step(&mut self, byte: u8, out: &mut Vec<u8>) {
        use FilterState::*;
        match self.state {
            Ground => match byte {
                ESC => self.state = Escape,
                C1_LEAD => self.state = C1Lead,
                _ => out.push(byte),
            },
            Escape => match byte {
                b']' | b'P' | b'X' | b'^' | b'_' => self.state = Str,
                ESC => out.push(ESC),
                _ => {
                    out.extend_from_slice(&[ESC, byte]);
                    self.state = Ground;
                }
            },
            C1Lead => match byte {
                // OSC, DCS, SOS, PM, APC.
                0x9d | 0x90 | 0x98 | 0x9e | 0x9f => self.state = Str,
                _ => {
                    out.push(C1_LEAD);
                    self.state = Ground;
                    self.step(byte, out);
                }
            },
            Str => match byte {
                BEL | 0x18 | 0x1a => self.state = Ground,
                ESC => self.state = StrEscape,
                C1_LEAD => self.state = StrC1Lead,
                _ => {}
            },
            StrEscape => {
                if byte == b'\\' {
                    self.state = Ground;
                } else {
                    // Any other escape ends the string (as xterm does) and starts anew.
                    self.state = Escape;
                    self.step(byte, out);
                }
            }
            StrC1Lead => {
                self.state = if byte == 0x9c { Ground } else { Str };
                if self.state == Str {
                    self.step(byte, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filtered(chunks: &[&[u8]]) -> Vec<u8> {
        let mut f = StringSequenceFilter::default();
        chunks.iter().flat_map(|c| f.filter(c)).collect()
    }

    #[test]
    fn clipboard_and_title_sequences_do_not_reach_the_terminal() {
        let osc52 = crate::term::osc52_copy("rm -rf ~");
        let mut stream = b"a".to_vec();
        stream.extend_from_slice(&osc52);
        stream.extend_from_slice(b"b\x1b]0;pwned title\x1b\\c\x1b]2;t\x07d");
        stream.extend_from_slice(b"\x1bP1$r0m\x1b\\e\x1b_apc\x07f");
        stream.extend_from_slice("\u{9d}52;c;eA==\u{9c}g".as_bytes());
        assert_eq!(filtered(&[&stream]), b"abcdefg".to_vec());
        // Split anywhere, the same result.
        for cut in 0..stream.len() {
            let (head, tail) = stream.split_at(cut);
            assert_eq!(filtered(&[head, tail]), b"abcdefg".to_vec(), "cut at {cut}");
        }
    }

    #[test]
    fn ordinary_output_passes_unchanged() {
        let text = "l\x1b[1;31mé─╮\x1b[0m\x1b(0q\x1b(B\x1b7\x1b8\r\n\u{a0}\x1b\x1b[H".as_bytes();
        assert_eq!(filtered(&[text]), text.to_vec());
        for cut in 0..text.len() {
            let (head, tail) = text.split_at(cut);
            assert_eq!(filtered(&[head, tail]), text.to_vec(), "cut at {cut}");
        }
    }
}
