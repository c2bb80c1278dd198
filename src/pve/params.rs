//! `Params`: an ordered list of API parameters, encoded the way Proxmox's parser wants them
//! (booleans exactly `1`/`0`, since `true` fails its type check; values percent-encoded by
//! reqwest so an `=` in a ticket or base64 value cannot truncate it).

/// Request parameters for one API call (query string for GET/DELETE, form body for
/// POST/PUT).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// No parameters.
    pub fn new() -> Params {
        Params(Vec::new())
    }

    /// Adds `key=value`.
    pub fn set(mut self, key: impl Into<String>, value: impl ToString) -> Params {
        self.push(key, value);
        self
    }

    /// Adds `key=value` in place.
    pub fn push(&mut self, key: impl Into<String>, value: impl ToString) {
        self.0.push((key.into(), value.to_string()));
    }

    /// Adds `key=value` when `value` is `Some`.
    pub fn opt<V: ToString>(mut self, key: impl Into<String>, value: Option<V>) -> Params {
        if let Some(v) = value {
            self.push(key, v);
        }
        self
    }

    /// Adds a boolean as `1`/`0` (Proxmox rejects `true`/`false` in form data).
    pub fn flag(mut self, key: impl Into<String>, value: bool) -> Params {
        self.push(key, if value { "1" } else { "0" });
        self
    }

    /// Adds a boolean when `Some`.
    pub fn opt_flag(self, key: impl Into<String>, value: Option<bool>) -> Params {
        match value {
            Some(v) => self.flag(key, v),
            None => self,
        }
    }

    /// Appends every pair of `other`.
    pub fn extend(mut self, other: &Params) -> Params {
        self.0.extend(other.0.iter().cloned());
        self
    }

    /// The value of `key`, if set (first occurrence).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The pairs in insertion order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// True if there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
