//! The pve-http-server side of the wire: parameter decoding (form quirks, JSON bodies, query
//! overrides body), the `{"data":...}` envelope and Proxmox's error shapes (reason phrase = first
//! line of the message, `Connection: close` on errors, empty-bodied 401s).

use std::collections::BTreeMap;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    CACHE_CONTROL, CONNECTION, CONTENT_ENCODING, CONTENT_TYPE, EXPIRES, HeaderValue, PRAGMA, SERVER,
};
use hyper::{Response, StatusCode};
use percent_encoding::percent_decode_str;

use super::clock;

pub type Resp = Response<Full<Bytes>>;

/// Request parameters after merging (query overrides body), every value a string like Perl sees.
pub type ParamMap = BTreeMap<String, String>;

/// A handler failure, shaped like `PVE::Exception`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    pub errors: Option<BTreeMap<String, String>>,
    /// Pre-routing auth failures carry no body at all.
    pub empty_body: bool,
}

impl ApiError {
    /// `die "...\n"` in a handler: 500 with the message.
    pub fn die(msg: impl Into<String>) -> Self {
        let mut message = msg.into();
        if !message.ends_with('\n') {
            message.push('\n');
        }
        ApiError {
            status: 500,
            message,
            errors: None,
            empty_body: false,
        }
    }

    pub fn status(status: u16, msg: impl Into<String>) -> Self {
        ApiError {
            status,
            message: msg.into(),
            errors: None,
            empty_body: false,
        }
    }

    /// `raise_param_exc`: 400 `Parameter verification failed.` with per-parameter messages.
    pub fn params(errors: BTreeMap<String, String>) -> Self {
        ApiError {
            status: 400,
            message: "Parameter verification failed.\n".into(),
            errors: Some(errors),
            empty_body: false,
        }
    }

    pub fn param(name: &str, msg: impl Into<String>) -> Self {
        let mut errors = BTreeMap::new();
        errors.insert(name.to_string(), msg.into());
        Self::params(errors)
    }

    /// Pre-routing auth failure: 401, reason only, no body.
    pub fn unauthorized(reason: &str) -> Self {
        ApiError {
            status: 401,
            message: reason.into(),
            errors: None,
            empty_body: true,
        }
    }

    /// `raise_perm_exc`.
    pub fn forbidden(what: &str) -> Self {
        ApiError::status(403, format!("Permission check failed ({what})\n"))
    }

    pub fn not_implemented(msg: impl Into<String>) -> Self {
        ApiError::status(501, msg)
    }

    pub fn missing(name: &str) -> Self {
        Self::param(name, "property is missing and it is not optional")
    }
}

/// What a handler returns: the `data` value as JSON text (so big answers such as
/// `/cluster/resources` are serialized once, directly) and the optional `total`.
#[derive(Debug)]
pub struct Reply {
    pub data: Vec<u8>,
    pub total: Option<u64>,
}

impl Reply {
    pub fn json(value: &serde_json::Value) -> Self {
        Reply {
            data: serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec()),
            total: None,
        }
    }

    pub fn ser<T: serde::Serialize + ?Sized>(value: &T) -> Self {
        Reply {
            data: serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec()),
            total: None,
        }
    }

    pub fn null() -> Self {
        Reply {
            data: b"null".to_vec(),
            total: None,
        }
    }

    pub fn string(s: &str) -> Self {
        Self::json(&serde_json::Value::String(s.to_string()))
    }

    pub fn with_total(mut self, total: u64) -> Self {
        self.total = Some(total);
        self
    }
}

pub type ApiResult = Result<Reply, ApiError>;

fn base_headers(resp: &mut Resp) {
    let h = resp.headers_mut();
    h.insert(SERVER, HeaderValue::from_static("pve-api-daemon/3.0"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=0"));
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&clock::http_date(clock::now_epoch())) {
        h.insert(EXPIRES, v);
    }
}

/// Answers above this size are gzipped when the client accepts it (pve-http-server does so).
const GZIP_MIN_BYTES: usize = 1024;

/// 200 with the envelope; `total` only when truthy (Perl's `if $res->{total}`).
pub fn ok_response(reply: &Reply, accepts_gzip: bool) -> Resp {
    let mut body = Vec::with_capacity(reply.data.len() + 32);
    body.extend_from_slice(b"{\"data\":");
    body.extend_from_slice(&reply.data);
    if let Some(total) = reply.total.filter(|t| *t != 0) {
        body.extend_from_slice(format!(",\"total\":{total}").as_bytes());
    }
    body.push(b'}');
    let gzipped = if accepts_gzip && body.len() > GZIP_MIN_BYTES {
        gzip(&body)
    } else {
        None
    };
    let is_gzip = gzipped.is_some();
    let mut resp = Response::new(Full::new(Bytes::from(gzipped.unwrap_or(body))));
    base_headers(&mut resp);
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    if is_gzip {
        resp.headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    resp
}

fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4),
        flate2::Compression::fast(),
    );
    enc.write_all(data).ok()?;
    enc.finish().ok()
}

/// Whether the request's `Accept-Encoding` lists gzip.
pub fn accepts_gzip(headers: &hyper::HeaderMap) -> bool {
    headers
        .get_all(hyper::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|e| e.trim().split(';').next() == Some("gzip"))
        })
}

