//! LXC config semantics: which keys exist and their JSON types (integers as numbers, booleans as
//! 0/1 numbers, property strings as strings), the digest, and `GET`/`PUT .../config`.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::http::{ApiError, ApiResult, ParamMap, Params, Reply};
use super::model::{GuestKind, check_lock, normalize_tags};
use super::state::Ctx;

const INT_KEYS: [&str; 5] = ["cores", "memory", "swap", "cpuunits", "tty"];
const BOOL_KEYS: [&str; 6] = [
    "onboot",
    "unprivileged",
    "protection",
    "template",
    "console",
    "debug",
];
const STR_KEYS: [&str; 18] = [
    "arch",
    "cmode",
    "cpulimit",
    "description",
    "entrypoint",
    "env",
    "features",
    "hookscript",
    "hostname",
    "lock",
    "nameserver",
    "ostype",
    "rootfs",
    "searchdomain",
    "startup",
    "tags",
    "timezone",
    "lxc",
];
/// Indexed keys (`net0`, `mp3`, `dev1`, `unused0`).
const INDEXED: [&str; 4] = ["net", "mp", "dev", "unused"];

pub fn is_config_key(key: &str) -> bool {
    INT_KEYS.contains(&key)
        || BOOL_KEYS.contains(&key)
        || STR_KEYS.contains(&key)
        || INDEXED.iter().any(|p| {
            key.strip_prefix(p).is_some_and(|n| {
                !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit())
            })
        })
}

/// Convert a parameter string into the typed value the config stores, with JSONSchema errors.
pub fn config_value(key: &str, raw: &str) -> Result<Value, String> {
    if INT_KEYS.contains(&key) {
        let n: i64 = super::http::parse_int(raw)
            .ok_or_else(|| format!("type check ('integer') failed - got '{raw}'"))?;
        let min = match key {
            "memory" => 16,
            "cores" | "tty" => 0,
            _ => 0,
        };
        if n < min {
            return Err(format!("value must have a minimum value of {min}"));
        }
        return Ok(json!(n));
    }
    if BOOL_KEYS.contains(&key) {
        return match raw {
            "1" => Ok(json!(1)),
            "0" => Ok(json!(0)),
            _ => Err(format!("type check ('boolean') failed - got '{raw}'")),
        };
    }
    match key {
        "tags" => normalize_tags(raw).map(Value::String),
        "hostname" => {
            let ok = !raw.is_empty()
                && raw.len() <= 255
                && raw.split('.').all(|l| {
                    !l.is_empty()
                        && !l.starts_with('-')
                        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if ok {
                Ok(json!(raw))
            } else {
                Err("value does not match the regex pattern".into())
            }
        }
        k if k.starts_with("net") => {
            if !raw.split(',').any(|kv| kv.starts_with("name=")) {
                return Err("invalid format - format error\nname: property is missing and it is not optional".into());
            }
            Ok(json!(raw))
        }
        _ => Ok(json!(raw)),
    }
}

/// SHA1-sized hex digest of the config (Proxmox sends the SHA1 of the file).
pub fn digest(config: &BTreeMap<String, Value>) -> String {
    let text = serde_json::to_string(config).unwrap_or_default();
    let hash = Sha256::digest(text.as_bytes());
    hex::encode(hash)[..40].to_string()
}

/// `GET .../config` (LXC and QEMU); `snap` comes from the `snapshot` param or the
/// `snapshot/{name}/config` path.
pub fn get(ctx: &Ctx, node: &str, kind: GuestKind, vmid: u32, snap: Option<&str>) -> ApiResult {
    let snapname = snap
        .or_else(|| ctx.params.get("snapshot").map(String::as_str))
        .map(str::to_string);
    ctx.sim.with(|m| {
        let g = m.guest(node, kind, vmid)?;
        let config = match &snapname {
            Some(name) => {
                &g.snapshots
                    .iter()
                    .find(|s| &s.name == name)
                    .ok_or_else(|| ApiError::die(format!("snapshot '{name}' does not exist")))?
                    .config
            }
            None => &g.config,
        };
        let mut o: serde_json::Map<String, Value> =
            config.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        if snapname.is_none()
            && let Some(lock) = &g.lock
        {
            o.insert("lock".into(), json!(lock));
        }
        o.insert("digest".into(), json!(digest(config)));
        Ok(Reply::json(&Value::Object(o)))
    })
}

/// Keys that are only settable at create time.
const READ_ONLY: [&str; 1] = ["unprivileged"];

/// `PUT .../config`: synchronous, answers `null`.
pub fn put(ctx: &Ctx, node: &str, vmid: u32) -> ApiResult {
    let updates = parse_updates(ctx.params)?;
    let p = Params(ctx.params);
    let want_digest = p.str("digest").map(str::to_string);
    let deletes: Vec<String> = p
        .str("delete")
        .unwrap_or("")
        .split([',', ';', ' '])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    for d in &deletes {
        if !is_config_key(d) {
            return Err(ApiError::param(
                "delete",
                format!("invalid format - invalid configuration ID '{d}'"),
            ));
        }
    }
    let skiplock = p.flag("skiplock")?;
    ctx.sim.change(|m| {
        let g = m.guest_mut(node, GuestKind::Lxc, vmid)?;
        if !skiplock {
            check_lock(g)?;
        }
        if let Some(want) = &want_digest
            && *want != digest(&g.config)
        {
            return Err(ApiError::die(
                "detected modified configuration - file changed by other user? Try again.",
            ));
        }
        for key in READ_ONLY {
            if updates.contains_key(key) || deletes.iter().any(|d| d == key) {
                return Err(ApiError::die(format!(
                    "unable to modify read-only option: '{key}'"
                )));
            }
        }
        for d in &deletes {
            g.config.remove(d);
        }
        for (k, v) in updates {
            g.config.insert(k, v);
        }
        Ok(Reply::null())
    })
}

/// The config keys among `params`, typed; unknown keys are schema errors.
pub fn parse_updates(params: &ParamMap) -> Result<BTreeMap<String, Value>, ApiError> {
    const CONTROL: [&str; 7] = [
        "node", "vmid", "digest", "delete", "revert", "skiplock", "current",
    ];
    let mut out = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for (k, raw) in params {
        if CONTROL.contains(&k.as_str()) {
            continue;
        }
        if !is_config_key(k) || k == "lock" || k == "lxc" {
            errors.insert(
                k.clone(),
                "property is not defined in schema and the schema does not allow additional properties".to_string(),
            );
            continue;
        }
        match config_value(k, raw) {
            Ok(v) => {
                out.insert(k.clone(), v);
            }
            Err(e) => {
                errors.insert(k.clone(), e);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::params(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_get_proxmox_types() {
        assert_eq!(config_value("memory", "1024").unwrap(), json!(1024));
        assert_eq!(config_value("onboot", "1").unwrap(), json!(1));
        assert!(config_value("onboot", "true").is_err());
        assert_eq!(config_value("tags", "a,b").unwrap(), json!("a;b"));
        assert!(config_value("net0", "bridge=vmbr0").is_err());
        assert!(
            is_config_key("net3")
                && is_config_key("mp0")
                && !is_config_key("netx")
                && !is_config_key("bogus")
        );
    }
}
