//! Authentication as pve-access-control does it: tickets (`PVE:<user>:<HEX time>::<sig>`),
//! CSRF prevention tokens, API tokens (`PVEAPIToken=user@realm!id=secret`, split at the last
//! `=`), ticket renewal and the two-step TOTP login (`NeedTFA` + `PVE:!tfa!...` half ticket).
//! Signatures are HMAC-SHA256 instead of RSA: only the shape is part of the wire.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use hyper::HeaderMap;
use percent_encoding::percent_decode_str;
use serde_json::json;
use sha2::Sha256;

use super::clock;
use super::http::{ApiError, ApiResult, ParamMap, Params, Reply};

/// Clock skew Proxmox tolerates on ticket times.
const TICKET_GRACE_S: i64 = 300;

/// The `%08X` time of tickets and CSRF tokens: exactly 8 hex digits (no sign, no overflow).
/// Equal bytes, in time that does not depend on where they differ (subtle's `ct_eq`).
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.ct_eq(b))
}

/// Secret strings (passwords, token secrets, CSRF tokens) compared in constant time. Both
/// are hashed first so that the time does not reveal the expected length either.
pub(crate) fn secret_eq(given: &str, expected: &str) -> bool {
    use sha2::Digest;
    bytes_eq(
        Sha256::digest(given.as_bytes()).as_slice(),
        Sha256::digest(expected.as_bytes()).as_slice(),
    )
}

/// `bytes` random bytes from the OS generator as hex, for generated passwords, token secrets
/// and keys. `None` only if the OS has no random source to offer.
pub(crate) fn os_random_hex(bytes: usize) -> Option<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).ok()?;
    Some(hex::encode(buf))
}

fn parse_hex_time(s: &str) -> Option<i64> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    i64::from_str_radix(s, 16).ok()
}

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authn {
    /// Ticket auth (CSRF required on writes).
    Ticket(String),
    /// API token auth: the full token id `user@realm!name`.
    Token(String),
}

impl Authn {
    pub fn authid(&self) -> &str {
        match self {
            Authn::Ticket(u) | Authn::Token(u) => u,
        }
    }
}

pub struct Auth {
    key: Vec<u8>,
    pub user: String,
    password: String,
    pub token_id: String,
    token_secret: String,
    totp: Option<totp_rs::Totp>,
    lifetime_s: u64,
}

impl Auth {
    pub fn new(
        key: Vec<u8>,
        user: String,
        password: String,
        token: &str,
        totp_secret: Option<&str>,
        lifetime_s: u64,
    ) -> Result<Self, String> {
        let (token_id, token_secret) = token
            .rsplit_once('=')
            .filter(|(id, secret)| {
                !secret.is_empty()
                    && id
                        .split_once('!')
                        .is_some_and(|(u, n)| u.contains('@') && !n.is_empty())
            })
            .ok_or_else(|| "the API token is not of the form user@realm!id=secret".to_string())?;
        let totp = match totp_secret {
            None => None,
            Some(s) => {
                let secret = totp_rs::Secret::try_from_base32(s.trim())
                    .map_err(|e| format!("invalid TOTP secret (base32 expected): {e:?}"))?;
                Some(
                    totp_rs::Builder::new()
                        .with_secret(secret)
                        .build_noncompliant(),
                )
            }
        };
        Ok(Auth {
            key,
            user,
            password,
            token_id: token_id.to_string(),
            token_secret: token_secret.to_string(),
            totp,
            lifetime_s,
        })
    }

    fn mac(&self, data: &str) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// `assemble_rsa_ticket`: `PVE:<uri_escape(data, ':')>:<HEX time>::<base64 sig>`.
    pub fn make_ticket(&self, data: &str, now: u64) -> String {
        let plain = format!("PVE:{}:{:08X}", data.replace(':', "%3A"), now);
        let sig = STANDARD.encode(self.mac(&plain));
        format!("{plain}::{sig}")
    }

    /// The ticket's data (user id or `!tfa!...`) when the signature holds and it is not expired.
    pub fn verify_ticket(&self, ticket: &str, now: u64) -> Option<String> {
        let (plain, sig) = ticket.rsplit_once("::")?;
        let rest = plain.strip_prefix("PVE:")?;
        let (data, time_hex) = rest.rsplit_once(':')?;
        let time = parse_hex_time(time_hex)?;
        if !bytes_eq(&STANDARD.decode(sig).ok()?, &self.mac(plain)) {
            return None;
        }
        let age = now as i64 - time;
        if age <= -TICKET_GRACE_S || age >= self.lifetime_s as i64 {
            return None;
        }
        Some(data.replace("%3A", ":"))
    }

    /// `<HEX time>:<base64 HMAC-SHA256("time:userid")>`.
    pub fn make_csrf(&self, user: &str, now: u64) -> String {
        let time = format!("{now:08X}");
        let sig = STANDARD_NO_PAD.encode(self.mac(&format!("csrf:{time}:{user}")));
        format!("{time}:{sig}")
    }

