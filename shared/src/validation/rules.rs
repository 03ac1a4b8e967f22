//! The rule for each field and path id, one function each, and the messages clients read
//! when a rule is broken.
use chrono::{DateTime, Datelike, SubsecRound, Timelike, Utc};
use serde_json::Value;

use crate::domain::Status;

pub(super) fn string(v: &Value) -> Result<&str, String> {
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
/// [`is_cert_type`]'s rule, as clients read it in error messages.
pub const CERT_TYPE_RULE: &str = "must match ^[a-z0-9][a-z0-9_]{0,63}$";

/// 1 to 128 of `A-Z a-z 0-9 _ . : -` (see [`MENTOR_ID_RULE`]).
pub fn is_mentor_id(s: &str) -> bool {
    (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
}

/// `^[a-z0-9][a-z0-9_]{0,63}$` (see [`CERT_TYPE_RULE`]).
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

pub(super) fn check_mentor_id(v: &Value) -> Result<String, String> {
    let s = string(v)?;
    if is_mentor_id(s) {
        Ok(s.to_owned())
    } else {
        Err(MENTOR_ID_RULE.into())
    }
}

pub(super) fn check_cert_type(v: &Value) -> Result<String, String> {
    let s = string(v)?;
    if is_cert_type(s) {
        Ok(s.to_owned())
    } else {
        Err(CERT_TYPE_RULE.into())
    }
}

/// Longest `mentor_name`, in characters.
pub const MAX_MENTOR_NAME_CHARS: usize = 200;
/// Longest `status_reason`, in characters.
pub const MAX_STATUS_REASON_CHARS: usize = 500;

pub(super) fn check_mentor_name(v: &Value) -> Result<String, String> {
    check_text(v, MAX_MENTOR_NAME_CHARS)
}

/// The same character rules as `mentor_name`, up to 500 characters.
pub(super) fn check_status_reason(v: &Value) -> Result<String, String> {
    check_text(v, MAX_STATUS_REASON_CHARS)
}

/// 1 to `max` characters of free text a person reads: no control, bidirectional-control or
/// line/paragraph separator characters.
fn check_text(v: &Value, max: usize) -> Result<String, String> {
    let s = string(v)?;
    let n = s.chars().count();
    if !(1..=max).contains(&n) {
        Err(format!("must be 1 to {max} characters"))
    } else if s.chars().any(char::is_control) {
        Err("must not contain control characters".into())
    } else if s.chars().any(is_invisible_control) {
        Err("must not contain bidirectional-control or line/paragraph separator characters".into())
    } else {
        Ok(s.to_owned())
    }
}

/// Unicode `Bidi_Control` (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which can
/// make a name display as different text (the "Trojan Source" trick), and the line and
/// paragraph separators U+2028/U+2029, which break log lines like a newline does.
fn is_invisible_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// RFC 3339 with any offset, normalised to UTC whole seconds. Years are kept to four
/// digits so the stored text stays fixed-width (and so sorts in time order).
pub fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|_| "must be an RFC 3339 date-time such as 2026-03-01T00:00:00Z".to_string())?
        .with_timezone(&Utc);
    // chrono keeps a leap second (`:60`) as a nanosecond count past 1e9 and would format
    // it back as `:60`, which most JSON clients cannot parse.
    if t.nanosecond() >= 1_000_000_000 {
        return Err("must not be a leap second (second 60); use :59 or the next minute".into());
    }
    let t = t.trunc_subsecs(0);
    if (1970..=9999).contains(&t.year()) {
        Ok(t)
    } else {
        Err("must be between 1970 and 9999 (UTC)".into())
    }
}

pub(super) fn check_timestamp(v: &Value) -> Result<DateTime<Utc>, String> {
    parse_timestamp(string(v)?)
}

pub(super) fn check_settable_status(v: &Value) -> Result<Status, String> {
    match Status::parse(string(v)?) {
        Some(s @ (Status::Active | Status::Suspended | Status::Revoked)) => Ok(s),
        _ => Err("must be one of active, suspended, revoked".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids() {
        assert!(is_valid_path_id("cert-01hq_X"));
        assert!(is_valid_path_id(&"a".repeat(64)));
        for bad in ["", "cert.1", "cert 1", "cert%201", &"a".repeat(65), "ü"] {
            assert!(!is_valid_path_id(bad), "{bad}");
        }
    }

    /// `status_reason`: only beside `status` `suspended` or `revoked`, under the name rules,
    /// up to 500 characters; `null` is the same as leaving it out.
    #[test]
    fn a_status_reason_goes_with_a_suspension_or_revocation() {
        use crate::validation::{parse_update, ValidationError};
        let parse = |v: Value| parse_update(&serde_json::to_vec(&v).unwrap_or_default());
        let fields = |v: Value| match parse(v) {
            Err(ValidationError::Fields(e)) => e.into_iter().map(|e| e.field).collect::<Vec<_>>(),
            other => panic!("expected field errors, got {other:?}"),
        };
        for status in ["suspended", "revoked"] {
            let p = parse(serde_json::json!({"status": status, "status_reason": "é".repeat(500)})).unwrap();
            assert_eq!(p.status_reason.map(|r| r.chars().count()), Some(500));
            let p = parse(serde_json::json!({"status": status, "status_reason": null})).unwrap();
            assert_eq!(p.status_reason, None);
        }
        for bad in [
            serde_json::json!("x".repeat(501)),
            serde_json::json!(""),
            serde_json::json!("a\u{202E}b"),
            serde_json::json!(7),
        ] {
            assert_eq!(fields(serde_json::json!({"status": "revoked", "status_reason": bad})), ["status_reason"]);
        }
        for without in [
            serde_json::json!({"status_reason": "x"}),
            serde_json::json!({"status": "active", "status_reason": "x"}),
            serde_json::json!({"status_reason": null, "mentor_name": "Ada"}),
        ] {
            assert_eq!(fields(without.clone()), ["status_reason"], "{without}");
        }
        // A bad status is the one error: the reason is judged against a valid status only.
        assert_eq!(fields(serde_json::json!({"status": "expired", "status_reason": "x"})), ["status"]);
    }

    #[test]
    fn new_ids_are_valid_path_ids() {
        assert!(is_valid_path_id(&crate::domain::ids::new_certification_id()));
    }
}
