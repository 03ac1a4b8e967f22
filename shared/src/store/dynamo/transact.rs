//! TransactWriteItems with the outcome callers need: applied, or cancelled by one part's own
//! condition (with the item as it was, when the part asked for
//! `ReturnValuesOnConditionCheckFailure`).
//!
//! Count items are written by many transactions at once; on DynamoDB two transactions on one
//! item at the same moment cancel one of them with reason `TransactionConflict` (emulators
//! never do; tests inject it). A cancellation only for that reason (or a part's throttling)
//! is retried with a fresh build (new random count shards) a bounded number of times, after a
//! random wait (exponential backoff with full jitter, [`crate::store::backoff`]: at most 2.26 s
//! over the 7 retries), then answered as [`StoreError::Unavailable`] (a 503 with `Retry-After`).
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use crate::store::dynamo::attrs::Item;
use crate::store::dynamo::error::{classify, StoreError};
use crate::store::dynamo::handle::Store;

/// Attempts of one transaction that keeps being cancelled by `TransactionConflict`. A conflict
/// needs two writers on one count shard within a transaction's lifetime; each attempt draws
/// fresh shards, so eight make a run of them rare short of overload (the model, with figures,
/// is in `docs/data-model.md`, "Write ceiling"). The SDK does not retry a conflict itself.
pub const MAX_TRANSACTION_ATTEMPTS: usize = 8;

pub(crate) const TRANSACTION_CONFLICT: &str = "TransactionConflict";
/// Cancellation reasons that pass by themselves: a racing transaction, or a part throttled
/// (a hot item; the SDK retries throttled requests, but a cancelled transaction's per-part
/// throttling is only in its reasons). Retried; past the attempts, a 503 (never a 500).
const RETRIED: [&str; 3] = [TRANSACTION_CONFLICT, "ThrottlingError", "ProvisionedThroughputExceeded"];
const CONDITIONAL_CHECK_FAILED: &str = "ConditionalCheckFailed";

/// How a transaction ended. Any other cancellation (not a part's own condition, not retried
/// away) is [`StoreError::Internal`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Transacted {
    Applied,
    /// Nothing was written: the condition of part `part` (the first, in request order, whose
    /// own condition failed) did not hold; `item` is that item as it was, when the part asked
    /// for it (`ReturnValuesOnConditionCheckFailure`) and it existed.
    ConditionFailed {
        part: usize,
        item: Option<Item>,
    },
}

impl Store {
    /// Sends the transaction `build` makes (the SDK's own retries cover throttled requests and
    /// transport), rebuilding and resending it while it is cancelled only by conflicts or
    /// per-part throttling.
    pub(crate) async fn transact(
        &self,
        build: impl Fn() -> Result<Vec<TransactWriteItem>, StoreError>,
    ) -> Result<Transacted, StoreError> {
        for attempt in 0..MAX_TRANSACTION_ATTEMPTS {
            if attempt > 0 {
                // Exponential backoff with full jitter (`dynamo/backoff.rs`): at most 2.26 s in all.
                self.backoff.pause(attempt as u32 - 1).await;
            }
            let r = self.client.transact_write_items().set_transact_items(Some(build()?)).send().await;
            let err = match r {
                Ok(_) => return Ok(Transacted::Applied),
                Err(e) => e,
            };
            let parts: Vec<(String, Option<Item>)> = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => c
                    .cancellation_reasons()
                    .iter()
                    .map(|r| (r.code().unwrap_or("None").to_owned(), r.item().cloned()))
                    .collect(),
                _ => return Err(classify(err)),
            };
            if let Some(part) = parts.iter().position(|p| p.0 == CONDITIONAL_CHECK_FAILED) {
                return Ok(Transacted::ConditionFailed { part, item: parts.into_iter().nth(part).and_then(|p| p.1) });
            }
            let codes: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
            let passing = |code: &str| RETRIED.contains(&code);
            let only_passing =
                parts.iter().any(|p| passing(&p.0)) && parts.iter().all(|p| passing(&p.0) || p.0 == "None");
            if !only_passing {
                return Err(StoreError::Internal(format!("transaction cancelled: {codes:?}")));
            }
            tracing::info!(?codes, "transaction cancelled by a conflict or throttling; retrying");
        }
        Err(StoreError::Unavailable(format!("transaction still conflicting after {MAX_TRANSACTION_ATTEMPTS} attempts")))
    }
}
