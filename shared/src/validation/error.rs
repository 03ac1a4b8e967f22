//! What validation reports: every bad field at once, or a body that is not a JSON object.
//! The HTTP layer turns it into a 400 problem (`http::problem`).
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

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
