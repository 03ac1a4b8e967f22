//! Test support (feature `test-support`): a real DynamoDB API for every test.
//!
//! By default each [`TestDb`] starts an embedded dynoxide engine (SQLite in memory) on a
//! loopback port inside the test process and creates the table from [`crate::table`].
//! When `AWS_ENDPOINT_URL_DYNAMODB` is set (DynamoDB Local, moto, real AWS), the same tests
//! run against that endpoint instead, each on a uniquely named table that is deleted when
//! the `TestDb` is dropped.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::clock::{Clock, FixedClock};
use crate::config::{App, Config};
use crate::store::Store;
use crate::table;

pub const ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_DYNAMODB";

/// Counts the DynamoDB requests sent (per operation) and the items Query evaluated.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    inner: Arc<Mutex<Counts>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// HTTP requests sent, by operation name (retries included).
    pub requests: BTreeMap<String, usize>,
    /// Sum of `ScannedCount` over Query responses: items the index had to read.
    pub query_scanned: i64,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.requests.values().sum()
    }

    pub fn of(&self, operation: &str) -> usize {
        self.requests.get(operation).copied().unwrap_or(0)
    }
}

impl RequestCounter {
    pub fn snapshot(&self) -> Counts {
        self.inner.lock().map(|c| c.clone()).unwrap_or_default()
    }

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
        }
        Ok(())
    }
}

/// A DynamoDB client for `endpoint`, with a counter on every request. Uses dummy
/// credentials unless real ones are in the environment.
pub async fn client_for(endpoint: &str, counter: &RequestCounter) -> Client {
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    let mut builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(endpoint)
        .interceptor(counter.clone());
    let real_credentials = std::env::var("AWS_ACCESS_KEY_ID").is_ok() || std::env::var("AWS_PROFILE").is_ok();
    if real_credentials {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        builder =
            builder.credentials_provider(sdk.credentials_provider().expect("the default chain provides credentials"));
    } else {
        builder = builder.credentials_provider(Credentials::new("test", "test", None, None, "tests"));
    }
    Client::from_conf(builder.build())
}

/// Starts an embedded dynoxide engine on a free loopback port; returns its URL.
pub async fn start_embedded(db: dynoxide::Database) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(dynoxide::server::serve_on(listener, db));
    Ok(url)
}

/// One table on a real DynamoDB API, ready for a test.
pub struct TestDb {
    pub client: Client,
    pub table: String,
    pub counter: RequestCounter,
    pub endpoint: String,
    external: bool,
}

impl TestDb {
    /// Embedded dynoxide, or the endpoint in `AWS_ENDPOINT_URL_DYNAMODB`.
    pub async fn start() -> Self {
        let counter = RequestCounter::default();
        let (endpoint, external) = match std::env::var(ENDPOINT_VAR) {
            Ok(url) if !url.is_empty() => (url, true),
            _ => {
                let db = dynoxide::Database::memory().expect("in-memory dynoxide database");
                (start_embedded(db).await.expect("bind a loopback port"), false)
            }
        };
        let client = client_for(&endpoint, &counter).await;
        let table = format!("certifications-test-{}", ulid::Ulid::new().to_string().to_ascii_lowercase());
        table::create_table(&client, &table).await.expect("create the test table");
        counter.reset();
        Self { client, table, counter, endpoint, external }
    }

    pub fn store(&self) -> Store {
        Store::new(self.client.clone(), self.table.clone())
    }

    /// An [`App`] on this table with a clock stopped at `now` (RFC 3339).
    pub fn app_at(&self, now: &str) -> App {
        self.app_with_clock(Arc::new(FixedClock::at(now)))
    }

    pub fn app_with_clock(&self, clock: Arc<dyn Clock>) -> App {
        let config = Config { table_name: self.table.clone(), expiring_soon_days: 30 };
        App::new(self.store(), clock, config)
    }
}

impl Drop for TestDb {
    /// External endpoints keep no litter: the table is deleted on a thread of its own
    /// (Drop cannot await, and the test's runtime may be shutting down).
    fn drop(&mut self) {
        if !self.external {
            return;
        }
        let (endpoint, table) = (self.endpoint.clone(), self.table.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    let client = client_for(&endpoint, &RequestCounter::default()).await;
                    let _ = client.delete_table().table_name(&table).send().await;
                });
            }
        })
        .join();
    }
}
