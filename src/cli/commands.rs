//! The non-interactive subcommands about hosts (add, ls, rm) and what every command needs to
//! reach one: connection specs, login with TFA prompts, output. The commands that span every
//! host live in `fleet`. Each returns `Result<ExitCode, CliError>`; `main` prints the error in
//! one line. Guest and task text is sanitized before it is printed.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use super::{CliError, HostAddArgs};
use crate::engine::{self, ConnSpec, EngineError, connection};
use crate::paths::Paths;
use crate::pve::PveClient;
use crate::store::{HostAuth, HostConfig, Secret, Store};
use crate::text::clean_string;

impl From<EngineError> for CliError {
    fn from(e: EngineError) -> Self {
        if let EngineError::TaskFailed { log, .. } = &e {
            let mut err = std::io::stderr().lock();
            for line in log {
                let _ = writeln!(err, "  | {}", clean_string(line));
            }
        }
        CliError::new(e)
    }
}

/// The endpoint a single-host command (console) talks to: the environment wins, then
/// `--host`, then the first configured host.
pub fn resolve_connection(host: Option<&str>, paths: &Paths) -> Result<ConnSpec, CliError> {
    if let Some(spec) = env_connection()? {
        return Ok(spec);
    }
    let chosen = configured_hosts(host, paths)?
        .into_iter()
        .next()
        .ok_or_else(no_hosts)?;
    spec_for(&chosen)
}

/// A one-off connection from `PROXIMITY_URL` and friends, if set.
pub fn env_connection() -> Result<Option<ConnSpec>, CliError> {
    connection::from_env(|k| std::env::var(k).ok()).map_err(CliError::new)
}

/// The configured hosts, in order; `--host NAME` narrows them to that one.
pub fn configured_hosts(host: Option<&str>, paths: &Paths) -> Result<Vec<HostConfig>, CliError> {
    let store = Store::open(paths).map_err(CliError::new)?;
    let hosts = store.hosts().list().map_err(CliError::new)?;
    match host {
        Some(name) => hosts
            .into_iter()
            .find(|h| h.name == name)
            .map(|h| vec![h])
            .ok_or_else(|| {
                CliError::new(format!("no host named '{name}' (see `proximity hosts ls`)"))
            }),
        None if hosts.is_empty() => Err(no_hosts()),
        None => Ok(hosts),
    }
}

fn no_hosts() -> CliError {
    CliError::new(
        "no Proxmox host configured: run `proximity hosts add`, set PROXIMITY_URL, or try `proximity demo`",
    )
}

/// A stored host as a connection; a password that is not stored is asked for on the terminal.
pub fn spec_for(chosen: &HostConfig) -> Result<ConnSpec, CliError> {
    let mut spec_host = chosen.clone();
    if let HostAuth::User {
        user,
        password: None,
        ..
    } = &chosen.auth
    {
        let password = prompt_secret(&format!("Password for {user} on {}: ", chosen.name))?;
        spec_host.auth = HostAuth::User {
            user: user.clone(),
            password: Some(password),
            totp: false,
        };
    }
    connection::from_host(&spec_host)
        .ok_or_else(|| CliError::new(format!("host '{}' has no password", chosen.name)))
}

/// Connect and log in; asks for a TOTP code when the server wants one.
pub async fn connect(spec: &ConnSpec) -> Result<PveClient, CliError> {
    // Every insecure connect says so, once, on stderr (stdout stays the command's output).
    if let Some(warning) = connection::insecure_warning(spec) {
        eprintln!("{warning}");
    }
    let client = connection::client_for(spec).map_err(CliError::new)?;
    if let engine::ConnAuth::User { .. } = spec.auth {
        if let crate::pve::LoginOutcome::NeedTfa = client.login().await.map_err(CliError::new)? {
            let code = prompt_line("TOTP code: ")?;
            client
                .complete_tfa(code.trim())
                .await
                .map_err(CliError::new)?;
        }
    }
    Ok(client)
}

