//! Tolerant serde deserializers for Proxmox quirks: booleans sent as `0`/`1` (or `"1"`,
//! `"on"`), numbers sent as strings (`nextid` is `"101"`, node `loadavg` is `["0.12",...]`,
//! `cpuinfo.mhz` is `"2400.000"`), floats where integers are documented, and `null`.
//! Visitors only: no intermediate `serde_json::Value`, so hot paths stay allocation-free.
//! Strings shown to the user are cleaned here too, while they are decoded.

use std::fmt;

use compact_str::CompactString;

use serde::de::{self, Deserializer, SeqAccess, Visitor};

struct U64Visitor;

impl<'de> Visitor<'de> for U64Visitor {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an unsigned integer (or a numeric string)")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        // Negative counters are nonsense; treat them as zero rather than failing the list.
        Ok(Some(v.max(0) as u64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(if v.is_finite() && v > 0.0 {
            v as u64
        } else {
            0
        }))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(u64::from(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        if let Ok(n) = t.parse::<u64>() {
            return Ok(Some(n));
        }
        match t.parse::<f64>() {
            Ok(f) => self.visit_f64(f),
            Err(_) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

struct F64Visitor;

impl<'de> Visitor<'de> for F64Visitor {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number (or a numeric string)")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse::<f64>()
            .map(Some)
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean (true/false, 0/1, \"1\", \"on\"...)")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v != 0.0))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        // Property-string booleans accept these spellings (JSONSchema.pm).
        match v.trim().to_ascii_lowercase().as_str() {
            "1" | "on" | "yes" | "true" => Ok(Some(true)),
            "0" | "off" | "no" | "false" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// `Option<u64>` from a number, numeric string, float or null.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(U64Visitor)
}

/// `u64` (missing/null = 0) from a number, numeric string or float.
pub fn u64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(d.deserialize_any(U64Visitor)?.unwrap_or(0))
}

/// `Option<u32>` from a number or numeric string (vmids: old LXC lists sent `"100"`).
pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match d.deserialize_any(U64Visitor)? {
        None => Ok(None),
        Some(v) => u32::try_from(v)
            .map(Some)
            .map_err(|_| de::Error::custom(format!("{v} does not fit in 32 bits"))),
    }
}

/// `u32` from a number or numeric string, required.
pub fn u32_required<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    opt_u32(d)?.ok_or_else(|| de::Error::custom("expected an integer, got null or empty"))
}

/// `Option<u8>` (0/1 flags such as `template`, `shared`) from a number, bool or string.
pub fn opt_u8<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    Ok(d.deserialize_any(U64Visitor)?.map(|v| v.min(255) as u8))
}

/// `Option<f64>` from a number or numeric string.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_any(F64Visitor)
}

/// `Option<bool>` from 0/1, true/false or their string spellings.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(BoolVisitor)
}

/// `bool` (missing/null = false) from 0/1, true/false or their string spellings.
pub fn bool_or_false<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(d.deserialize_any(BoolVisitor)?.unwrap_or(false))
}

/// `Vec<f64>` from an array of numbers or numeric strings (node `loadavg`).
pub fn f64_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    struct ListVisitor;
    impl<'de> Visitor<'de> for ListVisitor {
        type Value = Vec<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of numbers")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(3);
            while let Some(v) = seq.next_element::<Flex>()? {
                out.push(v.0.unwrap_or(0.0));
            }
            Ok(out)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(ListVisitor)
}

/// A number-or-string element.
struct Flex(Option<f64>);

impl<'de> serde::Deserialize<'de> for Flex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(F64Visitor).map(Flex)
    }
}

/// Server text shown to the user: cleaned (`crate::text`) as it is decoded, so no caller
/// can forget to. Borrowed input (serde_json's unescaped strings) is copied once, already
/// clean; only strings that had escapes or controls pay a second pass.
struct CleanStrVisitor;

impl<'de> Visitor<'de> for CleanStrVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(crate::text::clean_string(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(crate::text::clean_owned(v))
    }
}

/// Missing or null is `None`; anything else is read as a string by the inner visitor.
struct OptStr<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for OptStr<V> {
    type Value = Option<V::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self.0).map(Some)
    }
}

/// Short server text kept in bulk (the fields of `/cluster/resources`): cleaned like
/// `CleanStrVisitor`, held inline when it fits in 24 bytes, so ten thousand guests do not
/// cost ten thousand small allocations per field.
struct CompactCleanVisitor;

impl<'de> Visitor<'de> for CompactCleanVisitor {
    type Value = CompactString;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(CompactString::new(crate::text::clean(v)))
    }
}

/// A required short string, cleaned for display and held compactly.
pub fn compact_clean<'de, D: Deserializer<'de>>(d: D) -> Result<CompactString, D::Error> {
    d.deserialize_str(CompactCleanVisitor)
}

/// An optional short string (missing or null = `None`), cleaned and held compactly.
pub fn opt_compact_clean<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<CompactString>, D::Error> {
    d.deserialize_option(OptStr(CompactCleanVisitor))
}

/// A required string, cleaned for display (see `CleanStrVisitor`).
pub fn clean_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_str(CleanStrVisitor)
}

/// An optional string (missing or null = `None`), cleaned for display.
pub fn opt_clean_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_option(OptStr(CleanStrVisitor))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "super::opt_u64")]
        n: Option<u64>,
        #[serde(default, deserialize_with = "super::opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "super::f64_list")]
        l: Vec<f64>,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn numbers_as_strings_and_flags_as_ints() {
        let p = probe(r#"{"n":"101","b":1,"l":["0.12","0.10",0.05]}"#);
        assert_eq!(p.n, Some(101));
        assert_eq!(p.b, Some(true));
        assert_eq!(p.l, vec![0.12, 0.10, 0.05]);
        let p = probe(r#"{"n":12.9,"b":"off"}"#);
        assert_eq!(p.n, Some(12));
        assert_eq!(p.b, Some(false));
        let p = probe(r#"{"n":null}"#);
        assert_eq!(p.n, None);
        assert!(serde_json::from_str::<Probe>(r#"{"n":"abc"}"#).is_err());
        assert!(serde_json::from_str::<Probe>(r#"{"b":"maybe"}"#).is_err());
    }
}
