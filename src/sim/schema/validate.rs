//! Request-parameter validation with the semantics and exact messages of pve-common
//! `src/PVE/JSONSchema.pm` (`check_object`, `check_prop`, `check_type`,
//! `parse_property_string`, `add_error`). Parameters arrive as strings (query string or form
//! body), which is what the Perl code sees too.

use std::collections::BTreeMap;

use super::formats;
use super::prop::{Additional, Format, Kind, ObjectProps, Prop, PropertyStringFormat};

/// Parameter name -> message, as in the `errors` object of a 400 response.
pub type ParamErrors = BTreeMap<String, String>;

pub const MSG_MISSING: &str = "property is missing and it is not optional";
pub const MSG_NOT_DEFINED: &str =
    "property is not defined in schema and the schema does not allow additional properties";

/// `add_error`: a second message on the same key is appended with `join('\n', ...)`. The Perl
/// source uses single quotes there, so the separator is the two characters backslash and `n`,
/// not a newline (WIRE.md section 0: "joined with literal `\n`").
pub fn add_error(errors: &mut ParamErrors, path: &str, msg: &str) {
    let path = if path.is_empty() { "_root" } else { path };
    match errors.get_mut(path) {
        Some(existing) => {
            existing.push_str("\\n");
            existing.push_str(msg);
        }
        None => {
            errors.insert(path.to_string(), msg.to_string());
        }
    }
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `check_object` over a flat map of string values.
pub fn check_object(
    path: &str,
    props: &ObjectProps,
    values: &BTreeMap<String, String>,
    additional: &Additional,
    errors: &mut ParamErrors,
) {
    for (key, prop) in &props.plain {
        check_prop(
            values.get(key).map(String::as_str),
            prop,
            &join_path(path, key),
            errors,
        );
    }
    for (key, value) in values {
        let key_path = join_path(path, key);
        match props.get(key) {
            Some((prop, indexed)) => {
                // Plain keys were checked above; `net0` is its own key in the real schema.
                if indexed {
                    check_prop(Some(value), prop, &key_path, errors);
                }
                if let Some(required) = &prop.requires {
                    if !values.contains_key(required) {
                        let msg = format!("missing property - '{key_path}' requires this property");
                        add_error(errors, &join_path(path, required), &msg);
                    }
                }
            }
            None => match additional {
                Additional::Deny => add_error(errors, &key_path, MSG_NOT_DEFINED),
                Additional::Schema(prop) => check_prop(Some(value), prop, &key_path, errors),
                Additional::Unset | Additional::Allow => {}
            },
        }
    }
}

/// `check_prop` for one string value (`None` = not given).
pub fn check_prop(value: Option<&str>, prop: &Prop, path: &str, errors: &mut ParamErrors) {
    let Some(value) = value else {
        if prop.kind != Kind::Null && !prop.optional && prop.alias.is_none() && !prop.group {
            add_error(errors, path, MSG_MISSING);
        }
        return;
    };
    match prop.kind {
        Kind::String | Kind::Any => {}
        // Top level: exactly `1` or `0` (`"true"` is refused); property strings normalise
        // `on|yes|true` first (`parse_boolean` in `parse_property_string`).
        Kind::Boolean => {
            if value != "1" && value != "0" {
                add_error(
                    errors,
                    path,
                    &format!("type check ('boolean') failed - got '{value}'"),
                );
                return;
            }
        }
        Kind::Integer => {
            if !is_integer(value) {
                add_error(
                    errors,
                    path,
                    &format!("type check ('integer') failed - got '{value}'"),
                );
                return;
            }
        }
        Kind::Number => {
            if !is_number(value) {
                add_error(
                    errors,
                    path,
                    &format!("type check ('number') failed - got '{value}'"),
                );
                return;
            }
        }
        Kind::Null => {
            add_error(
                errors,
                path,
                "type check ('null') failed - value is not null",
            );
            return;
        }
        Kind::Object => {
            add_error(errors, path, "type check ('object') failed");
            return;
        }
        // RESTHandler's `normalize_legacy_param_formats` wraps a form-encoded scalar into a
        // one-element array, but only a Perl-true one (`if (my $value = ...)`).
        Kind::Array => {
            if value.is_empty() || value == "0" {
                add_error(errors, path, "type check ('array') failed");
            } else if let Some(items) = &prop.items {
                check_prop(Some(value), items, &format!("{path}[0]"), errors);
            }
            return;
        }
    }
    check_scalar(value, prop, path, errors);
}

/// The scalar part of `check_prop`, in its order: format, pattern, maxLength, minLength,
/// maximum, minimum (only for numeric-looking values), enum. Each failure but the last returns.
fn check_scalar(value: &str, prop: &Prop, path: &str, errors: &mut ParamErrors) {
    let format_result = match &prop.format {
        Format::None => Ok(()),
        Format::Named(name) => formats::check_named(name, value),
        Format::PropertyString(fmt) => parse_property_string(fmt, value, path),
    };
    if let Err(detail) = format_result {
        add_error(errors, path, &format!("invalid format - {detail}"));
        return;
    }
    if let Some(re) = &prop.pattern {
        if !re.is_match(value) {
            add_error(errors, path, "value does not match the regex pattern");
            return;
        }
    }
    // Perl's length() counts characters (parameters are decoded UTF-8).
    if let Some(max) = prop.max_length {
        if value.chars().count() > max {
            add_error(
                errors,
                path,
                &format!("value may only be {max} characters long"),
            );
            return;
        }
    }
    if let Some(min) = prop.min_length {
        if value.chars().count() < min {
            add_error(
                errors,
                path,
                &format!("value must be at least {min} characters long"),
            );
            return;
        }
    }
    if is_number(value) {
        let n = perl_numeric(value);
        if let Some(max) = &prop.maximum {
            if n > max.value {
                add_error(
                    errors,
                    path,
                    &format!("value must have a maximum value of {}", max.text),
                );
                return;
            }
        }
        if let Some(min) = &prop.minimum {
            if n < min.value {
                add_error(
                    errors,
                    path,
                    &format!("value must have a minimum value of {}", min.text),
                );
                return;
            }
        }
    }
    if let Some(allowed) = &prop.enumeration {
        if !allowed.iter().any(|a| a == value) {
            let msg = format!(
                "value '{value}' does not have a value in the enumeration '{}'",
                allowed.join(", ")
            );
            add_error(errors, path, &msg);
        }
    }
}

/// `parse_property_string`: split `k=v,k=v` (a bare value goes to the `default_key`), then
/// `check_object` the result refusing unknown keys. Errors are the `die` text, or for sub-key
/// failures the stringified `raise "format error\n", errors => ...` exception.
pub fn parse_property_string(
    fmt: &PropertyStringFormat,
    data: &str,
    path: &str,
) -> Result<(), String> {
    let mut parsed: BTreeMap<String, String> = BTreeMap::new();
    let mut default_key_used: Option<&str> = None;
    for part in data.split(',') {
        if part.trim().is_empty() {
            continue;
        }
        // /^([^=]+)=(.+)$/
        match part.split_once('=') {
            Some((key, value)) if !key.is_empty() && !value.is_empty() => {
                if parsed.contains_key(key) {
                    return Err(format!(
                        "duplicate key in comma-separated list property: {key}\n"
                    ));
                }
                let Some((mut schema, _)) = fmt.keys.get(key) else {
                    return Err(format!(
                        "invalid key in comma-separated list property: {key}\n"
                    ));
                };
                let mut key = key;
                // An alias stores under the key it names; a key alias also records which
                // alias was used (`virtio=MAC`: model=virtio, macaddr=MAC).
                if let Some(target) = schema.alias.as_deref() {
                    if let Some(key_alias) = schema.key_alias.as_deref() {
                        if parsed.contains_key(key_alias) {
                            return Err(format!("key alias '{key_alias}' is already defined\n"));
                        }
                        parsed.insert(key_alias.to_string(), key.to_string());
                    }
                    key = target;
                    schema = match fmt.keys.get(key) {
                        Some((s, _)) => s,
                        None => {
                            return Err(format!(
                                "invalid key in comma-separated list property: {key}\n"
                            ));
                        }
                    };
                }
                let value = match schema.kind {
                    Kind::Boolean => parse_boolean(value).unwrap_or(value),
                    _ => value,
                };
                parsed.insert(key.to_string(), value.to_string());
            }
            Some(_) => return Err("missing key in comma-separated list property\n".to_string()),
            None => {
                if let Some(key) = default_key_used {
                    return Err(format!(
                        "duplicate key in comma-separated list property: {key}\n"
                    ));
                }
                let Some(key) = fmt.default_key.as_deref() else {
                    return Err(
                        "value without key, but schema does not define a default key\n".to_string(),
                    );
                };
                default_key_used = Some(key);
                if parsed.get(key).is_some_and(|v| !v.is_empty() && v != "0") {
                    return Err(format!(
                        "duplicate key in comma-separated list property: {key}\n"
                    ));
                }
                parsed.insert(key.to_string(), part.to_string());
            }
        }
    }
    let mut errors = ParamErrors::new();
    check_object(path, &fmt.keys, &parsed, &Additional::Deny, &mut errors);
    if errors.is_empty() {
        return Ok(());
    }
    let mut msg = String::from("format error\n");
    for (key, err) in &errors {
        msg.push_str(&format!("{key}: {err}\n"));
    }
    Err(msg)
}

/// `parse_boolean`: property strings accept `1|on|yes|true` and `0|off|no|false`.
fn parse_boolean(v: &str) -> Option<&'static str> {
    const TRUE: &[&str] = &["1", "on", "yes", "true"];
    const FALSE: &[&str] = &["0", "off", "no", "false"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(v)) {
        Some("1")
    } else if FALSE.iter().any(|f| f.eq_ignore_ascii_case(v)) {
        Some("0")
    } else {
        None
    }
}