    pub fn verify_csrf(&self, user: &str, token: &str, now: u64) -> bool {
        let Some((time_hex, _)) = token.split_once(':') else {
            return false;
        };
        let Some(time) = parse_hex_time(time_hex) else {
            return false;
        };
        let age = now as i64 - time;
        if age <= -TICKET_GRACE_S || age >= self.lifetime_s as i64 {
            return false;
        }
        let expected = format!(
            "{time_hex}:{}",
            STANDARD_NO_PAD.encode(self.mac(&format!("csrf:{time_hex}:{user}")))
        );
        secret_eq(&expected, token)
    }

    /// Check an API token value `user@realm!name=secret` (already unescaped).
    fn check_token(&self, value: &str) -> Option<String> {
        let (id, secret) = value.rsplit_once('=')?;
        let (user, name) = id.split_once('!')?;
        if user.is_empty() || name.is_empty() || !user.contains('@') {
            return None;
        }
        // Both compared (no short cut), the secret in constant time.
        let id_ok = id == self.token_id;
        let secret_ok = secret_eq(secret, &self.token_secret);
        (id_ok & secret_ok).then(|| id.to_string())
    }
}

/// The token header value, if the request carries one (`PVEAPIToken=` or `PVEAPIToken `).
pub fn token_header(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    let rest = value
        .strip_prefix("PVEAPIToken=")
        .or_else(|| value.strip_prefix("PVEAPIToken "))?;
    Some(
        percent_decode_str(rest.trim())
            .decode_utf8_lossy()
            .into_owned(),
    )
}

fn cookie_ticket(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(hyper::header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(';') {
            if let Some(t) = part.trim().strip_prefix("PVEAuthCookie=") {
                return Some(percent_decode_str(t).decode_utf8_lossy().into_owned());
            }
        }
    }
    let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("PVEAuthCookie=").map(|t| {
        percent_decode_str(t.trim())
            .decode_utf8_lossy()
            .into_owned()
    })
}

/// The pre-routing auth handler: cookie ticket > `Authorization: PVEAuthCookie=` > token.
/// CSRF is checked for ticket auth on every method but GET.
pub fn authenticate(auth: &Auth, headers: &HeaderMap, method: &str) -> Result<Authn, ApiError> {
    let now = clock::now_epoch();
    if let Some(ticket) = cookie_ticket(headers) {
        let user = auth
            .verify_ticket(&ticket, now)
            .filter(|u| !u.starts_with("!tfa!"))
            .ok_or_else(|| ApiError::unauthorized("Authentication failed!"))?;
        if method != "GET" {
            let csrf = headers
                .get("CSRFPreventionToken")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !auth.verify_csrf(&user, csrf, now) {
                return Err(ApiError::unauthorized(
                    "Permission denied - invalid csrf token",
                ));
            }
        }
        return Ok(Authn::Ticket(user));
    }
    if let Some(token) = token_header(headers) {
        return auth
            .check_token(&token)
            .map(Authn::Token)
            .ok_or_else(|| ApiError::unauthorized("Authentication failed!"));
    }
    Err(ApiError::unauthorized("No ticket"))
}

fn auth_failure() -> ApiError {
    ApiError::status(401, "authentication failure\n")
}

/// `POST /access/ticket`: password login, ticket renewal, and the TFA second step.
pub fn login(auth: &Auth, params: &ParamMap, clustername: Option<&str>) -> ApiResult {
    let p = Params(params);
    let mut username = p.req_str("username")?.to_string();
    let password = p.req_str("password")?;
    if username.len() > 64 {
        return Err(ApiError::param(
            "username",
            "value may only be 64 characters long",
        ));
    }
    if !username.contains('@') {
        match p.str("realm") {
            Some(realm) => username = format!("{username}@{realm}"),
            None => return Err(auth_failure()),
        }
    }
    let now = clock::now_epoch();

    if let Some(challenge) = p.str("tfa-challenge") {
        if p.str("otp").is_some() {
            return Err(ApiError::param(
                "otp",
                "cannot be combined with tfa-challenge",
            ));
        }
        let data = auth
            .verify_ticket(challenge, now)
            .ok_or_else(auth_failure)?;
        let expected = format!("!tfa!{}", tfa_challenge_json(&username));
        let code = password.strip_prefix("totp:").ok_or_else(auth_failure)?;
        let totp = auth.totp.as_ref().ok_or_else(auth_failure)?;
        if data != expected || totp.check_current(code.trim()).is_none() {
            return Err(auth_failure());
        }
        return Ok(full_login(auth, &username, now, clustername));
    }

    // A still-valid ticket for the same user renews itself (no second factor needed).
    if password.starts_with("PVE:") {
        return match auth.verify_ticket(password, now) {
            Some(user) if user == username => Ok(full_login(auth, &username, now, clustername)),
            _ => Err(auth_failure()),
        };
    }

    let user_ok = username == auth.user;
    let password_ok = secret_eq(password, &auth.password);
    if !(user_ok & password_ok) {
        return Err(auth_failure());
    }
    if auth.totp.is_some() {
        let half = auth.make_ticket(&format!("!tfa!{}", tfa_challenge_json(&username)), now);
        return Ok(Reply::json(&json!({
            "username": username,
            "ticket": half,
            "CSRFPreventionToken": auth.make_csrf(&username, now),
            "NeedTFA": 1,
        })));
    }
    Ok(full_login(auth, &username, now, clustername))
}

