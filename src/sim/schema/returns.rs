//! Response validation: a response's `data` against the endpoint's `returns` schema, with JSON
//! types (the emulator's output is JSON, unlike parameters). Each violation names its JSON path
//! (`data[3].vmid: expected integer, got string "100"`).
//!
//! Where real Proxmox contradicts its own schema, the oracle follows the server (the client
//! must cope with what is sent): those cases are listed once, in [`KNOWN_DEVIATIONS`].

use serde_json::Value;

use super::formats;
use super::prop::{Additional, Format, Kind, Prop};
use super::validate;

/// What a deviation additionally accepts at its JSON path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// A JSON string holding an integer where the schema says `integer`.
    IntegerAsString,
    /// `null` where the schema says something else.
    Null,
}

/// One place where the real server sends something its schema does not describe.
#[derive(Debug, Clone, Copy)]
pub struct KnownDeviation {
    pub method: &'static str,
    /// Path template, as in the schema.
    pub path: &'static str,
    /// JSON path inside the response, `[]` matching any array index (`data`, `data[].vmid`).
    pub at: &'static str,
    pub accept: Accept,
    pub why: &'static str,
}

/// Known schema deviations of PVE 9.1, all documented in /work/shared/pve/WIRE.md (section 3
/// and the section 7 checklist). Keep this the only place such exceptions live.
pub const KNOWN_DEVIATIONS: &[KnownDeviation] = &[
    KnownDeviation {
        method: "GET",
        path: "/cluster/nextid",
        at: "data",
        accept: Accept::IntegerAsString,
        why: "schema says integer, but the server answers {\"data\":\"101\"} (Perl stringification; \
              WIRE.md section 3 'Next id')",
    },
    KnownDeviation {
        method: "GET",
        path: "/nodes/{node}/lxc/{vmid}/interfaces",
        at: "data",
        accept: Accept::Null,
        why: "schema says array, but a stopped CT yields data: null (WIRE.md section 3 'Interfaces')",
    },
];

/// Validate `data` (the value under the envelope's `data` key).
pub fn check(method: &str, template: &str, prop: &Prop, data: &Value) -> Vec<String> {
    let deviations: Vec<&KnownDeviation> = KNOWN_DEVIATIONS
        .iter()
        .filter(|d| d.method == method && d.path == template)
        .collect();
    let mut out = Vec::new();
    check_value(data, prop, "data", &deviations, &mut out);
    out
}

fn deviation_accepts(deviations: &[&KnownDeviation], path: &str, accept: Accept) -> bool {
    if deviations.is_empty() {
        return false;
    }
    let generic = generic_path(path);
    deviations
        .iter()
        .any(|d| d.accept == accept && d.at == generic)
}

/// `data[3].net[0]` -> `data[].net[]`.
fn generic_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// How a value reads in a message: its JSON type and, for scalars, the value.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => {
            let shown: String = s.chars().take(60).collect();
            let ellipsis = if shown.len() < s.len() { "..." } else { "" };
            format!("string {}{ellipsis}", Value::String(shown))
        }
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

fn type_matches(kind: Kind, v: &Value) -> bool {
    match kind {
        Kind::Any => true,
        Kind::String => v.is_string(),
        Kind::Integer => v.is_i64() || v.is_u64(),
        Kind::Number => v.is_number(),
        // Perl has no booleans: PVE encodes them as the numbers 0 and 1 (JSON true/false only
        // appear where a handler uses JSON::true explicitly), so both spellings are accepted.
        Kind::Boolean => v.is_boolean() || v.as_u64().is_some_and(|n| n <= 1),
        Kind::Object => v.is_object(),
        Kind::Array => v.is_array(),
        Kind::Null => v.is_null(),
    }
}

fn check_value(
    v: &Value,
    prop: &Prop,
    path: &str,
    devs: &[&KnownDeviation],
    out: &mut Vec<String>,
) {
    if !type_matches(prop.kind, v) {
        let accepted = match v {
            Value::Null => deviation_accepts(devs, path, Accept::Null),
            Value::String(s) if prop.kind == Kind::Integer && validate::is_integer(s) => {
                deviation_accepts(devs, path, Accept::IntegerAsString)
            }
            _ => false,
        };
        if !accepted {
            out.push(format!(
                "{path}: expected {}, got {}",
                prop.kind.name(),
                describe(v)
            ));
        }
        // A tolerated stringly integer still gets its bounds checked below.
        if !accepted || v.is_null() {
            return;
        }
    }
    match v {
        Value::Array(items) => {
            if let Some(item_prop) = &prop.items {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    if item.is_null() && item_prop.kind != Kind::Null && item_prop.kind != Kind::Any
                    {
                        if !deviation_accepts(devs, &item_path, Accept::Null) {
                            out.push(format!(
                                "{item_path}: expected {}, got null",
                                item_prop.kind.name()
                            ));
                        }
                        continue;
                    }
                    check_value(item, item_prop, &item_path, devs, out);
                }
            }
        }
        Value::Object(map) => check_object(map, prop, path, devs, out),
        Value::String(s) => check_string(s, prop, path, out),
        Value::Number(n) => {
            check_number(n.as_f64().unwrap_or(0.0), &n.to_string(), prop, path, out)
        }
        Value::Bool(_) | Value::Null => {}
    }
}

