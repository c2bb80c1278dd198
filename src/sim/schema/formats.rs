//! Named `format` validators (`pve-vmid`, `pve-node`, `pve-tag-list`, ...), ported from the
//! `register_format` subs of pve-common `src/PVE/JSONSchema.pm` (and the few pve-container /
//! pve-storage ones the subset uses). Errors are the exact `die` texts, trailing `\n` included,
//! because `check_prop` pastes `$@` verbatim after `invalid format - `.
//!
//! Formats PVE registers but this port does not know are accepted: the oracle must never refuse
//! what the real server takes.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Validate `value` against the registered format `name`, with `check_format`'s suffix rules:
/// `<fmt>-list` checks every element of `split_list`, `<fmt>-opt` only a non-empty value.
pub fn check_named(name: &str, value: &str) -> Result<(), String> {
    if name == "regex" {
        return Ok(());
    }
    // `$format =~ m/^(.*?)(?:-(list|opt))?$/`
    if let Some(base) = name.strip_suffix("-list") {
        if let Some(check) = validator(base) {
            return split_list(value).try_for_each(check);
        }
    }
    if let Some(base) = name.strip_suffix("-opt") {
        if let Some(check) = validator(base) {
            return if perl_true(value) {
                check(value)
            } else {
                Ok(())
            };
        }
    }
    match validator(name) {
        Some(check) => check(value),
        None => Ok(()),
    }
}

type Validator = fn(&str) -> Result<(), String>;

fn validator(name: &str) -> Option<Validator> {
    let v: Validator = match name {
        "pve-vmid" => vmid,
        "pve-node" => node,
        "pve-configid" => configid,
        "pve-storage-id" => storage_id,
        "pve-bridge-id" => bridge_id,
        "pve-tag" => tag,
        "pve-task-status-type" => task_status_type,
        "pve-startup-order" => startup_order,
        "pve-ipv4-config" => ipv4_config,
        "pve-ipv6-config" => ipv6_config,
        "pve-lxc-mp-string" => lxc_mp_string,
        "pve-volume-id" => volume_id,
        "pve-storage-content" => storage_content,
        "mac-addr" => mac_addr,
        "ipv4" => ipv4,
        "ipv6" => ipv6,
        "ip" => ip,
        "CIDRv4" => cidr_v4,
        "CIDRv6" => cidr_v6,
        "CIDR" => cidr,
        "dns-name" => dns_name,
        "disk-size" => disk_size,
        "urlencoded" => urlencoded,
        _ => return None,
    };
    Some(v)
}

/// pve-common `PVE::Tools::split_list`: NUL-separated if it contains NUL, else split on
/// `,`, `;` and whitespace, empty elements dropped.
pub fn split_list(value: &str) -> Box<dyn Iterator<Item = &str> + '_> {
    if value.contains('\0') {
        Box::new(value.split('\0'))
    } else {
        Box::new(
            value
                .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                .filter(|s| !s.is_empty()),
        )
    }
}

/// Perl truthiness of a string: everything except `""` and `"0"`.
fn perl_true(s: &str) -> bool {
    !s.is_empty() && s != "0"
}

fn fail(msg: String) -> Result<(), String> {
    Err(msg)
}

fn vmid(v: &str) -> Result<(), String> {
    // m/^[1-9][0-9]{2,8}$/
    let ok = (3..=9).contains(&v.len())
        && v.as_bytes()[0] != b'0'
        && v.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        fail("value does not look like a valid VM ID\n".into())
    }
}

/// `[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?`: one DNS label.
fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

fn node(v: &str) -> Result<(), String> {
    if is_label(v) {
        Ok(())
    } else {
        fail("value does not look like a valid node name\n".into())
    }
}

fn configid(v: &str) -> Result<(), String> {
    // $CONFIGID_RE = qr/[a-z][a-z0-9_-]+/i
    let b = v.as_bytes();
    let ok = b.len() >= 2
        && b[0].is_ascii_alphabetic()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-');
    if ok {
        Ok(())
    } else {
        fail(format!("invalid configuration ID '{v}'\n"))
    }
}

/// `parse_id`: m/^[a-z][a-z0-9\-\_\.]*[a-z0-9]$/i
fn is_pve_id(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_alphabetic()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn storage_id(v: &str) -> Result<(), String> {
    if is_pve_id(v) {
        Ok(())
    } else {
        fail(format!("storage ID '{v}' contains illegal characters\n"))
    }
}

fn bridge_id(v: &str) -> Result<(), String> {
    // m/^[-_.\w\d]+$/
    let ok = !v.is_empty()
        && v.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        fail(format!("invalid bridge ID '{v}'\n"))
    }
}

