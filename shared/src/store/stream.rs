//! The table's DynamoDB stream, read through the Streams API (feature `streams`): the local
//! server's event feed, and the tests that check what each write announces. In AWS the
//! publisher gets the same records from Lambda's event source mapping instead.
//!
//! [`TableStream::open`] finds the table's stream (`DescribeTable`'s `LatestStreamArn`) and
//! an iterator per shard; [`TableStream::read`] makes one `GetRecords` per shard and
//! [`TableStream::drain`] reads until a round returns nothing, so a test gets every record of
//! the writes it awaited without sleeping. Records come in stream order per shard (DynamoDB
//! keeps one item's changes in one shard, in order).
use std::collections::HashMap;

use aws_sdk_dynamodbstreams::config::{BehaviorVersion, Region, SharedCredentialsProvider};
use aws_sdk_dynamodbstreams::types::{Shard, ShardIteratorType};
use aws_smithy_types::error::display::DisplayErrorContext;
use chrono::{DateTime, Utc};

use crate::store::dynamo::attrs::Item;

/// One committed change of one item, as the stream reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// The record's `eventID`.
    pub event_id: String,
    /// `SequenceNumber`.
    pub sequence_number: String,
    /// `ApproximateCreationDateTime` (whole seconds on DynamoDB).
    pub at: DateTime<Utc>,
    /// `OldImage`: `None` for an insert.
    pub old: Option<Item>,
    /// `NewImage`: `None` for a remove.
    pub new: Option<Item>,
}

/// Where a newly opened reader starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// After the newest record: only changes made from now on.
    Latest,
    /// At the oldest record still kept: everything.
    TrimHorizon,
}

/// Why the stream cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The table has no stream (no `StreamSpecification`).
    #[error("table {0} has no stream")]
    NoStream(String),
    /// A Streams or DynamoDB request failed (an endpoint without the Streams API among others).
    #[error("{0}")]
    Request(String),
}

fn request<E: std::error::Error>(what: &str, e: E) -> StreamError {
    StreamError::Request(format!("{what}: {}", DisplayErrorContext(&e)))
}

/// Turns on the table's stream (`NEW_AND_OLD_IMAGES`, as `table::create_table` creates it):
/// for a table made before it had one. An in-place `UpdateTable`; the data stays as it is.
pub async fn enable(dynamo: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), StreamError> {
    use aws_sdk_dynamodb::types::{StreamSpecification, StreamViewType};
    let spec = StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewAndOldImages)
        .build()
        .map_err(|e| request("StreamSpecification", e))?;
    dynamo
        .update_table()
        .table_name(table)
        .stream_specification(spec)
        .send()
        .await
        .map_err(|e| request("UpdateTable", e))?;
    Ok(())
}

/// A Streams client with `dynamo`'s region and HTTP client, signing with `credentials`, at
/// `endpoint` (DynamoDB Local and the embedded engine serve the Streams API at their DynamoDB
/// URL; `None` for AWS, whose regional Streams endpoint the SDK knows).
pub fn streams_client(
    dynamo: &aws_sdk_dynamodb::Config,
    credentials: SharedCredentialsProvider,
    endpoint: Option<&str>,
) -> aws_sdk_dynamodbstreams::Client {
    let mut b = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .credentials_provider(credentials);
    if let Some(region) = dynamo.region() {
        b = b.region(Region::new(region.to_string()));
    }
    if let Some(url) = endpoint {
        b = b.endpoint_url(url);
    }
    if let Some(http) = dynamo.http_client() {
        b = b.http_client(http);
    }
    if let Some(sleep) = dynamo.sleep_impl() {
        b = b.sleep_impl(sleep);
    }
    aws_sdk_dynamodbstreams::Client::from_conf(b.build())
}

/// A reader of one table's stream.
#[derive(Debug)]
pub struct TableStream {
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    /// Shard id → its next iterator; `None` once a closed shard is read to its end.
    shards: HashMap<String, Option<String>>,
    /// Shard id → the sequence number of the last record read from it.
    last: HashMap<String, String>,
}

impl TableStream {
    /// The stream of `table` (found through `dynamo`), read with `client` (see
    /// [`streams_client`]).
    pub async fn open(
        dynamo: &aws_sdk_dynamodb::Client,
        client: aws_sdk_dynamodbstreams::Client,
        table: &str,
        start: Start,
    ) -> Result<Self, StreamError> {
        let described =
            dynamo.describe_table().table_name(table).send().await.map_err(|e| request("DescribeTable", e))?;
        let arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .filter(|_| described.table().and_then(|t| t.stream_specification()).is_some_and(|s| s.stream_enabled()))
            .ok_or_else(|| StreamError::NoStream(table.to_owned()))?
            .to_owned();
        let mut stream = Self { client, arn, shards: HashMap::new(), last: HashMap::new() };
        stream.discover(start).await?;
        Ok(stream)
    }

