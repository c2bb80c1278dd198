//! TLS policy for Proxmox endpoints: webpki-verified by default, SHA-256 leaf pinning for the
//! self-signed certificates Proxmox installs, or explicitly insecure. One rustls
//! `ClientConfig` builder serves both the REST client and the console websocket, so both
//! always apply the same policy. Also trust-on-first-use: `fetch_fingerprint`.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

use super::error::{PveError, Result};

/// A SHA-256 certificate fingerprint, stored as Proxmox shows it: colon-separated upper hex
/// (`AB:CD:...`, 95 characters). Parsing accepts lower case and no colons.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of_der(der: &[u8]) -> Fingerprint {
        let digest = Sha256::digest(der);
        Fingerprint(colon_hex(digest.as_slice()))
    }

    /// The canonical `AB:CD:...` form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Fingerprint {
    type Err = PveError;

    fn from_str(s: &str) -> Result<Fingerprint> {
        let hex_digits: String = s
            .chars()
            .filter(|c| !matches!(c, ':' | ' ' | '\t'))
            .collect();
        let bytes = hex::decode(&hex_digits)
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| {
                PveError::Config(format!(
                    "'{s}' is not a SHA-256 fingerprint (expected 32 hex bytes, e.g. AB:CD:...)"
                ))
            })?;
        Ok(Fingerprint(colon_hex(&bytes)))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.0)
    }
}

fn colon_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// How a Proxmox endpoint's certificate is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TlsPolicy {
    /// Standard verification against the webpki root store (a publicly trusted certificate,
    /// e.g. ACME on the node).
    #[default]
    Verified,
    /// Accept exactly the leaf certificate with this SHA-256 fingerprint (the usual case:
    /// Proxmox's self-signed `pve-ssl.pem`). Host names and expiry are not checked; the
    /// handshake signatures still are, so the server must hold the certificate's key.
    Pinned(Fingerprint),
    /// Accept any certificate. Only when the user asked for it explicitly.
    Insecure,
}

/// The fingerprint a pinning verifier refuses: carried through rustls as `Error::Other` so
/// the client can turn it back into `PveError::FingerprintMismatch`.
#[derive(Debug, thiserror::Error)]
#[error("certificate fingerprint mismatch: presented {presented}, expected {expected}")]
pub(crate) struct MismatchError {
    pub(crate) presented: String,
    pub(crate) expected: String,
}

/// What the custom verifier does with the leaf certificate.
#[derive(Debug)]
enum LeafCheck {
    Pinned(Fingerprint),
    AcceptAny,
    /// Trust-on-first-use probe: remember the fingerprint, accept.
    Capture(Arc<Mutex<Option<Fingerprint>>>),
}