fn tag(v: &str) -> Result<(), String> {
    // $PVE_TAG_RE = qr/[a-z0-9_][a-z0-9_\-\+\.]*/i
    let b = v.as_bytes();
    let ok = !b.is_empty()
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+' | b'.'));
    if ok {
        Ok(())
    } else {
        fail("invalid characters in tag\n".into())
    }
}

fn task_status_type(v: &str) -> Result<(), String> {
    let ok = ["ok", "error", "warning", "unknown"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(v));
    if ok {
        Ok(())
    } else {
        fail(format!("invalid status '{v}'\n"))
    }
}

fn startup_order(v: &str) -> Result<(), String> {
    // pve_parse_startup_order: `return undef if !$value`, then each comma part is
    // `[order=]\d+`, `up=\d+` or `down=\d+` (blank parts skipped).
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let part_ok = |p: &str| {
        p.trim().is_empty()
            || digits(p.strip_prefix("order=").unwrap_or(p))
            || p.strip_prefix("up=").is_some_and(digits)
            || p.strip_prefix("down=").is_some_and(digits)
    };
    if perl_true(v) && v.split(',').all(part_ok) {
        Ok(())
    } else {
        fail("unable to parse startup options\n".into())
    }
}

fn is_ipv4(v: &str) -> bool {
    // Rust's parser, like $IPV4RE, refuses leading zeros and out-of-range octets.
    v.parse::<Ipv4Addr>().is_ok()
}

fn is_ipv6(v: &str) -> bool {
    v.parse::<Ipv6Addr>().is_ok()
}

/// `<addr>/<bits>` with `$1 > 7 && $1 <= max`.
fn is_cidr(v: &str, addr_ok: fn(&str) -> bool, max_bits: u32) -> bool {
    let Some((addr, bits)) = v.split_once('/') else {
        return false;
    };
    let bits_ok = !bits.is_empty()
        && bits.bytes().all(|b| b.is_ascii_digit())
        && bits.parse::<u32>().is_ok_and(|n| n > 7 && n <= max_bits);
    bits_ok && addr_ok(addr)
}

fn ipv4(v: &str) -> Result<(), String> {
    if is_ipv4(v) {
        Ok(())
    } else {
        fail("value does not look like a valid IPv4 address\n".into())
    }
}

fn ipv6(v: &str) -> Result<(), String> {
    if is_ipv6(v) {
        Ok(())
    } else {
        fail("value does not look like a valid IPv6 address\n".into())
    }
}

fn ip(v: &str) -> Result<(), String> {
    if is_ipv4(v) || is_ipv6(v) {
        Ok(())
    } else {
        fail("value does not look like a valid IP address\n".into())
    }
}

fn cidr_v4(v: &str) -> Result<(), String> {
    if is_cidr(v, is_ipv4, 32) {
        Ok(())
    } else {
        fail("value does not look like a valid IPv4 CIDR network\n".into())
    }
}

fn cidr_v6(v: &str) -> Result<(), String> {
    if is_cidr(v, is_ipv6, 128) {
        Ok(())
    } else {
        fail("value does not look like a valid IPv6 CIDR network\n".into())
    }
}

fn cidr(v: &str) -> Result<(), String> {
    if is_cidr(v, is_ipv4, 32) || is_cidr(v, is_ipv6, 128) {
        Ok(())
    } else {
        fail("value does not look like a valid CIDR network\n".into())
    }
}

fn ipv4_config(v: &str) -> Result<(), String> {
    if matches!(v, "dhcp" | "manual") || is_cidr(v, is_ipv4, 32) {
        Ok(())
    } else {
        fail("value does not look like a valid ipv4 network configuration\n".into())
    }
}

fn ipv6_config(v: &str) -> Result<(), String> {
    if matches!(v, "auto" | "dhcp" | "manual") || is_cidr(v, is_ipv6, 128) {
        Ok(())
    } else {
        fail("value does not look like a valid ipv6 network configuration\n".into())
    }
}

fn mac_addr(v: &str) -> Result<(), String> {
    // m/^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$/i: unicast only (I/G bit clear).
    let parts: Vec<&str> = v.split(':').collect();
    let hex2 = |p: &&str| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit());
    let unicast = parts
        .first()
        .and_then(|p| p.as_bytes().get(1))
        .is_some_and(|b| b"02468aceACE".contains(b));
    if parts.len() == 6 && parts.iter().all(hex2) && unicast {
        Ok(())
    } else {
        fail("value does not look like a valid unicast MAC address\n".into())
    }
}

fn dns_name(v: &str) -> Result<(), String> {
    // /^(${namere}\.)*${namere}$/
    if v.split('.').all(is_label) {
        Ok(())
    } else {
        fail("value does not look like a valid DNS name\n".into())
    }
}

fn disk_size(v: &str) -> Result<(), String> {
    // parse_size: m/^(\d+(\.\d+)?)([KMGT])?$/
    let num = v.strip_suffix(['K', 'M', 'G', 'T']).unwrap_or(v);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = match num.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(num),
    };
    if ok {
        Ok(())
    } else {
        fail(format!("value does not look like a valid disk size: {v}\n"))
    }
}

