//! Request bodies, read field by field from a JSON object so that every bad field is reported
//! at once (serde's derive stops at the first error; hand-written for that reason).
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::error::{FieldError, ValidationError};
use super::json::parse_strict;
use super::rules::{
    check_cert_type, check_mentor_id, check_mentor_name, check_settable_status, check_status_reason, check_timestamp,
};
use crate::domain::{CertificationPatch, NewCertification, Status};

/// Largest POST or PUT body accepted, in bytes (16 KiB); a larger one is a 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

const CREATE_FIELDS: &[&str] = &["mentor_id", "cert_type", "issued_at", "expires_at", "mentor_name"];
const UPDATE_FIELDS: &[&str] = &["issued_at", "expires_at", "cert_type", "mentor_name", "status", "status_reason"];

/// A POST body as a [`NewCertification`], or every bad field at once.
pub fn parse_create(body: &[u8]) -> Result<NewCertification, ValidationError> {
    let mut f = Fields::parse(body, CREATE_FIELDS)?;
    let mentor_id = f.required("mentor_id", check_mentor_id);
    let mentor_name = f.nullable("mentor_name", check_mentor_name).flatten();
    let cert_type = f.required("cert_type", check_cert_type);
    let issued_at = f.required("issued_at", check_timestamp);
    let expires_at = f.required("expires_at", check_timestamp);
    if let (Some(i), Some(e)) = (issued_at, expires_at) {
        check_order(&mut f.errors, i, e);
    }
    match (mentor_id, cert_type, issued_at, expires_at) {
        (Some(mentor_id), Some(cert_type), Some(issued_at), Some(expires_at)) if f.errors.is_empty() => {
            Ok(NewCertification { mentor_id, mentor_name, cert_type, issued_at, expires_at })
        }
        // A missing or bad field always left its error behind.
        _ => Err(ValidationError::Fields(f.errors)),
    }
}

/// A PUT body as a [`CertificationPatch`] (at least one field), or every bad field at once.
pub fn parse_update(body: &[u8]) -> Result<CertificationPatch, ValidationError> {
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
        status_reason: f.nullable("status_reason", check_status_reason).flatten(),
    };
    // A reason belongs to a suspension or revocation; `null` is the same as leaving it out.
    let reasoned = matches!(patch.status, Some(Status::Suspended | Status::Revoked));
    if f.map.contains_key("status_reason") && !reasoned && !f.errors.iter().any(|e| e.field == "status") {
        f.errors.push(FieldError::new("status_reason", "only with status suspended or revoked"));
    }
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
    fn parse(body: &[u8], allowed: &[&str]) -> Result<Self, ValidationError> {
        // serde_json's message says what and where (line, column), nothing internal; an
        // object repeating a key is malformed too.
        let value = parse_strict(body)?;
        let Value::Object(map) = value else {
            return Err(ValidationError::Malformed("the body must be a JSON object".into()));
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

    fn finish(self) -> Result<(), ValidationError> {
        ValidationError::unless_any(self.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Clock, FixedClock};
    use serde_json::json;

    fn errors(r: Result<impl std::fmt::Debug, ValidationError>) -> Vec<(String, String)> {
        match r {
            Err(ValidationError::Fields(e)) => e.into_iter().map(|e| (e.field, e.message)).collect(),
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    fn fields(r: Result<impl std::fmt::Debug, ValidationError>) -> Vec<String> {
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
    fn edge_cases_a_review_found_are_refused() {
        // A leap second would be stored and echoed as :60, which most clients cannot parse.
        let mut b = valid_create();
        b["issued_at"] = json!("2026-03-01T12:34:60Z");
        assert_eq!(fields(parse_create(&body(b))), ["issued_at"]);
        // Duplicate keys: malformed, not last-one-wins.
        let dup = br#"{"mentor_id":"m","cert_type":"a","cert_type":"b","issued_at":"2026-03-01T00:00:00Z","expires_at":"2027-03-01T00:00:00Z"}"#;
        assert!(
            matches!(parse_create(dup), Err(ValidationError::Malformed(m)) if m.contains("duplicate key `cert_type`"))
        );
        assert!(matches!(
            parse_update(br#"{"status":"active","status":"revoked"}"#),
            Err(ValidationError::Malformed(_))
        ));
        // Control, bidirectional-control and line-separator characters.
        for name in ["Lars\u{202E}nesrikE", "a\u{2066}b", "a\u{200F}b", "a\u{0007}b", "a\u{2028}b", "a\u{061C}b"] {
            let mut b = valid_create();
            b["mentor_name"] = json!(name);
            assert_eq!(fields(parse_create(&body(b))), ["mentor_name"], "{name:?}");
        }
        for id in ["mentor\u{202E}42", "mentor\u{0000}"] {
            let mut b = valid_create();
            b["mentor_id"] = json!(id);
            assert_eq!(fields(parse_create(&body(b))), ["mentor_id"], "{id:?}");
        }
        // Ordinary non-Latin names stay allowed, right-to-left scripts included.
        let mut b = valid_create();
        b["mentor_name"] = json!("Ærøskøbing مريم 李");
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
        assert!(matches!(parse_create(b"{\"mentor_id\": "), Err(ValidationError::Malformed(_))));
        assert!(matches!(parse_create(b"[1,2]"), Err(ValidationError::Malformed(_))));
        assert!(matches!(parse_update(b"\"text\""), Err(ValidationError::Malformed(_))));
        assert!(matches!(parse_update(b""), Err(ValidationError::Malformed(_))));
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
}
