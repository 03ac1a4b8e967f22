//! `Idempotency-Key` records: the key, a fingerprint of the request body and the response
//! the first request got, written in the same TransactWriteItems as the certification, so
//! there is never one without the other.
//!
//! The record lives in the certifications table (see `store::table`): `id` is
//! `idempotency#<key>`, and it has none of the index attributes, so no list, count or scan
//! reads it. `purge_at` (epoch seconds) is the table's TTL attribute; DynamoDB deletes late
//! (typically within days), so a record past it is treated as absent when read and may be
//! overwritten by a new first request.
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use tracing::instrument;

use crate::domain::Certification;
use crate::store::dynamo::attrs::{get_n, get_s, n, s, Item};
use crate::store::dynamo::error::{built, classify, StoreError};
use crate::store::dynamo::expr::{Expr, WithExpr};
use crate::store::dynamo::handle::Store;
use crate::store::dynamo::transact::Transacted;
use crate::store::schema::table::attr;

/// The `id` prefix of key records; `#` is in no certification id.
pub const KEY_RECORD_PREFIX: &str = "idempotency#";

/// The attributes of a key record (and nothing else: no index attribute).
mod field {
    pub const FINGERPRINT: &str = "fingerprint";
    pub const CERTIFICATION_ID: &str = "certification_id";
    pub const STATUS: &str = "response_status";
    pub const BODY: &str = "response_body";
    pub const LOCATION: &str = "response_location";
    pub const ETAG: &str = "response_etag";
}

/// The response a first request got, as a retry gets it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body, as sent.
    pub body: String,
    /// The `Location` header, if any.
    pub location: Option<String>,
    /// The `ETag` header, if any.
    pub etag: Option<String>,
}

/// A key record: what the first request sent (its fingerprint) and got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// SHA-256 (hex) of the canonical request body.
    pub fingerprint: String,
    /// The certification the first request created.
    pub certification_id: String,
    /// The response the first request got.
    pub response: StoredResponse,
    /// When the record stops counting (epoch seconds).
    pub purge_at: i64,
}

/// How an idempotent create ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyedCreate {
    /// The certification and its key record were written.
    Created,
    /// Another request holds the key (a live record exists): nothing was written. Read it
    /// with [`Store::key_record`].
    KeyTaken,
}

fn key_id(key: &str) -> String {
    format!("{KEY_RECORD_PREFIX}{key}")
}

impl KeyRecord {
    fn to_item(&self, key: &str) -> Item {
        let mut item = Item::new();
        item.insert(attr::ID.into(), s(key_id(key)));
        item.insert(field::FINGERPRINT.into(), s(&self.fingerprint));
        item.insert(field::CERTIFICATION_ID.into(), s(&self.certification_id));
        item.insert(field::STATUS.into(), n(self.response.status));
        item.insert(field::BODY.into(), s(&self.response.body));
        if let Some(l) = &self.response.location {
            item.insert(field::LOCATION.into(), s(l));
        }
        if let Some(e) = &self.response.etag {
            item.insert(field::ETAG.into(), s(e));
        }
        item.insert(attr::PURGE_AT.into(), n(self.purge_at));
        item
    }

    fn from_item(item: &Item) -> Result<Self, StoreError> {
        let id = get_s(item, attr::ID).unwrap_or("<no id>");
        let corrupt = || StoreError::Corrupt(format!("idempotency record {id}"));
        Ok(Self {
            fingerprint: get_s(item, field::FINGERPRINT).ok_or_else(corrupt)?.to_owned(),
            certification_id: get_s(item, field::CERTIFICATION_ID).ok_or_else(corrupt)?.to_owned(),
            response: StoredResponse {
                status: get_n(item, field::STATUS).ok_or_else(corrupt)?,
                body: get_s(item, field::BODY).ok_or_else(corrupt)?.to_owned(),
                location: get_s(item, field::LOCATION).map(str::to_owned),
                etag: get_s(item, field::ETAG).map(str::to_owned),
            },
            purge_at: get_n(item, attr::PURGE_AT).ok_or_else(corrupt)?,
        })
    }
}

impl Store {
    /// The live record of `key` (strongly consistent); one past its `purge_at` is absent.
    #[instrument(skip(self, key, now))]
    pub async fn key_record(&self, key: &str, now: DateTime<Utc>) -> Result<Option<KeyRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(attr::ID, s(key_id(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        let Some(item) = out.item else { return Ok(None) };
        let record = KeyRecord::from_item(&item)?;
        Ok((record.purge_at > now.timestamp()).then_some(record))
    }

    /// Creates `c` and the record of `key` in one transaction. The record's condition is
    /// that no live record of the key exists, so of concurrent first requests with one key
    /// exactly one writes; the others get [`KeyedCreate::KeyTaken`] and nothing written.
    #[instrument(skip(self, c, key, record, now), fields(id = %c.id))]
    pub async fn create_keyed(
        &self,
        c: &Certification,
        key: &str,
        record: &KeyRecord,
        now: DateTime<Utc>,
    ) -> Result<KeyedCreate, StoreError> {
        let part = self.key_record_put(key, record, now)?;
        match self.create_with(c, vec![part]).await? {
            Transacted::Applied => Ok(KeyedCreate::Created),
            // Part 0's (the id's) is a Conflict from create_with: this is the key record's.
            Transacted::ConditionFailed { .. } => Ok(KeyedCreate::KeyTaken),
        }
    }

    /// The key record's Put: the key must be unused, or its record past `purge_at`.
    fn key_record_put(
        &self,
        key: &str,
        record: &KeyRecord,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut e = Expr::new();
        let (unused, lapsed) = (e.not_exists(attr::ID), e.le(attr::PURGE_AT, n(now.timestamp())));
        e.condition(unused.or(lapsed));
        let put = Put::builder().table_name(&self.table).set_item(Some(record.to_item(key))).with_expr(&e)?;
        let put = built("the key record's Put", put.build())?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}
