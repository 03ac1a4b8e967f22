//! Single-record requests: create, get, delete. The writes are conditional, so a racing
//! request can neither overwrite nor resurrect a record, and each is one TransactWriteItems
//! with its count updates (`store::counts`), so totals never drift from the items.
use aws_sdk_dynamodb::types::{Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use tracing::instrument;

use super::counts::Deltas;
use super::error::{classify, StoreError};
use super::handle::Store;
use super::item::{from_item, s, status, stored_item};
use super::table::attr;
use super::transact::TxOutcome;
use crate::domain::Certification;

/// Rounds of read-then-conditional-delete when concurrent writes keep changing the record.
const MAX_DELETE_ATTEMPTS: usize = 8;

fn built<T>(r: Result<T, aws_sdk_dynamodb::error::BuildError>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Internal(format!("build a request: {e}")))
}

impl Store {
    /// The create transaction: the conditional Put (id new), then its count updates.
    fn create_parts(&self, c: &Certification) -> Result<Vec<TransactWriteItem>, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(stored_item(c)?))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", attr::ID);
        let mut parts = vec![TransactWriteItem::builder().put(built(put.build())?).build()];
        parts.extend(self.count_updates(&Deltas::created(c))?);
        Ok(parts)
    }

    /// One transaction: the Put, conditional on the id being new, and the count updates.
    #[instrument(skip(self, c), fields(id = %c.id))]
    pub async fn create(&self, c: &Certification) -> Result<(), StoreError> {
        match self.transact(|| self.create_parts(c)).await? {
            TxOutcome::Applied => Ok(()),
            TxOutcome::ConditionFailed { .. } => {
                Err(StoreError::Conflict(format!("a certification with id '{}' already exists", c.id)))
            }
        }
    }

    /// GetItem (strongly consistent, so a client reads its own writes).
    #[instrument(skip(self))]
    pub async fn get(&self, id: &str) -> Result<Option<Certification>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(attr::ID, s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        out.item.map(from_item).transpose()
    }

    /// Deletes and returns the record: a strongly consistent read (the counts to decrement
    /// depend on its status and type), then one transaction of the Delete, conditional on
    /// the status and type read, and the count updates. Re-read when a write came between.
    #[instrument(skip(self))]
    pub async fn delete(&self, id: &str) -> Result<Certification, StoreError> {
        for _ in 0..MAX_DELETE_ATTEMPTS {
            let Some(old) = self.get(id).await? else { return Err(StoreError::NotFound(id.to_owned())) };
            let parts = || {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .key(attr::ID, s(id))
                    .condition_expression("#st = :st AND #ct = :ct")
                    .expression_attribute_names("#st", attr::STATUS)
                    .expression_attribute_names("#ct", attr::CERT_TYPE)
                    .expression_attribute_values(":st", status(old.status))
                    .expression_attribute_values(":ct", s(&old.cert_type))
                    .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
                let mut parts = vec![TransactWriteItem::builder().delete(built(delete.build())?).build()];
                parts.extend(self.count_updates(&Deltas::deleted(&old))?);
                Ok(parts)
            };
            match self.transact(parts).await? {
                TxOutcome::Applied => return Ok(old),
                TxOutcome::ConditionFailed { .. } => continue,
            }
        }
        Err(StoreError::Unavailable(format!("delete of {id} kept racing concurrent writers")))
    }
}