fn urlencoded(v: &str) -> Result<(), String> {
    let ok = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-%_.!~*'()".contains(c));
    if ok {
        Ok(())
    } else {
        fail(format!("invalid urlencoded string: {v}\n"))
    }
}

fn lxc_mp_string(v: &str) -> Result<(), String> {
    // pve-container verify_lxc_mp_string: no `/./`, `/../`, trailing `/.` `/..`, leading `./` `../`.
    let bad = v.contains("/./")
        || v.contains("/../")
        || v.ends_with("/.")
        || v.ends_with("/..")
        || v.starts_with("./")
        || v.starts_with("../");
    if bad {
        fail(format!("{v} contains illegal character sequences\n"))
    } else {
        Ok(())
    }
}

fn volume_id(v: &str) -> Result<(), String> {
    // pve-storage parse_volume_id: m/^([a-z][a-z0-9\-\_\.]*[a-z0-9]):(.+)$/i
    match v.split_once(':') {
        Some((store, rest)) if is_pve_id(store) && !rest.is_empty() => Ok(()),
        _ => fail(format!("unable to parse volume ID '{v}'\n")),
    }
}

fn storage_content(v: &str) -> Result<(), String> {
    // pve-storage verify_content: the content types a `dir` storage supports, plus `import`.
    const KNOWN: &[&str] = &[
        "images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import",
    ];
    if KNOWN.contains(&v) {
        Ok(())
    } else {
        fail(format!("invalid content type '{v}'\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmid_and_node() {
        assert!(check_named("pve-vmid", "100").is_ok());
        assert!(check_named("pve-vmid", "999999999").is_ok());
        assert_eq!(
            check_named("pve-vmid", "99"),
            Err("value does not look like a valid VM ID\n".into())
        );
        assert!(check_named("pve-vmid", "0100").is_err());
        assert!(check_named("pve-node", "pve-1").is_ok());
        assert!(check_named("pve-node", "-pve").is_err());
        assert!(check_named("pve-node", "pve.local").is_err());
    }

    #[test]
    fn lists_and_opt() {
        assert!(check_named("pve-tag-list", "web;prod db, x+y").is_ok());
        assert_eq!(
            check_named("pve-tag-list", "ok;b@d"),
            Err("invalid characters in tag\n".into())
        );
        assert!(check_named("pve-vmid-list", "100,101 102").is_ok());
        assert!(
            check_named("pve-vmid-list", "").is_ok(),
            "empty lists are allowed"
        );
        assert!(check_named("pve-configid-list", "net0,mp1").is_ok());
        assert_eq!(
            check_named("pve-configid-list", "net0,9x"),
            Err("invalid configuration ID '9x'\n".into())
        );
        assert!(check_named("pve-storage-content-list", "iso,vztmpl,backup").is_ok());
        assert!(check_named("pve-task-status-type-list", "ok,ERROR").is_ok());
    }

    #[test]
    fn network_formats() {
        assert!(check_named("pve-ipv4-config", "dhcp").is_ok());
        assert!(check_named("pve-ipv4-config", "10.0.0.5/24").is_ok());
        assert!(check_named("pve-ipv4-config", "10.0.0.5").is_err());
        assert!(check_named("pve-ipv4-config", "10.0.0.5/7").is_err());
        assert!(check_named("pve-ipv6-config", "auto").is_ok());
        assert!(check_named("pve-ipv6-config", "fd00::1/64").is_ok());
        assert!(check_named("mac-addr", "BC:24:11:00:00:01").is_ok());
        assert!(
            check_named("mac-addr", "01:24:11:00:00:01").is_err(),
            "multicast bit set"
        );
        assert!(check_named("ipv4", "010.0.0.1").is_err());
        assert!(check_named("dns-name", "ct-100.example.com").is_ok());
        assert!(check_named("dns-name", "bad_name").is_err());
    }

    #[test]
    fn misc_formats_and_unknown() {
        assert!(check_named("disk-size", "8G").is_ok());
        assert!(check_named("disk-size", "8.5").is_ok());
        assert!(check_named("disk-size", "8GB").is_err());
        assert!(check_named("pve-startup-order", "order=1,up=30").is_ok());
        assert!(check_named("pve-startup-order", "first").is_err());
        assert!(check_named("pve-volume-id", "local:vztmpl/debian.tar.zst").is_ok());
        assert!(check_named("pve-volume-id", "nocolon").is_err());
        assert!(check_named("pve-lxc-mp-string", "/mnt/../etc").is_err());
        assert!(check_named("some-future-format", "anything").is_ok());
        assert!(check_named("prune-backups", "keep-last=3").is_ok());
    }
}
