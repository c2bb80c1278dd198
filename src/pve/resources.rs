//! Fast decoding of `GET /cluster/resources` bodies, the rack's hot path (one call per
//! refresh, 10,000+ entries on big clusters). A hand-rolled scanner walks the bytes once,
//! matches keys as byte slices, parses numbers in place and allocates only the `String`s
//! the struct owns. Anything unusual (escaped strings, numbers sent as strings, malformed
//! input) makes it give up and the serde path decodes instead, so results and error
//! messages are the serde ones; the fast path is only an accelerator. (Known leniency on
//! invalid JSON only: duplicate keys, last wins, and leading zeros are accepted.)

use super::error::{PveError, Result};
use super::types::ClusterResource;

/// Parses a `GET /cluster/resources` response body (`{"data":[...]}`) into resources.
pub fn parse_resources(body: &[u8]) -> Result<Vec<ClusterResource>> {
    match Scanner::new(body).envelope() {
        Some(list) => Ok(list),
        None => parse_resources_reference(body),
    }
}

/// The serde-derived decoder (tolerant visitors), used when the fast path gives up and as
/// the reference the fast path is tested against.
#[doc(hidden)]
pub fn parse_resources_reference(body: &[u8]) -> Result<Vec<ClusterResource>> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        data: Vec<ClusterResource>,
    }
    serde_json::from_slice::<Envelope>(body)
        .map(|e| e.data)
        .map_err(|e| PveError::Decode {
            path: "/cluster/resources".into(),
            detail: e.to_string(),
        })
}

/// A JSON number as found in the input: an exact unsigned integer, or anything else as f64.
enum Num {
    Int(u64),
    Float(f64),
}

/// The keys `ClusterResource` knows.
enum F {
    Id,
    Kind,
    Node,
    Vmid,
    Name,
    Status,
    Cpu,
    Maxcpu,
    Mem,
    Maxmem,
    Disk,
    Maxdisk,
    Uptime,
    Netin,
    Netout,
    Diskread,
    Diskwrite,
    Tags,
    Lock,
    Template,
    Pool,
    Hastate,
    Level,
    Storage,
    Plugintype,
    Content,
    Shared,
    Other,
}

