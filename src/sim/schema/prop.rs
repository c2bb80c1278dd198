//! Compiled property schemas: the JSON of one `parameters`/`returns` node turned, once, into a
//! tree the validators walk without re-reading JSON or recompiling regexes.
//!
//! Only the keywords PVE's `JSONSchema.pm` acts on are kept (`type`, `optional`, `enum`,
//! `minimum`/`maximum`, `minLength`/`maxLength`, `pattern`, `format`, `requires`, `items`,
//! `properties`, `additionalProperties`); documentation keys are dropped.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

/// The `type` keyword. A missing or unrecognised type validates anything, as in `check_type`
/// (`return 1 if !$type` / "no need to verify unknown types").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
    Null,
    Any,
}

impl Kind {
    fn parse(v: Option<&Value>) -> Kind {
        match v.and_then(Value::as_str) {
            Some("string") => Kind::String,
            Some("integer") => Kind::Integer,
            Some("number") => Kind::Number,
            Some("boolean") => Kind::Boolean,
            Some("object") => Kind::Object,
            Some("array") => Kind::Array,
            Some("null") => Kind::Null,
            _ => Kind::Any,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::Null => "null",
            Kind::Any => "any",
        }
    }
}

/// A numeric bound; `text` is how Perl prints it in messages (`minimum => '0'` stays `0`).
#[derive(Debug, Clone)]
pub struct Bound {
    pub value: f64,
    pub text: String,
}

/// `format`: a registered name (`pve-vmid`, `pve-tag-list`, ...) or an inline property-string
/// description (`net[n]`, `rootfs`, `features`: an object of sub-properties).
#[derive(Debug, Clone)]
pub enum Format {
    None,
    Named(String),
    PropertyString(Box<PropertyStringFormat>),
}

#[derive(Debug, Clone)]
pub struct PropertyStringFormat {
    /// The sub-keys (never indexed: `net[n]`'s own keys are `name`, `bridge`, ...).
    pub keys: ObjectProps,
    /// The sub-key a bare value (`local-lvm:8` in `rootfs`) belongs to.
    pub default_key: Option<String>,
}

/// `additionalProperties`: absent means allowed (`check_object` only refuses on a defined
/// false value), `0` refuses, an object is a schema for every extra key.
#[derive(Debug, Clone)]
pub enum Additional {
    Unset,
    Deny,
    Allow,
    Schema(Box<Prop>),
}

#[derive(Debug, Clone)]
pub struct Prop {
    pub kind: Kind,
    pub optional: bool,
    pub enumeration: Option<Vec<String>>,
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub pattern: Option<Regex>,
    pub format: Format,
    pub requires: Option<String>,
    pub items: Option<Box<Prop>>,
    pub properties: Option<ObjectProps>,
    pub additional: Additional,
    /// In a property string: this key is another name for `alias` (`volume` for `file`);
    /// such an entry is never "missing" (pve-common `check_prop`).
    pub alias: Option<String>,
    /// With `alias`: the key's own name is the value of this key (`virtio=MAC` sets
    /// `model=virtio` and `macaddr=MAC`).
    pub key_alias: Option<String>,
    /// `group`: one of several alternative keys; never "missing" on its own.
    pub group: bool,
}

/// The properties of an object, with the `name[n]` entries of apidata split out: the dump
/// collapses `net0`..`net31` into one `net[n]` key.
#[derive(Debug, Clone, Default)]
pub struct ObjectProps {
    pub plain: BTreeMap<String, Prop>,
    /// base name (`net`) -> schema of every `net<i>`.
    pub indexed: BTreeMap<String, Prop>,
}

/// How many of each indexed LXC key exist; apidata does not say, pve-container does
/// (`src/PVE/LXC/Config.pm`: `$MAX_LXC_NETWORKS = 32`, `$MAX_MOUNT_POINTS = 256`,
/// `$MAX_UNUSED_DISKS = $MAX_MOUNT_POINTS`, `$MAX_DEVICES = 256`). Unknown bases are unbounded.
const INDEXED_KEY_COUNTS: &[(&str, u32)] =
    &[("net", 32), ("mp", 256), ("unused", 256), ("dev", 256)];

