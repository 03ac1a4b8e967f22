//! Single-record requests: create, get, delete. Each is one request; the writes are
//! conditional, so a racing request can neither overwrite nor resurrect a record.
use aws_sdk_dynamodb::types::ReturnValue;
use tracing::instrument;

use super::error::{classify, unless_condition_failed, StoreError};
use super::handle::Store;
use super::item::{from_item, s, stored_item};
use super::table::attr;
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
}
