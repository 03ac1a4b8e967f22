//! What validation reports: every bad field at once, or a body that is not a JSON object.
//! The HTTP layer turns it into a 400 problem (`http::problem`).
use serde::Serialize;

/// One bad input, as listed in a 400 problem's `errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The body field, query parameter or header at fault (`body` for an empty PUT body).
    pub field: String,
    /// What is wrong with it, as the client reads it: `must be later than issued_at`.
    pub message: String,
}

impl FieldError {
    /// The error `message` on `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Why input was refused (a 400 either way): bad fields, or a body that is not a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// One entry per bad field.
    #[error("validation failed")]
    Fields(Vec<FieldError>),
    /// The body is not JSON, or not a JSON object.
    #[error("malformed request: {0}")]
    Malformed(String),
}

impl ValidationError {
    /// `Ok` when nothing was reported, else every reported field: how a parse that collects
    /// errors (a body, a query string) finishes.
    pub fn unless_any(errors: Vec<FieldError>) -> Result<(), ValidationError> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationError::Fields(errors))
        }
    }
}