impl ObjectProps {
    /// The schema for a concrete key: exact name first, then `base<i>` against `base[n]`.
    pub fn get(&self, key: &str) -> Option<(&Prop, bool)> {
        if let Some(p) = self.plain.get(key) {
            return Some((p, false));
        }
        let digits_at = key.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (base, digits) = key.split_at(digits_at);
        // `net00` is not a key PVE defines: indices are written without leading zeros.
        if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
            return None;
        }
        let prop = self.indexed.get(base)?;
        let index: u32 = digits.parse().ok()?;
        match INDEXED_KEY_COUNTS.iter().find(|(b, _)| *b == base) {
            Some((_, count)) if index >= *count => None,
            _ => Some((prop, true)),
        }
    }
}

/// A schema keyword that could not be compiled (a pattern Rust's regex cannot express).
#[derive(Debug, Clone)]
pub struct CompileError {
    pub at: String,
    pub what: String,
}

impl Prop {
    /// Compile one schema node; `at` names it in errors (`POST /nodes/{node}/lxc: net[n].bridge`).
    pub fn compile(v: &Value, at: &str) -> Result<Prop, CompileError> {
        let obj = v.as_object();
        let get = |k: &str| obj.and_then(|o| o.get(k));
        let pattern = match get("pattern").and_then(Value::as_str) {
            Some(p) => Some(compile_perl_pattern(p).map_err(|e| CompileError {
                at: at.to_string(),
                what: format!("pattern {p:?}: {e}"),
            })?),
            None => None,
        };
        let format = match get("format") {
            Some(Value::String(name)) => Format::Named(name.clone()),
            Some(Value::Object(keys)) => {
                let mut compiled = ObjectProps::default();
                let mut default_key = None;
                for (k, sub) in keys {
                    if truthy(sub.get("default_key")) {
                        default_key = Some(k.clone());
                    }
                    compiled
                        .plain
                        .insert(k.clone(), Prop::compile(sub, &format!("{at}.{k}"))?);
                }
                Format::PropertyString(Box::new(PropertyStringFormat {
                    keys: compiled,
                    default_key,
                }))
            }
            _ => Format::None,
        };
        let items = match get("items") {
            Some(items) => Some(Box::new(Prop::compile(items, &format!("{at}[]"))?)),
            None => None,
        };
        let properties = match get("properties").and_then(Value::as_object) {
            Some(props) => {
                let mut out = ObjectProps::default();
                for (k, sub) in props {
                    let compiled = Prop::compile(sub, &format!("{at}.{k}"))?;
                    match k.strip_suffix("[n]") {
                        Some(base) => out.indexed.insert(base.to_string(), compiled),
                        None => out.plain.insert(k.clone(), compiled),
                    };
                }
                Some(out)
            }
            None => None,
        };
        let additional = match get("additionalProperties") {
            None | Some(Value::Null) => Additional::Unset,
            Some(sub @ Value::Object(_)) => {
                Additional::Schema(Box::new(Prop::compile(sub, &format!("{at}.*"))?))
            }
            Some(flag) if truthy(Some(flag)) => Additional::Allow,
            Some(_) => Additional::Deny,
        };
        Ok(Prop {
            alias: get("alias").and_then(Value::as_str).map(String::from),
            key_alias: get("keyAlias").and_then(Value::as_str).map(String::from),
            group: get("group").is_some(),
            kind: Kind::parse(get("type")),
            optional: truthy(get("optional")),
            enumeration: get("enum")
                .and_then(Value::as_array)
                .map(|vals| vals.iter().map(scalar_text).collect()),
            minimum: get("minimum").and_then(bound),
            maximum: get("maximum").and_then(bound),
            min_length: get("minLength").and_then(as_usize),
            max_length: get("maxLength").and_then(as_usize),
            pattern,
            format,
            requires: get("requires").and_then(Value::as_str).map(str::to_string),
            items,
            properties,
            additional,
        })
    }
}

/// Perl truthiness of a JSON scalar as apidata writes flags (`1`, `0`, `"1"`, absent).
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty() && s != "0",
        Some(_) => true,
    }
}

/// How Perl stringifies an enum member or bound: numbers plainly, strings verbatim.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn bound(v: &Value) -> Option<Bound> {
    let value = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    Some(Bound {
        value,
        text: scalar_text(v),
    })
}