#[derive(Debug)]
struct LeafVerifier {
    check: LeafCheck,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for LeafVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let presented = Fingerprint::of_der(end_entity.as_ref());
        match &self.check {
            LeafCheck::Pinned(expected) if *expected == presented => {
                Ok(ServerCertVerified::assertion())
            }
            LeafCheck::Pinned(expected) => Err(rustls::Error::Other(rustls::OtherError(Arc::new(
                MismatchError {
                    presented: presented.0,
                    expected: expected.0.clone(),
                },
            )))),
            LeafCheck::AcceptAny => Ok(ServerCertVerified::assertion()),
            LeafCheck::Capture(slot) => {
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(presented);
                }
                Ok(ServerCertVerified::assertion())
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn config_with_verifier(check: LeafCheck) -> Result<rustls::ClientConfig> {
    let provider = provider();
    let verifier = LeafVerifier {
        check,
        algorithms: provider.signature_verification_algorithms,
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PveError::Config(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// Builds the rustls client configuration (ring provider, HTTP/1.1, no ALPN) that applies
/// `policy`. Used by `PveClient` and by the console websocket.
pub fn client_config(policy: &TlsPolicy) -> Result<rustls::ClientConfig> {
    match policy {
        TlsPolicy::Verified => {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            Ok(rustls::ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map_err(|e| PveError::Config(format!("TLS setup: {e}")))?
                .with_root_certificates(roots)
                .with_no_client_auth())
        }
        TlsPolicy::Pinned(fp) => config_with_verifier(LeafCheck::Pinned(fp.clone())),
        TlsPolicy::Insecure => config_with_verifier(LeafCheck::AcceptAny),
    }
}

/// Connects to `url` (`https://host:8006`, any path ignored) and returns the SHA-256
/// fingerprint of the certificate it presents, without trusting it. For trust-on-first-use:
/// show it to the user, then pin it with `TlsPolicy::Pinned`.
pub async fn fetch_fingerprint(url: &str) -> Result<String> {
    fetch_fingerprint_with_timeout(url, Duration::from_secs(10)).await
}

/// `fetch_fingerprint` with an explicit connect + handshake timeout.
pub async fn fetch_fingerprint_with_timeout(url: &str, timeout: Duration) -> Result<String> {
    let parsed =
        url::Url::parse(url).map_err(|e| PveError::Config(format!("invalid URL '{url}': {e}")))?;
    if parsed.scheme() != "https" {
        return Err(PveError::Config(format!(
            "'{url}' is not an https URL, it has no certificate"
        )));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| PveError::Config(format!("URL '{url}' has no host")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port().unwrap_or(8006);
    let slot = Arc::new(Mutex::new(None));
    let config = config_with_verifier(LeafCheck::Capture(slot.clone()))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let server_name = server_name(&host)?;
    let work = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| PveError::Connect {
                url: url.to_string(),
                message: e.to_string(),
            })?;
        connector
            .connect(server_name, tcp)
            .await
            .map_err(|e| PveError::Tls {
                url: url.to_string(),
                message: e.to_string(),
            })
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| PveError::Timeout {
            url: url.to_string(),
        })??;
    let captured = slot.lock().ok().and_then(|s| s.clone());
    captured.map(|fp| fp.0).ok_or_else(|| PveError::Tls {
        url: url.to_string(),
        message: "the server presented no certificate".into(),
    })
}

/// The SNI/verification name for a host (DNS name or IP literal).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(host.to_string())
        .map_err(|e| PveError::Config(format!("invalid TLS server name '{host}': {e}")))
}

/// Finds a fingerprint mismatch raised by `LeafVerifier` anywhere in an error chain
/// (reqwest -> hyper -> io::Error -> rustls::Error::Other -> MismatchError).
pub(crate) fn find_mismatch(err: &(dyn std::error::Error + 'static)) -> Option<(String, String)> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(m) = e.downcast_ref::<MismatchError>() {
            return Some((m.presented.clone(), m.expected.clone()));
        }
        // io::Error::source() skips its payload, so look inside explicitly.
        let payload = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        if let Some(inner) = payload {
            if let Some(found) = find_mismatch(inner) {
                return Some(found);
            }
        }
        if let Some(rustls::Error::Other(other)) = e.downcast_ref::<rustls::Error>() {
            if let Some(m) = other.0.downcast_ref::<MismatchError>() {
                return Some((m.presented.clone(), m.expected.clone()));
            }
        }
        current = e.source();
    }
    None
}

/// True if a rustls error appears anywhere in the chain (looking inside nested io::Errors).
pub(crate) fn is_tls_error(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        let payload = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        if payload.is_some_and(is_tls_error) {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_accepts_lower_case_and_no_colons() {
        let canonical = "AB:".repeat(31) + "AB";
        let lower: Fingerprint = "ab".repeat(32).parse().unwrap();
        assert_eq!(lower.as_str(), canonical);
        let colons: Fingerprint = canonical.to_lowercase().parse().unwrap();
        assert_eq!(colons, lower);
        assert!("AB:CD".parse::<Fingerprint>().is_err());
        assert!("zz".repeat(32).parse::<Fingerprint>().is_err());
    }

    #[test]
    fn fingerprint_of_der_is_sha256() {
        // SHA-256 of the empty string.
        let fp = Fingerprint::of_der(b"");
        assert!(fp.as_str().starts_with("E3:B0:C4:42"));
        assert_eq!(fp.as_str().len(), 95);
    }
}
