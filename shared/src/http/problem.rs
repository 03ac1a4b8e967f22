//! One error type for every handler, mapped in one place ([`ApiError::into_response`]) to
//! RFC 9457 `application/problem+json`; validation and store errors become it here, and
//! internal causes are logged here, never sent.
use lambda_http::{http::StatusCode, Body, Response};
use serde::Serialize;

use crate::store::StoreError;
use crate::validation::{FieldError, ValidationError};

/// The content type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every way a handler fails, each one HTTP status and problem `type` ([`ApiError::into_response`]).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// One entry per bad field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The body is not JSON, or not an object.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// No such record or route (404); the detail says which.
    #[error("not found: {0}")]
    NotFound(String),
    /// No bearer token, or one that is not valid (signature, issuer, audience, expiry). Only
    /// the local server's `--auth` answers it; in AWS the JWT authorizer does.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// A valid token without the scope the route needs (as [`ApiError::Unauthorized`]).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The path exists, but not with this method (405).
    #[error("method not allowed")]
    MethodNotAllowed {
        /// The path's methods, sent as the `Allow` header: `GET, PUT, DELETE`.
        allow: String,
    },
    /// The change breaks a rule of the stored record's state (409): already exists, revoked,
    /// past expiry, or a keyed create still in progress.
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` named none of the record's current version.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// An `Idempotency-Key` reused with a different request body.
    #[error("idempotency key reused: {0}")]
    KeyReused(String),
    /// The body is over the size limit (413).
    #[error("payload too large")]
    PayloadTooLarge {
        /// The limit, in bytes ([`crate::validation::MAX_BODY_BYTES`]).
        limit: usize,
    },
    /// A body not sent as `application/json` (415).
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// DynamoDB throttled or unreachable after the SDK's retries.
    #[error("service unavailable")]
    Unavailable,
    /// A real fault; the cause has been logged where it was turned into this.
    #[error("internal error")]
    Internal,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    type_: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
    /// Distinct problems found but not listed in `errors` (see [`MAX_LISTED_ERRORS`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    more_errors: Option<usize>,
}

/// Most problems one response lists: a request repeating one bad input thousands of times
/// (an 8 KB `?x&x&x…` made a 408 KB body) gets each distinct problem once, at most this
/// many, and the count of the rest.
pub const MAX_LISTED_ERRORS: usize = 20;
/// Longest field name echoed back; a longer one (from a query string or body key) is cut.
const MAX_ECHOED_FIELD_CHARS: usize = 64;

/// Each distinct problem once, in order of first appearance, field names cut to a bounded
/// length; then the first [`MAX_LISTED_ERRORS`] and how many more there were.
fn listed(errors: &[FieldError]) -> (Vec<FieldError>, usize) {
    let mut distinct: Vec<FieldError> = Vec::new();
    for e in errors {
        let field = match e.field.char_indices().nth(MAX_ECHOED_FIELD_CHARS) {
            Some((cut, _)) => format!("{}…", &e.field[..cut]),
            None => e.field.clone(),
        };
        let e = FieldError::new(field, e.message.clone());
        if !distinct.contains(&e) {
            distinct.push(e);
        }
    }
    let more = distinct.len().saturating_sub(MAX_LISTED_ERRORS);
    distinct.truncate(MAX_LISTED_ERRORS);
    (distinct, more)
}

/// Seconds a client should wait after a 503.
const RETRY_AFTER_SECONDS: &str = "1";

impl ApiError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::KeyReused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The 404 for a certification id that is not stored.
    pub fn not_found(id: &str) -> Self {
        ApiError::NotFound(format!("no certification with id '{id}'"))
    }

    /// `(type, title)`: the `type` URIs are relative references documented in the README.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Validation(_) => ("/problems/validation-error", "Invalid request"),
            ApiError::Malformed(_) => ("/problems/malformed-request", "Malformed request"),
            ApiError::NotFound(_) => ("/problems/not-found", "Not found"),
            ApiError::Unauthorized(_) => ("/problems/unauthorized", "Unauthorized"),
            ApiError::Forbidden(_) => ("/problems/forbidden", "Forbidden"),
            ApiError::MethodNotAllowed { .. } => ("/problems/method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("/problems/conflict", "Conflict"),
            ApiError::PreconditionFailed(_) => ("/problems/precondition-failed", "Precondition failed"),
            ApiError::KeyReused(_) => ("/problems/idempotency-key-reused", "Idempotency key reused"),
            ApiError::PayloadTooLarge { .. } => ("/problems/payload-too-large", "Payload too large"),
            ApiError::UnsupportedMediaType => ("/problems/unsupported-media-type", "Unsupported media type"),
            ApiError::Unavailable => ("/problems/service-unavailable", "Service unavailable"),
            ApiError::Internal => ("/problems/internal-error", "Internal server error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Validation(errors) => match listed(errors) {
                (one, 0) if one.len() == 1 => format!("{}: {}", one[0].field, one[0].message),
                (many, 0) => format!("{} fields are invalid", many.len()),
                (some, more) => {
                    format!("{} problems; the first {} are listed, {more} more are not", some.len() + more, some.len())
                }
            },
            ApiError::Malformed(d)
            | ApiError::NotFound(d)
            | ApiError::Conflict(d)
            | ApiError::Unauthorized(d)
            | ApiError::Forbidden(d)
            | ApiError::PreconditionFailed(d)
            | ApiError::KeyReused(d) => d.clone(),
            ApiError::MethodNotAllowed { allow } => format!("allowed methods: {allow}"),
            ApiError::PayloadTooLarge { limit } => format!("the request body is larger than {limit} bytes"),
            ApiError::UnsupportedMediaType => "the request body must be sent as application/json".into(),
            ApiError::Unavailable => "the data store is busy or unreachable; retry shortly".into(),
            ApiError::Internal => "an unexpected error occurred".into(),
        }
    }

    /// The `application/problem+json` response, with `Allow`, `Retry-After` or
    /// `WWW-Authenticate` where the status calls for one.
    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        let (type_, title) = self.kind();
        let (errors, more_errors) = match &self {
            ApiError::Validation(e) => {
                let (shown, more) = listed(e);
                (Some(shown), (more > 0).then_some(more))
            }
            _ => (None, None),
        };
        let problem = Problem {
            type_,
            title,
            status: status.as_u16(),
            detail: self.detail(),
            errors: errors.as_deref(),
            more_errors,
        };
        // Serialising plain strings and numbers cannot fail; fall back to a fixed body anyway.
        let body = serde_json::to_string(&problem)
            .unwrap_or_else(|_| format!(r#"{{"type":"{type_}","title":"{title}","status":{}}}"#, status.as_u16()));
        let mut builder = Response::builder().status(status).header("content-type", PROBLEM_JSON);
        match &self {
            ApiError::MethodNotAllowed { allow } => builder = builder.header("allow", allow.as_str()),
            ApiError::Unavailable => builder = builder.header("retry-after", RETRY_AFTER_SECONDS),
            // RFC 6750 section 3.
            ApiError::Unauthorized(_) => builder = builder.header("www-authenticate", "Bearer"),
            ApiError::Forbidden(_) => {
                builder = builder.header("www-authenticate", r#"Bearer error="insufficient_scope""#)
            }
            _ => {}
        }
        builder.body(Body::from(body)).unwrap_or_else(|_| {
            let mut r = Response::new(Body::Empty);
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        match e {
            ValidationError::Fields(errors) => ApiError::Validation(errors),
            ValidationError::Malformed(detail) => ApiError::Malformed(detail),
        }
    }
}

/// The single place store failures become API errors (and internal causes reach the log).
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(id) => ApiError::not_found(&id),
            StoreError::Conflict(d) => ApiError::Conflict(d),
            StoreError::PreconditionFailed(id) => ApiError::PreconditionFailed(format!(
                "certification '{id}' has changed since the ETag in If-Match was read; GET it again"
            )),
            StoreError::Invalid { field, message } => ApiError::Validation(vec![FieldError::new(field, message)]),
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "DynamoDB unavailable or throttled");
                ApiError::Unavailable
            }
            StoreError::Corrupt(cause) => {
                tracing::error!(error = %cause, "malformed item in the table");
                ApiError::Internal
            }
            StoreError::Internal(cause) => {
                tracing::error!(error = %cause, "DynamoDB request failed");
                ApiError::Internal
            }
        }
    }
}

#[cfg(test)]
#[path = "problem_tests.rs"]
mod tests;
