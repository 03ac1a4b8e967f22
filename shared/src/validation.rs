//! Strict input parsing. Bodies are read field by field from a JSON object so that every
//! bad field is reported at once (serde's derive stops at the first error).
use chrono::{DateTime, Datelike, SubsecRound, Utc};
use serde_json::{Map, Value};

use crate::error::{ApiError, FieldError};
use crate::model::Status;

pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A validated POST body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCertification {
    pub mentor_id: String,
    pub mentor_name: Option<String>,
    pub cert_type: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A validated PUT body: only the fields present are changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificationPatch {
    pub issued_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub cert_type: Option<String>,
    /// `Some(None)` clears the name (`"mentor_name": null`).
    pub mentor_name: Option<Option<String>>,
    /// Only `active`, `suspended` or `revoked`.
    pub status: Option<Status>,
}

const CREATE_FIELDS: &[&str] = &["mentor_id", "cert_type", "issued_at", "expires_at", "mentor_name"];
const UPDATE_FIELDS: &[&str] = &["issued_at", "expires_at", "cert_type", "mentor_name", "status"];

pub fn parse_create(body: &[u8]) -> Result<NewCertification, ApiError> {
    let mut f = Fields::parse(body, CREATE_FIELDS)?;
    let mentor_id = f.required("mentor_id", check_mentor_id);
    let mentor_name = f.nullable("mentor_name", check_mentor_name).flatten();
    let cert_type = f.required("cert_type", check_cert_type);
    let issued_at = f.required("issued_at", check_timestamp);
    let expires_at = f.required("expires_at", check_timestamp);
    if let (Some(i), Some(e)) = (issued_at, expires_at) {
        check_order(&mut f.errors, i, e);
    }
    f.finish()?;
    match (mentor_id, cert_type, issued_at, expires_at) {
        (Some(mentor_id), Some(cert_type), Some(issued_at), Some(expires_at)) => {
            Ok(NewCertification { mentor_id, mentor_name, cert_type, issued_at, expires_at })
        }
        // finish() returned the errors for any missing field already.
        _ => Err(ApiError::Internal),
    }
}

pub fn parse_update(body: &[u8]) -> Result<CertificationPatch, ApiError> {
    let mut f = Fields::parse(body, UPDATE_FIELDS)?;
    if f.map.is_empty() {
        f.errors.push(FieldError::new("body", format!("must contain at least one of {}", UPDATE_FIELDS.join(", "))));
    }
    let patch = CertificationPatch {
        issued_at: f.optional("issued_at", check_timestamp),
        expires_at: f.optional("expires_at", check_timestamp),
        cert_type: f.optional("cert_type", check_cert_type),
        mentor_name: f.nullable("mentor_name", check_mentor_name),
        status: f.optional("status", check_settable_status),
    };
    if let (Some(i), Some(e)) = (patch.issued_at, patch.expires_at) {
        check_order(&mut f.errors, i, e);
    }
    f.finish()?;
    Ok(patch)
}

fn check_order(errors: &mut Vec<FieldError>, issued_at: DateTime<Utc>, expires_at: DateTime<Utc>) {
    if expires_at <= issued_at {
        errors.push(FieldError::new("expires_at", "must be later than issued_at"));
    }
}

/// Collects every field error of one JSON object body.
struct Fields {
    map: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Fields {
    fn parse(body: &[u8], allowed: &[&str]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            // serde_json's message says what and where (line, column), nothing internal.
            ApiError::Malformed(format!("the body is not valid JSON: {e}"))
        })?;
        let Value::Object(map) = value else {
            return Err(ApiError::Malformed("the body must be a JSON object".into()));
        };
        let mut errors: Vec<FieldError> = map
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .map(|k| FieldError::new(k.clone(), "is not a field that can be set here"))
            .collect();
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        Ok(Self { map, errors })
    }

    fn check<T>(&mut self, field: &str, v: &Value, check: fn(&Value) -> Result<T, String>) -> Option<T> {
        check(v).map_err(|m| self.errors.push(FieldError::new(field, m))).ok()
    }

    fn required<T>(&mut self, field: &str, check: fn(&Value) -> Result<T, String>) -> Option<T> {
        match self.map.get(field).cloned() {
            None | Some(Value::Null) => {
                self.errors.push(FieldError::new(field, "is required"));
                None
            }
            Some(v) => self.check(field, &v, check),
        }
    }

    fn optional<T>(&mut self, field: &str, check: fn(&Value) -> Result<T, String>) -> Option<T> {
        match self.map.get(field).cloned() {
            None => None,
            Some(Value::Null) => {
                self.errors.push(FieldError::new(field, "cannot be null"));
                None
            }
            Some(v) => self.check(field, &v, check),
        }
    }

    /// Absent: `None`; `null`: `Some(None)`; a value: `Some(Some(v))`.
    fn nullable<T>(&mut self, field: &str, check: fn(&Value) -> Result<T, String>) -> Option<Option<T>> {
        match self.map.get(field).cloned() {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => self.check(field, &v, check).map(Some),
        }
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

fn string(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| format!("must be a string, not {}", json_type(v)))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The rules as clients read them in error messages.
pub const MENTOR_ID_RULE: &str = "must be 1 to 128 characters of A-Z, a-z, 0-9, '_', '.', ':' and '-'";
pub const CERT_TYPE_RULE: &str = "must match ^[a-z0-9][a-z0-9_]{0,63}$";

pub fn is_mentor_id(s: &str) -> bool {
    (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
}

pub fn is_cert_type(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=64).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// A path id that is not 1 to 64 of `[A-Za-z0-9_-]` cannot exist: the handlers answer 404.
pub fn is_valid_path_id(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn check_mentor_id(v: &Value) -> Result<String, String> {
    let s = string(v)?;
    if is_mentor_id(s) {
        Ok(s.to_owned())
    } else {
        Err(MENTOR_ID_RULE.into())
    }
}

fn check_cert_type(v: &Value) -> Result<String, String> {
    let s = string(v)?;
    if is_cert_type(s) {
        Ok(s.to_owned())
    } else {
        Err(CERT_TYPE_RULE.into())
    }
}

fn check_mentor_name(v: &Value) -> Result<String, String> {
    let s = string(v)?;
    let n = s.chars().count();
    if !(1..=200).contains(&n) {
        Err("must be 1 to 200 characters".into())
    } else if s.chars().any(char::is_control) {
        Err("must not contain control characters".into())
    } else {
        Ok(s.to_owned())
    }
}

/// RFC 3339 with any offset, normalised to UTC whole seconds. Years are kept to four
/// digits so the stored text stays fixed-width (and so sorts in time order).
pub fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|_| "must be an RFC 3339 date-time such as 2026-03-01T00:00:00Z".to_string())?
        .with_timezone(&Utc)
        .trunc_subsecs(0);
    if (1970..=9999).contains(&t.year()) {
        Ok(t)
    } else {
        Err("must be between 1970 and 9999 (UTC)".into())
    }
}

fn check_timestamp(v: &Value) -> Result<DateTime<Utc>, String> {
    parse_timestamp(string(v)?)
}

fn check_settable_status(v: &Value) -> Result<Status, String> {
    match Status::parse(string(v)?) {
        Some(s @ (Status::Active | Status::Suspended | Status::Revoked)) => Ok(s),
        _ => Err("must be one of active, suspended, revoked".into()),
    }
}

/// Query-string parameters, strictly: unknown or repeated names are errors.
pub struct Query {
    pairs: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

impl Query {
    /// `params` is every (name, value) pair in request order, repeats included.
    pub fn new<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>, allowed: &[&str]) -> Self {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut errors = Vec::new();
        let unknown = match allowed {
            [] => "is not a known parameter (this route takes none)".to_string(),
            _ => format!("is not a known parameter (known: {})", allowed.join(", ")),
        };
        for (k, v) in params {
            if !allowed.contains(&k) {
                errors.push(FieldError::new(k, unknown.clone()));
            } else if pairs.iter().any(|(seen, _)| seen == k) {
                if !errors.iter().any(|e| e.field == k) {
                    errors.push(FieldError::new(k, "must not be repeated"));
                }
            } else {
                pairs.push((k.to_owned(), v.to_owned()));
            }
        }
        Self { pairs, errors }
    }

    fn raw(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// An integer parameter within `range`, or `default` when absent.
    pub fn int(&mut self, name: &str, range: std::ops::RangeInclusive<u32>, default: u32) -> u32 {
        let Some(raw) = self.raw(name) else { return default };
        match raw.parse::<u32>() {
            Ok(n) if range.contains(&n) => n,
            _ => {
                let msg = format!("must be a whole number from {} to {}", range.start(), range.end());
                self.errors.push(FieldError::new(name, msg));
                default
            }
        }
    }

    /// A string parameter that must pass `valid`.
    pub fn string(&mut self, name: &str, valid: fn(&str) -> bool, rule: &str) -> Option<String> {
        let raw = self.raw(name)?.to_owned();
        if valid(&raw) {
            Some(raw)
        } else {
            self.errors.push(FieldError::new(name, rule.to_owned()));
            None
        }
    }

    pub fn status(&mut self, name: &str) -> Option<Status> {
        let raw = self.raw(name)?;
        let parsed = Status::parse(raw);
        if parsed.is_none() {
            self.errors.push(FieldError::new(name, "must be one of active, expired, suspended, revoked"));
        }
        parsed
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FixedClock};
    use serde_json::json;

    fn errors(r: Result<impl std::fmt::Debug, ApiError>) -> Vec<(String, String)> {
        match r {
            Err(ApiError::Validation(e)) => e.into_iter().map(|e| (e.field, e.message)).collect(),
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    fn fields(r: Result<impl std::fmt::Debug, ApiError>) -> Vec<String> {
        errors(r).into_iter().map(|(f, _)| f).collect()
    }

    fn body(v: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    fn valid_create() -> serde_json::Value {
        json!({"mentor_id": "mentor-42", "cert_type": "peer_mentor_level_2",
               "issued_at": "2026-03-01T00:00:00Z", "expires_at": "2027-03-01T00:00:00Z"})
    }

    #[test]
    fn a_valid_create_body_parses_and_normalises_to_utc_seconds() {
        let mut b = valid_create();
        b["issued_at"] = json!("2026-03-01T02:00:00.750+02:00");
        b["mentor_name"] = json!("Lars Eriksen");
        let n = parse_create(&body(b)).unwrap();
        assert_eq!(n.issued_at, FixedClock::at("2026-03-01T00:00:00Z").now());
        assert_eq!(n.mentor_name.as_deref(), Some("Lars Eriksen"));
        assert_eq!(n.mentor_id, "mentor-42");
    }

    #[test]
    fn every_create_error_is_reported_at_once() {
        let b = json!({"mentor_id": "bad id!", "cert_type": "Peer", "issued_at": 5,
                       "expires_at": "yesterday", "status": "active", "mentor_name": ""});
        let got = fields(parse_create(&body(b)));
        assert_eq!(got, ["status", "mentor_id", "mentor_name", "cert_type", "issued_at", "expires_at"]);
    }

    #[test]
    fn missing_fields_are_required() {
        assert_eq!(fields(parse_create(b"{}")), ["mentor_id", "cert_type", "issued_at", "expires_at"]);
        let mut b = valid_create();
        b["mentor_id"] = json!(null);
        assert_eq!(errors(parse_create(&body(b))), [("mentor_id".into(), "is required".into())]);
    }

    #[test]
    fn server_owned_fields_are_refused_on_create() {
        for f in ["id", "status", "renewal_count", "renewal_history", "created_at", "updated_at"] {
            let mut b = valid_create();
            b[f] = json!("x");
            assert_eq!(fields(parse_create(&body(b))), [f]);
        }
    }

    #[test]
    fn each_field_rule() {
        let cases: &[(&str, serde_json::Value)] = &[
            ("mentor_id", json!("")),
            ("mentor_id", json!("a".repeat(129))),
            ("mentor_id", json!("mentor 42")),
            ("mentor_id", json!(42)),
            ("cert_type", json!("_level")),
            ("cert_type", json!("Level_2")),
            ("cert_type", json!("a".repeat(65))),
            ("cert_type", json!("level-2")),
            ("mentor_name", json!("x".repeat(201))),
            ("mentor_name", json!("tab\there")),
            ("mentor_name", json!(["Lars"])),
            ("issued_at", json!("2026-03-01")),
            ("issued_at", json!("2026-13-01T00:00:00Z")),
            ("issued_at", json!("1969-12-31T23:59:59Z")),
            ("expires_at", json!("9999-12-31T23:00:00-05:00")),
            ("expires_at", json!({"at": 1})),
        ];
        for (field, value) in cases {
            let mut b = valid_create();
            b[*field] = value.clone();
            assert_eq!(fields(parse_create(&body(b))), [*field], "{field} = {value}");
        }
        // The boundaries that are allowed.
        let mut b = valid_create();
        b["mentor_id"] = json!("M".repeat(128));
        b["cert_type"] = json!(format!("0{}", "a".repeat(63)));
        b["mentor_name"] = json!("é".repeat(200));
        assert!(parse_create(&body(b)).is_ok());
    }

    #[test]
    fn expiry_must_follow_issue() {
        let mut b = valid_create();
        b["expires_at"] = b["issued_at"].clone();
        assert_eq!(fields(parse_create(&body(b))), ["expires_at"]);
    }

    #[test]
    fn malformed_bodies_are_not_validation_errors() {
        assert!(matches!(parse_create(b"{\"mentor_id\": "), Err(ApiError::Malformed(_))));
        assert!(matches!(parse_create(b"[1,2]"), Err(ApiError::Malformed(_))));
        assert!(matches!(parse_update(b"\"text\""), Err(ApiError::Malformed(_))));
        assert!(matches!(parse_update(b""), Err(ApiError::Malformed(_))));
    }

    #[test]
    fn update_rules() {
        assert_eq!(fields(parse_update(b"{}")), ["body"]);
        assert_eq!(fields(parse_update(&body(json!({"status": "expired"})))), ["status"]);
        assert_eq!(fields(parse_update(&body(json!({"mentor_id": "m"})))), ["mentor_id"]);
        assert_eq!(fields(parse_update(&body(json!({"renewal_count": 3})))), ["renewal_count"]);
        assert_eq!(fields(parse_update(&body(json!({"cert_type": null})))), ["cert_type"]);
        assert_eq!(
            fields(parse_update(&body(
                json!({"issued_at": "2027-01-01T00:00:00Z", "expires_at": "2026-01-01T00:00:00Z"})
            ))),
            ["expires_at"]
        );
        let p = parse_update(&body(json!({"mentor_name": null, "status": "suspended"}))).unwrap();
        assert_eq!(p.mentor_name, Some(None));
        assert_eq!(p.status, Some(Status::Suspended));
        for s in ["active", "suspended", "revoked"] {
            assert!(parse_update(&body(json!({ "status": s }))).is_ok());
        }
    }

    #[test]
    fn path_ids() {
        assert!(is_valid_path_id("cert-01hq_X"));
        assert!(is_valid_path_id(&"a".repeat(64)));
        for bad in ["", "cert.1", "cert 1", "cert%201", &"a".repeat(65), "ü"] {
            assert!(!is_valid_path_id(bad), "{bad}");
        }
    }

    #[test]
    fn query_parameters_are_strict() {
        let mut q = Query::new([("page", "2"), ("limit", "100")], &["page", "limit"]);
        assert_eq!(q.int("page", 1..=u32::MAX, 1), 2);
        assert_eq!(q.int("limit", 1..=100, 20), 100);
        assert!(q.finish().is_ok());

        let mut q = Query::new([("page", "0"), ("limit", "101"), ("sort", "x"), ("limit", "5")], &["page", "limit"]);
        q.int("page", 1..=u32::MAX, 1);
        q.int("limit", 1..=100, 20);
        let got = fields(q.finish());
        assert_eq!(got, ["sort", "limit", "page", "limit"]);

        let mut q = Query::new([("status", "gone"), ("days", "x")], &["status", "days"]);
        assert_eq!(q.status("status"), None);
        q.int("days", 1..=3650, 30);
        assert_eq!(fields(q.finish()), ["status", "days"]);
    }
}