fn as_usize(v: &Value) -> Option<usize> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `JSONSchema.pm` tests `$value =~ m/^$pattern$/`: the pattern is pasted between the anchors
/// (no group, so a top-level `a|b` anchors each side only once, as in Perl), and Perl's `$`
/// also matches before one trailing newline.
pub fn compile_perl_pattern(perl: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^{}\n?\\z", translate_perl_regex(perl)))
}

/// Rewrite the Perl-only syntax apidata contains into Rust `regex` syntax:
/// `(?^:...)` / `(?^i:...)` (stringified `qr//`, "reset flags") become `(?:...)` / `(?i:...)`,
/// the atomic group `(?>...)` becomes `(?:...)` (Rust's regex never backtracks, so the
/// match is the same), and the octal escape `\0` becomes `\x00`. Everything else is shared
/// syntax.
pub fn translate_perl_regex(perl: &str) -> String {
    let chars: Vec<char> = perl.chars().collect();
    let mut out = String::with_capacity(perl.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let next = chars[i + 1];
            let octal_follows = chars.get(i + 2).is_some_and(|d| ('0'..='7').contains(d));
            if next == '0' && !octal_follows {
                out.push_str("\\x00");
            } else {
                out.push(c);
                out.push(next);
            }
            i += 2;
            continue;
        }
        if c == '(' && chars.get(i + 1) == Some(&'?') && chars.get(i + 2) == Some(&'^') {
            out.push_str("(?");
            i += 3;
            continue;
        }
        // `{,n}` (Perl 5.34: up to n) is `{0,n}` in Rust's syntax.
        if c == '{' && chars.get(i + 1) == Some(&',') {
            let digits = chars[i + 2..]
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .count();
            if digits > 0 && chars.get(i + 2 + digits) == Some(&'}') {
                out.push_str("{0,");
                i += 2;
                continue;
            }
        }
        if c == '(' && chars.get(i + 1) == Some(&'?') && chars.get(i + 2) == Some(&'>') {
            out.push_str("(?:");
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_qr_groups_and_nul_escape_translate() {
        assert_eq!(
            translate_perl_regex(r"(?^:\d+(?:;\d+)*)"),
            r"(?:\d+(?:;\d+)*)"
        );
        assert_eq!(translate_perl_regex(r"(?^i:a)"), r"(?i:a)");
        assert_eq!(translate_perl_regex(r"[a-z]{,16}x{,}"), r"[a-z]{0,16}x{,}");
        assert_eq!(
            translate_perl_regex(r"(?^:^((?>[+-]?[\w\-\._=]+,?)+)$)"),
            r"(?:^((?:[+-]?[\w\-\._=]+,?)+)$)"
        );
        assert_eq!(
            translate_perl_regex(r"a\0b[^\x00-\x08]"),
            r"a\x00b[^\x00-\x08]"
        );
        assert_eq!(translate_perl_regex(r"\\0"), r"\\0");
    }

    #[test]
    fn patterns_are_anchored_like_perl() {
        let re = compile_perl_pattern(r"[-_.\w\d]+").unwrap();
        assert!(re.is_match("vmbr0"));
        assert!(
            re.is_match("vmbr0\n"),
            "Perl's $ allows one trailing newline"
        );
        assert!(!re.is_match("vmbr 0"));
        let alt = compile_perl_pattern("a|b").unwrap();
        assert!(
            alt.is_match("ax"),
            "^a|b$ anchors each alternative on one side only"
        );
        assert!(!alt.is_match("xa"));
    }

    #[test]
    fn indexed_keys_resolve_within_pve_limits() {
        let v: Value = serde_json::json!({"properties": {
            "net[n]": {"type": "string"}, "name": {"type": "string"}, "foo[n]": {"type": "integer"}
        }});
        let p = Prop::compile(&v, "t").unwrap();
        let props = p.properties.unwrap();
        assert!(props.get("net0").is_some());
        assert!(props.get("net31").is_some());
        assert!(
            props.get("net32").is_none(),
            "pve-container defines net0..net31"
        );
        assert!(props.get("net01").is_none());
        assert!(props.get("net").is_none());
        assert!(props.get("foo999").is_some());
        assert!(matches!(props.get("name"), Some((_, false))));
    }
}
