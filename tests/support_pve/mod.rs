//! A tiny Proxmox-like HTTP(S) mock for the `pve` client tests: hyper 1 on 127.0.0.1:0,
//! optional TLS with an rcgen self-signed certificate, a closure deciding each response,
//! and a log of every request received.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// One request as the mock saw it.
#[derive(Debug, Clone)]
pub struct MockRequest {
    pub method: String,
    /// Percent-decoded path without the `/api2/json` prefix.
    pub path: String,
    pub query: HashMap<String, String>,
    pub form: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body_len: usize,
}

impl MockRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Query param, else form param (query wins, like Proxmox).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .or_else(|| self.form.get(name))
            .map(String::as_str)
    }

    /// The ticket from `Cookie: PVEAuthCookie=...`, percent-decoded.
    pub fn ticket(&self) -> Option<String> {
        let cookie = self.header("cookie")?;
        let raw = cookie
            .split(';')
            .find_map(|c| c.trim().strip_prefix("PVEAuthCookie="))?;
        Some(
            percent_encoding::percent_decode_str(raw)
                .decode_utf8_lossy()
                .into_owned(),
        )
    }
}

/// What the mock answers.
#[derive(Debug, Clone)]
pub struct MockResponse {
    pub status: u16,
    pub reason: Option<String>,
    pub body: Vec<u8>,
}

impl MockResponse {
    /// 200 `{"data": value}`.
    pub fn data(value: serde_json::Value) -> MockResponse {
        MockResponse {
            status: 200,
            reason: None,
            body: serde_json::json!({ "data": value })
                .to_string()
                .into_bytes(),
        }
    }

    /// 200 `{"data": value, "total": n}`.
    pub fn data_total(value: serde_json::Value, total: u64) -> MockResponse {
        MockResponse {
            status: 200,
            reason: None,
            body: serde_json::json!({ "data": value, "total": total })
                .to_string()
                .into_bytes(),
        }
    }

    /// An error with Proxmox's reason phrase and JSON body.
    pub fn error(status: u16, reason: &str, body: serde_json::Value) -> MockResponse {
        MockResponse {
            status,
            reason: Some(reason.to_string()),
            body: body.to_string().into_bytes(),
        }
    }

    /// An error with an empty body (401 from the auth handler, 595/596 from the proxy).
    pub fn empty(status: u16, reason: &str) -> MockResponse {
        MockResponse {
            status,
            reason: Some(reason.to_string()),
            body: Vec::new(),
        }
    }

    /// 200 with a raw body.
    pub fn raw(body: &str) -> MockResponse {
        MockResponse {
            status: 200,
            reason: None,
            body: body.as_bytes().to_vec(),
        }
    }
}

pub type Handler = Arc<dyn Fn(&MockRequest) -> MockResponse + Send + Sync>;

pub struct MockServer {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:port` or `https://...`.
    pub url: String,
    pub requests: Arc<Mutex<Vec<MockRequest>>>,
    /// The certificate fingerprint (`AB:CD:...`) when TLS.
    pub fingerprint: Option<String>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockServer {
    pub async fn start(
        handler: impl Fn(&MockRequest) -> MockResponse + Send + Sync + 'static,
    ) -> MockServer {
        Self::spawn(Arc::new(handler), None).await
    }

    pub async fn start_tls(
        handler: impl Fn(&MockRequest) -> MockResponse + Send + Sync + 'static,
    ) -> MockServer {
        let (config, fingerprint) = self_signed_server_config();
        Self::spawn(Arc::new(handler), Some((config, fingerprint))).await
    }

    async fn spawn(
        handler: Handler,
        tls: Option<(Arc<rustls::ServerConfig>, String)>,
    ) -> MockServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<MockRequest>>> = Arc::default();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let fingerprint = tls.as_ref().map(|(_, fp)| fp.clone());
        let acceptor = tls.map(|(cfg, _)| tokio_rustls::TlsAcceptor::from(cfg));
        let log = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let log = log.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let handler = handler.clone();
                        let log = log.clone();
                        async move { Ok::<_, Infallible>(respond(req, &handler, &log).await) }
                    });
                    match acceptor {
                        Some(acc) => {
                            let Ok(tls) = acc.accept(tcp).await else {
                                return;
                            };
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(tls), service)
                                .await;
                        }
                        None => {
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(tcp), service)
                                .await;
                        }
                    }
                });
            }
        });
        MockServer {
            addr,
            url: format!("{scheme}://127.0.0.1:{}", addr.port()),
            requests,
            fingerprint,
            task,
        }
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<MockRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// Requests for `method path`.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .count()
    }
}

fn parse_pairs(s: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn respond(
    req: hyper::Request<hyper::body::Incoming>,
    handler: &Handler,
    log: &Arc<Mutex<Vec<MockRequest>>>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let raw_path = parts.uri.path();
    let decoded = percent_encoding::percent_decode_str(raw_path)
        .decode_utf8_lossy()
        .into_owned();
    let path = decoded
        .strip_prefix("/api2/json")
        .unwrap_or(&decoded)
        .to_string();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let request = MockRequest {
        method: parts.method.to_string(),
        path,
        query: parse_pairs(parts.uri.query().unwrap_or("")),
        form: parse_pairs(&String::from_utf8_lossy(&body)),
        headers,
        body_len: body.len(),
    };
    let answer = handler(&request);
    log.lock().unwrap().push(request);
    let mut response = hyper::Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(answer.status).unwrap();
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    if let Some(reason) = answer.reason {
        response
            .extensions_mut()
            .insert(hyper::ext::ReasonPhrase::try_from(reason).unwrap());
    }
    response
}

/// A rustls server config with a fresh self-signed certificate, and its fingerprint.
pub fn self_signed_server_config() -> (Arc<rustls::ServerConfig>, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_der = certified.cert.der().clone();
    let fingerprint = proximity::pve::Fingerprint::of_der(cert_der.as_ref()).to_string();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert_der], key)
    .unwrap();
    (Arc::new(config), fingerprint)
}
