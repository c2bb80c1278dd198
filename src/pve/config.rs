//! Endpoint configuration: where a Proxmox API lives, how to authenticate, which TLS policy
//! applies, and the retry/timeout/renewal timings (all overridable so tests run in ms).

use std::fmt;
use std::time::Duration;

use super::error::Redacted;
use super::tls::TlsPolicy;

/// How the client authenticates.
#[derive(Clone)]
pub enum Auth {
    /// An API token: sends `Authorization: PVEAPIToken=<token_id>=<secret>` on every request.
    /// No login, no CSRF, no renewal.
    Token {
        /// `user@realm!tokenname`, e.g. `root@pam!proximity`.
        token_id: String,
        /// The token's UUID secret.
        secret: String,
    },
    /// User + password: ticket login via `POST /access/ticket`, `PVEAuthCookie` cookie and
    /// `CSRFPreventionToken` header, background renewal, one re-login on a 401.
    Password {
        /// `user@realm`, e.g. `root@pam`.
        username: String,
        /// The password (kept in memory for re-login after a 401).
        password: String,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Token { token_id, .. } => f
                .debug_struct("Token")
                .field("token_id", token_id)
                .field("secret", &Redacted)
                .finish(),
            Auth::Password { username, .. } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &Redacted)
                .finish(),
        }
    }
}

/// Retry policy for idempotent requests (GET): exponential backoff with full jitter.
/// POST/PUT/DELETE are never retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Delay before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Upper bound for one delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The delay before retry number `attempt` (0-based): a random duration in
    /// `[delay/2, delay]` where `delay = min(base * 2^attempt, max)`, so concurrent
    /// clients hitting a recovering node do not retry in lockstep.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
        let full = self
            .base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let half = full / 2;
        let spread = full.saturating_sub(half).as_nanos() as u64;
        let jitter = if spread == 0 {
            0
        } else {
            random_u64() % (spread + 1)
        };
        half + Duration::from_nanos(jitter)
    }
}

/// A random u64 without a RNG dependency: `RandomState` is seeded randomly per instance.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    h.finish()
}

/// Everything needed to talk to one Proxmox VE endpoint.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// `https://host:8006` (a path, if any, is ignored; `/api2/json` is appended).
    pub base_url: String,
    /// Credentials.
    pub auth: Auth,
    /// Certificate policy (verified by default).
    pub tls: TlsPolicy,
    /// Retries for GETs.
    pub retry: RetryPolicy,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// How often a ticket is renewed in the background. Tickets live 2 h; the Proxmox GUI
    /// renews every 15 min (`Workspace.js`), so do we.
    pub ticket_renew_interval: Duration,
}

impl EndpointConfig {
    /// A config with default timings and verified TLS.
    pub fn new(base_url: impl Into<String>, auth: Auth) -> Self {
        EndpointConfig {
            base_url: base_url.into(),
            auth,
            tls: TlsPolicy::Verified,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            ticket_renew_interval: Duration::from_secs(15 * 60),
        }
    }

    /// Sets the TLS policy.
    pub fn with_tls(mut self, tls: TlsPolicy) -> Self {
        self.tls = tls;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the ticket renewal interval.
    pub fn with_renew_interval(mut self, interval: Duration) -> Self {
        self.ticket_renew_interval = interval;
        self
    }

    /// Sets the request timeout.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped_with_jitter() {
        let p = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        for _ in 0..50 {
            let d0 = p.delay(0);
            assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
            let d1 = p.delay(1);
            assert!(d1 >= Duration::from_millis(100) && d1 <= Duration::from_millis(200));
            let d9 = p.delay(9);
            assert!(d9 >= Duration::from_millis(150) && d9 <= Duration::from_millis(300));
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let a = Auth::Password {
            username: "root@pam".into(),
            password: "hunter2".into(),
        };
        let text = format!("{a:?}");
        assert!(text.contains("root@pam") && !text.contains("hunter2"));
    }
}
