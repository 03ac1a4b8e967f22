//! `ETag` and `If-Match` on the single-record routes. The tag is the record's `version`
//! (strong: it changes with every write). `If-Match` is turned into a [`IfMatch`] that the
//! store checks inside the write's own condition.
use lambda_http::http::{header, HeaderValue};
use lambda_http::{Body, Request, Response};

use super::problem::ApiError;
use crate::store::IfMatch;
use crate::validation::FieldError;

/// Most entity tags one `If-Match` may list (each becomes a value in the write's condition).
pub const MAX_IF_MATCH_TAGS: usize = 20;

/// The strong entity tag of a record version: `"v7"`.
pub fn etag(version: u64) -> String {
    format!("\"v{version}\"")
}

/// `response` with the `ETag` of `version`.
pub fn with_etag(mut response: Response<Body>, version: u64) -> Response<Body> {
    // Digits and quotes only: always a valid header value.
    if let Ok(value) = HeaderValue::try_from(etag(version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The version of an opaque tag exactly as [`etag`] issues it (`v` and the version in plain
/// decimal), or `None`: `v+1`, `v01`, `v 1`, `V1` and `v1 ` are tags this service never
/// issued, so they match nothing (`u64::from_str` alone would read `v+1` and `v01` as 1).
fn issued_version(opaque: &str) -> Option<u64> {
    let v: u64 = opaque.strip_prefix('v')?.parse().ok()?;
    (format!("v{v}") == opaque).then_some(v)
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::Validation(vec![FieldError::new("If-Match", message)])
}

/// The request's `If-Match` (RFC 9110 §13.1.1): absent, `*`, or a list of entity tags.
/// Weak tags (`W/"…"`) never match under the strong comparison `If-Match` uses, and tags
/// this service never issued cannot match either; both are dropped. A value that is not an
/// entity-tag list is a 400 problem naming the header.
pub fn if_match(req: &Request) -> Result<Option<IfMatch>, ApiError> {
    let values: Vec<&HeaderValue> = req.headers().get_all(header::IF_MATCH).iter().collect();
    if values.is_empty() {
        return Ok(None);
    }
    let mut versions = Vec::new();
    let mut count = 0;
    for value in values {
        let text = value.to_str().map_err(|_| bad("must be \"*\" or a list of entity tags such as \"v3\""))?;
        for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            count += 1;
            if tag == "*" {
                return Ok(Some(IfMatch::Any));
            }
            let (weak, opaque) = match tag.strip_prefix("W/") {
                Some(rest) => (true, rest),
                None => (false, tag),
            };
            let inner = opaque
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .filter(|t| !t.contains('"'))
                .ok_or_else(|| bad(format!("{tag:?} is not an entity tag (a quoted string such as \"v3\")")))?;
            if let Some(v) = issued_version(inner).filter(|_| !weak) {
                versions.push(v);
            }
        }
    }
    if count == 0 {
        return Err(bad("must be \"*\" or a list of entity tags such as \"v3\""));
    }
    if count > MAX_IF_MATCH_TAGS {
        return Err(bad(format!("lists more than {MAX_IF_MATCH_TAGS} entity tags")));
    }
    Ok(Some(IfMatch::Versions(versions)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&str]) -> Result<Option<IfMatch>, ApiError> {
        let mut b = lambda_http::http::Request::builder();
        for v in values {
            b = b.header("if-match", *v);
        }
        if_match(&b.body(Body::Empty).unwrap())
    }

    #[test]
    fn if_match_forms() {
        assert_eq!(parse(&[]).unwrap(), None);
        assert_eq!(parse(&["*"]).unwrap(), Some(IfMatch::Any));
        assert_eq!(parse(&["\"v3\""]).unwrap(), Some(IfMatch::Versions(vec![3])));
        assert_eq!(parse(&["\"v3\", W/\"v4\", \"other\"", "\"v9\""]).unwrap(), Some(IfMatch::Versions(vec![3, 9])));
        for bad in ["v3", "\"v3", "", " , ", "\"a\"b\""] {
            assert!(matches!(parse(&[bad]), Err(ApiError::Validation(_))), "{bad:?}");
        }
        let many = vec!["\"v1\""; MAX_IF_MATCH_TAGS + 1].join(",");
        assert!(matches!(parse(&[&many]), Err(ApiError::Validation(_))));
        assert_eq!(etag(7), "\"v7\"");
    }

    /// Only the tags [`etag`] issues match: the opaque part compared exactly.
    #[test]
    fn tags_compare_exactly() {
        for never in [
            "\"v+1\"",
            "\"v01\"",
            "\"v 1\"",
            "\" v1\"",
            "\"v1 \"",
            "\"V1\"",
            "\"v1.0\"",
            "\"v-1\"",
            "\"v\"",
            "\"v18446744073709551616\"",
        ] {
            assert_eq!(parse(&[never]).unwrap(), Some(IfMatch::Versions(vec![])), "{never}");
        }
        assert_eq!(parse(&["\"v0\", \"v10\""]).unwrap(), Some(IfMatch::Versions(vec![0, 10])));
        for v in [1, 9, 10, u64::MAX] {
            assert_eq!(parse(&[&etag(v)]).unwrap(), Some(IfMatch::Versions(vec![v])));
        }
    }
}
