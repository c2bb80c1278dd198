//! Ticket authentication (`WIRE.md` §1.1): password login, the TOTP second factor, ticket
//! renewal every 15 minutes (POSTing the current ticket as the password, as the GUI does),
//! and the single re-login after a 401.
//!
//! TFA flow for a CLI: `client.login().await?` returns [`LoginOutcome::NeedTfa`] when the
//! account has a second factor; prompt the user for the code and call
//! `client.complete_tfa(&code).await?`. Any other call made while the second factor is
//! pending fails with `PveError::NeedTfa`.

use std::sync::Arc;

use reqwest::Method;
use serde::Deserialize;

use super::client::{PveClient, Session, Ticket, decode_data};
use super::config::Auth;
use super::error::{PveError, Result};
use super::params::Params;

/// The result of the first login step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Logged in (or token auth, which needs no login).
    LoggedIn,
    /// The account requires a second factor: call [`PveClient::complete_tfa`].
    NeedTfa,
}

/// `data` of `POST /access/ticket`.
#[derive(Debug, Deserialize)]
struct TicketResponse {
    username: String,
    ticket: String,
    #[serde(rename = "CSRFPreventionToken", default)]
    csrf: Option<String>,
    #[serde(
        rename = "NeedTFA",
        default,
        deserialize_with = "super::lenient::bool_or_false"
    )]
    need_tfa: bool,
}

const TICKET_PATH: &str = "/access/ticket";

impl PveClient {
    /// Logs in with the configured password (no-op for token auth). Returns `NeedTfa` when a
    /// second factor is required; finish with [`PveClient::complete_tfa`]. Wrong credentials
    /// fail with `PveError::Unauthorized` (`authentication failure`).
    pub async fn login(&self) -> Result<LoginOutcome> {
        let (username, password) = match &self.inner.config.auth {
            Auth::Token { .. } => return Ok(LoginOutcome::LoggedIn),
            Auth::Password { username, password } => (username.clone(), password.clone()),
        };
        let _guard = self.inner.login_lock.lock().await;
        self.password_login(&username, &password).await
    }

    /// Logs in unless a ticket already exists (first request of many concurrent ones: only
    /// one of them performs the login).
    pub(crate) async fn ensure_logged_in(&self) -> Result<LoginOutcome> {
        let (username, password) = match &self.inner.config.auth {
            Auth::Token { .. } => return Ok(LoginOutcome::LoggedIn),
            Auth::Password { username, password } => (username.clone(), password.clone()),
        };
        let _guard = self.inner.login_lock.lock().await;
        match self.session() {
            Session::Ticket(_) | Session::Token(_) => Ok(LoginOutcome::LoggedIn),
            Session::PendingTfa { .. } => Ok(LoginOutcome::NeedTfa),
            Session::None => self.password_login(&username, &password).await,
        }
    }

    /// Completes a pending login with a TOTP code (sent as `password=totp:<code>` together
    /// with the half ticket as `tfa-challenge`).
    pub async fn complete_tfa(&self, code: &str) -> Result<()> {
        self.complete_tfa_response("totp", code.trim()).await
    }

    /// Completes a pending login with any second-factor type Proxmox knows (`totp`,
    /// `recovery`, `yubico`, ...): sends `password=<kind>:<response>`.
    pub async fn complete_tfa_response(&self, kind: &str, response: &str) -> Result<()> {
        let _guard = self.inner.login_lock.lock().await;
        let (username, challenge) = match self.session() {
            Session::PendingTfa {
                username,
                challenge,
            } => (username, challenge),
            Session::Ticket(_) | Session::Token(_) => return Ok(()),
            Session::None => {
                return Err(PveError::Config(
                    "no login is waiting for a second factor; call login() first".into(),
                ));
            }
        };
        let params = Params::new()
            .set("username", &username)
            .set("tfa-challenge", &challenge)
            .set("password", format!("{kind}:{response}"));
        let data = self.post_ticket(&params).await?;
        if data.need_tfa {
            return Err(PveError::Unauthorized {
                message: "second factor rejected".into(),
            });
        }
        self.install_ticket(data)?;
        Ok(())
    }

