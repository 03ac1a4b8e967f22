//! The request-counting interceptor: what a piece of code sent to DynamoDB, per operation,
//! and how many items its Queries and BatchGetItems read. Cost assertions in tests go through it.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Counts the DynamoDB requests sent (per operation) and the items Query evaluated.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    inner: Arc<Mutex<Counts>>,
}

/// What a [`RequestCounter`] counted since its last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// HTTP requests sent, by operation name (retries included).
    pub requests: BTreeMap<String, usize>,
    /// Sum of `ScannedCount` over Query responses: items the index had to read.
    pub query_scanned: i64,
    /// Items BatchGetItem responses returned (the count items a total reads).
    pub batch_got: i64,
}

impl Counts {
    /// Requests sent, every operation together.
    pub fn total(&self) -> usize {
        self.requests.values().sum()
    }

    /// Requests sent of `operation`, by its API name (`Query`, `TransactWriteItems`, ...).
    pub fn of(&self, operation: &str) -> usize {
        self.requests.get(operation).copied().unwrap_or(0)
    }

    /// Items read by Queries and BatchGetItems together.
    pub fn items_read(&self) -> i64 {
        self.query_scanned + self.batch_got
    }
}

impl RequestCounter {
    /// The counts so far.
    pub fn snapshot(&self) -> Counts {
        self.inner.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Sets every count back to zero.
    pub fn reset(&self) {
        if let Ok(mut c) = self.inner.lock() {
            *c = Counts::default();
        }
    }

    /// Runs `f` and returns what it sent.
    pub async fn measure<T>(&self, f: impl std::future::Future<Output = T>) -> (T, Counts) {
        self.reset();
        let out = f.await;
        (out, self.snapshot())
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg.load::<Metadata>().map(|m| m.name().to_owned()).unwrap_or_default();
        if let Ok(mut c) = self.inner.lock() {
            *c.requests.entry(op).or_default() += 1;
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        ctx: &AfterDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Ok(out)) = ctx.inner().output_or_error() {
            if let Some(q) = out.downcast_ref::<QueryOutput>() {
                if let Ok(mut c) = self.inner.lock() {
                    c.query_scanned += i64::from(q.scanned_count);
                }
            }
            if let Some(b) = out.downcast_ref::<BatchGetItemOutput>() {
                let got: usize = b.responses.iter().flat_map(|r| r.values()).map(Vec::len).sum();
                if let Ok(mut c) = self.inner.lock() {
                    c.batch_got += got as i64;
                }
            }
        }
        Ok(())
    }
}
