//! TransactWriteItems with the outcome each part needs: applied, or cancelled with the
//! reason of each part (in request order). A cancellation only because another transaction
//! touched the same items (`TransactionConflict`) is retried a bounded number of times; past
//! that the caller gets [`StoreError::Unavailable`] (a 503 with `Retry-After`).
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use super::error::{classify, StoreError};
use super::handle::Store;

/// Attempts of one transaction while it keeps meeting `TransactionConflict`. A conflict
/// means another writer's transaction held one of the items for its few milliseconds; the
/// SDK does not retry it itself. Emulators never raise it (tests inject it).
pub(crate) const MAX_TRANSACTION_ATTEMPTS: usize = 4;

pub(crate) const TRANSACTION_CONFLICT: &str = "TransactionConflict";
pub(crate) const CONDITIONAL_CHECK_FAILED: &str = "ConditionalCheckFailed";

/// How a transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transacted {
    Applied,
    /// Nothing was written; one reason code per part (`"None"` for the parts that were fine).
    Cancelled(Vec<String>),
}

impl Transacted {
    /// Whether part `i` was cancelled by its own condition.
    pub(crate) fn condition_failed(&self, i: usize) -> bool {
        matches!(self, Transacted::Cancelled(codes) if codes.get(i).map(String::as_str) == Some(CONDITIONAL_CHECK_FAILED))
    }
}

impl Store {
    /// Sends `parts` as one transaction (the SDK's own retries cover throttling and
    /// transport), retrying while it is cancelled only by conflicts.
    pub(crate) async fn transact(&self, parts: Vec<TransactWriteItem>) -> Result<Transacted, StoreError> {
        for _ in 0..MAX_TRANSACTION_ATTEMPTS {
            let r = self.client.transact_write_items().set_transact_items(Some(parts.clone())).send().await;
            let err = match r {
                Ok(_) => return Ok(Transacted::Applied),
                Err(e) => e,
            };
            let codes: Vec<String> = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
                    c.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None").to_owned()).collect()
                }
                _ => return Err(classify(err)),
            };
            let conflict_only = codes.iter().any(|c| c == TRANSACTION_CONFLICT)
                && codes.iter().all(|c| c == TRANSACTION_CONFLICT || c == "None");
            if !conflict_only {
                return Ok(Transacted::Cancelled(codes));
            }
            tracing::info!(?codes, "transaction conflict; retrying");
        }
        Err(StoreError::Unavailable(format!("transaction still conflicting after {MAX_TRANSACTION_ATTEMPTS} attempts")))
    }
}
