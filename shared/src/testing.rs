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

// ---- Handler tests: requests as API Gateway delivers them, and what they answer -----------

/// An instant from an RFC 3339 literal (panics on a bad literal: tests only).
pub fn at(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
    FixedClock::at(rfc3339).now()
}

/// A certification to seed a table with: `mentor-42`, `peer_mentor_level_2`, issued
/// 2025-09-01, stored `active`, no renewals, created and updated 2026-01-01. Tests set the
/// public fields they care about.
pub fn certification(id: &str, expires_at: &str) -> crate::model::Certification {
    crate::model::Certification {
        id: id.into(),
        mentor_id: "mentor-42".into(),
        mentor_name: None,
        cert_type: "peer_mentor_level_2".into(),
        status: crate::model::Status::Active,
        issued_at: at("2025-09-01T00:00:00Z"),
        expires_at: at(expires_at),
        renewal_count: 0,
        renewal_history: Vec::new(),
        created_at: at("2026-01-01T00:00:00Z"),
        updated_at: at("2026-01-01T00:00:00Z"),
    }
}

/// A request as API Gateway (HTTP API, payload 2.0) hands it to a Lambda: the event is
/// written as JSON and converted by `lambda_http::request::from_str`, the same path the
/// `events/` samples and the Lambda runtime take.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    method: String,
    route: String,
    id: Option<String>,
    query: String,
    headers: serde_json::Map<String, serde_json::Value>,
    body: Option<String>,
}

impl ApiRequest {
    /// `route` in API Gateway syntax, e.g. `/api/v1/certifications/{id}`.
    pub fn new(method: &str, route: &str) -> Self {
        let headers = serde_json::Map::from_iter([("accept".to_string(), "application/json".into())]);
        Self { method: method.into(), route: route.into(), id: None, query: String::new(), headers, body: None }
    }

    /// The `{id}` path parameter; `rawPath` carries it percent-encoded.
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The raw query string, without `?`, parsed as API Gateway's `rawQueryString`.
    pub fn query(mut self, raw: &str) -> Self {
        self.query = raw.into();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_ascii_lowercase(), value.into());
        self
    }

    /// `body` sent as `application/json`.
    pub fn json(self, body: &serde_json::Value) -> Self {
        self.header("content-type", "application/json").body(body.to_string())
    }

    /// A raw body; no content type is added.
    pub fn body(mut self, text: impl Into<String>) -> Self {
        self.body = Some(text.into());
        self
    }

    pub fn build(self) -> lambda_http::Request {
        let raw_path = match &self.id {
            Some(id) => self.route.replace("{id}", &percent_encode(id)),
            None => self.route.clone(),
        };
        let route_key = format!("{} {}", self.method, self.route);
        let mut event = serde_json::json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": raw_path,
            "rawQueryString": self.query,
            "headers": self.headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "test",
                "domainName": "localhost",
                "domainPrefix": "test",
                "http": {"method": self.method, "path": raw_path, "protocol": "HTTP/1.1",
                         "sourceIp": "127.0.0.1", "userAgent": "handler-test"},
                "requestId": "handler-test",
                "routeKey": route_key,
                "stage": "$default",
                "time": "26/Mar/2026:10:00:00 +0000",
                "timeEpoch": 1774519200000_i64
            },
            "isBase64Encoded": false
        });
        if let Some(id) = self.id {
            event["pathParameters"] = serde_json::json!({ "id": id });
        }
        if let Some(body) = self.body {
            event["body"] = body.into();
        }
        lambda_http::request::from_str(&event.to_string()).expect("a well-formed API Gateway event")
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, as `rawPath` carries it.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn body_text(r: &lambda_http::Response<lambda_http::Body>) -> String {
    String::from_utf8_lossy(r.body().as_ref()).into_owned()
}

fn content_type(r: &lambda_http::Response<lambda_http::Body>) -> &str {
    r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Asserts a JSON (non-problem) response with `status`; returns its body.
pub fn assert_json(r: &lambda_http::Response<lambda_http::Body>, status: u16) -> serde_json::Value {
    assert_eq!(r.status().as_u16(), status, "body: {}", body_text(r));
    assert_eq!(content_type(r), "application/json");
    serde_json::from_slice(r.body().as_ref()).expect("a JSON body")
}

/// Asserts an RFC 9457 problem with `status` and its four members; returns its body.
pub fn assert_problem(r: &lambda_http::Response<lambda_http::Body>, status: u16) -> serde_json::Value {
    assert_eq!(r.status().as_u16(), status, "body: {}", body_text(r));
    assert_eq!(content_type(r), crate::error::PROBLEM_JSON);
    let problem: serde_json::Value = serde_json::from_slice(r.body().as_ref()).expect("a JSON problem body");
    assert_eq!(problem["status"], status);
    for member in ["type", "title", "detail"] {
        assert!(problem[member].as_str().is_some_and(|s| !s.is_empty()), "{member} in {problem}");
    }
    problem
}

/// Asserts the answer a client gets while DynamoDB is unreachable or throttled: a 503
/// problem with `Retry-After`.
pub fn assert_unavailable(r: &lambda_http::Response<lambda_http::Body>) {
    assert_eq!(assert_problem(r, 503)["type"], "/problems/service-unavailable");
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
}

/// The `field` of each entry of a validation problem's `errors`, in order.
pub fn error_fields(problem: &serde_json::Value) -> Vec<String> {
    let errors = problem["errors"].as_array().unwrap_or_else(|| panic!("no errors array in {problem}"));
    errors.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect()
}

/// An [`App`] whose DynamoDB endpoint refuses connections (a port bound and released), with
/// the SDK's retries off so the 503 path runs fast.
pub async fn unreachable_app(now: &str) -> App {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free loopback port").port();
    let client = client_for(&format!("http://127.0.0.1:{port}"), &RequestCounter::default()).await;
    let config = client.config().to_builder().retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled());
    let store = Store::new(Client::from_conf(config.build()), "certifications");
    let config = Config { table_name: "certifications".into(), expiring_soon_days: 30 };
    App::new(store, Arc::new(FixedClock::at(now)), config)
}

/// Asserts that a sample event (from `events/`) is addressed to `function`'s route in
/// [`crate::routes::ROUTES`]: route key, method and a raw path matching the route.
pub fn assert_event_route(req: &lambda_http::Request, function: &str) {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let route = crate::routes::ROUTES.iter().find(|r| r.function == function).expect("a route for the function");
    let route_key = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone(),
        _ => None,
    };
    assert_eq!(route_key, Some(format!("{} {}", route.method, route.path)));
    assert_eq!(req.method().as_str(), route.method);
    let id = req.path_parameters().first("id").map(percent_encode);
    assert_eq!(id.is_some(), route.path.contains("{id}"), "pathParameters.id");
    assert_eq!(req.raw_http_path(), route.path.replace("{id}", &id.unwrap_or_default()));
}
