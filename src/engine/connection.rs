//! Which Proxmox endpoint a command talks to: a one-off connection from the environment
//! (`PROXIMITY_URL`, `PROXIMITY_TOKEN`, `PROXIMITY_USER` + `PROXIMITY_PASSWORD`,
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
        "PROXIMITY_URL is set but neither PROXIMITY_TOKEN nor PROXIMITY_USER + PROXIMITY_PASSWORD is"
    )]
    NoCredentials,
    #[error("PROXIMITY_USER is set but PROXIMITY_PASSWORD is not")]
    NoPassword,
    #[error("PROXIMITY_URL '{0}' is not an http(s) URL")]
    BadUrl(String),
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
    let auth = if let Some(token) = get("PROXIMITY_TOKEN").filter(|t| !t.is_empty()) {
        let (id, secret) = parse_token(&token)?;
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
                ("PROXIMITY_URL", "ftp://x"),
                ("PROXIMITY_USER", "u")
            ])),
            Err(ConnError::BadUrl("ftp://x".into()))
        );
    }
}
