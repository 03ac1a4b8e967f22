//! The encoding of a certification as an item: the record plus its index attributes, the
//! sort and shard keys they are made of, and the decoding back (the requests live elsewhere).
use chrono::{DateTime, Utc};

use crate::domain::{timestamp, Certification, Status};
use crate::store::dynamo::attrs::{get_s, s, Item};
use crate::store::dynamo::error::StoreError;
use crate::store::schema::table::{attr, list_shard};

/// The item [`Store::create`](crate::store::Store::create) writes for `c`: the record plus its index
/// attributes. Also for seeding large tables with BatchWriteItem (the benchmarks); the
/// service itself writes only through the conditional requests of the store.
pub fn stored_item(c: &Certification) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(c).map_err(|e| StoreError::Internal(format!("encode {}: {e}", c.id)))?;
    item.extend(index_attributes(c));
    Ok(item)
}

/// Every index attribute of `c` (the table in [`crate::store::table`]), derived from the record alone:
/// `migrate` sets exactly these on items an older version wrote.
pub fn index_attributes(c: &Certification) -> Item {
    let mut item = Item::from([
        (attr::CREATED_KEY.into(), s(sort_key(c.created_at, &c.id))),
        (attr::EXPIRY_KEY.into(), s(sort_key(c.expires_at, &c.id))),
        (attr::ALL_PK.into(), s(sharded("all", &c.id))),
        (attr::TYPE_PK.into(), s(sharded(&c.cert_type, &c.id))),
        (attr::STATUS_PK.into(), s(sharded(c.status.as_str(), &c.id))),
        (attr::TYPE_STATUS_PK.into(), s(type_status_pk(&c.cert_type, c.status, &c.id))),
        (attr::MENTOR_TYPE_PK.into(), s(mentor_type_pk(&c.mentor_id, &c.cert_type))),
        (attr::MENTOR_STATUS_PK.into(), s(mentor_status_pk(&c.mentor_id, c.status))),
        (attr::MENTOR_TYPE_STATUS_PK.into(), s(mentor_type_status_pk(&c.mentor_id, &c.cert_type, c.status))),
    ]);
    if c.status == Status::Active {
        item.insert(attr::ACTIVE_PK.into(), s(active_pk(&c.id)));
    }
    item
}

/// A sort key that orders by time, then by id: `<time>#<id>`. Timestamps are fixed-width UTC
/// text, and `#` sorts below every id character, so lexical order is (time, id) order.
pub fn sort_key(t: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", timestamp::format(&t))
}

/// `<value>#<list shard of id>`: a sharded list partition.
pub(crate) fn sharded(value: &str, id: &str) -> String {
    shard_value(value, list_shard(id))
}

pub(crate) fn shard_value(value: &str, shard: u32) -> String {
    format!("{value}#{shard}")
}

pub(crate) fn type_status_pk(cert_type: &str, st: Status, id: &str) -> String {
    sharded(&format!("{cert_type}#{}", st.as_str()), id)
}

/// `<mentor_id>#<cert_type>`: the `mentor-type-by-created` partition (unsharded; neither part
/// can hold a `#`, see [`crate::store::table::BY_MENTOR_TYPE`]).
pub(crate) fn mentor_type_pk(mentor_id: &str, cert_type: &str) -> String {
    format!("{mentor_id}#{cert_type}")
}

/// `<mentor_id>#<stored status>`: the `mentor-status-by-created` partition.
pub(crate) fn mentor_status_pk(mentor_id: &str, st: Status) -> String {
    format!("{mentor_id}#{}", st.as_str())
}

/// `<mentor_id>#<cert_type>#<stored status>`: the `mentor-type-status-by-created` partition.
pub(crate) fn mentor_type_status_pk(mentor_id: &str, cert_type: &str, st: Status) -> String {
    format!("{mentor_id}#{cert_type}#{}", st.as_str())
}

pub(crate) fn active_pk(id: &str) -> String {
    sharded(Status::Active.as_str(), id)
}

/// Decodes a stored item; one that does not decode is [`StoreError::Corrupt`].
pub fn from_item(item: Item) -> Result<Certification, StoreError> {
    let id = get_s(&item, attr::ID).unwrap_or("<no id>").to_owned();
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(format!("item {id}: {e}")))
}
