//! Decoding `GET /cluster/resources` bodies, the rack's hot path (one call per refresh,
//! 10,000+ entries on big clusters). Serde's typed decoder over `ClusterResource`, the one
//! list of the fields; its string fields are cleaned for display while they are decoded
//! (`lenient::clean_string`). Budget: 10,000 entries in <= 10 ms, see `benches/resources.rs`.
//! (A hand-written scanner used to sit in front of this; it repeated the field list and
//! was only ~1.3x faster on plain bodies, and no faster once names carried escapes.)

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::error::{PveError, Result};
use super::types::ClusterResource;

/// Parses a `GET /cluster/resources` response body (`{"data":[...]}`) into resources,
/// every string cleaned by `crate::text`.
pub fn parse_resources(body: &[u8]) -> Result<Vec<ClusterResource>> {
    // Entries are ~200-400 bytes on the wire: a first guess at the count so the list
    // rarely regrows (serde's own `Vec` starts empty, JSON gives no length).
    let mut list = Vec::with_capacity((body.len() / 256).min(1 << 16));
    for_each_resource(body, |r| list.push(r))?;
    Ok(list)
}

/// Decodes the same body as [`parse_resources`], handing each entry to `each` as it is
/// decoded instead of collecting them (the refresher builds its nodes this way, and never
/// holds the whole decoded list).
pub fn for_each_resource(body: &[u8], each: impl FnMut(ClusterResource)) -> Result<()> {
    let mut de = serde_json::Deserializer::from_slice(body);
    de.deserialize_map(EnvelopeVisitor { each })
        .and_then(|()| de.end())
        .map_err(|e| PveError::Decode {
            path: "/cluster/resources".into(),
            detail: e.to_string(),
        })
}

/// `{"data": [...], ...}`: other keys are skipped; a missing `data` is an error.
struct EnvelopeVisitor<F> {
    each: F,
}

impl<'de, F: FnMut(ClusterResource)> Visitor<'de> for EnvelopeVisitor<F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with a `data` list")
    }

    fn visit_map<A: MapAccess<'de>>(
        mut self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut data = false;
        while let Some(key) = map.next_key::<EnvelopeKey>()? {
            if key == EnvelopeKey::Data && !data {
                map.next_value_seed(ListSeed {
                    each: &mut self.each,
                })?;
                data = true;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if data {
            Ok(())
        } else {
            Err(de::Error::missing_field("data"))
        }
    }
}

/// The envelope's keys, matched without allocating.
#[derive(serde::Deserialize, PartialEq)]
#[serde(field_identifier, rename_all = "lowercase")]
enum EnvelopeKey {
    Data,
    #[serde(other)]
    Other,
}

/// The `data` list, each entry handed on as it is decoded.
struct ListSeed<'a, F> {
    each: &'a mut F,
}

impl<'de, F: FnMut(ClusterResource)> DeserializeSeed<'de> for ListSeed<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(ClusterResource)> Visitor<'de> for ListSeed<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of resources")
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while let Some(r) = seq.next_element::<ClusterResource>()? {
            (self.each)(r);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_typical_input() {
        let body = r#" { "data" : [
            {"id":"lxc/100","type":"lxc","node":"pve","vmid":100,"name":"web","status":"running",
             "cpu":0.25,"maxcpu":2,"mem":1048576,"maxmem":2.0e9,"template":0,"tags":"a;b",
             "extra":{"nested":[1,"x\"y",{"z":null}]},"flag":true,"neg":-3},
            {"id":"node/pve","type":"node","node":"pve","status":"online","level":"","mem":-5,"disk":null},
            {"id":"storage/pve/local","type":"storage","storage":"local","shared":1,"content":"iso,vztmpl"}
        ], "total": 3 } "#;
        let list = parse_resources(body.as_bytes()).unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].maxmem, Some(2_000_000_000));
        assert_eq!(list[0].tags.as_deref(), Some("a;b"));
        assert_eq!(list[1].mem, Some(0));
        assert_eq!(list[1].disk, None);
        assert_eq!(list[2].extra().shared, Some(1));
    }

    #[test]
    fn lenient_values_and_errors() {
        let list =
            parse_resources(br#"{"data":[{"id":"lxc\/100","type":"lxc","mem":"1024"}]}"#).unwrap();
        assert_eq!((list[0].id.as_str(), list[0].mem), ("lxc/100", Some(1024)));
        let err = parse_resources(br#"{"data":[{"type":"lxc"}]}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `id`"), "{err}");
        let err = parse_resources(br#"{"data":[{"id":"a","type":"lxc","name":5}]}"#).unwrap_err();
        assert!(err.to_string().contains("expected a string"), "{err}");
        assert!(parse_resources(br#"{"data":[]} x"#).is_err());
    }
}