fn check_object(
    map: &serde_json::Map<String, Value>,
    prop: &Prop,
    path: &str,
    devs: &[&KnownDeviation],
    out: &mut Vec<String>,
) {
    if let Some(props) = &prop.properties {
        for (key, sub) in &props.plain {
            let key_path = format!("{path}.{key}");
            match map.get(key) {
                // As in Perl, an undefined (null) value is a missing one.
                None | Some(Value::Null) if sub.kind == Kind::Null => {}
                None | Some(Value::Null) => {
                    let tolerated =
                        map.get(key).is_some() && deviation_accepts(devs, &key_path, Accept::Null);
                    if !sub.optional && !tolerated {
                        out.push(format!("{key_path}: required property is missing"));
                    }
                }
                Some(value) => check_value(value, sub, &key_path, devs, out),
            }
        }
    }
    for (key, value) in map {
        let key_path = format!("{path}.{key}");
        match prop.properties.as_ref().and_then(|p| p.get(key)) {
            Some((sub, true)) if !value.is_null() => check_value(value, sub, &key_path, devs, out),
            Some(_) => {}
            None => match &prop.additional {
                Additional::Deny => out.push(format!(
                    "{key_path}: property is not in the schema, which does not allow additional properties"
                )),
                Additional::Schema(sub) => check_value(value, sub, &key_path, devs, out),
                Additional::Unset | Additional::Allow => {}
            },
        }
    }
}

fn check_string(s: &str, prop: &Prop, path: &str, out: &mut Vec<String>) {
    let format_result = match &prop.format {
        Format::None => Ok(()),
        Format::Named(name) => formats::check_named(name, s),
        Format::PropertyString(fmt) => validate::parse_property_string(fmt, s, path),
    };
    if let Err(detail) = format_result {
        let detail = detail.trim_end().replace('\n', "; ");
        out.push(format!("{path}: invalid format - {detail}"));
    }
    if let Some(re) = &prop.pattern {
        if !re.is_match(s) {
            out.push(format!(
                "{path}: value {} does not match the regex pattern",
                Value::from(s)
            ));
        }
    }
    let len = s.chars().count();
    if let Some(max) = prop.max_length.filter(|max| len > *max) {
        out.push(format!("{path}: value may only be {max} characters long"));
    }
    if let Some(min) = prop.min_length.filter(|min| len < *min) {
        out.push(format!(
            "{path}: value must be at least {min} characters long"
        ));
    }
    if validate::is_number(s) {
        if let Ok(n) = s.trim().parse::<f64>() {
            check_number(n, s, prop, path, out);
            return;
        }
    }
    check_enum(s, prop, path, out);
}

fn check_number(n: f64, text: &str, prop: &Prop, path: &str, out: &mut Vec<String>) {
    if let Some(max) = prop.maximum.as_ref().filter(|max| n > max.value) {
        out.push(format!(
            "{path}: value {text} is above the maximum {}",
            max.text
        ));
    }
    if let Some(min) = prop.minimum.as_ref().filter(|min| n < min.value) {
        out.push(format!(
            "{path}: value {text} is below the minimum {}",
            min.text
        ));
    }
    check_enum(text, prop, path, out);
}

fn check_enum(text: &str, prop: &Prop, path: &str, out: &mut Vec<String>) {
    if let Some(allowed) = &prop.enumeration {
        if !allowed.iter().any(|a| a == text) {
            out.push(format!(
                "{path}: value '{text}' is not in the enumeration '{}'",
                allowed.join(", ")
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_paths_drop_indices() {
        assert_eq!(generic_path("data[3].vmid"), "data[].vmid");
        assert_eq!(generic_path("data"), "data");
        assert_eq!(
            generic_path("data[10].ip-addresses[2].prefix"),
            "data[].ip-addresses[].prefix"
        );
    }

    #[test]
    fn deviations_cite_wire_md() {
        for d in KNOWN_DEVIATIONS {
            assert!(d.why.contains("WIRE.md"), "{d:?}");
            assert!(d.at.starts_with("data"), "{d:?}");
        }
    }
}
