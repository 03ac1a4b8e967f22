//! Single-record requests: create, get, delete. The writes are conditional, so a racing
//! request can neither overwrite nor resurrect a record, and each is one TransactWriteItems
//! with its count updates (`store::counts`), so totals never drift from the items.
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use tracing::instrument;

use super::counts::Deltas;
use super::error::{built, classify, StoreError};
use super::handle::Store;
use super::item::{from_item, s, stored_item};
use super::table::attr;
use super::transact::Transacted;
use super::version::{self, IfMatch, VERSION_NAME};
use crate::domain::Certification;

/// Rounds of read-then-conditional-delete when concurrent writes keep changing the record.
const MAX_DELETE_ATTEMPTS: usize = 8;

impl Store {
    /// One transaction: the Put, conditional on the id being new, and its count updates.
    #[instrument(skip(self, c), fields(id = %c.id))]
    pub async fn create(&self, c: &Certification) -> Result<(), StoreError> {
        // Without extra parts the only failed condition is the id's: a Conflict.
        self.create_with(c, Vec::new()).await.map(|_| ())
    }

    /// Creates `c` with `extra` parts and its count updates in one TransactWriteItems: all
    /// are written or none. Part 0 is the certification (a colliding id:
    /// [`StoreError::Conflict`]), `extra` follow from part 1, the count updates last; the
    /// result says which part's condition failed, if any.
    #[instrument(skip(self, c, extra), fields(id = %c.id))]
    pub(crate) async fn create_with(
        &self,
        c: &Certification,
        extra: Vec<TransactWriteItem>,
    ) -> Result<Transacted, StoreError> {
        match self.transact(|| self.create_parts(c, &extra)).await? {
            Transacted::ConditionFailed { part: 0, .. } => {
                Err(StoreError::Conflict(format!("a certification with id '{}' already exists", c.id)))
            }
            outcome => Ok(outcome),
        }
    }

    fn create_parts(
        &self,
        c: &Certification,
        extra: &[TransactWriteItem],
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(stored_item(c)?))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", attr::ID);
        let mut parts = vec![TransactWriteItem::builder().put(built("the certification's Put", put.build())?).build()];
        parts.extend(extra.iter().cloned());
        parts.extend(self.count_updates(&Deltas::created(c))?);
        Ok(parts)
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

    /// Deletes and returns the record.
    pub async fn delete(&self, id: &str) -> Result<Certification, StoreError> {
        self.delete_if(id, None).await
    }

    /// Deletes and returns the record, if `if_match` matches its version: a strongly
    /// consistent read (the counts to decrement depend on its status and type, and the tag
    /// is judged against it: a stale one is [`StoreError::PreconditionFailed`]), then one
    /// transaction of the Delete, conditional on the version read (every change of status or
    /// type bumps it), and the count updates. Read again when a write came between.
    #[instrument(skip(self))]
    pub async fn delete_if(&self, id: &str, if_match: Option<&IfMatch>) -> Result<Certification, StoreError> {
        for _ in 0..MAX_DELETE_ATTEMPTS {
            let Some(old) = self.get(id).await? else { return Err(StoreError::NotFound(id.to_owned())) };
            version::precondition(if_match, id, old.version)?;
            let parts = || {
                let (seen, value) = version::is_exactly(old.version, "seen");
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .key(attr::ID, s(id))
                    .condition_expression(format!("attribute_exists(#id) AND {seen}"))
                    .expression_attribute_names("#id", attr::ID)
                    .expression_attribute_names(VERSION_NAME, attr::VERSION)
                    .set_expression_attribute_values(value.map(|v| [v].into()));
                let mut parts = vec![TransactWriteItem::builder().delete(built("the Delete", delete.build())?).build()];
                parts.extend(self.count_updates(&Deltas::deleted(&old))?);
                Ok(parts)
            };
            match self.transact(parts).await? {
                Transacted::Applied => return Ok(old),
                Transacted::ConditionFailed { .. } => continue,
            }
        }
        Err(StoreError::Unavailable(format!("delete of {id} kept racing concurrent writers")))
    }
}
