//! [`TestDb::put_stored`]: thousands of records in seconds, for cost tests and benchmarks.
//!
//! On the embedded engine the table's stream is off while seeding. dynoxide numbers each
//! stream record with a `MAX` over every record the table's stream holds (no index, nothing
//! trimmed), so with the stream on every write costs time in proportion to the writes before
//! it: seeding 20,000 records slowed from 767 to 60 writes/s, and 100,000 took 83 minutes
//! (with the stream off: 82 s, 10,000 in 10 s; `list_bench`, release build).
use std::collections::BTreeMap;
use std::future::Future;

use futures::{StreamExt, TryStreamExt};

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, StreamSpecification, WriteRequest};
use chrono::{DateTime, Utc};

use crate::domain::{Certification, Status};
use crate::store::counts::Deltas;
use crate::store::table::attr;
use crate::store::{stored_item, StoreError};
use crate::testing::TestDb;

/// Count items updated at once while seeding.
const CONCURRENT_ADDS: usize = 16;

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("seeding: {e}"))
}

impl TestDb {
    /// Writes `certs` as the store would store them ([`TestDb::write_stored`]), then adds
    /// them to the counts and expiry counts as `recount` would (their `Deltas`, added to
    /// shard 0, one UpdateItem per count item, 16 at a time): ~10× faster than creating them
    /// one transaction at a time, and the cost does not grow with the table. The ids must be new
    /// to the table: an overwritten record would be counted twice (`recount` puts that
    /// right). A stored `active` record past its expiry stays so, as a stalled scan leaves
    /// it, and counts as `active` under its expiry, as `recount` counts it.
    pub async fn put_stored(&self, certs: &[Certification]) -> Result<(), StoreError> {
        self.stream_off_while(async {
            self.batch_put(certs).await?;
            self.add_counts(certs).await
        })
        .await
    }

    /// Only the records of [`TestDb::put_stored`], with BatchWriteItem (25 a request,
    /// unprocessed items sent again), around the store's conditional writes: no count
    /// counts them until a `recount`.
    pub async fn write_stored(&self, certs: &[Certification]) -> Result<(), StoreError> {
        self.stream_off_while(self.batch_put(certs)).await
    }

    async fn batch_put(&self, certs: &[Certification]) -> Result<(), StoreError> {
        for chunk in certs.chunks(25) {
            let mut writes = chunk
                .iter()
                .map(|c| {
                    let put = PutRequest::builder().set_item(Some(stored_item(c)?)).build().map_err(failed)?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            while !writes.is_empty() {
                let out = self.client.batch_write_item().request_items(&self.table, writes).send().await;
                let mut out = out.map_err(|e| failed(DisplayErrorContext(e)))?;
                writes = out.unprocessed_items.as_mut().and_then(|u| u.remove(&self.table)).unwrap_or_default();
            }
        }
        Ok(())
    }

    /// Adds what `certs` count under, as `recount` would find it: grouped first, since
    /// `Deltas` folds one change at a time into every key it holds.
    async fn add_counts(&self, certs: &[Certification]) -> Result<(), StoreError> {
        let mut groups: BTreeMap<(&str, &str, Status), i64> = BTreeMap::new();
        let mut expiries: BTreeMap<(DateTime<Utc>, &str, &str), i64> = BTreeMap::new();
        for c in certs {
            *groups.entry((&c.mentor_id, &c.cert_type, c.status)).or_default() += 1;
            if c.status == Status::Active {
                *expiries.entry((c.expires_at, &c.mentor_id, &c.cert_type)).or_default() += 1;
            }
        }
        let mut deltas = Deltas::default();
        for ((mentor_id, cert_type, status), by) in groups {
            deltas.add(mentor_id, cert_type, status, by);
        }
        for ((at, mentor_id, cert_type), by) in expiries {
            deltas.add_expiry(at, mentor_id, cert_type, by);
        }
        // Shard 0 of each, where `recount` adds (a create adds to a random one): the same
        // count items exist as after a recount, so a list reads the same items.
        // One UpdateItem each, 16 at a time: nothing else writes meanwhile, and moto copies the
        // whole table for every TransactWriteItems (100 of them for 600 records took it past
        // 24 GB, and the kernel killed it).
        let ids = deltas.iter().map(|(k, d)| (k.item_id(0), d)).chain(deltas.expiry().map(|(b, d)| (b.item_id(0), d)));
        let adds = ids.map(|(id, by)| self.count_add(id, by));
        futures::stream::iter(adds).buffer_unordered(CONCURRENT_ADDS).try_collect::<Vec<()>>().await?;
        Ok(())
    }

    /// `ADD by` to the count item `id`.
    async fn count_add(&self, id: String, by: i64) -> Result<(), StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::ID, AttributeValue::S(id))
            .update_expression("ADD #n :by")
            .expression_attribute_names("#n", attr::COUNT)
            .expression_attribute_values(":by", AttributeValue::N(by.to_string()));
        update.send().await.map(|_| ()).map_err(|e| failed(DisplayErrorContext(e)))
    }

    /// Runs `seed` with the table's stream off on the embedded engine (see the module
    /// documentation), then turns it on again as it was, also when `seed` failed. What
    /// `seed` writes is on no stream, as if written before the stream was enabled. An
    /// external endpoint keeps its stream: nothing there is known to cost the same.
    async fn stream_off_while<T>(&self, seed: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        if self.external {
            return seed.await;
        }
        let described = self.client.describe_table().table_name(&self.table).send().await;
        let spec = described.map_err(|e| failed(DisplayErrorContext(e)))?.table.and_then(|t| t.stream_specification);
        let Some(spec) = spec.filter(|s| s.stream_enabled) else {
            return seed.await;
        };
        self.set_stream(StreamSpecification::builder().stream_enabled(false).build().map_err(failed)?).await?;
        let out = seed.await;
        self.set_stream(spec).await?;
        out
    }

    async fn set_stream(&self, spec: StreamSpecification) -> Result<(), StoreError> {
        let update = self.client.update_table().table_name(&self.table).stream_specification(spec);
        update.send().await.map(|_| ()).map_err(|e| failed(DisplayErrorContext(e)))
    }
}
