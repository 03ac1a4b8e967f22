//! JSON request bodies parsed strictly: an object with the same key twice is refused (plain
//! `serde_json::Value` keeps the last one, so `{"cert_type":"a","cert_type":"b"}` would be
//! read as `b` while a proxy or log reader sees `a`). serde_json has no switch for this;
//! the visitor below is the small hand-written part, everything else is serde_json.
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::ValidationError;

/// A JSON value in which no object repeats a key, at any depth.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Parses a request body as JSON, refusing duplicate keys; the error says what and where.
pub fn parse_strict(body: &[u8]) -> Result<Value, ValidationError> {
    serde_json::from_slice::<Strict>(body)
        .map(|Strict(v)| v)
        .map_err(|e| ValidationError::Malformed(format!("the body is not valid JSON: {e}")))
}

/// The canonical text of a JSON value: object keys sorted, no insignificant whitespace,
/// strings and numbers as serde_json writes them. Two bodies that differ only in key order
/// or spacing have the same canonical text. Sorted here rather than relying on serde_json's
/// map order: a dependency turning on its `preserve_order` feature would change that.
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_malformed_at_any_depth() {
        for body in [r#"{"cert_type":"a","cert_type":"b"}"#, r#"{"a":{"x":1,"x":1}}"#, r#"[{"k":1,"k":2}]"#] {
            match parse_strict(body.as_bytes()) {
                Err(ValidationError::Malformed(m)) => assert!(m.contains("duplicate key"), "{m}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let v = parse_strict(br#"{"a":[1,2.5,"x",null,true,{"b":-3}],"c":{}}"#).unwrap();
        assert_eq!(v, serde_json::json!({"a":[1,2.5,"x",null,true,{"b":-3}],"c":{}}));
    }

    #[test]
    fn canonical_text_ignores_key_order_and_spacing() {
        let a = parse_strict(br#"{ "b": 1, "a": {"y": 2, "x": 1} }"#).unwrap();
        let b = parse_strict(br#"{"a":{"x":1,"y":2},"b":1}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(canonical(&a), r#"{"a":{"x":1,"y":2},"b":1}"#);
    }
}
