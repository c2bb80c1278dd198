//! Which Proxmox endpoint a command talks to: a one-off connection from the environment
//! (`PROXIMITY_URL`, `PROXIMITY_TOKEN` or `PROXIMITY_TOKEN_FILE`, `PROXIMITY_USER` +
//! `PROXIMITY_PASSWORD`,
//! `PROXIMITY_FINGERPRINT`, `PROXIMITY_INSECURE=1`), which overrides the config, or a host
//! from the store.

/// How to authenticate, before any network is touched.
#[derive(Clone, PartialEq)]
pub enum ConnAuth {
    /// `user@realm!id` and its secret.
    Token {
        id: String,
        secret: String,
    },
    User {
        user: String,
        password: String,
    },
}

impl std::fmt::Debug for ConnAuth {
    // Never print secrets, not even in debug logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnAuth::Token { id, .. } => write!(f, "Token({id}, ***)"),
            ConnAuth::User { user, .. } => write!(f, "User({user}, ***)"),
        }
    }
}

/// A resolved endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnSpec {
    /// Name shown to the user (`env` for the environment).
    pub name: String,
    pub url: String,
    pub auth: ConnAuth,
    pub fingerprint: Option<String>,
    pub insecure: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConnError {
    #[error("PROXIMITY_TOKEN must look like user@realm!id=secret (got no '=' after the token id)")]
    TokenFormat,
    #[error("PROXIMITY_TOKEN: token id '{0}' must look like user@realm!id")]
    TokenId(String),
    #[error(
        "PROXIMITY_URL is set but neither PROXIMITY_TOKEN (or PROXIMITY_TOKEN_FILE) nor PROXIMITY_USER + PROXIMITY_PASSWORD is"
    )]
    NoCredentials,
    #[error("PROXIMITY_TOKEN_FILE '{path}': {problem}")]
    TokenFile { path: String, problem: String },
    #[error("PROXIMITY_USER is set but PROXIMITY_PASSWORD is not")]
    NoPassword,
    #[error("PROXIMITY_URL '{0}' is not an http(s) URL")]
    BadUrl(String),
    /// The store's URL check refused it (plain http to a remote host, a password in it).
    #[error("PROXIMITY_URL {0}")]
    UnsafeUrl(String),
}

/// Split `user@realm!id=secret` at the last `=` (the secret is a UUID, the id may not hold
/// `=`), as Proxmox does.
pub fn parse_token(token: &str) -> Result<(String, String), ConnError> {
    let (id, secret) = token.rsplit_once('=').ok_or(ConnError::TokenFormat)?;
    let valid_id = id
        .split_once('@')
        .and_then(|(user, rest)| rest.split_once('!').map(|(realm, tok)| (user, realm, tok)))
        .is_some_and(|(u, r, t)| !u.is_empty() && !r.is_empty() && !t.is_empty());
    if !valid_id {
        return Err(ConnError::TokenId(id.to_string()));
    }
    Ok((id.to_string(), secret.to_string()))
}

/// Read a one-off connection from `get(name)` (the environment in the binary, a map in
/// tests). `Ok(None)` when `PROXIMITY_URL` is not set.
pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<ConnSpec>, ConnError> {
    let Some(url) = get("PROXIMITY_URL").filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ConnError::BadUrl(url));
    }
    // The same rules as a stored host: http only to this machine.
    crate::store::validate_url(&url).map_err(|e| ConnError::UnsafeUrl(e.problem.clone()))?;
    let auth = if let Some(token) = get("PROXIMITY_TOKEN").filter(|t| !t.is_empty()) {
        let (id, secret) = parse_token(&token)?;
        ConnAuth::Token { id, secret }
    } else if let Some(path) = get("PROXIMITY_TOKEN_FILE").filter(|p| !p.is_empty()) {
        let token = read_token_file(std::path::Path::new(&path))?;
        let (id, secret) = parse_token(&token).map_err(|e| ConnError::TokenFile {
            path: path.clone(),
            problem: e.to_string().replace("PROXIMITY_TOKEN", "the token"),
        })?;
        ConnAuth::Token { id, secret }
    } else if let Some(user) = get("PROXIMITY_USER").filter(|u| !u.is_empty()) {
        let password = get("PROXIMITY_PASSWORD").ok_or(ConnError::NoPassword)?;
        ConnAuth::User { user, password }
    } else {
        return Err(ConnError::NoCredentials);
    };
    let insecure = get("PROXIMITY_INSECURE").is_some_and(|v| v == "1" || v == "true");
    Ok(Some(ConnSpec {
        name: "env".into(),
        url,
        auth,
        fingerprint: get("PROXIMITY_FINGERPRINT").filter(|f| !f.is_empty()),
        insecure,
    }))
}

