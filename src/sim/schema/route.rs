//! Path-template routing: concrete API paths (`/nodes/pve1/lxc/100/status/start`) to the
//! schema's templates (`/nodes/{node}/lxc/{vmid}/status/start`), as PVE's `find_handler` does:
//! a literal segment wins over a `{param}` one at the same level.

use std::collections::{BTreeMap, HashMap};

use percent_encoding::percent_decode_str;

#[derive(Debug, Default)]
struct RouteNode {
    literals: HashMap<String, RouteNode>,
    param: Option<(String, Box<RouteNode>)>,
    /// HTTP method -> endpoint index.
    methods: HashMap<String, usize>,
}

/// A trie over path segments; lookups cost one hash probe per segment.
#[derive(Debug, Default)]
pub struct RouteTable {
    root: RouteNode,
}

/// Why a template could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("duplicate method definition")]
    Duplicate,
    /// PVE's `register_method` dies with "found changed regex match name" in this case.
    #[error("path parameter conflicts with '{{{existing}}}' at the same level")]
    ConflictingParam { existing: String },
}

impl RouteTable {
    pub fn insert(&mut self, method: &str, template: &str, index: usize) -> Result<(), RouteError> {
        let mut node = &mut self.root;
        for seg in segments(template) {
            node = match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    let slot = node
                        .param
                        .get_or_insert_with(|| (name.to_string(), Box::default()));
                    if slot.0 != name {
                        return Err(RouteError::ConflictingParam {
                            existing: slot.0.clone(),
                        });
                    }
                    &mut slot.1
                }
                None => node.literals.entry(seg.to_string()).or_default(),
            };
        }
        match node.methods.insert(method.to_string(), index) {
            Some(_) => Err(RouteError::Duplicate),
            None => Ok(()),
        }
    }

    /// The endpoint index for `method` + concrete `path`, and the values of the template's
    /// `{param}` segments. Like pve-http-server, the whole path is percent-decoded before it is
    /// split (clients may send UPIDs raw or `encodeURIComponent`-ed).
    pub fn lookup(&self, method: &str, path: &str) -> Option<(usize, BTreeMap<String, String>)> {
        let decoded = percent_decode_str(path).decode_utf8_lossy();
        let segs: Vec<&str> = segments(&decoded).collect();
        let mut bound = Vec::new();
        let index = walk(&self.root, &segs, &decoded, method, &mut bound)?;
        let params = bound
            .into_iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Some((index, params))
    }
}

/// Depth-first, literal child before the `{param}` child. A `{param}` segment matches
/// RESTHandler's default component regex `\S+` (no whitespace).
fn walk<'t, 'p>(
    node: &'t RouteNode,
    segs: &[&'p str],
    whole: &'p str,
    method: &str,
    bound: &mut Vec<(&'t str, &'p str)>,
) -> Option<usize> {
    let Some((first, rest)) = segs.split_first() else {
        return node.methods.get(method).copied();
    };
    if let Some(child) = node.literals.get(*first) {
        if let Some(found) = walk(child, rest, whole, method, bound) {
            return Some(found);
        }
    }
    let (name, child) = node.param.as_ref()?;
    if first.chars().any(char::is_whitespace) {
        return None;
    }
    bound.push((name.as_str(), first));
    if let Some(found) = walk(child, rest, whole, method, bound) {
        return Some(found);
    }
    bound.pop();
    // A last `{param}` takes the rest of the path: volids (`local:backup/x.tar.zst`) carry a
    // `/` that arrives decoded.
    let leaf = child.literals.is_empty() && child.param.is_none();
    let found = child
        .methods
        .get(method)
        .copied()
        .filter(|_| leaf && !rest.is_empty())?;
    let offset = (first.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let remainder = whole.get(offset..)?.trim_end_matches('/');
    if remainder.chars().any(char::is_whitespace) {
        return None;
    }
    bound.push((name.as_str(), remainder));
    Some(found)
}

/// Non-empty segments, so `/nodes/` and `nodes` route like `/nodes`.
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        let mut t = RouteTable::default();
        t.insert("GET", "/nodes/{node}/lxc/{vmid}/snapshot", 0)
            .unwrap();
        t.insert("GET", "/nodes/{node}/lxc/{vmid}/status/current", 1)
            .unwrap();
        t.insert("POST", "/nodes/{node}/lxc/{vmid}/status/{action}", 2)
            .unwrap();
        t.insert("GET", "/nodes/{node}/tasks/{upid}/status", 3)
            .unwrap();
        t
    }

    #[test]
    fn literal_beats_param_and_params_bind() {
        let t = table();
        let (i, p) = t
            .lookup("GET", "/nodes/pve1/lxc/100/status/current")
            .unwrap();
        assert_eq!(i, 1);
        assert_eq!(p["node"], "pve1");
        assert_eq!(p["vmid"], "100");
        let (i, p) = t
            .lookup("POST", "/nodes/pve1/lxc/100/status/current")
            .unwrap();
        assert_eq!(
            i, 2,
            "POST falls back to the param route when the literal has no POST"
        );
        assert_eq!(p["action"], "current");
        assert!(
            t.lookup("DELETE", "/nodes/pve1/lxc/100/status/current")
                .is_none()
        );
        assert!(t.lookup("GET", "/nodes/pve1/lxc/100").is_none());
    }

    #[test]
    fn upids_raw_or_encoded() {
        let t = table();
        let upid = "UPID:pve1:0003A1F2:0108C3B4:6745A1B2:vzstart:100:root@pam:";
        let (_, p) = t
            .lookup("GET", &format!("/nodes/pve1/tasks/{upid}/status"))
            .unwrap();
        assert_eq!(p["upid"], upid);
        let enc = upid.replace(':', "%3A").replace('@', "%40");
        let (_, p) = t
            .lookup("GET", &format!("/nodes/pve1/tasks/{enc}/status"))
            .unwrap();
        assert_eq!(p["upid"], upid);
        assert!(
            t.lookup("GET", "/nodes/pve%201/tasks/x/status").is_none(),
            "params are \\S+"
        );
    }

    #[test]
    fn duplicates_and_conflicts_are_refused() {
        let mut t = table();
        assert_eq!(
            t.insert("GET", "/nodes/{node}/lxc/{vmid}/snapshot", 9),
            Err(RouteError::Duplicate)
        );
        assert!(matches!(
            t.insert("GET", "/nodes/{name}/x", 9),
            Err(RouteError::ConflictingParam { .. })
        ));
    }
}
