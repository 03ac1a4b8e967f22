//! The one definition of the certifications table. The local server and the tests create
//! the table from [`create_table`]; `template.yaml` declares the same keys and indexes,
//! and `shared/tests/template.rs` proves it. The design is in `docs/data-model.md`.
//!
//! Item layout (one item per certification, partition key `id`):
//!
//! | attribute   | present                 | used by                                |
//! |-------------|-------------------------|----------------------------------------|
//! | `id`        | always                  | table key: get, update, delete         |
//! | `kind`      | always, `"certification"` | `by-created` partition: unfiltered list |
//! | `mentor_id` | always                  | `by-mentor` partition                  |
//! | `created_at`| always                  | sort key of `by-created` and `by-mentor` |
//! | `active_pk` | only while stored status is `active` | `by-expiry` partition (sparse) |
//! | `expires_at`| always                  | sort key of `by-expiry`                |
//! | `reminded_days` | after an expiry-scan reminder; a renewal removes it | the scan's once-per-cycle record |
//! | `version`   | always; +1 on every write to the record | `ETag`, and `If-Match` in the write's condition |
//!
//! `Idempotency-Key` records share the table (`store::idempotency`): their `id` starts with
//! `idempotency#` (no certification id or path id contains `#`), they carry none of `kind`,
//! `mentor_id`, `active_pk`, so no index, list, count or scan ever reads them, and DynamoDB
//! TTL removes them after `purge_at` ([`TTL_ATTRIBUTE`]).
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

/// Every attribute name the store's requests use, once. The record's own attributes are
/// the serde names of [`crate::domain::Certification`] (a test keeps the two equal).
pub mod attr {
    pub const ID: &str = "id";
    pub const MENTOR_ID: &str = "mentor_id";
    pub const MENTOR_NAME: &str = "mentor_name";
    pub const CERT_TYPE: &str = "cert_type";
    pub const STATUS: &str = "status";
    pub const ISSUED_AT: &str = "issued_at";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const RENEWAL_COUNT: &str = "renewal_count";
    pub const RENEWAL_HISTORY: &str = "renewal_history";
    pub const CREATED_AT: &str = "created_at";
    pub const UPDATED_AT: &str = "updated_at";
    /// Index attributes, added by the store (see the table above).
    pub const KIND: &str = "kind";
    pub const ACTIVE_PK: &str = "active_pk";
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

/// The constant value of `kind`: every certification shares one `by-created` partition.
pub const KIND_CERTIFICATION: &str = "certification";
/// The constant value of `active_pk` while a certification is stored `active`.
pub const ACTIVE_PK_VALUE: &str = "active";

/// A key: partition attribute and optional sort attribute (all strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub partition: &'static str,
    pub sort: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: &'static str,
    pub key: KeySpec,
}

/// Expiring query and expiry scan: stored-`active` items by `expires_at`.
pub const BY_EXPIRY: IndexSpec =
    IndexSpec { name: "by-expiry", key: KeySpec { partition: attr::ACTIVE_PK, sort: Some(attr::EXPIRES_AT) } };
/// List filtered by `mentor_id`, newest first.
pub const BY_MENTOR: IndexSpec =
    IndexSpec { name: "by-mentor", key: KeySpec { partition: attr::MENTOR_ID, sort: Some(attr::CREATED_AT) } };
/// Unfiltered list (and `cert_type`/`status` filters), newest first.
pub const BY_CREATED: IndexSpec =
    IndexSpec { name: "by-created", key: KeySpec { partition: attr::KIND, sort: Some(attr::CREATED_AT) } };

pub const TABLE_KEY: KeySpec = KeySpec { partition: attr::ID, sort: None };
/// Every GSI projects ALL attributes: each query answers from the index alone.
pub const INDEXES: [IndexSpec; 3] = [BY_EXPIRY, BY_MENTOR, BY_CREATED];
pub const BILLING_MODE: &str = "PAY_PER_REQUEST";

/// Every attribute that is part of a key, once, sorted by name (all `S`).
pub fn key_attributes() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = std::iter::once(TABLE_KEY)
        .chain(INDEXES.iter().map(|i| i.key))
        .flat_map(|k| std::iter::once(k.partition).chain(k.sort))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn key_schema(k: KeySpec) -> Result<Vec<KeySchemaElement>, aws_sdk_dynamodb::error::BuildError> {
    let mut out = vec![KeySchemaElement::builder().attribute_name(k.partition).key_type(KeyType::Hash).build()?];
    if let Some(sort) = k.sort {
        out.push(KeySchemaElement::builder().attribute_name(sort).key_type(KeyType::Range).build()?);
    }
    Ok(out)
}

/// Creates the table from the definition above.
pub async fn create_table(client: &Client, table_name: &str) -> Result<(), aws_sdk_dynamodb::Error> {
    let mut req = client
        .create_table()
        .table_name(table_name)
        .billing_mode(BillingMode::from(BILLING_MODE))
        .set_key_schema(Some(key_schema(TABLE_KEY)?));
    for name in key_attributes() {
        req = req.attribute_definitions(
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()?,
        );
    }
    for index in INDEXES {
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
mod tests {
    use super::*;

    #[test]
    fn key_attributes_are_each_named_once() {
        assert_eq!(key_attributes(), ["active_pk", "created_at", "expires_at", "id", "kind", "mentor_id"]);
    }

    #[test]
    fn the_attribute_constants_are_the_stored_record_s_names() {
        let mut c = crate::testing::certification("cert-a", "2027-01-01T00:00:00Z");
        c.mentor_name = Some("Lars".into());
        let item = crate::store::item::stored_item(&c).unwrap();
        let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
        names.sort_unstable();
        let mut expected = vec![
            attr::ID,
            attr::MENTOR_ID,
            attr::MENTOR_NAME,
            attr::CERT_TYPE,
            attr::STATUS,
            attr::ISSUED_AT,
            attr::EXPIRES_AT,
            attr::RENEWAL_COUNT,
            attr::RENEWAL_HISTORY,
            attr::CREATED_AT,
            attr::UPDATED_AT,
            attr::KIND,
            attr::ACTIVE_PK,
            attr::VERSION,
        ];
        expected.sort_unstable();
        assert_eq!(names, expected);
    }
}