/// The token `user@realm!id=secret` from a file only its owner can read (`ps` and the
/// environment of other processes do not show it). The first non-empty line counts.
pub fn read_token_file(path: &std::path::Path) -> Result<String, ConnError> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display().to_string();
    let fail = |problem: String| ConnError::TokenFile {
        path: shown.clone(),
        problem,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(fail(format!(
            "readable by group or others (mode {mode:04o}); run chmod 600 on it"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
        .ok_or_else(|| fail("is empty".into()))
}

/// A stored host as a connection (the password is asked for by the caller when absent).
pub fn from_host(host: &crate::store::HostConfig) -> Option<ConnSpec> {
    use crate::store::HostAuth;
    let auth = match &host.auth {
        HostAuth::Token { id, secret } => ConnAuth::Token {
            id: id.clone(),
            secret: secret.expose().to_string(),
        },
        HostAuth::User { user, password, .. } => ConnAuth::User {
            user: user.clone(),
            password: password.as_ref()?.expose().to_string(),
        },
    };
    Some(ConnSpec {
        name: host.name.clone(),
        url: host.url.clone(),
        auth,
        fingerprint: host.fingerprint.clone(),
        insecure: host.insecure,
    })
}

/// Why a connection is not private, for the one loud warning a front end shows on connect:
/// TLS verification off, or plain http (allowed only to loopback hosts). `None` when safe.
pub fn insecure_warning(spec: &ConnSpec) -> Option<String> {
    let http = spec
        .url
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
    if spec.insecure {
        Some(format!(
            "WARNING: TLS verification is OFF for '{}' (--insecure or PROXIMITY_INSECURE=1): anyone on the path can read the credentials",
            spec.name
        ))
    } else if http {
        Some(format!(
            "WARNING: '{}' is plain http ({}): credentials and traffic are not encrypted",
            spec.name, spec.url
        ))
    } else {
        None
    }
}

/// Build the client for a connection. TLS: pinned when a fingerprint is known, `insecure`
/// only when asked for, else standard verification.
pub fn client_for(spec: &ConnSpec) -> Result<crate::pve::PveClient, crate::pve::PveError> {
    use crate::pve::{Auth, EndpointConfig, PveClient, TlsPolicy};
    let auth = match &spec.auth {
        ConnAuth::Token { id, secret } => Auth::Token {
            token_id: id.clone(),
            secret: secret.clone(),
        },
        ConnAuth::User { user, password } => Auth::Password {
            username: user.clone(),
            password: password.clone(),
        },
    };
    let tls = if spec.insecure {
        TlsPolicy::Insecure
    } else if let Some(fp) = &spec.fingerprint {
        TlsPolicy::Pinned(fp.parse()?)
    } else {
        TlsPolicy::Verified
    };
    PveClient::new(EndpointConfig::new(spec.url.clone(), auth).with_tls(tls))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn token_from_env() {
        let spec = from_env(env(&[
            ("PROXIMITY_URL", "https://pve:8006"),
            ("PROXIMITY_TOKEN", "root@pam!ci=ab-cd"),
            ("PROXIMITY_INSECURE", "1"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            spec.auth,
            ConnAuth::Token {
                id: "root@pam!ci".into(),
                secret: "ab-cd".into()
            }
        );
        assert!(spec.insecure);
        assert!(!format!("{:?}", spec).contains("ab-cd"));
    }

    #[test]
    fn env_errors_are_clear() {
        assert_eq!(from_env(env(&[])), Ok(None));
        assert_eq!(
            from_env(env(&[("PROXIMITY_URL", "https://x")])),
            Err(ConnError::NoCredentials)
        );
        assert_eq!(
            from_env(env(&[
                ("PROXIMITY_URL", "https://x"),
                ("PROXIMITY_TOKEN", "root@pam")
            ])),
            Err(ConnError::TokenFormat)
        );
        assert_eq!(
            from_env(env(&[
                ("PROXIMITY_URL", "https://x"),
                ("PROXIMITY_TOKEN", "root=x")
            ])),
            Err(ConnError::TokenId("root".into()))
        );
        assert_eq!(
            from_env(env(&[
                ("PROXIMITY_URL", "https://x"),
                ("PROXIMITY_USER", "root@pam")
            ])),
            Err(ConnError::NoPassword)
        );
        assert_eq!(
            from_env(env(&[
                ("PROXIMITY_URL", "http://pve.example:8006"),
                ("PROXIMITY_USER", "u"),
                ("PROXIMITY_PASSWORD", "p")
            ]))
            .unwrap_err()
            .to_string(),
            "PROXIMITY_URL http:// sends credentials in clear; use https:// (http is allowed only for 127.0.0.1, ::1 or localhost; got \"http://pve.example:8006\")"
        );
        assert_eq!(
            from_env(env(&[
                ("PROXIMITY_URL", "ftp://x"),
                ("PROXIMITY_USER", "u")
            ])),
            Err(ConnError::BadUrl("ftp://x".into()))
        );
    }

    #[test]
    fn http_only_to_loopback_and_insecure_is_loud() {
        let spec = |url: &str| {
            from_env(env(&[
                ("PROXIMITY_URL", url),
                ("PROXIMITY_TOKEN", "root@pam!ci=ab-cd"),
            ]))
        };
        for ok in [
            "http://127.0.0.1:8006",
            "http://[::1]:1",
            "http://localhost:8006",
        ] {
            let s = spec(ok).unwrap().unwrap();
            let warning = insecure_warning(&s).unwrap();
            assert!(
                warning.starts_with("WARNING: ") && warning.contains("plain http"),
                "{warning}"
            );
        }
        assert!(matches!(
            spec("http://192.168.1.2:8006"),
            Err(ConnError::UnsafeUrl(_))
        ));
        let safe = spec("https://pve:8006").unwrap().unwrap();
        assert_eq!(insecure_warning(&safe), None);
        let loud = ConnSpec {
            insecure: true,
            ..safe
        };
        assert!(
            insecure_warning(&loud)
                .unwrap()
                .contains("TLS verification is OFF")
        );
    }

    #[test]
    fn token_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "\nroot@pam!ci=ab-cd\n").unwrap();
        let shown = path.display().to_string();
        let with_file = || {
            from_env(env(&[
                ("PROXIMITY_URL", "https://pve:8006"),
                ("PROXIMITY_TOKEN_FILE", &shown),
            ]))
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            with_file().unwrap_err().to_string(),
            format!(
                "PROXIMITY_TOKEN_FILE '{shown}': readable by group or others (mode 0644); run chmod 600 on it"
            )
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            with_file().unwrap().unwrap().auth,
            ConnAuth::Token {
                id: "root@pam!ci".into(),
                secret: "ab-cd".into()
            }
        );
        std::fs::write(&path, "root@pam").unwrap();
        assert!(matches!(with_file(), Err(ConnError::TokenFile { .. })));
    }
}
