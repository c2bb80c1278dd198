//! `Upid`: Proxmox task identifiers (pve-common `UPID.pm`):
//! `UPID:<node>:<pid 8 hex>:<pstart 8-9 hex>:<starttime 8 hex>:<type>:<id>:<user>:`.
//! Parsing follows Proxmox's decode regex; formatting writes `%08X` upper-case hex and the
//! trailing colon. A parsed UPID prints back exactly as it was received.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::PveError;

/// A parsed task id. Construct with [`Upid::new`] or `str::parse`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Upid {
    node: String,
    pid: u32,
    pstart: u64,
    starttime: u64,
    kind: String,
    id: String,
    user: String,
    /// The exact text, kept so a UPID always round-trips byte for byte (Proxmox accepts
    /// lower-case hex on input; its files are named by the original text).
    text: String,
}

impl Upid {
    /// Builds a UPID from its parts, validating them like Proxmox's decoder.
    pub fn new(
        node: &str,
        pid: u32,
        pstart: u64,
        starttime: u64,
        kind: &str,
        id: &str,
        user: &str,
    ) -> Result<Upid, PveError> {
        let text =
            format!("UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{kind}:{id}:{user}:");
        text.parse()
    }

    /// The node that runs the task.
    pub fn node(&self) -> &str {
        &self.node
    }
    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }
    /// The worker's process start time (clock ticks since boot).
    pub fn pstart(&self) -> u64 {
        self.pstart
    }
    /// Task start, unix seconds.
    pub fn starttime(&self) -> u64 {
        self.starttime
    }
    /// Task type, e.g. `vzstart`, `vzcreate`, `download`.
    pub fn kind(&self) -> &str {
        &self.kind
    }
    /// Task object id (usually the vmid; may be empty).
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The user (or token id `user@realm!tok`) that started the task.
    pub fn user(&self) -> &str {
        &self.user
    }
    /// The UPID text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
    /// The vmid this task acts on, when its id is one.
    pub fn vmid(&self) -> Option<u32> {
        self.id.parse().ok()
    }
}

fn is_node_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

fn hex_field(s: &str, min: usize, max: usize) -> Option<u64> {
    if s.len() < min || s.len() > max || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

/// type/id/user: no `:`, no whitespace, no `/`.
fn plain_field(s: &str, allow_empty: bool) -> bool {
    (allow_empty || !s.is_empty()) && !s.chars().any(|c| c == ':' || c == '/' || c.is_whitespace())
}

impl FromStr for Upid {
    type Err = PveError;

    fn from_str(s: &str) -> Result<Upid, PveError> {
        let bad = || PveError::InvalidUpid(s.chars().take(200).collect());
        let rest = s.strip_prefix("UPID:").ok_or_else(bad)?;
        let rest = rest.strip_suffix(':').ok_or_else(bad)?;
        let parts: Vec<&str> = rest.split(':').collect();
        let [node, pid, pstart, starttime, kind, id, user] = parts.as_slice() else {
            return Err(bad());
        };
        if !is_node_name(node) {
            return Err(bad());
        }
        let pid = hex_field(pid, 8, 8).ok_or_else(bad)? as u32;
        let pstart = hex_field(pstart, 8, 9).ok_or_else(bad)?;
        let starttime = hex_field(starttime, 8, 8).ok_or_else(bad)?;
        if !plain_field(kind, false) || !plain_field(id, true) || !plain_field(user, false) {
            return Err(bad());
        }
        Ok(Upid {
            node: node.to_string(),
            pid,
            pstart,
            starttime,
            kind: kind.to_string(),
            id: id.to_string(),
            user: user.to_string(),
            text: s.to_string(),
        })
    }
}

impl fmt::Display for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Upid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Upid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Upid, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_wire_example() {
        let s = "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vzstart:100:root@pam:";
        let u: Upid = s.parse().unwrap();
        assert_eq!(u.node(), "pve");
        assert_eq!(u.pid(), 0x3A1F2);
        assert_eq!(u.pstart(), 0x0108C3B4);
        assert_eq!(u.starttime(), 0x6745A1B2);
        assert_eq!(u.kind(), "vzstart");
        assert_eq!(u.vmid(), Some(100));
        assert_eq!(u.user(), "root@pam");
        assert_eq!(u.to_string(), s);
    }

    #[test]
    fn accepts_empty_id_token_user_and_nine_digit_pstart() {
        let s = "UPID:node-1:00000001:10108C3B4:6745A1B2:vzdump::root@pam!ci:";
        let u: Upid = s.parse().unwrap();
        assert_eq!(u.id(), "");
        assert_eq!(u.user(), "root@pam!ci");
        assert_eq!(u.pstart(), 0x10108C3B4);
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vzstart:100:root@pam",
            "UPID:-pve:0003A1F2:0108C3B4:6745A1B2:vzstart:100:root@pam:",
            "UPID:pve:3A1F2:0108C3B4:6745A1B2:vzstart:100:root@pam:",
            "UPID:pve:0003A1F2:0108C3B4:6745A1B2::100:root@pam:",
            "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vz start:100:root@pam:",
            "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vzstart:100::",
            "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vzstart:1/0:root@pam:",
        ] {
            assert!(s.parse::<Upid>().is_err(), "{s}");
        }
    }
}
