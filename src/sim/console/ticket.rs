//! VNC tickets: `PVEVNC:<8 UPPER-hex unix time>::<base64 signature>`.
//!
//! pve-access-control `assemble_vnc_ticket`/`verify_vnc_ticket`: the signed secret data is
//! `<authid>:<path>` plus `:<port>` when the port is pinned (termproxy `--verify-port`), and the
//! ticket is valid only from 20 s before to 40 s after its timestamp. Real Proxmox signs with the
//! cluster RSA key; the emulator signs with HMAC-SHA256 under a per-hub random key, which keeps
//! the shape (base64 with `=` padding, so clients must percent-encode it) and the checks.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use rand::Rng;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Ticket.pm `verify_rsa_ticket($.., -20, 40)`: valid while `-20 < age < 40` (strict), so a
/// ticket from slightly ahead of our clock passes and one 40 s old is dead.
pub const VNC_TICKET_MIN_AGE_S: i64 = -20;
pub const VNC_TICKET_MAX_AGE_S: i64 = 40;

/// The signing key of one emulator instance.
#[derive(Clone)]
pub struct VncTicketKey {
    key: [u8; 32],
}

impl std::fmt::Debug for VncTicketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VncTicketKey(..)")
    }
}

impl VncTicketKey {
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        VncTicketKey { key }
    }

    /// Issue a ticket for `authid:path:port` stamped with `unix_time`.
    pub fn issue(&self, authid: &str, path: &str, port: u16, unix_time: i64) -> String {
        let stamp = format!("{:08X}", unix_time.max(0));
        let sig = self.sign(&stamp, authid, path, port);
        format!("PVEVNC:{stamp}::{}", STANDARD.encode(sig))
    }

    /// True if `ticket` was issued by this key for exactly `authid:path:port` and its age at
    /// `now` is strictly between -20 s and +40 s.
    pub fn verify(&self, ticket: &str, authid: &str, path: &str, port: u16, now: i64) -> bool {
        let Some(rest) = ticket.strip_prefix("PVEVNC:") else {
            return false;
        };
        let Some((stamp, sig_b64)) = rest.split_once("::") else {
            return false;
        };
        if stamp.len() != 8 || !stamp.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        let Ok(issued) = i64::from_str_radix(stamp, 16) else {
            return false;
        };
        let age = now - issued;
        if age <= VNC_TICKET_MIN_AGE_S || age >= VNC_TICKET_MAX_AGE_S {
            return false;
        }
        let Ok(sig) = STANDARD.decode(sig_b64) else {
            return false;
        };
        self.mac(stamp, authid, path, port)
            .verify_slice(&sig)
            .is_ok()
    }

    fn sign(&self, stamp: &str, authid: &str, path: &str, port: u16) -> Vec<u8> {
        self.mac(stamp, authid, path, port)
            .finalize()
            .into_bytes()
            .to_vec()
    }

    fn mac(&self, stamp: &str, authid: &str, path: &str, port: u16) -> HmacSha256 {
        // Any key length is valid for HMAC, so this cannot fail; fall back to an empty-keyed
        // MAC rather than panic (it would simply never verify a real ticket).
        let mut mac = HmacSha256::new_from_slice(&self.key)
            .unwrap_or_else(|_| HmacSha256::new(&Default::default()));
        // Same layout as Ticket.pm: `<prefix>:<time>:<secret data>`.
        mac.update(format!("PVEVNC:{stamp}:{authid}:{path}:{port}").as_bytes());
        mac
    }
}

/// Seconds since the Unix epoch (0 if the clock is before 1970).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_has_the_proxmox_shape() {
        let key = VncTicketKey::random();
        let t = key.issue("root@pam", "/vms/100", 5900, 0x6745A1B2);
        assert!(t.starts_with("PVEVNC:6745A1B2::"), "{t}");
        assert!(t.ends_with('='), "base64 keeps its padding: {t}");
    }

    #[test]
    fn verify_checks_every_signed_field() {
        let key = VncTicketKey::random();
        let now = 1_700_000_000;
        let t = key.issue("root@pam", "/vms/100", 5900, now);
        assert!(key.verify(&t, "root@pam", "/vms/100", 5900, now));
        assert!(!key.verify(&t, "root@pam!tok", "/vms/100", 5900, now));
        assert!(!key.verify(&t, "root@pam", "/vms/101", 5900, now));
        assert!(!key.verify(&t, "root@pam", "/vms/100", 5901, now));
        assert!(!VncTicketKey::random().verify(&t, "root@pam", "/vms/100", 5900, now));
        let tampered = t.replace("PVEVNC:", "PVEVNC:0").replacen("::", ":", 1);
        assert!(!key.verify(&tampered, "root@pam", "/vms/100", 5900, now));
    }

    #[test]
    fn lifetime_is_strictly_between_minus_20_and_plus_40_seconds() {
        let key = VncTicketKey::random();
        let issued = 1_700_000_000;
        let t = key.issue("u@pve", "/nodes/pve", 5901, issued);
        let ok = |now| key.verify(&t, "u@pve", "/nodes/pve", 5901, now);
        assert!(ok(issued));
        assert!(ok(issued - 19));
        assert!(!ok(issued - 20));
        assert!(ok(issued + 39));
        assert!(!ok(issued + 40));
    }

    #[test]
    fn garbage_is_rejected_without_panicking() {
        let key = VncTicketKey::random();
        for t in [
            "",
            "PVEVNC:",
            "PVEVNC:zz::",
            "PVEVNC:00000000::!!!",
            "PVE:root@pam:0::x",
        ] {
            assert!(!key.verify(t, "root@pam", "/vms/100", 5900, 0));
        }
    }
}
