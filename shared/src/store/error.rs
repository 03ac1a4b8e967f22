//! What the store reports, and the one place SDK errors are classified: retryable (503 with
//! `Retry-After` at the HTTP edge), a failed condition, or an internal fault.
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::validation::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("certification {0} not found")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` named none of the record's current version (the record exists).
    #[error("certification {0} has changed")]
    PreconditionFailed(String),
    /// The change would leave the stored record invalid.
    #[error("invalid change")]
    Invalid(Vec<FieldError>),
    /// Throttled or unreachable after the SDK's own retries.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// An item that does not decode as a certification.
    #[error("corrupt item: {0}")]
    Corrupt(String),
    #[error("internal: {0}")]
    Internal(String),
}

/// Error codes DynamoDB uses for load and transient faults: worth a 503 and a retry.
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "InternalServerError",
    "ServiceUnavailable",
    // A single-item write that met a transaction in progress on the same item (a count item).
    "TransactionConflictException",
];

const CONDITIONAL_CHECK_FAILED: &str = "ConditionalCheckFailedException";

pub(crate) fn classify<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = DisplayErrorContext(&e).to_string();
    match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => StoreError::Unavailable(text),
        SdkError::ServiceError(s) if s.err().code().is_some_and(|c| RETRYABLE_CODES.contains(&c)) => {
            StoreError::Unavailable(text)
        }
        _ => StoreError::Internal(text),
    }
}

/// A request the SDK's builder refused (a required field left out): a bug here, so internal.
/// `what` names the request in the message.
pub(crate) fn built<T>(what: &str, r: Result<T, aws_sdk_dynamodb::error::BuildError>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Internal(format!("build {what}: {e}")))
}

/// The result of a conditional write: `Ok(Some(output))` when it was applied, `Ok(None)`
/// when its condition failed (the caller says what that means), any other failure classified.
pub(crate) fn unless_condition_failed<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<Option<T>, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(out) => Ok(Some(out)),
        Err(e) if e.as_service_error().and_then(ProvideErrorMetadata::code) == Some(CONDITIONAL_CHECK_FAILED) => {
            Ok(None)
        }
        Err(e) => Err(classify(e)),
    }
}
