//! `PveClient`: the request pipeline shared by every endpoint. Builds `/api2/json` URLs,
//! attaches ticket/token auth (and CSRF on writes), retries idempotent GETs on transient
//! failures, re-logs in once on a 401, and turns the `{"data": ...}` envelope or an error
//! status into typed results.

use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde::de::DeserializeOwned;

use super::config::{Auth, EndpointConfig};
use super::error::{PveError, Result, chain_text};
use super::params::Params;
use super::tls;

/// Characters left alone in a path segment or cookie value (RFC 3986 unreserved).
/// Idle connections kept per host after a burst (see the client builder).
const IDLE_CONNECTIONS_KEPT: usize = 4;
/// How long an idle connection is kept (pveproxy closes idle ones on its side too).
const IDLE_CONNECTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes one path segment (node names, UPIDs, storage ids, snapshot names).
pub(crate) fn seg(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// A Proxmox VE API client for one endpoint. Cheap to clone (one `Arc`), `Send + Sync`.
///
/// With `Auth::Password`, the first request logs in automatically; call [`PveClient::login`]
/// yourself to handle a TOTP second factor (see there). With `Auth::Token` no login happens.
#[derive(Clone)]
pub struct PveClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// `https://host:8006` without a trailing slash.
    pub(crate) origin: String,
    pub(crate) config: EndpointConfig,
    pub(crate) session: RwLock<Session>,
    /// Serializes logins so concurrent 401s trigger one re-login, not many.
    pub(crate) login_lock: tokio::sync::Mutex<()>,
    pub(crate) renewal: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.renewal.lock() {
            if let Some(handle) = slot.take() {
                handle.abort();
            }
        }
    }
}

/// The authentication state attached to requests.
#[derive(Clone)]
pub(crate) enum Session {
    /// Password auth before the first login.
    None,
    /// `Authorization: PVEAPIToken=...` header value.
    Token(Arc<str>),
    /// A full ticket.
    Ticket(Arc<Ticket>),
    /// First login step done; waiting for the second factor.
    PendingTfa { username: String, challenge: String },
}

pub(crate) struct Ticket {
    pub(crate) username: String,
    pub(crate) ticket: String,
    pub(crate) csrf: String,
    /// Bumped on every new ticket, so a stale 401 does not re-login twice.
    pub(crate) generation: u64,
}

impl std::fmt::Debug for PveClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PveClient")
            .field("origin", &self.inner.origin)
            .field("auth", &self.inner.config.auth)
            .finish()
    }
}

impl PveClient {
    /// Builds a client. No network traffic happens here.
    pub fn new(config: EndpointConfig) -> Result<PveClient> {
        let url = url::Url::parse(config.base_url.trim()).map_err(|e| {
            PveError::Config(format!("invalid base URL '{}': {e}", config.base_url))
        })?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(PveError::Config(format!(
                "base URL '{}' must start with https:// (or http:// for a local emulator)",
                config.base_url
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| PveError::Config(format!("base URL '{}' has no host", url)))?;
        let origin = match url.port() {
            Some(port) => format!("{}://{}:{}", url.scheme(), host, port),
            None => format!("{}://{}", url.scheme(), host),
        };
        let tls_config = tls::client_config(&config.tls)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config)
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("proximity/", env!("CARGO_PKG_VERSION")))
            // A burst of parallel requests opens a connection each; kept idle without bound
            // (reqwest's default) they hold TLS state and buffers for 90 s. A few stay warm.
            .pool_max_idle_per_host(IDLE_CONNECTIONS_KEPT)
            .pool_idle_timeout(IDLE_CONNECTION_TIMEOUT)
            // Proxmox never redirects API calls; following one (a 307 keeps the method and
            // body) would resend the login password or token to wherever it points, maybe
            // over plain http. A redirect is reported as an error status instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| PveError::Config(format!("HTTP client setup: {}", chain_text(&e))))?;
        let session = match &config.auth {
            Auth::Token { token_id, secret } => {
                if !token_id.contains('!') || !token_id.contains('@') {
                    return Err(PveError::Config(format!(
                        "API token id '{token_id}' must look like user@realm!tokenname"
                    )));
                }
                Session::Token(Arc::from(format!("PVEAPIToken={token_id}={secret}")))
            }
            Auth::Password { .. } => Session::None,
        };
        Ok(PveClient {
            inner: Arc::new(Inner {
                http,
                origin,
                config,
                session: RwLock::new(session),
                login_lock: tokio::sync::Mutex::new(()),
                renewal: Mutex::new(None),
            }),
        })
    }

