//! A table an older version made, brought up to [`INDEXES`]: the GSIs it lacks, created one per
//! `UpdateTable` (DynamoDB creates one GSI at a time), each waited for until `ACTIVE`. The local
//! server runs it on its embedded database at start-up, so a database file the previous
//! version wrote gets the `mentor-…` indexes (issue 18); a deployed table gets them from
//! CloudFormation instead, one per stack update (`docs/data-model.md`, "Upgrading a deployed
//! table"). Either way, items written before need `migrate`: their new key attributes are what
//! puts them into the new indexes.
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, IndexStatus, Projection, ProjectionType,
    TableDescription,
};
use aws_sdk_dynamodb::Client;

use crate::store::schema::table::{key_schema, string_attribute, INDEXES};

/// How often the wait for a new index asks whether it is `ACTIVE` (the embedded engine
/// answers `ACTIVE` at once; DynamoDB takes minutes on a large table).
const POLL: Duration = Duration::from_secs(2);

/// Creates every index of [`INDEXES`] that `table_name` lacks, one at a time, each waited for
/// until `ACTIVE`, and returns their names (empty when the table is up to date: one
/// `DescribeTable`, nothing written).
pub async fn add_missing_indexes(
    client: &Client,
    table_name: &str,
) -> Result<Vec<&'static str>, aws_sdk_dynamodb::Error> {
    let table = describe(client, table_name).await?;
    let have: Vec<&str> = table.global_secondary_indexes().iter().filter_map(|i| i.index_name()).collect();
    let missing: Vec<_> = INDEXES.iter().filter(|i| !have.contains(&i.name)).collect();
    for index in &missing {
        let mut req = client.update_table().table_name(table_name);
        for name in std::iter::once(index.key.partition).chain(index.key.sort) {
            req = req.attribute_definitions(string_attribute(name)?);
        }
        let create = CreateGlobalSecondaryIndexAction::builder()
            .index_name(index.name)
            .set_key_schema(Some(key_schema(index.key)?))
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()?;
        let update = GlobalSecondaryIndexUpdate::builder().create(create).build();
        req.global_secondary_index_updates(update).send().await?;
        tracing::info!(table = table_name, index = index.name, "created a missing index");
        while !all_active(&describe(client, table_name).await?) {
            tokio::time::sleep(POLL).await;
        }
    }
    Ok(missing.iter().map(|i| i.name).collect())
}

async fn describe(client: &Client, table_name: &str) -> Result<TableDescription, aws_sdk_dynamodb::Error> {
    let out = client.describe_table().table_name(table_name).send().await?;
    Ok(out.table.unwrap_or_else(|| TableDescription::builder().build()))
}

/// Whether every index of the table is `ACTIVE` (one being created is not yet queryable).
fn all_active(table: &TableDescription) -> bool {
    table.global_secondary_indexes().iter().all(|i| i.index_status() == Some(&IndexStatus::Active))
}
