//! Attribute-value helpers and the encoding of a certification as an item (kept apart from
//! the requests, which live in the files named after what they do).
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::table::{attr, ACTIVE_PK_VALUE, KIND_CERTIFICATION};
use crate::domain::{timestamp, Certification, Status};

pub type Item = HashMap<String, AttributeValue>;

/// A string attribute value.
pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A timestamp attribute value, in the one stored format.
pub(crate) fn ts(t: DateTime<Utc>) -> AttributeValue {
    AttributeValue::S(timestamp::format(&t))
}

/// A number attribute value.
pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A status attribute value.
pub(crate) fn status(st: Status) -> AttributeValue {
    s(st.as_str())
}

/// The item [`Store::create`](super::Store::create) writes for `c`: the record plus its index
/// attributes. Also for seeding large tables with BatchWriteItem (the scan benchmark); the
/// service itself writes only through the conditional requests of the store.
pub fn stored_item(c: &Certification) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(c).map_err(|e| StoreError::Internal(format!("encode {}: {e}", c.id)))?;
    item.insert(attr::KIND.into(), s(KIND_CERTIFICATION));
    if c.status == Status::Active {
        item.insert(attr::ACTIVE_PK.into(), s(ACTIVE_PK_VALUE));
    }
    Ok(item)
}

/// Decodes a stored item; one that does not decode is [`StoreError::Corrupt`].
pub fn from_item(item: Item) -> Result<Certification, StoreError> {
    let id = match item.get(attr::ID) {
        Some(AttributeValue::S(id)) => id.clone(),
        _ => "<no id>".into(),
    };
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(format!("item {id}: {e}")))
}
