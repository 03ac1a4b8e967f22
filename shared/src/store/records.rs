//! Single-record requests: create, get, delete. Each is one request; the writes are
//! conditional, so a racing request can neither overwrite nor resurrect a record.
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::types::{Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use tracing::instrument;

use super::error::{classify, unless_condition_failed, StoreError};
use super::handle::Store;
use super::item::{from_item, s, stored_item};
use super::table::attr;
use super::transact::Transacted;
use super::version::{self, IfMatch};
use crate::domain::Certification;

impl Store {
    /// PutItem, conditional on the id being new.
    #[instrument(skip(self, c), fields(id = %c.id))]
    pub async fn create(&self, c: &Certification) -> Result<(), StoreError> {
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(stored_item(c)?))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", attr::ID)
            .send()
            .await;
        match unless_condition_failed(r)? {
            Some(_) => Ok(()),
            None => Err(StoreError::Conflict(format!("a certification with id '{}' already exists", c.id))),
        }
    }

    /// The certification's Put as the first part of a create transaction, conditional on
    /// the id being new. Other concerns append their parts after it
    /// ([`Store::create_with`]).
    pub(crate) fn certification_put(&self, c: &Certification) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(stored_item(c)?))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", attr::ID)
            .build()
            .map_err(|e| StoreError::Internal(format!("build the Put of {}: {e}", c.id)))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Creates `c` together with `extra` parts in one TransactWriteItems: all are written or
    /// none. The result says which part's condition failed, if any (part 0 is the
    /// certification, a colliding id: [`StoreError::Conflict`]).
    #[instrument(skip(self, c, extra), fields(id = %c.id))]
    pub(crate) async fn create_with(
        &self,
        c: &Certification,
        extra: Vec<TransactWriteItem>,
    ) -> Result<Transacted, StoreError> {
        let mut parts = vec![self.certification_put(c)?];
        parts.extend(extra);
        let outcome = self.transact(parts).await?;
        if outcome.condition_failed(0) {
            return Err(StoreError::Conflict(format!("a certification with id '{}' already exists", c.id)));
        }
        Ok(outcome)
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

    /// DeleteItem, conditional on existence; returns the removed record.
    #[instrument(skip(self))]
    pub async fn delete(&self, id: &str) -> Result<Certification, StoreError> {
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(attr::ID, s(id))
            .condition_expression("attribute_exists(#id)")
            .expression_attribute_names("#id", attr::ID)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match unless_condition_failed(r)?.map(|out| out.attributes) {
            Some(Some(old)) => from_item(old),
            Some(None) => Err(StoreError::Internal(format!("delete of {id} returned no attributes"))),
            None => Err(StoreError::NotFound(id.to_owned())),
        }
    }

    /// DeleteItem, conditional on existence and on `if_match` (checked by the same
    /// condition): a stale tag is [`StoreError::PreconditionFailed`], a missing record
    /// [`StoreError::NotFound`].
    #[instrument(skip(self))]
    pub async fn delete_if(&self, id: &str, if_match: Option<&IfMatch>) -> Result<Certification, StoreError> {
        let Some((matches, values)) = if_match.and_then(version::condition) else { return self.delete(id).await };
        let (ver, ver_attr) = version::name();
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(attr::ID, s(id))
            .condition_expression(format!("attribute_exists(#id) AND {matches}"))
            .expression_attribute_names("#id", attr::ID)
            .expression_attribute_names(ver, ver_attr)
            .set_expression_attribute_values(Some(values.into_iter().collect()))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match r {
            Ok(out) => match out.attributes {
                Some(old) => from_item(old),
                None => Err(StoreError::Internal(format!("delete of {id} returned no attributes"))),
            },
            Err(e) => match e.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(cc)) => match cc.item() {
                    Some(_) => Err(StoreError::PreconditionFailed(id.to_owned())),
                    None => Err(StoreError::NotFound(id.to_owned())),
                },
                _ => Err(classify(e)),
            },
        }
    }
}
