//! Query-string parameters, strictly: unknown or repeated names are errors.
use super::error::{FieldError, ValidationError};
use crate::domain::Status;

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

    /// Whether the parameter was given.
    pub fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// A parameter's text, unchecked (the caller checks it and reports through [`Query::reject`]).
    pub fn text(&self, name: &str) -> Option<String> {
        self.raw(name).map(str::to_owned)
    }

    /// Records an error on a parameter the caller checked itself.
    pub fn reject(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(name, message.into()));
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

    /// A [`Status`] parameter (any of the four); `None` when absent, or when invalid (an error is recorded).
    pub fn status(&mut self, name: &str) -> Option<Status> {
        let raw = self.raw(name)?;
        let parsed = Status::parse(raw);
        if parsed.is_none() {
            self.errors.push(FieldError::new(name, "must be one of active, expired, suspended, revoked"));
        }
        parsed
    }

    /// Every error recorded on the query string, or `Ok` when there was none.
    pub fn finish(self) -> Result<(), ValidationError> {
        ValidationError::unless_any(self.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<(), ValidationError>) -> Vec<String> {
        match r {
            Err(ValidationError::Fields(e)) => e.into_iter().map(|e| e.field).collect(),
            other => panic!("expected validation errors, got {other:?}"),
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
