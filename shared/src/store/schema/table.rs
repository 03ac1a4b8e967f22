//! The one definition of the certifications table. The local server and the tests create
//! the table from [`create_table`]; `template.yaml` declares the same keys and indexes,
//! and `shared/tests/it/template.rs` proves it. The design is in `docs/data-model.md`.
//!
//! Item layout (one item per certification, partition key `id`; `<s>` is the item's list
//! shard, [`list_shard`] of its id, `<sc>` a count shard):
//!
//! | attribute   | value                         | used by                                   |
//! |-------------|-------------------------------|-------------------------------------------|
//! | `id`        | `cert-…`                      | table key: get, update, delete            |
//! | `mentor_id` | the record's                  | `mentor-by-created` partition             |
//! | `created_key` | `<created_at>#<id>`         | sort key of every list index: ties by id  |
//! | `expiry_key`| `<expires_at>#<id>`           | sort key of `active-by-expiry`            |
//! | `all_pk`    | `all#<s>`                     | `all-by-created`: the unfiltered list     |
//! | `type_pk`   | `<cert_type>#<s>`             | `type-by-created`                         |
//! | `status_pk` | `<stored status>#<s>`         | `status-by-created`                       |
//! | `type_status_pk` | `<cert_type>#<status>#<s>` | `type-status-by-created`                 |
//! | `mentor_type_pk` | `<mentor_id>#<cert_type>` (unsharded) | `mentor-type-by-created`          |
//! | `mentor_status_pk` | `<mentor_id>#<stored status>` | `mentor-status-by-created`          |
//! | `mentor_type_status_pk` | `<mentor_id>#<cert_type>#<status>` | `mentor-type-status-by-created` |
//! | `active_pk` | `active#<s>`, only while stored `active` | `active-by-expiry` (sparse)    |
//! | `reminded_days` | after an expiry-scan reminder; a renewal removes it | the scan's once-per-cycle record |
//! | `version`   | always; +1 on every write to the record | `ETag`, and `If-Match` in the write's condition |
//!
//! Count items (`id` = `count#m=<mentor|*>#t=<type|*>#s=<status>#<sc>`, number `n`) hold the
//! totals; see [`crate::store::counts`].
//!
//! `Idempotency-Key` records (`store::idempotency`): `id` = `idempotency#<key>`, removed by
//! DynamoDB TTL after `purge_at` ([`TTL_ATTRIBUTE`]).
//!
//! No certification id or path id contains `#`, so neither kind of item can collide with a
//! certification, and neither carries an index attribute: no list, total or scan reads them.
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

/// Every attribute name the store's requests use, once. The record's own attributes are
/// the serde names of [`crate::domain::Certification`] (a test keeps the two equal).
// Each constant is the attribute's own name; the item layout above says what it holds.
#[allow(missing_docs)]
pub mod attr {
    pub const ID: &str = "id";
    pub const MENTOR_ID: &str = "mentor_id";
    pub const MENTOR_NAME: &str = "mentor_name";
    pub const CERT_TYPE: &str = "cert_type";
    pub const STATUS: &str = "status";
    pub const STATUS_REASON: &str = "status_reason";
    pub const ISSUED_AT: &str = "issued_at";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const RENEWAL_COUNT: &str = "renewal_count";
    pub const RENEWAL_HISTORY: &str = "renewal_history";
    pub const CREATED_AT: &str = "created_at";
    pub const UPDATED_AT: &str = "updated_at";
    /// Index attributes, added by the store (see the table above).
    pub const CREATED_KEY: &str = "created_key";
    pub const EXPIRY_KEY: &str = "expiry_key";
    pub const ALL_PK: &str = "all_pk";
    pub const TYPE_PK: &str = "type_pk";
    pub const STATUS_PK: &str = "status_pk";
    pub const TYPE_STATUS_PK: &str = "type_status_pk";
    pub const MENTOR_TYPE_PK: &str = "mentor_type_pk";
    pub const MENTOR_STATUS_PK: &str = "mentor_status_pk";
    pub const MENTOR_TYPE_STATUS_PK: &str = "mentor_type_status_pk";
    pub const ACTIVE_PK: &str = "active_pk";
    /// The attribute the previous layout partitioned `by-created` on; `migrate` removes it.
    pub const LEGACY_KIND: &str = "kind";
    /// A count item's number.
    pub const COUNT: &str = "n";
    /// The tightest reminder threshold (days) the expiry scan has announced in the
    /// current expiry cycle; removed by a renewal.
    pub const REMINDED_DAYS: &str = "reminded_days";
    /// +1 on every write: the record's `ETag`.
    pub const VERSION: &str = "version";
    /// Epoch seconds after which DynamoDB TTL deletes an item (idempotency-key records only).
    pub const PURGE_AT: &str = "purge_at";
}