/// Key dispatch by length first: ~200k keys per 10k-entry body, so a linear chain of 27
/// comparisons per key would dominate.
#[inline]
fn field(key: &[u8]) -> F {
    match key.len() {
        2 if key == b"id" => F::Id,
        3 => match key {
            b"cpu" => F::Cpu,
            b"mem" => F::Mem,
            _ => F::Other,
        },
        4 => match key {
            b"type" => F::Kind,
            b"node" => F::Node,
            b"vmid" => F::Vmid,
            b"name" => F::Name,
            b"disk" => F::Disk,
            b"tags" => F::Tags,
            b"lock" => F::Lock,
            b"pool" => F::Pool,
            _ => F::Other,
        },
        5 => match key {
            b"netin" => F::Netin,
            b"level" => F::Level,
            _ => F::Other,
        },
        6 => match key {
            b"status" => F::Status,
            b"maxcpu" => F::Maxcpu,
            b"maxmem" => F::Maxmem,
            b"uptime" => F::Uptime,
            b"netout" => F::Netout,
            b"shared" => F::Shared,
            _ => F::Other,
        },
        7 => match key {
            b"maxdisk" => F::Maxdisk,
            b"hastate" => F::Hastate,
            b"storage" => F::Storage,
            b"content" => F::Content,
            _ => F::Other,
        },
        8 => match key {
            b"diskread" => F::Diskread,
            b"template" => F::Template,
            _ => F::Other,
        },
        9 if key == b"diskwrite" => F::Diskwrite,
        10 if key == b"plugintype" => F::Plugintype,
        _ => F::Other,
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn new(b: &'a [u8]) -> Self {
        Scanner { b, i: 0 }
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek()? == c {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// A string without escapes, borrowed. Escapes make the fast path give up.
    #[inline]
    fn raw_str(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        let rest = self.b.get(start..)?;
        // Control characters are invalid JSON: leave their error to serde.
        let len = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if rest[len] != b'"' {
            return None;
        }
        self.i = start + len + 1;
        Some(&rest[..len])
    }

    #[inline]
    fn string(&mut self) -> Option<String> {
        let raw = self.raw_str()?;
        std::str::from_utf8(raw).ok().map(str::to_owned)
    }

    /// `null` -> `Some(None)`, a string -> `Some(Some(s))`.
    #[inline]
    fn opt_string(&mut self) -> Option<Option<String>> {
        if self.null() {
            return Some(None);
        }
        self.string().map(Some)
    }

    #[inline]
    fn null(&mut self) -> bool {
        if self.peek() == Some(b'n') && self.b.get(self.i..self.i + 4) == Some(b"null") {
            self.i += 4;
            true
        } else {
            false
        }
    }

    fn number(&mut self) -> Option<Num> {
        self.ws();
        let start = self.i;
        let b = self.b;
        let mut i = start;
        let negative = b.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let digits_start = i;
        let mut value: u64 = 0;
        let mut overflow = false;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
            {
                Some(v) => value = v,
                None => overflow = true,
            }
            i += 1;
        }
        if i == digits_start {
            return None;
        }
        let mut is_float = negative || overflow;
        while let Some(&c) = b.get(i) {
            if matches!(c, b'.' | b'e' | b'E' | b'+' | b'-') || c.is_ascii_digit() {
                is_float = true;
                i += 1;
            } else {
                break;
            }
        }
        self.i = i;
        if !is_float {
            return Some(Num::Int(value));
        }
        let text = std::str::from_utf8(&b[start..i]).ok()?;
        text.parse::<f64>().ok().map(Num::Float)
    }

    /// Tolerant u64 with the same rules as `lenient::opt_u64` (floats truncate, negatives
    /// and non-finite become 0).
    fn opt_u64(&mut self) -> Option<Option<u64>> {
        if self.null() {
            return Some(None);
        }
        Some(Some(match self.number()? {
            Num::Int(v) => v,
            Num::Float(f) if f.is_finite() && f > 0.0 => f as u64,
            Num::Float(_) => 0,
        }))
    }

    fn opt_f64(&mut self) -> Option<Option<f64>> {
        if self.null() {
            return Some(None);
        }
        Some(Some(match self.number()? {
            Num::Int(v) => v as f64,
            Num::Float(f) => f,
        }))
    }

    fn opt_u32(&mut self) -> Option<Option<u32>> {
        match self.opt_u64()? {
            None => Some(None),
            Some(v) => u32::try_from(v).ok().map(Some),
        }
    }

    fn opt_u8(&mut self) -> Option<Option<u8>> {
        Some(self.opt_u64()?.map(|v| v.min(255) as u8))
    }

    /// Skips any JSON value (unknown keys).
    fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.i += 1;
                loop {
                    match *self.b.get(self.i)? {
                        b'"' => {
                            self.i += 1;
                            return Some(());
                        }
                        b'\\' => self.i += 2,
                        _ => self.i += 1,
                    }
                }
            }
            b'{' | b'[' => {
                self.i += 1;
                let mut depth = 1usize;
                while depth > 0 {
                    match *self.b.get(self.i)? {
                        b'"' => {
                            self.skip()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth -= 1,
                        _ => {}
                    }
                    self.i += 1;
                }
                Some(())
            }
            b't' | b'f' | b'n' => {
                let word: &[u8] = match self.b[self.i] {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if self.b.get(self.i..self.i + word.len())? != word {
                    return None;
                }
                self.i += word.len();
                Some(())
            }
            _ => self.number().map(|_| ()),
        }
    }

    /// `{"data": [...], ...}` with nothing but whitespace after it.
    fn envelope(mut self) -> Option<Vec<ClusterResource>> {
        self.eat(b'{')?;
        let mut data = None;
        if self.peek()? != b'}' {
            loop {
                let key = self.raw_str()?;
                self.eat(b':')?;
                if key == b"data" {
                    data = Some(self.array()?);
                } else {
                    self.skip()?;
                }
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        self.eat(b'}')?;
        self.ws();
        if self.i != self.b.len() {
            return None;
        }
        data
    }

    fn array(&mut self) -> Option<Vec<ClusterResource>> {
        self.eat(b'[')?;
        // Entries are ~200-400 bytes; reserving avoids most regrowth on big clusters.
        let mut out = Vec::with_capacity((self.b.len() / 256).min(1 << 16));
        if self.peek()? == b']' {
            self.i += 1;
            return Some(out);
        }
        loop {
            out.push(self.resource()?);
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }

    fn resource(&mut self) -> Option<ClusterResource> {
        self.eat(b'{')?;
        let mut r = ClusterResource::default();
        let (mut has_id, mut has_kind) = (false, false);
        if self.peek()? != b'}' {
            loop {
                let key = self.raw_str()?;
                self.eat(b':')?;
                match field(key) {
                    F::Id => {
                        r.id = self.string()?;
                        has_id = true;
                    }
                    F::Kind => {
                        r.kind = self.string()?;
                        has_kind = true;
                    }
                    F::Node => r.node = self.opt_string()?,
                    F::Vmid => r.vmid = self.opt_u32()?,
                    F::Name => r.name = self.opt_string()?,
                    F::Status => r.status = self.opt_string()?,
                    F::Cpu => r.cpu = self.opt_f64()?,
                    F::Maxcpu => r.maxcpu = self.opt_f64()?,
                    F::Mem => r.mem = self.opt_u64()?,
                    F::Maxmem => r.maxmem = self.opt_u64()?,
                    F::Disk => r.disk = self.opt_u64()?,
                    F::Maxdisk => r.maxdisk = self.opt_u64()?,
                    F::Uptime => r.uptime = self.opt_u64()?,
                    F::Netin => r.netin = self.opt_u64()?,
                    F::Netout => r.netout = self.opt_u64()?,
                    F::Diskread => r.diskread = self.opt_u64()?,
                    F::Diskwrite => r.diskwrite = self.opt_u64()?,
                    F::Tags => r.tags = self.opt_string()?,
                    F::Lock => r.lock = self.opt_string()?,
                    F::Template => r.template = self.opt_u8()?,
                    F::Pool => r.pool = self.opt_string()?,
                    F::Hastate => r.hastate = self.opt_string()?,
                    F::Level => r.level = self.opt_string()?,
                    F::Storage => r.storage = self.opt_string()?,
                    F::Plugintype => r.plugintype = self.opt_string()?,
                    F::Content => r.content = self.opt_string()?,
                    F::Shared => r.shared = self.opt_u8()?,
                    F::Other => self.skip()?,
                }
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        self.eat(b'}')?;
        (has_id && has_kind).then_some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(body: &str) -> (Option<Vec<ClusterResource>>, Result<Vec<ClusterResource>>) {
        (
            Scanner::new(body.as_bytes()).envelope(),
            parse_resources_reference(body.as_bytes()),
        )
    }

    #[test]
    fn fast_path_matches_serde_on_typical_input() {
        let body = r#" { "data" : [
            {"id":"lxc/100","type":"lxc","node":"pve","vmid":100,"name":"web","status":"running",
             "cpu":0.25,"maxcpu":2,"mem":1048576,"maxmem":2.0e9,"template":0,"tags":"a;b",
             "extra":{"nested":[1,"x\"y",{"z":null}]},"flag":true,"neg":-3},
            {"id":"node/pve","type":"node","node":"pve","status":"online","level":"","mem":-5,"disk":null},
            {"id":"storage/pve/local","type":"storage","storage":"local","shared":1,"content":"iso,vztmpl"}
        ], "total": 3 } "#;
        let (fast, reference) = both(body);
        let fast = fast.expect("fast path should accept this");
        assert_eq!(fast, reference.unwrap());
        assert_eq!(fast[0].maxmem, Some(2_000_000_000));
        assert_eq!(fast[1].mem, Some(0));
    }

    #[test]
    fn unusual_input_falls_back_to_serde() {
        // Escaped string, numeric string, missing id, trailing garbage, truncated.
        for body in [
            r#"{"data":[{"id":"lxc\/100","type":"lxc"}]}"#,
            r#"{"data":[{"id":"lxc/100","type":"lxc","mem":"1024"}]}"#,
            r#"{"data":[{"type":"lxc"}]}"#,
            r#"{"data":[]} x"#,
            r#"{"data":[{"id":"a","type":"lxc""#,
        ] {
            let (fast, _) = both(body);
            assert!(fast.is_none(), "{body}");
        }
        let list =
            parse_resources(br#"{"data":[{"id":"lxc\/100","type":"lxc","mem":"1024"}]}"#).unwrap();
        assert_eq!((list[0].id.as_str(), list[0].mem), ("lxc/100", Some(1024)));
        let err = parse_resources(br#"{"data":[{"type":"lxc"}]}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `id`"), "{err}");
    }
}