pub fn prompt_line(prompt: &str) -> Result<String, CliError> {
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| CliError::new(format!("need a terminal to ask '{}': {e}", prompt.trim())))?;
    tty.write_all(prompt.as_bytes()).map_err(CliError::new)?;
    let mut line = String::new();
    std::io::BufReader::new(tty)
        .read_line(&mut line)
        .map_err(CliError::new)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn prompt_secret(prompt: &str) -> Result<Secret, CliError> {
    // Echo off while the password is typed, restored whatever happens.
    let _ = crossterm::terminal::enable_raw_mode();
    let result = (|| {
        let mut tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|e| CliError::new(format!("need a terminal to ask for the password: {e}")))?;
        tty.write_all(prompt.as_bytes()).map_err(CliError::new)?;
        tty.flush().map_err(CliError::new)?;
        let mut bytes = Vec::new();
        let mut byte = [0u8; 1];
        while std::io::Read::read(&mut tty, &mut byte).map_err(CliError::new)? == 1 {
            match byte[0] {
                b'\r' | b'\n' => break,
                3 => return Err(CliError::new("cancelled")),
                0x7f | 8 => {
                    bytes.pop();
                }
                b => bytes.push(b),
            }
        }
        let _ = tty.write_all(b"\r\n");
        String::from_utf8(bytes)
            .map(Secret::new)
            .map_err(|_| CliError::new("the password is not UTF-8"))
    })();
    let _ = crossterm::terminal::disable_raw_mode();
    result
}

/// `rows` as pretty JSON with every string cleaned the way tables are: JSON escapes ESC,
/// but C1 controls (U+0080..U+009F, CSI among them) would reach a UTF-8 terminal raw, and a
/// script piping `--json` into a terminal deserves the same care as the table.
pub fn clean_json<T: serde::Serialize>(rows: &T) -> Result<String, CliError> {
    fn clean(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                if let std::borrow::Cow::Owned(c) = crate::text::clean(s) {
                    *s = c;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(clean),
            serde_json::Value::Object(map) => map.values_mut().for_each(clean),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(rows).map_err(CliError::new)?;
    clean(&mut value);
    serde_json::to_string_pretty(&value).map_err(CliError::new)
}

pub fn print_out<T: serde::Serialize>(
    json: bool,
    rows: &T,
    table: impl FnOnce() -> String,
) -> Result<ExitCode, CliError> {
    let text = if json {
        clean_json(rows)? + "\n"
    } else {
        table()
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(CliError::new)?;
    Ok(ExitCode::SUCCESS)
}

/// The token given with `--token-stdin`: the first line of `input` is `user@realm!id=secret`,
/// or only the secret when `--token-id` names the id (a secret holds no `!`).
pub fn token_from_stdin(
    input: &mut impl BufRead,
    token_id: Option<&str>,
) -> Result<(String, String), CliError> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(CliError::new)?;
    let line = line.trim();
    if line.is_empty() {
        return Err(CliError::new(
            "--token-stdin: stdin is empty (expected user@realm!id=secret, or the secret with --token-id)",
        ));
    }
    let full = match token_id {
        Some(id) => format!("{id}={line}"),
        None => line.to_string(),
    };
    let flag = if token_id.is_some() {
        "--token-id"
    } else {
        "--token-stdin"
    };
    connection::parse_token(&full)
        .map_err(|e| CliError::new(e.to_string().replace("PROXIMITY_TOKEN", flag)))
}

pub async fn hosts_add(paths: &Paths, args: &HostAddArgs) -> Result<ExitCode, CliError> {
    let token = if let Some(token) = &args.token {
        Some(
            connection::parse_token(token)
                .map_err(|e| CliError::new(e.to_string().replace("PROXIMITY_TOKEN", "--token")))?,
        )
    } else if args.token_stdin {
        Some(token_from_stdin(
            &mut std::io::stdin().lock(),
            args.token_id.as_deref(),
        )?)
    } else {
        None
    };
    let auth = if let Some((id, secret)) = token {
        HostAuth::Token {
            id,
            secret: Secret::new(secret),
        }
    } else {
        let user = args.user.clone().unwrap_or_default();
        let password = if args.password_stdin {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(CliError::new)?;
            Some(Secret::new(line.trim_end_matches(['\r', '\n']).to_string()))
        } else {
            None
        };
        HostAuth::User {
            user,
            password,
            totp: args.totp,
        }
    };
    let mut cfg = HostConfig {
        name: args.name.clone(),
        url: args.url.trim_end_matches('/').to_string(),
        auth,
        fingerprint: args.fingerprint.clone(),
        insecure: args.insecure,
    }
    .validated()
    .map_err(CliError::new)?;
    let store = Store::open(paths).map_err(CliError::new)?;
    if store
        .hosts()
        .get(&cfg.name)
        .map_err(CliError::new)?
        .is_some()
    {
        return Err(CliError::new(format!(
            "a host named '{}' exists already",
            cfg.name
        )));
    }
    // Trust on first use: show the certificate's fingerprint and ask before pinning it.
    // The steps are the engine's, shared with the TUI's host form.
    if engine::hosts::needs_fingerprint(&cfg) {
        let presented = engine::hosts::probe_certificate(&cfg.url)
            .await
            .map_err(CliError::new)?;
        eprintln!(
            "The server at {} presents a certificate with SHA-256 fingerprint:\n  {presented}",
            cfg.url
        );
        if !args.yes {
            let answer = prompt_line("Trust it and pin it for this host? [y/N] ")?;
            if !matches!(answer.trim(), "y" | "Y" | "yes") {
                return Err(CliError::new("not added: fingerprint not confirmed"));
            }
        }
        cfg.fingerprint = Some(presented);
    }
    // The insecure warning comes from `connect` below, once.
    // Prove the endpoint and credentials work before saving them (a TOTP code is asked
    // for here, on the terminal).
    if let Some(spec) = connection::from_host(&cfg) {
        let client = connect(&spec).await?;
        client.version().await.map_err(CliError::new)?;
    }
    let saved = engine::hosts::save(&store, cfg, None).map_err(CliError::new)?;
    println!("added host '{}' ({})", saved.name, saved.url);
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Serialize)]
struct HostRow {
    name: String,
    url: String,
    auth: String,
    fingerprint: Option<String>,
    insecure: bool,
}

pub fn hosts_ls(paths: &Paths, json: bool) -> Result<ExitCode, CliError> {
    let store = Store::open(paths).map_err(CliError::new)?;
    let rows: Vec<HostRow> = store
        .hosts()
        .list()
        .map_err(CliError::new)?
        .into_iter()
        .map(|h| HostRow {
            auth: match &h.auth {
                HostAuth::Token { id, .. } => format!("token {id}"),
                HostAuth::User { user, totp, .. } => {
                    format!("user {user}{}", if *totp { " +totp" } else { "" })
                }
            },
            name: h.name,
            url: h.url,
            fingerprint: h.fingerprint,
            insecure: h.insecure,
        })
        .collect();
    print_out(json, &rows, || {
        let body: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.url.clone(),
                    r.auth.clone(),
                    if r.insecure {
                        "INSECURE".into()
                    } else {
                        r.fingerprint.clone().unwrap_or_else(|| "verified".into())
                    },
                ]
            })
            .collect();
        super::output::render_table(&["NAME", "URL", "AUTH", "TLS"], &body)
    })
}

