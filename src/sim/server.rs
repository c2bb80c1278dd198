//! The HTTPS/HTTP front: TLS with a certificate generated at start, hyper 1 connections served
//! with upgrades (console websockets), and the request pipeline pveproxy runs: URI format,
//! body rules, auth (+CSRF), fault injection, parameter checks, routing, envelope.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::SimError;
use super::auth::{self, token_header};
use super::http::{self, ApiError, ParamMap, Params, Resp};
use super::routes;
use super::schema_check;
use super::state::{Ctx, Sim};

const MAX_BODY: usize = 1 << 20;

/// A self-signed certificate for localhost; returns the acceptor and the SHA-256 fingerprint.
pub fn make_tls() -> Result<(TlsAcceptor, String), SimError> {
    let tls = |e: String| SimError::Tls(e);
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "pve1".to_string(),
    ];
    let ck = rcgen::generate_simple_self_signed(names).map_err(|e| tls(e.to_string()))?;
    let der = ck.cert.der().clone();
    let fingerprint = Sha256::digest(der.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![der], key)
        .map_err(|e| tls(e.to_string()))?;
    Ok((TlsAcceptor::from(Arc::new(config)), fingerprint))
}

pub async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    sim: Arc<Sim>,
    cancel: CancellationToken,
) {
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::debug!("sim: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = cancel.cancelled() => return,
        };
        let _ = stream.set_nodelay(true);
        sim.connections_accepted
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let sim = sim.clone();
        let tls = tls.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(s) => serve(TokioIo::new(s), sim, cancel, peer).await,
                    Err(e) => tracing::debug!("sim: TLS handshake failed: {e}"),
                },
                None => serve(TokioIo::new(stream), sim, cancel, peer).await,
            }
        });
    }
}

async fn serve<I>(io: I, sim: Arc<Sim>, cancel: CancellationToken, peer: std::net::SocketAddr)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = service_fn(move |req: Request<Incoming>| {
        let sim = sim.clone();
        async move {
            // The emulator's own knobs (alert tests) live outside `/api2/`.
            if req.uri().path().starts_with(super::control::PREFIX) {
                return Ok::<_, Infallible>(super::control::handle(&sim, &req, peer));
            }
            Ok::<_, Infallible>(handle(sim, req).await)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, svc)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => { if let Err(e) = r { tracing::debug!("sim: connection ended: {e}"); } }
        _ = cancel.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
        }
    }
}

async fn delayed(sim: &Sim, err: ApiError) -> Resp {
    if err.status == 401 && sim.config.auth_failure_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(sim.config.auth_failure_delay_ms)).await;
    }
    http::error_response(&err)
}

fn query_params(req: &Request<Incoming>) -> ParamMap {
    let mut params = ParamMap::new();
    if let Some(q) = req.uri().query() {
        http::decode_urlencoded(q, &mut params);
    }
    params
}

async fn read_params(req: Request<Incoming>, method: &str) -> Result<ParamMap, ApiError> {
    let query = query_params(&req);
    let mut params = ParamMap::new();
    if method == "POST" || method == "PUT" {
        let is_json = req
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let body = Limited::new(req.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| ApiError::status(400, format!("unable to read request body - {e}\n")))?
            .to_bytes();
        if !body.is_empty() {
            if is_json {
                http::decode_json_body(&body, &mut params)?;
            } else {
                http::decode_urlencoded(&String::from_utf8_lossy(&body), &mut params);
            }
        }
    }
    // Query parameters override body parameters.
    params.extend(query);
    Ok(params)
}

