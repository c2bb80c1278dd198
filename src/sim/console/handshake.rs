//! The HTTP side of `GET .../vncwebsocket`: pveproxy's upgrade checks and answers
//! (pve-http-server `AnyEvent.pm` `handle_api2_request` + `websocket_proxy`).
//!
//! Order on the real server: the API handler verifies the VNC ticket first (401), then the
//! upgrade headers are checked (501 with the die message), then the proxy connects to termproxy
//! and only then answers `101`. A plain GET (no `Upgrade`) just gets the handler's `{port}`.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::upgrade::Upgraded;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// pveproxy's `$max_payload_size`: frames in both directions are at most 128 KiB.
pub const MAX_PAYLOAD: usize = 128 * 1024;

pub type ConsoleSocket = WebSocketStream<TokioIo<Upgraded>>;

/// 401 from `verify_vnc_ticket` (raised with code 401; the reason is the message's first line).
pub fn invalid_ticket() -> Response<Full<Bytes>> {
    json_error(
        StatusCode::UNAUTHORIZED,
        "permission denied - invalid PVEVNC ticket",
    )
}

/// termproxy is gone (timed out, finished, or already has its one client): pveproxy's
/// `tcp_connect` fails. The real server then drops the connection without an answer; an HTTP
/// handler must answer something, so this is a 502 carrying the same words.
pub fn connect_refused(port: u16) -> Response<Full<Bytes>> {
    plain_error(
        StatusCode::BAD_GATEWAY,
        &format!("connect to 'localhost:{port}' failed: Connection refused"),
    )
}

/// Check the upgrade request; `Ok(Sec-WebSocket-Accept)` or the response to send instead.
pub fn check_upgrade<B>(req: &Request<B>, port: u16) -> Result<String, Box<Response<Full<Bytes>>>> {
    let header = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let Some(upgrade) = header(header::UPGRADE).filter(|u| !u.is_empty()) else {
        // Not an upgrade: the `vncwebsocket` handler's own result, `{ port => $port }` (the
        // query parameter, hence a string).
        let body = format!("{{\"data\":{{\"port\":\"{port}\"}}}}");
        let mut resp = Response::new(Full::new(Bytes::from(body)));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
        return Err(Box::new(resp));
    };
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(Box::new(plain_error(
            StatusCode::NOT_IMPLEMENTED,
            &format!("unable to upgrade to protocol '{}'", upgrade.to_lowercase()),
        )));
    }
    let version = header(header::SEC_WEBSOCKET_VERSION).unwrap_or_default();
    if version != "13" {
        return Err(Box::new(plain_error(
            StatusCode::NOT_IMPLEMENTED,
            &format!("unsupported websocket-version '{version}'"),
        )));
    }
    match req.headers().get(header::SEC_WEBSOCKET_KEY) {
        Some(key) if !key.is_empty() => Ok(derive_accept_key(key.as_bytes())),
        _ => Err(Box::new(plain_error(
            StatusCode::NOT_IMPLEMENTED,
            "missing websocket-key",
        ))),
    }
}

/// `101 Switching Protocols`, echoing the request's `Sec-WebSocket-Protocol` verbatim.
pub fn switching_protocols<B>(req: &Request<B>, accept: &str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = resp.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    if let Ok(value) = HeaderValue::from_str(accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, value);
    }
    if let Some(proto) = req.headers().get(header::SEC_WEBSOCKET_PROTOCOL)
        && !proto.is_empty()
    {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, proto.clone());
    }
    resp
}

/// Wait for hyper to hand over the connection and wrap it as the server side of a websocket.
pub async fn accept_websocket<B>(req: Request<B>) -> Option<ConsoleSocket> {
    let upgraded = hyper::upgrade::on(req).await.ok()?;
    let config = WebSocketConfig::default()
        .max_frame_size(Some(MAX_PAYLOAD))
        .max_message_size(Some(MAX_PAYLOAD));
    Some(WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await)
}

fn with_reason(
    mut resp: Response<Full<Bytes>>,
    status: StatusCode,
    reason: &str,
) -> Response<Full<Bytes>> {
    *resp.status_mut() = status;
    // Proxmox puts the first line of the error message in the status line.
    let first_line = reason.lines().next().unwrap_or_default();
    if let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(first_line.as_bytes()) {
        resp.extensions_mut().insert(phrase);
    }
    resp
}

/// An API handler error: JSON body `{"data":null,"message":"<msg>\n"}`.
fn json_error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "data": null, "message": format!("{message}\n") });
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    with_reason(resp, status, message)
}

/// A server-level error (`$self->error(...)`): reason phrase only, empty body.
fn plain_error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut resp = with_reason(Response::new(Full::new(Bytes::new())), status, message);
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::get("/api2/json/nodes/pve/lxc/100/vncwebsocket");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).unwrap()
    }

    fn reason(resp: &Response<Full<Bytes>>) -> String {
        let phrase = resp.extensions().get::<hyper::ext::ReasonPhrase>().unwrap();
        String::from_utf8_lossy(phrase.as_bytes()).into_owned()
    }

    const UPGRADE: [(&str, &str); 3] = [
        ("upgrade", "websocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];

    #[test]
    fn valid_upgrade_yields_the_rfc_accept_key() {
        assert_eq!(
            check_upgrade(&request(&UPGRADE), 5900).unwrap(),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn plain_get_is_the_handlers_port_answer() {
        let resp = check_upgrade(&request(&[]), 5901).unwrap_err();
        assert_eq!(resp.status(), StatusCode::OK);
    }

    #[test]
    fn bad_upgrades_are_501_with_pveproxy_messages() {
        let cases: [(&[(&str, &str)], &str); 3] = [
            (&[("upgrade", "h2c")], "unable to upgrade to protocol 'h2c'"),
            (
                &[("upgrade", "WebSocket"), ("sec-websocket-version", "8")],
                "unsupported websocket-version '8'",
            ),
            (
                &[("upgrade", "websocket"), ("sec-websocket-version", "13")],
                "missing websocket-key",
            ),
        ];
        for (headers, message) in cases {
            let resp = check_upgrade(&request(headers), 5900).unwrap_err();
            assert_eq!(resp.status(), StatusCode::NOT_IMPLEMENTED);
            assert_eq!(reason(&resp), message);
        }
    }

    #[test]
    fn switching_protocols_echoes_the_subprotocol_verbatim() {
        let mut headers = UPGRADE.to_vec();
        headers.push(("sec-websocket-protocol", "binary, base64"));
        let resp = switching_protocols(&request(&headers), "abc=");
        assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
        let h = resp.headers();
        assert_eq!(h["sec-websocket-protocol"], "binary, base64");
        assert_eq!(h["connection"], "upgrade");
        assert_eq!(h["upgrade"], "websocket");
        assert_eq!(h["sec-websocket-accept"], "abc=");
        let resp = switching_protocols(&request(&UPGRADE), "abc=");
        assert!(resp.headers().get("sec-websocket-protocol").is_none());
    }

    #[test]
    fn invalid_ticket_has_the_proxmox_reason_and_body() {
        let resp = invalid_ticket();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(reason(&resp), "permission denied - invalid PVEVNC ticket");
    }
}