/// The challenge JSON embedded in a half ticket (binds it to the user).
fn tfa_challenge_json(user: &str) -> String {
    json!({"totp": true, "user": user}).to_string()
}

fn full_login(auth: &Auth, username: &str, now: u64, clustername: Option<&str>) -> Reply {
    let mut data = json!({
        "username": username,
        "ticket": auth.make_ticket(username, now),
        "CSRFPreventionToken": auth.make_csrf(username, now),
        "cap": capabilities(),
    });
    if let Some(name) = clustername {
        data["clustername"] = json!(name);
    }
    Reply::json(&data)
}

/// root@pam's capability map (`compute_api_permission`).
fn capabilities() -> serde_json::Value {
    let set = |privs: &[&str]| {
        serde_json::Value::Object(privs.iter().map(|p| (p.to_string(), json!(1))).collect())
    };
    json!({
        "vms": set(&["VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.Options",
            "VM.Console", "VM.Migrate", "VM.PowerMgmt", "VM.Snapshot", "VM.Snapshot.Rollback",
            "Permissions.Modify"]),
        "access": set(&["Group.Allocate", "Permissions.Modify", "User.Modify"]),
        "storage": set(&["Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate",
            "Datastore.Audit", "Permissions.Modify"]),
        "nodes": set(&["Permissions.Modify", "Sys.Audit", "Sys.Console", "Sys.Modify",
            "Sys.PowerMgmt", "Sys.Syslog"]),
        "sdn": set(&["Permissions.Modify", "SDN.Allocate", "SDN.Audit"]),
        "dc": set(&["Sys.Audit", "Sys.Modify"]),
        "mapping": set(&["Mapping.Audit", "Mapping.Modify", "Mapping.Use", "Permissions.Modify"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(lifetime: u64) -> Auth {
        Auth::new(
            b"k".to_vec(),
            "root@pam".into(),
            "pw".into(),
            "root@pam!t=s3=cret",
            None,
            lifetime,
        )
        .unwrap()
    }

    #[test]
    fn tickets_verify_and_expire() {
        let a = auth(7200);
        let t = a.make_ticket("root@pam", 1_000_000);
        assert!(t.starts_with("PVE:root@pam:000F4240::"));
        assert_eq!(a.verify_ticket(&t, 1_000_010).as_deref(), Some("root@pam"));
        assert_eq!(a.verify_ticket(&t, 1_007_200), None);
        let forged = t.replace("root@pam", "eve@pam");
        assert_eq!(a.verify_ticket(&forged, 1_000_010), None);
    }

    #[test]
    fn token_splits_at_last_equals() {
        let a = auth(7200);
        assert_eq!(a.token_id, "root@pam!t=s3");
        assert_eq!(
            a.check_token("root@pam!t=s3=cret").as_deref(),
            Some("root@pam!t=s3")
        );
        assert_eq!(a.check_token("root@pam!t=s3=wrong"), None);
    }

    #[test]
    fn malformed_tokens_are_refused_at_start() {
        for bad in ["nope", "root@pam=x", "root!t=x", "root@pam!t="] {
            assert!(
                Auth::new(vec![], "root@pam".into(), "pw".into(), bad, None, 60).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn secrets_compare_by_value_and_generated_ones_are_os_random() {
        assert!(secret_eq("s3cret", "s3cret"));
        assert!(!secret_eq("s3cret", "s3creT"));
        assert!(!secret_eq("s3cre", "s3cret"));
        assert!(!secret_eq("", "s3cret"));
        let (a, b) = (os_random_hex(16).unwrap(), os_random_hex(16).unwrap());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn csrf_binds_user() {
        let a = auth(7200);
        let c = a.make_csrf("root@pam", 1_000_000);
        assert!(a.verify_csrf("root@pam", &c, 1_000_001));
        assert!(!a.verify_csrf("eve@pam", &c, 1_000_001));
        assert!(!a.verify_csrf("root@pam", "-8000000000000000:x", 1_000_001));
        assert_eq!(
            a.verify_ticket("PVE:root@pam:-FFFFFFF::AAAA", 1_000_001),
            None
        );
    }
}