/// The table's TTL attribute (`TimeToLiveSpecification` in `template.yaml`).
pub const TTL_ATTRIBUTE: &str = attr::PURGE_AT;

/// List partitions per index value. A GSI partition takes about 1,000 write units a second and
/// every create and update writes one unit to `all#…`, `active#…` and the popular type's and
/// status's partitions; four shards lift that ceiling to ~4,000/s. A list page merges the four
/// (newest first), so it sends 4 Queries (a few more when one shard runs dry early).
pub const LIST_SHARDS: u32 = 4;

/// The list shard of a certification: FNV-1a of its id, so every index attribute of an item
/// lands in the same shard number and any code can recompute it from the id alone.
pub fn list_shard(id: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h % LIST_SHARDS
}

/// A key: partition attribute and optional sort attribute (all strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// The partition (hash) key attribute.
    pub partition: &'static str,
    /// The sort (range) key attribute, if any.
    pub sort: Option<&'static str>,
}

/// A global secondary index: its name and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSpec {
    /// The index name.
    pub name: &'static str,
    /// Its key.
    pub key: KeySpec,
}

const fn by_created(name: &'static str, partition: &'static str) -> IndexSpec {
    IndexSpec { name, key: KeySpec { partition, sort: Some(attr::CREATED_KEY) } }
}

/// Expiring query and expiry scan: stored-`active` items by `expires_at`, then id.
pub const BY_EXPIRY: IndexSpec =
    IndexSpec { name: "active-by-expiry", key: KeySpec { partition: attr::ACTIVE_PK, sort: Some(attr::EXPIRY_KEY) } };
/// Every list below is newest first (`created_at`, then id, both descending).
/// `mentor_id` alone (with `cert_type` and/or `status`: the three indexes below).
pub const BY_MENTOR: IndexSpec = by_created("mentor-by-created", attr::MENTOR_ID);
/// `mentor_id` and `cert_type`: partition `<mentor_id>#<cert_type>`.
///
/// The three `mentor-…` indexes below key every `mentor_id` filter combination, so such a
/// page reads only matching items (a filter expression inside `mentor-by-created` read every
/// non-matching item of the mentor, issue 18). They are **unsharded**: one mentor holds a few
/// certifications and is never written anywhere near a partition's ~1,000 writes/s, so a
/// page is one Query, not four.
///
/// No two values collide: `mentor_id` is `[A-Za-z0-9_.:-]{1,128}` and `cert_type`
/// `[a-z0-9_]{1,64}` (`validation::rules`), neither holds a `#`, and a status is one of four
/// fixed words, so splitting a value at its `#`s gives back exactly the parts it was made of.
/// (Each encoding also lives in its own index, so values of different indexes never meet.)
///
/// Write cost: each index adds one index write (a unit per KB) to every write of an item
/// that carries its key attribute (all certifications carry all three), and a write that
/// changes an index's partition key costs a delete plus a put in that index (2). Per write,
/// over these three indexes: create 3; a status change 2 + 2 + 1 = 5 (`mentor_status_pk`
/// and `mentor_type_status_pk` move, `mentor_type_pk` is rewritten in place); a type change
/// 2 + 1 + 2 = 5; a change of both 6; a renewal or any other update 3 (rewritten in place);
/// a delete 3.
pub const BY_MENTOR_TYPE: IndexSpec = by_created("mentor-type-by-created", attr::MENTOR_TYPE_PK);
/// `mentor_id` and stored `status`: partition `<mentor_id>#<status>` (see [`BY_MENTOR_TYPE`]).
pub const BY_MENTOR_STATUS: IndexSpec = by_created("mentor-status-by-created", attr::MENTOR_STATUS_PK);
/// `mentor_id`, `cert_type` and stored `status`: partition `<mentor_id>#<cert_type>#<status>`
/// (see [`BY_MENTOR_TYPE`]).
pub const BY_MENTOR_TYPE_STATUS: IndexSpec = by_created("mentor-type-status-by-created", attr::MENTOR_TYPE_STATUS_PK);
/// No filter.
pub const BY_CREATED: IndexSpec = by_created("all-by-created", attr::ALL_PK);
/// `cert_type`.
pub const BY_TYPE: IndexSpec = by_created("type-by-created", attr::TYPE_PK);
/// `status` (stored status; see `store::list` for the effective one).
pub const BY_STATUS: IndexSpec = by_created("status-by-created", attr::STATUS_PK);
/// `cert_type` and `status`.
pub const BY_TYPE_STATUS: IndexSpec = by_created("type-status-by-created", attr::TYPE_STATUS_PK);

