//! Single-record requests: create, get, delete. Each write is planned by `domain::lifecycle`
//! and is one TransactWriteItems of the record's write, conditional on the plan's guards (so a
//! racing request can neither overwrite nor resurrect a record), and its count updates
//! (`store::counts`), so totals never drift from the items.
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use tracing::instrument;

use crate::domain::lifecycle::{plan, Change, Stored};
use crate::domain::Certification;
use crate::store::dynamo::attrs::s;
use crate::store::dynamo::error::{built, classify, StoreError};
use crate::store::dynamo::expr::{Expr, WithExpr};
use crate::store::dynamo::handle::Store;
use crate::store::dynamo::transact::Transacted;
use crate::store::schema::item::{from_item, stored_item};
use crate::store::schema::table::attr;
use crate::store::write::transition::{deltas, guard};
use crate::store::write::version::{self, IfMatch};

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
        // Not read: the guard (no record with this id) is checked by the Put itself.
        let t = plan(Stored::Unread, Change::Create(c)).map_err(|e| StoreError::rejected(&c.id, e))?;
        let mut e = Expr::new();
        guard(&mut e, &t.guards);
        // The plan may store it otherwise than asked (`expired`, when already past).
        let mut stored = c.clone();
        stored.status = t.fields.status.unwrap_or(c.status);
        let put = Put::builder().table_name(&self.table).set_item(Some(stored_item(&stored)?)).with_expr(&e)?;
        let mut parts = vec![TransactWriteItem::builder().put(built("the certification's Put", put.build())?).build()];
        parts.extend(extra.iter().cloned());
        parts.extend(self.count_updates(&deltas(&t))?);
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
            let t = plan(Stored::Found(&old), Change::Delete).map_err(|e| StoreError::rejected(id, e))?;
            let parts = || {
                let mut e = Expr::new();
                guard(&mut e, &t.guards);
                let delete = Delete::builder().table_name(&self.table).key(attr::ID, s(id)).with_expr(&e)?;
                let mut parts = vec![TransactWriteItem::builder().delete(built("the Delete", delete.build())?).build()];
                parts.extend(self.count_updates(&deltas(&t))?);
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
