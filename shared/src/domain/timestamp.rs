//! `YYYY-MM-DDTHH:MM:SSZ` on the wire and in DynamoDB: UTC, whole seconds, fixed width, so
//! lexical order is time order (the `created_at` and `expires_at` index sort keys rely on it).
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// `t` as `YYYY-MM-DDTHH:MM:SSZ` (sub-second digits are never written).
pub fn format(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Serde `serialize_with`: the timestamp as [`format()`] writes it.
pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(t))
}

/// Serde `deserialize_with`: any RFC 3339 timestamp, converted to UTC.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)).map_err(serde::de::Error::custom)
}