/// Error answer: status, reason = first line of the message, JSON body unless empty.
pub fn error_response(err: &ApiError) -> Resp {
    let body = if err.empty_body {
        Bytes::new()
    } else {
        let mut obj = serde_json::Map::new();
        obj.insert("data".into(), serde_json::Value::Null);
        obj.insert(
            "message".into(),
            serde_json::Value::String(err.message.clone()),
        );
        if let Some(errors) = &err.errors {
            let map = errors
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            obj.insert("errors".into(), serde_json::Value::Object(map));
        }
        Bytes::from(serde_json::to_vec(&serde_json::Value::Object(obj)).unwrap_or_default())
    };
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() =
        StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    base_headers(&mut resp);
    if !err.empty_body {
        resp.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
    }
    set_reason(&mut resp, &err.message);
    resp.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Proxmox puts the first line of the message in the status line.
pub fn set_reason(resp: &mut Resp, message: &str) {
    let first = message.lines().next().unwrap_or("").trim_end();
    if first.is_empty() {
        return;
    }
    if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(first.as_bytes().to_vec()) {
        resp.extensions_mut().insert(reason);
    }
}

/// `decode_urlencoded`: pairs split on `&` and `;`, `+` is a space, `%XX` decoded, the value
/// ends at the next unencoded `=`.
pub fn decode_urlencoded(input: &str, into: &mut ParamMap) {
    for pair in input.split(['&', ';']) {
        if pair.is_empty() {
            continue;
        }
        let mut parts = pair.split('=');
        let key = decode_component(parts.next().unwrap_or(""));
        let value = decode_component(parts.next().unwrap_or(""));
        if key.is_empty() {
            continue;
        }
        into.insert(key, value);
    }
}

fn decode_component(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// A JSON body's values as the strings Perl would see: numbers in decimal, booleans 1/0, arrays
/// joined with `,` (the `-list` formats).
pub fn decode_json_body(body: &[u8], into: &mut ParamMap) -> Result<(), ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::status(400, format!("malformed JSON body - {e}\n")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(ApiError::status(
            400,
            "malformed JSON body - expected an object\n",
        ));
    };
    for (k, v) in map {
        if let Some(s) = json_param_string(&v) {
            into.insert(k, s);
        }
    }
    Ok(())
}

fn json_param_string(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::Bool(b) => Some(if *b { "1" } else { "0" }.into()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(items) => Some(
            items
                .iter()
                .filter_map(json_param_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        serde_json::Value::Object(_) => Some(v.to_string()),
    }
}

/// Typed access to parameters with JSONSchema.pm's messages.
pub struct Params<'a>(pub &'a ParamMap);

impl Params<'_> {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn req_str(&self, name: &str) -> Result<&str, ApiError> {
        self.str(name).ok_or_else(|| ApiError::missing(name))
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.str(name) {
            None => Ok(None),
            Some(s) => parse_int(s).map(Some).ok_or_else(|| {
                ApiError::param(name, format!("type check ('integer') failed - got '{s}'"))
            }),
        }
    }

    /// Top-level booleans must be exactly 1/0 (JSON true/false arrive here as 1/0).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.str(name) {
            None => Ok(None),
            Some("1") => Ok(Some(true)),
            Some("0") => Ok(Some(false)),
            Some(s) => Err(ApiError::param(
                name,
                format!("type check ('boolean') failed - got '{s}'"),
            )),
        }
    }

    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        Ok(self.bool(name)?.unwrap_or(false))
    }

    /// A vmid parameter (100 ..= 999999999).
    pub fn vmid(&self, name: &str) -> Result<Option<u32>, ApiError> {
        match self.int(name)? {
            None => Ok(None),
            Some(v) if v < 100 => Err(ApiError::param(
                name,
                "value must have a minimum value of 100",
            )),
            Some(v) if v > 999_999_999 => Err(ApiError::param(
                name,
                "value must have a maximum value of 999999999",
            )),
            Some(v) => Ok(Some(v as u32)),
        }
    }

    pub fn req_vmid(&self, name: &str) -> Result<u32, ApiError> {
        self.vmid(name)?.ok_or_else(|| ApiError::missing(name))
    }
}

/// Perl's integer regex: optional sign, decimal digits (hex/octal forms are not accepted by the API).
pub fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_quirks() {
        let mut m = ParamMap::new();
        decode_urlencoded("a=1;b=x+y&c=%3D%2B&d=p=q", &mut m);
        assert_eq!(m["a"], "1");
        assert_eq!(m["b"], "x y");
        assert_eq!(m["c"], "=+");
        assert_eq!(m["d"], "p", "an unencoded '=' truncates the value");
    }

    #[test]
    fn json_body_values_become_perl_strings() {
        let mut m = ParamMap::new();
        decode_json_body(br#"{"a":true,"b":12,"c":"x","d":[1,2]}"#, &mut m).unwrap();
        assert_eq!(
            (m["a"].as_str(), m["b"].as_str(), m["d"].as_str()),
            ("1", "12", "1,2")
        );
        let p = Params(&m);
        assert!(p.bool("c").is_err());
        assert_eq!(p.int("b").unwrap(), Some(12));
    }
}
