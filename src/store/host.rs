//! `HostConfig`: one Proxmox endpoint the user added, and its validation.
//!
//! Validation runs on every add/update (the CLI, the TUI form and imports share it), returns
//! the normalized record, and its errors name the field and what is wrong, so the form can put
//! the message next to the field it belongs to. User-typed values are quoted with `{:?}` in
//! messages so control characters are escaped before they reach a terminal.

use std::fmt;

use super::secret::Secret;

/// A Proxmox host (or cluster entry point) and how to authenticate to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// Short name used in the UI and on the command line: `[A-Za-z0-9][A-Za-z0-9._-]{0,62}`.
    pub name: String,
    /// Base URL, e.g. `https://pve1:8006`.
    pub url: String,
    pub auth: HostAuth,
    /// Pinned SHA-256 certificate fingerprint, upper-case colon hex (as Proxmox shows it).
    pub fingerprint: Option<String>,
    /// Skip TLS verification (explicit opt-in; shown as a warning in the UI).
    pub insecure: bool,
}

/// How to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAuth {
    /// API token: `id` is `user@realm!tokenid`, `secret` the UUID Proxmox showed once.
    Token { id: String, secret: Secret },
    /// Ticket login; with no stored password it is asked for at connect time.
    User {
        user: String,
        password: Option<Secret>,
        totp: bool,
    },
}

/// A field of a host record is invalid. Display: `<field>: <problem>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    pub field: &'static str,
    pub problem: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

fn invalid(field: &'static str, problem: impl Into<String>) -> ValidationError {
    ValidationError {
        field,
        problem: problem.into(),
    }
}

/// Longest host name (1 leading + 62 more characters).
pub const MAX_NAME_LEN: usize = 63;

impl HostConfig {
    /// Check every field; return the record with the fingerprint normalized.
    pub fn validated(mut self) -> Result<HostConfig, ValidationError> {
        validate_name(&self.name)?;
        validate_url(&self.url)?;
        match &self.auth {
            HostAuth::Token { id, secret } => {
                validate_token_id(id)?;
                validate_secret("auth.secret", secret)?;
            }
            HostAuth::User { user, password, .. } => {
                validate_user(user)?;
                if let Some(password) = password {
                    validate_secret("auth.password", password)?;
                }
            }
        }
        if let Some(fp) = &self.fingerprint {
            self.fingerprint = Some(normalize_fingerprint(fp)?);
        }
        Ok(self)
    }
}

/// `[A-Za-z0-9][A-Za-z0-9._-]{0,62}`.
pub fn validate_name(name: &str) -> Result<(), ValidationError> {
    let Some(first) = name.chars().next() else {
        return Err(invalid("name", "must not be empty"));
    };
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        return Err(invalid(
            "name",
            format!("must be at most {MAX_NAME_LEN} characters (got {len})"),
        ));
    }
    if !first.is_ascii_alphanumeric() {
        return Err(invalid(
            "name",
            format!("must start with a letter or digit (got {name:?})"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(invalid(
            "name",
            format!(
                "may contain only letters, digits, '.', '_' and '-' (found {bad:?} in {name:?})"
            ),
        ));
    }
    Ok(())
}

pub fn validate_url(text: &str) -> Result<(), ValidationError> {
    let parsed = url::Url::parse(text)
        .map_err(|e| invalid("url", format!("not a valid URL: {e} (got {text:?})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(
            "url",
            format!("must use http or https (got {:?})", parsed.scheme()),
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid(
            "url",
            format!("must include a host (got {text:?})"),
        ));
    }
    // Plain http sends the password (or token) and the session ticket in clear: only a
    // local endpoint (the emulator with --no-tls, an SSH tunnel) may use it.
    if parsed.scheme() == "http" && !is_loopback_host(&parsed) {
        return Err(invalid(
            "url",
            format!(
                "http:// sends credentials in clear; use https:// (http is allowed only for 127.0.0.1, ::1 or localhost; got {text:?})"
            ),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // A password in the URL would be stored in plain text; credentials belong in `auth`.
        return Err(invalid(
            "url",
            "must not contain a user name or password; put credentials in auth",
        ));
    }
    Ok(())
}

/// Whether the URL's host is this machine: 127.0.0.0/8, ::1 or `localhost` (names are not
/// resolved here, so `localhost` is the only name trusted).
pub fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost") || name.eq_ignore_ascii_case("localhost.")
        }
        None => false,
    }
}

/// Proxmox realm and token names: `[A-Za-z][A-Za-z0-9._-]+` (pve-realm / pve-tokenid formats).
fn is_proxmox_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `user@realm`: user without whitespace, ':' or '/' (pve-userid), realm an identifier.
fn is_user_id(s: &str) -> bool {
    let Some((user, realm)) = s.rsplit_once('@') else {
        return false;
    };
    !user.is_empty()
        && !user
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ':' | '/'))
        && is_proxmox_ident(realm)
}

pub fn validate_user(user: &str) -> Result<(), ValidationError> {
    if is_user_id(user) {
        Ok(())
    } else {
        Err(invalid(
            "auth.user",
            format!("must look like user@realm, e.g. root@pam (got {user:?})"),
        ))
    }
}

/// `user@realm!tokenid`; Proxmox splits at the last '!' (realms cannot contain one).
pub fn validate_token_id(id: &str) -> Result<(), ValidationError> {
    let ok = id
        .rsplit_once('!')
        .is_some_and(|(user, token)| is_user_id(user) && is_proxmox_ident(token));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "auth.id",
            format!("must look like user@realm!tokenid, e.g. root@pam!proximity (got {id:?})"),
        ))
    }
}

fn validate_secret(field: &'static str, secret: &Secret) -> Result<(), ValidationError> {
    if secret.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    // Never echo the value: it is a secret even when malformed.
    if secret.expose().chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// Accept 32 bytes of hex, colon-separated or not, any case; return `AB:CD:...` upper case.
pub fn normalize_fingerprint(text: &str) -> Result<String, ValidationError> {
    let compact: String = text.trim().chars().filter(|c| *c != ':').collect();
    if let Some(bad) = compact.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(invalid(
            "fingerprint",
            format!("may contain only hex digits and ':' (found {bad:?})"),
        ));
    }
    // Colon form must be pairs: "A:BC" is ambiguous, reject rather than guess.
    if text.contains(':') && text.trim().split(':').any(|part| part.len() != 2) {
        return Err(invalid(
            "fingerprint",
            "must be pairs of hex digits separated by ':', like AB:CD:...",
        ));
    }
    if compact.len() != 64 {
        return Err(invalid(
            "fingerprint",
            format!(
                "must be 32 bytes (SHA-256) of hex as Proxmox shows it (got {} hex digits)",
                compact.len()
            ),
        ));
    }
    let upper = compact.to_ascii_uppercase();
    let pairs: Vec<&str> = (0..32).map(|i| &upper[i * 2..i * 2 + 2]).collect();
    Ok(pairs.join(":"))
}