    /// Adds the shards not seen yet, each with an iterator at `start`. (A closed shard at
    /// [`Start::Latest`] just reads empty; whether a shard is closed is not judged from
    /// `EndingSequenceNumber`, which the embedded engine reports for its one open shard.)
    async fn discover(&mut self, start: Start) -> Result<(), StreamError> {
        let mut after: Option<String> = None;
        let mut shards: Vec<Shard> = Vec::new();
        loop {
            let out = self
                .client
                .describe_stream()
                .stream_arn(&self.arn)
                .set_exclusive_start_shard_id(after.take())
                .send()
                .await
                .map_err(|e| request("DescribeStream", e))?;
            let Some(d) = out.stream_description() else { break };
            shards.extend(d.shards().iter().cloned());
            match d.last_evaluated_shard_id() {
                Some(last) => after = Some(last.to_owned()),
                None => break,
            }
        }
        for shard in shards {
            let Some(id) = shard.shard_id() else { continue };
            if self.shards.contains_key(id) {
                continue;
            }
            let kind = match start {
                Start::Latest => ShardIteratorType::Latest,
                Start::TrimHorizon => ShardIteratorType::TrimHorizon,
            };
            let it = self
                .client
                .get_shard_iterator()
                .stream_arn(&self.arn)
                .shard_id(id)
                .shard_iterator_type(kind)
                .send()
                .await
                .map_err(|e| request("GetShardIterator", e))?;
            self.shards.insert(id.to_owned(), it.shard_iterator().map(str::to_owned));
        }
        Ok(())
    }

    /// One `GetRecords` per open shard: the records committed since the last read. A shard
    /// that ends makes the reader look for its children (read from their start).
    pub async fn read(&mut self) -> Result<Vec<StreamRecord>, StreamError> {
        let mut out = Vec::new();
        let mut ended = false;
        let mut ids: Vec<String> =
            self.shards.iter().filter(|(_, it)| it.is_some()).map(|(id, _)| id.clone()).collect();
        ids.sort();
        for id in ids {
            let Some(Some(mut it)) = self.shards.get(&id).cloned() else { continue };
            // A fresh iterator after the last record read, where there is one: an iterator
            // expires (15 minutes on DynamoDB), and moto replaces a table's shard when it rolls
            // a refused transaction back, so the iterators it issued before see nothing after.
            if let Some(seq) = self.last.get(&id) {
                let fresh = self
                    .client
                    .get_shard_iterator()
                    .stream_arn(&self.arn)
                    .shard_id(&id)
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(seq)
                    .send()
                    .await
                    .map_err(|e| request("GetShardIterator", e))?;
                if let Some(fresh) = fresh.shard_iterator() {
                    it = fresh.to_owned();
                }
            }
            let got =
                self.client.get_records().shard_iterator(it).send().await.map_err(|e| request("GetRecords", e))?;
            for r in got.records() {
                let Some(d) = r.dynamodb() else { continue };
                let image = |i: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
                    i.map(|m| -> Item { serde_dynamo::Item::from(m.clone()).into() })
                };
                let at = d
                    .approximate_creation_date_time()
                    .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
                    .unwrap_or_default();
                out.push(StreamRecord {
                    event_id: r.event_id().unwrap_or_default().to_owned(),
                    sequence_number: d.sequence_number().unwrap_or_default().to_owned(),
                    at,
                    old: image(d.old_image.as_ref()),
                    new: image(d.new_image.as_ref()),
                });
            }
            if let Some(seq) = out.last().map(|r: &StreamRecord| r.sequence_number.clone()).filter(|s| !s.is_empty()) {
                self.last.insert(id.clone(), seq);
            }
            let next = got.next_shard_iterator().map(str::to_owned);
            ended |= next.is_none();
            self.shards.insert(id, next);
        }
        if ended {
            self.discover(Start::TrimHorizon).await?;
        }
        Ok(out)
    }

    /// Reads until a round returns nothing: every record of every write already answered.
    pub async fn drain(&mut self) -> Result<Vec<StreamRecord>, StreamError> {
        let mut all = Vec::new();
        loop {
            let got = self.read().await?;
            if got.is_empty() {
                return Ok(all);
            }
            all.extend(got);
        }
    }
}