    /// Renews the ticket now (the background task calls this every
    /// `ticket_renew_interval`). Falls back to a full password login if the old ticket is
    /// refused. No-op for token auth or before the first login.
    pub async fn renew_ticket(&self) -> Result<()> {
        let _guard = self.inner.login_lock.lock().await;
        let current = match self.session() {
            Session::Ticket(t) => t,
            _ => return Ok(()),
        };
        let params = Params::new()
            .set("username", &current.username)
            .set("password", &current.ticket);
        match self.post_ticket(&params).await {
            Ok(data) if !data.need_tfa => {
                self.install_ticket(data)?;
                Ok(())
            }
            Ok(_) | Err(PveError::Unauthorized { .. }) => {
                let (username, password) = self.password()?;
                match self.password_login(&username, &password).await? {
                    LoginOutcome::LoggedIn => Ok(()),
                    LoginOutcome::NeedTfa => Err(PveError::NeedTfa),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Re-login after a 401, unless another request already replaced the stale ticket.
    pub(crate) async fn relogin(&self, stale_generation: u64) -> Result<()> {
        let _guard = self.inner.login_lock.lock().await;
        if let Session::Ticket(t) = self.session() {
            if t.generation != stale_generation {
                return Ok(());
            }
        }
        let (username, password) = self.password()?;
        match self.password_login(&username, &password).await? {
            LoginOutcome::LoggedIn => Ok(()),
            // A TFA account cannot log in again unattended: surface that plainly.
            LoginOutcome::NeedTfa => Err(PveError::NeedTfa),
        }
    }

    fn password(&self) -> Result<(String, String)> {
        match &self.inner.config.auth {
            Auth::Password { username, password } => Ok((username.clone(), password.clone())),
            Auth::Token { .. } => Err(PveError::Config("token auth has no password".into())),
        }
    }

    /// First login step. Caller holds `login_lock`.
    async fn password_login(&self, username: &str, password: &str) -> Result<LoginOutcome> {
        let params = Params::new()
            .set("username", username)
            .set("password", password);
        let data = self.post_ticket(&params).await?;
        if data.need_tfa {
            self.set_session(Session::PendingTfa {
                username: data.username,
                challenge: data.ticket,
            });
            return Ok(LoginOutcome::NeedTfa);
        }
        self.install_ticket(data)?;
        Ok(LoginOutcome::LoggedIn)
    }

    async fn post_ticket(&self, params: &Params) -> Result<TicketResponse> {
        // Never retried and never with auth headers: a token header here is a 403.
        let body = self
            .send_once(&Method::POST, TICKET_PATH, params, &Session::None)
            .await?;
        decode_data(TICKET_PATH, &body)
    }

    fn install_ticket(&self, data: TicketResponse) -> Result<()> {
        let csrf = data.csrf.ok_or_else(|| PveError::Decode {
            path: TICKET_PATH.into(),
            detail: "login succeeded but the response has no CSRFPreventionToken".into(),
        })?;
        let generation = match self.session() {
            Session::Ticket(t) => t.generation + 1,
            _ => 1,
        };
        self.set_session(Session::Ticket(Arc::new(Ticket {
            username: data.username,
            ticket: data.ticket,
            csrf,
            generation,
        })));
        self.start_renewal();
        Ok(())
    }

    /// Starts the background renewal loop once. It holds only a weak reference, so it ends
    /// when the last client clone is dropped.
    fn start_renewal(&self) {
        let Ok(mut slot) = self.inner.renewal.lock() else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak = Arc::downgrade(&self.inner);
        let interval = self.inner.config.ticket_renew_interval;
        let task = runtime.spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let Some(inner) = weak.upgrade() else { break };
                let client = PveClient { inner };
                if let Err(e) = client.renew_ticket().await {
                    tracing::warn!(error = %e, "ticket renewal failed");
                }
            }
        });
        *slot = Some(task.abort_handle());
    }

    /// The user name of the current ticket or token id, if logged in.
    pub fn authenticated_user(&self) -> Option<String> {
        match (&self.session(), &self.inner.config.auth) {
            (Session::Ticket(t), _) => Some(t.username.clone()),
            (Session::Token(_), Auth::Token { token_id, .. }) => Some(token_id.clone()),
            _ => None,
        }
    }
}