pub async fn handle(
    sim: Arc<Sim>,
    req: Request<Incoming>,
) -> Response<http_body_util::Full<Bytes>> {
    if sim.config.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(sim.config.latency_ms)).await;
    }
    let method = req.method().as_str().to_string();
    let gzip = http::accepts_gzip(req.headers());
    let path = percent_decode_str(req.uri().path())
        .decode_utf8_lossy()
        .into_owned();
    let Some(rest) = path.strip_prefix("/api2/") else {
        return http::error_response(&ApiError::not_implemented("no such uri"));
    };
    let (format, rel) = rest.split_once('/').unwrap_or((rest, ""));
    if format != "json" {
        return http::error_response(&ApiError::not_implemented("no such uri"));
    }
    let rel = rel.trim_end_matches('/').to_string();
    let segs: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();

    let content_length = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    if (method == "GET" || method == "DELETE") && content_length > 0 {
        return http::error_response(&ApiError::not_implemented(format!(
            "Unexpected content for method '{method}'"
        )));
    }

    // Auth-free endpoints of HTTPServer.pm's auth handler.
    match (method.as_str(), segs.as_slice()) {
        ("POST", ["access", "ticket"]) => {
            if token_header(req.headers()).is_some() {
                return http::error_response(&ApiError::forbidden(
                    "URI '/access/ticket' not available with API token, need proper ticket.\n",
                ));
            }
            let params = match read_params(req, &method).await {
                Ok(p) => p,
                Err(e) => return http::error_response(&e),
            };
            if let Err(errors) = schema_check::check_params("POST", "/access/ticket", &params) {
                return http::error_response(&ApiError::params(errors));
            }
            let clustername = sim.with(|m| m.cluster_name.clone());
            return match auth::login(&sim.auth, &params, clustername.as_deref()) {
                Ok(reply) => http::ok_response(&reply, gzip),
                Err(e) => delayed(&sim, e).await,
            };
        }
        ("GET", ["access", "domains"]) => return http::ok_response(&routes::domains(), gzip),
        ("GET", ["access", "ticket"]) => return http::ok_response(&http::Reply::null(), gzip),
        _ => {}
    }

    let authn = match auth::authenticate(&sim.auth, req.headers(), &method) {
        Ok(a) => a,
        Err(e) => return delayed(&sim, e).await,
    };
    let authid = authn.authid().to_string();

    if method == "GET" && segs.last() == Some(&"vncwebsocket") {
        return websocket(&sim, req, &segs, &authid, &method, &rel).await;
    }

    let params = match read_params(req, &method).await {
        Ok(p) => p,
        Err(e) => return http::error_response(&e),
    };
    if segs.first() != Some(&"access") && sim.inject_fault() {
        return injected_fault(&method);
    }
    if let Err(e) = routes::check_uri_conflicts(&segs, &params) {
        return http::error_response(&e);
    }
    let api_path = format!("/{rel}");
    if let Err(errors) = schema_check::check_params(&method, &api_path, &params) {
        return http::error_response(&ApiError::params(errors));
    }
    let ctx = Ctx {
        sim: &sim,
        authid: &authid,
        params: &params,
    };
    match routes::dispatch(&ctx, &method, &segs, &rel) {
        Ok(reply) => {
            if sim.config.check_returns
                && let Ok(data) = serde_json::from_slice::<serde_json::Value>(&reply.data)
            {
                for v in schema_check::check_returns(&method, &api_path, &data) {
                    sim.record_violation(format!("{method} {api_path}: {v}"));
                }
            }
            http::ok_response(&reply, gzip)
        }
        Err(e) => http::error_response(&e),
    }
}

/// What pveproxy answers when the node it proxies to is unreachable.
fn injected_fault(method: &str) -> Resp {
    const MSG: &str = "Errors during connection establishment, proxy handshake: Connection refused";
    if method == "GET" {
        let mut e = ApiError::status(595, MSG);
        e.empty_body = true;
        http::error_response(&e)
    } else {
        http::error_response(&ApiError::die(MSG))
    }
}

async fn websocket(
    sim: &Arc<Sim>,
    req: Request<Incoming>,
    segs: &[&str],
    authid: &str,
    method: &str,
    rel: &str,
) -> Resp {
    let target_ok = match segs {
        ["nodes", n, "vncwebsocket"] => sim.with(|m| m.node(n).map(|_| ())),
        ["nodes", n, "lxc", id, "vncwebsocket"] => match id.parse::<u32>() {
            Ok(vmid) => sim.with(|m| m.guest(n, super::model::GuestKind::Lxc, vmid).map(|_| ())),
            Err(_) => Err(ApiError::param(
                "vmid",
                format!("type check ('integer') failed - got '{id}'"),
            )),
        },
        _ => Err(routes::not_implemented(method, rel)),
    };
    if let Err(e) = target_ok {
        return http::error_response(&e);
    }
    let query = query_params(&req);
    let p = Params(&query);
    let port = match p.int("port") {
        Ok(Some(port)) if (0..=65535).contains(&port) => port as u16,
        Ok(Some(_)) => {
            return http::error_response(&ApiError::param(
                "port",
                "value must have a maximum value of 65535",
            ));
        }
        Ok(None) => return http::error_response(&ApiError::missing("port")),
        Err(e) => return http::error_response(&e),
    };
    let Some(vncticket) = p.str("vncticket").map(str::to_string) else {
        return http::error_response(&ApiError::missing("vncticket"));
    };
    sim.hub.upgrade(req, authid, port, &vncticket).await
}