    /// `https://host:8006` as configured.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The endpoint configuration this client was built from.
    pub fn config(&self) -> &EndpointConfig {
        &self.inner.config
    }

    pub(crate) fn session(&self) -> Session {
        match self.inner.session.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn set_session(&self, session: Session) {
        match self.inner.session.write() {
            Ok(mut s) => *s = session,
            Err(poisoned) => *poisoned.into_inner() = session,
        }
    }

    /// GET `path` (relative to `/api2/json`, segments already encoded) and decode `data`.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str, params: &Params) -> Result<T> {
        let body = self.execute(Method::GET, path, params).await?;
        decode_data(path, &body)
    }

    /// GET and also return the envelope's `total` (0 when Proxmox omits it).
    pub(crate) async fn get_with_total<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &Params,
    ) -> Result<(T, u64)> {
        let body = self.execute(Method::GET, path, params).await?;
        decode_data_total(path, &body)
    }

    /// POST form params and decode `data`.
    pub(crate) async fn post<T: DeserializeOwned>(&self, path: &str, params: &Params) -> Result<T> {
        let body = self.execute(Method::POST, path, params).await?;
        decode_data(path, &body)
    }

    /// PUT form params and decode `data`.
    pub(crate) async fn put<T: DeserializeOwned>(&self, path: &str, params: &Params) -> Result<T> {
        let body = self.execute(Method::PUT, path, params).await?;
        decode_data(path, &body)
    }

    /// DELETE with params in the query string (Proxmox answers 501 to a DELETE body).
    pub(crate) async fn delete<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &Params,
    ) -> Result<T> {
        let body = self.execute(Method::DELETE, path, params).await?;
        decode_data(path, &body)
    }

    /// Runs one API call with the retry and re-login rules, returning the raw success body.
    pub(crate) async fn execute(
        &self,
        method: Method,
        path: &str,
        params: &Params,
    ) -> Result<Bytes> {
        let idempotent = method == Method::GET;
        let mut attempt: u32 = 0;
        let mut relogged = false;
        loop {
            let session = self.ready_session().await?;
            let result = self.send_once(&method, path, params, &session).await;
            match result {
                // The server refused before acting, so retrying a write once is safe.
                Err(PveError::Unauthorized { .. })
                    if !relogged && matches!(session, Session::Ticket(_)) =>
                {
                    relogged = true;
                    let stale = match &session {
                        Session::Ticket(t) => t.generation,
                        _ => 0,
                    };
                    tracing::debug!(path, "401 with a ticket; logging in again");
                    self.relogin(stale).await?;
                }
                Err(e)
                    if idempotent
                        && e.is_transient()
                        && attempt < self.inner.config.retry.max_retries =>
                {
                    let delay = self.inner.config.retry.delay(attempt);
                    tracing::debug!(path, attempt, ?delay, error = %e, "retrying GET");
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }

    /// Returns a session usable for a request, logging in first if needed.
    async fn ready_session(&self) -> Result<Session> {
        match self.session() {
            Session::None => {
                match self.ensure_logged_in().await? {
                    super::auth::LoginOutcome::LoggedIn => {}
                    super::auth::LoginOutcome::NeedTfa => return Err(PveError::NeedTfa),
                }
                Ok(self.session())
            }
            Session::PendingTfa { .. } => Err(PveError::NeedTfa),
            s => Ok(s),
        }
    }

    /// One HTTP exchange, no retries. `session` decides the auth headers.
    pub(crate) async fn send_once(
        &self,
        method: &Method,
        path: &str,
        params: &Params,
        session: &Session,
    ) -> Result<Bytes> {
        let url = format!("{}/api2/json{}", self.inner.origin, path);
        let mut req = self.inner.http.request(method.clone(), &url);
        if *method == Method::POST || *method == Method::PUT {
            req = req.form(params.pairs());
        } else if !params.is_empty() {
            req = req.query(params.pairs());
        }
        match session {
            Session::Token(header) => {
                req = req.header(reqwest::header::AUTHORIZATION, header.as_ref());
            }
            Session::Ticket(t) => {
                req = req.header(reqwest::header::COOKIE, ticket_cookie(&t.ticket));
                if *method != Method::GET {
                    req = req.header("CSRFPreventionToken", t.csrf.as_str());
                }
            }
            Session::None | Session::PendingTfa { .. } => {}
        }
        let response = req.send().await.map_err(|e| transport_error(&url, e))?;
        let status = response.status();
        let reason = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
            .or_else(|| status.canonical_reason().map(str::to_string))
            .unwrap_or_default();
        let body = read_body(response)
            .await
            .map_err(|e| transport_error(&url, e))?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(PveError::from_status(status.as_u16(), &reason, &body))
        }
    }

    /// The `Cookie`/`Authorization` headers for a non-reqwest request (the console websocket).
    pub(crate) async fn auth_headers(&self) -> Result<Vec<(&'static str, String)>> {
        match self.ready_session().await? {
            Session::Token(header) => Ok(vec![("Authorization", header.to_string())]),
            Session::Ticket(t) => Ok(vec![("Cookie", ticket_cookie(&t.ticket))]),
            Session::None | Session::PendingTfa { .. } => Err(PveError::NeedTfa),
        }
    }
}

/// A response's body, its chunks copied into one buffer as they arrive. `Response::bytes`
/// collects every chunk first and then copies them into one block: twice the body at once,
/// and hundreds of small blocks (a 10,000-guest inventory inflates to about 3 MB in 8 KB
/// pieces) left in the middle of the heap. Here a chunk is freed as soon as it is copied,
/// and the buffer, big enough to be mapped on its own, grows without a copy.
async fn read_body(mut response: reqwest::Response) -> reqwest::Result<Bytes> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// `PVEAuthCookie=<percent-encoded ticket>`, as the Proxmox GUI sends it (the server
/// uri-unescapes; encoding keeps `+`, `/`, `=` of the base64 signature intact).
fn ticket_cookie(ticket: &str) -> String {
    format!("PVEAuthCookie={}", utf8_percent_encode(ticket, UNRESERVED))
}

/// Maps a reqwest transport failure to TLS / timeout / connect errors.
pub(crate) fn transport_error(url: &str, err: reqwest::Error) -> PveError {
    if let Some((presented, expected)) = tls::find_mismatch(&err) {
        return PveError::FingerprintMismatch {
            presented,
            expected,
        };
    }
    if err.is_timeout() {
        return PveError::Timeout {
            url: url.to_string(),
        };
    }
    let message = root_cause(&err);
    if tls::is_tls_error(&err) {
        return PveError::Tls {
            url: url.to_string(),
            message,
        };
    }
    PveError::Connect {
        url: url.to_string(),
        message,
    }
}

/// The innermost useful message of an error chain (reqwest's own text is generic).
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let text = chain_text(err);
    let mut parts: Vec<&str> = text.split(": ").collect();
    // Drop the "error sending request for url (...)" prefix; keep the causes.
    if parts.len() > 1 {
        parts.remove(0);
    }
    parts.join(": ")
}

#[derive(serde::Deserialize)]
struct Envelope<T> {
    data: T,
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    total: u64,
}

/// Decodes `{"data": T}`; a failure names the API path and what failed.
pub(crate) fn decode_data<T: DeserializeOwned>(path: &str, body: &[u8]) -> Result<T> {
    decode_data_total(path, body).map(|(data, _)| data)
}

pub(crate) fn decode_data_total<T: DeserializeOwned>(path: &str, body: &[u8]) -> Result<(T, u64)> {
    match serde_json::from_slice::<Envelope<T>>(body) {
        Ok(env) => Ok((env.data, env.total)),
        Err(e) => Err(PveError::Decode {
            path: path.to_string(),
            detail: e.to_string(),
        }),
    }
}