/// The table's key: `id` alone.
pub const TABLE_KEY: KeySpec = KeySpec { partition: attr::ID, sort: None };
/// Every GSI projects ALL attributes: each query answers from the index alone.
pub const INDEXES: [IndexSpec; 9] = [
    BY_EXPIRY,
    BY_MENTOR,
    BY_CREATED,
    BY_TYPE,
    BY_STATUS,
    BY_TYPE_STATUS,
    BY_MENTOR_TYPE,
    BY_MENTOR_STATUS,
    BY_MENTOR_TYPE_STATUS,
];
/// On-demand capacity (as in `template.yaml`).
pub const BILLING_MODE: &str = "PAY_PER_REQUEST";

/// Every attribute that is part of a key, once, sorted by name (all `S`).
pub fn key_attributes() -> Vec<&'static str> {
    key_attributes_of(&INDEXES)
}

/// The table key's and `indexes`' key attributes, once, sorted by name.
pub fn key_attributes_of(indexes: &[IndexSpec]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = std::iter::once(TABLE_KEY)
        .chain(indexes.iter().map(|i| i.key))
        .flat_map(|k| std::iter::once(k.partition).chain(k.sort))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

pub(crate) fn key_schema(k: KeySpec) -> Result<Vec<KeySchemaElement>, aws_sdk_dynamodb::error::BuildError> {
    let mut out = vec![KeySchemaElement::builder().attribute_name(k.partition).key_type(KeyType::Hash).build()?];
    if let Some(sort) = k.sort {
        out.push(KeySchemaElement::builder().attribute_name(sort).key_type(KeyType::Range).build()?);
    }
    Ok(out)
}

/// A string attribute's definition (every key attribute is one).
pub(crate) fn string_attribute(name: &str) -> Result<AttributeDefinition, aws_sdk_dynamodb::error::BuildError> {
    AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
}

/// Creates the table from the definition above.
pub async fn create_table(client: &Client, table_name: &str) -> Result<(), aws_sdk_dynamodb::Error> {
    create_table_with(client, table_name, &INDEXES).await
}

/// Creates the table with only `indexes`: a table an older version made, for the tests of
/// [`crate::store::upgrade::add_missing_indexes`].
pub async fn create_table_with(
    client: &Client,
    table_name: &str,
    indexes: &[IndexSpec],
) -> Result<(), aws_sdk_dynamodb::Error> {
    let mut req = client
        .create_table()
        .table_name(table_name)
        .billing_mode(BillingMode::from(BILLING_MODE))
        .set_key_schema(Some(key_schema(TABLE_KEY)?))
        // Every committed change, both images: the only source of the service's events.
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()?,
        );
    for name in key_attributes_of(indexes) {
        req = req.attribute_definitions(string_attribute(name)?);
    }
    for index in indexes {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .set_key_schema(Some(key_schema(index.key)?))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()?,
        );
    }
    req.send().await?;
    client
        .update_time_to_live()
        .table_name(table_name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder().attribute_name(TTL_ATTRIBUTE).enabled(true).build()?,
        )
        .send()
        .await?;
    Ok(())
}

/// Creates the table unless it exists (local server start-up).
pub async fn ensure_table(client: &Client, table_name: &str) -> Result<bool, aws_sdk_dynamodb::Error> {
    match client.describe_table().table_name(table_name).send().await {
        Ok(_) => Ok(false),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => {
            create_table(client, table_name).await?;
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
