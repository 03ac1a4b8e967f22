//! What the store reports, and the one place SDK errors are classified: retryable (503 with
//! `Retry-After` at the HTTP edge), a failed condition, or an internal fault.
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::domain::lifecycle::DomainError;

/// What a store request ends with when it does not succeed; `http::problem` maps each to one
/// problem type.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No certification with this id (a 404).
    #[error("certification {0} not found")]
    NotFound(String),
    /// A lifecycle rule or a taken id refuses the change; the text says which (a 409).
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` named none of the record's current version (the record exists).
    #[error("certification {0} has changed")]
    PreconditionFailed(String),
    /// The change would leave the stored record invalid (`domain::lifecycle`): a 400 on `field`.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The request field the rule is about (`issued_at` or `expires_at`).
        field: &'static str,
        /// What the field must be, in words.
        message: String,
    },
    /// Throttled or unreachable after the SDK's own retries.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// An item that does not decode as a certification.
    #[error("corrupt item: {0}")]
    Corrupt(String),
    /// A request the SDK refused or a fault on our side: logged, answered as a 500.
    #[error("internal: {0}")]
    Internal(String),
}

impl StoreError {
    /// A lifecycle rule's refusal of a change to record `id`, as the callers see it: missing
    /// (404), a rule (409 with the rule in words) or a field (400). The planner's requests of
    /// the store (`ReadFirst`) and the scan's `NotDue` are handled where they arise; reaching
    /// here they are a bug.
    pub(crate) fn rejected(id: &str, e: DomainError) -> Self {
        match e {
            DomainError::NotFound => StoreError::NotFound(id.to_owned()),
            DomainError::AlreadyExists => StoreError::Conflict(format!("a certification with id '{id}' already exists")),
            DomainError::Revoked => StoreError::Conflict(format!("certification '{id}' is revoked; revocation is final")),
            DomainError::PastExpiry => StoreError::Conflict(format!(
                "certification '{id}' has passed its expires_at; renew it with a later expires_at instead of setting it active"
            )),
            DomainError::Invalid { field, message } => StoreError::Invalid { field, message },
            e @ (DomainError::ReadFirst | DomainError::NotDue) => {
                StoreError::Internal(format!("planning {id} ended with {e:?}"))
            }
        }
    }
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
