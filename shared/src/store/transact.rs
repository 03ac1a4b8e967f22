//! TransactWriteItems with the outcomes the store distinguishes: applied, a condition failed
//! (with the item as it was, when asked for), or retried on `TransactionConflict`.
//!
//! A count item is written by many transactions at once; on DynamoDB two transactions on one
//! item at the same moment cancel one of them with reason `TransactionConflict` (emulators
//! never do). That is retried with a fresh build (new random count shards) a bounded number of
//! times, then answered as [`StoreError::Unavailable`] (503 with `Retry-After`).
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use super::error::{classify, StoreError};
use super::handle::Store;
use super::item::Item;

/// Attempts of one transaction that keeps being cancelled by `TransactionConflict`. With 16
/// count shards a conflict needs two writers on one shard within a transaction's lifetime;
/// eight fresh draws make a repeat run of them vanishingly rare short of overload.
pub(crate) const MAX_TRANSACTION_ATTEMPTS: usize = 8;

#[derive(Debug)]
pub(crate) enum TxOutcome {
    Applied,
    /// The condition of a part failed; `item` is that item before, when the part asked for
    /// `ReturnValuesOnConditionCheckFailure` and it existed. (Only the first part of a
    /// transaction has a condition; count updates have none.)
    ConditionFailed {
        item: Option<Item>,
    },
}

impl Store {
    /// Runs the transaction `build` makes, rebuilding it for each retry after a conflict.
    pub(crate) async fn transact(
        &self,
        build: impl Fn() -> Result<Vec<TransactWriteItem>, StoreError>,
    ) -> Result<TxOutcome, StoreError> {
        for _ in 0..MAX_TRANSACTION_ATTEMPTS {
            let r = self.client.transact_write_items().set_transact_items(Some(build()?)).send().await;
            let err = match r {
                Ok(_) => return Ok(TxOutcome::Applied),
                Err(e) => e,
            };
            let reasons = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => c.cancellation_reasons().to_vec(),
                _ => return Err(classify(err)),
            };
            let code = |r: &aws_sdk_dynamodb::types::CancellationReason| r.code().unwrap_or_default().to_owned();
            if let Some(index) = reasons.iter().position(|r| code(r) == "ConditionalCheckFailed") {
                return Ok(TxOutcome::ConditionFailed { item: reasons[index].item().cloned() });
            }
            if !reasons.iter().any(|r| code(r) == "TransactionConflict") {
                return Err(classify(err));
            }
            tracing::info!("transaction cancelled by a conflicting one; retrying");
        }
        Err(StoreError::Unavailable("a write kept conflicting with concurrent writes".into()))
    }
}