pub fn hosts_rm(paths: &Paths, name: &str) -> Result<ExitCode, CliError> {
    let store = Store::open(paths).map_err(CliError::new)?;
    if store.hosts().get(name).map_err(CliError::new)?.is_none() {
        return Err(CliError::new(format!("no host named '{name}'")));
    }
    store.hosts().remove(name).map_err(CliError::new)?;
    println!("removed host '{name}'");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod token_stdin_tests {
    use super::*;

    #[test]
    fn token_stdin_takes_a_full_token_or_the_secret_with_its_id() {
        let read = |input: &str, id: Option<&str>| {
            token_from_stdin(&mut std::io::Cursor::new(input.as_bytes()), id)
                .map_err(|e| e.to_string())
        };
        let expected = Ok(("root@pam!ci".to_string(), "ab-cd".to_string()));
        assert_eq!(read("root@pam!ci=ab-cd\n", None), expected);
        assert_eq!(read("ab-cd\r\n", Some("root@pam!ci")), expected);
        assert!(
            read("", None)
                .unwrap_err()
                .starts_with("--token-stdin: stdin is empty")
        );
        assert_eq!(
            read("ab-cd\n", None).unwrap_err(),
            "--token-stdin must look like user@realm!id=secret (got no '=' after the token id)"
        );
        assert_eq!(
            read("ab-cd\n", Some("root")).unwrap_err(),
            "--token-id: token id 'root' must look like user@realm!id"
        );
    }
}