/// Perl's `$` matches before a final newline, so `"5\n"` passes `m/^[+-]?\d+$/`.
fn strip_perl_eol(v: &str) -> &str {
    v.strip_suffix('\n').unwrap_or(v)
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `is_integer`: m/^[+-]?\d+$/
pub fn is_integer(v: &str) -> bool {
    let v = strip_perl_eol(v);
    digits(v.strip_prefix(['+', '-']).unwrap_or(v))
}

/// `is_number`: /^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$/
pub fn is_number(v: &str) -> bool {
    let v = strip_perl_eol(v);
    let v = v.strip_prefix(['+', '-']).unwrap_or(v);
    let (mantissa, exponent) = match v.find(['e', 'E']) {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (digits(int) && (frac.is_empty() || digits(frac))) || (int.is_empty() && digits(frac))
        }
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// The numeric value Perl uses in `$value > $max` for a string that passed `is_number`.
fn perl_numeric(v: &str) -> f64 {
    let v = strip_perl_eol(v);
    let unsigned = v.strip_prefix('+').unwrap_or(v);
    // `5.` and `.5` are numbers to Perl; make them explicit for Rust's parser.
    let fixed = if unsigned.contains(".e") || unsigned.contains(".E") || unsigned.ends_with('.') {
        unsigned.replacen('.', ".0", 1)
    } else {
        unsigned.to_string()
    };
    fixed.parse().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_number_grammar() {
        for ok in ["0", "+5", "-5", "5.", ".5", "1.5e3", "2E-2", "7\n"] {
            assert!(is_number(ok), "{ok:?}");
        }
        for bad in ["", ".", "abc", "1e", "0x10", "1.2.3", " 5", "5 "] {
            assert!(!is_number(bad), "{bad:?}");
        }
        assert!(is_integer("-12") && is_integer("+0"));
        assert!(!is_integer("1.0") && !is_integer("abc") && !is_integer(""));
        assert_eq!(perl_numeric("5."), 5.0);
        assert_eq!(perl_numeric(".5"), 0.5);
        assert_eq!(perl_numeric("+1e3"), 1000.0);
        assert_eq!(perl_numeric("-2"), -2.0);
    }

    #[test]
    fn add_error_joins_with_backslash_n() {
        let mut e = ParamErrors::new();
        add_error(&mut e, "x", "one");
        add_error(&mut e, "x", "two");
        add_error(&mut e, "", "root");
        assert_eq!(e["x"], "one\\ntwo");
        assert_eq!(e["_root"], "root");
    }
}
