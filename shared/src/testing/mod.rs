//! Test support (feature `test-support`): a real DynamoDB API for every test, and the
//! helpers handler tests share.
//!
//! By default each [`TestDb`] starts an embedded dynoxide engine (SQLite in memory, see
//! [`crate::embedded`]) and creates the table from [`crate::store::table`]. When
//! `AWS_ENDPOINT_URL_DYNAMODB` is set (DynamoDB Local, moto, real AWS), the same tests run
//! against that endpoint instead, each on a uniquely named table that is deleted when the
//! `TestDb` is dropped.
//!
//! | file          | what lives there                                          |
//! |---------------|-----------------------------------------------------------|
//! | `mod.rs`      | [`TestDb`], fixtures, an unreachable store                |
//! | `counter.rs`  | [`RequestCounter`], the request-counting interceptor      |
//! | `requests.rs` | [`ApiRequest`] and the response assertions                |
//! | `faults.rs`   | [`Faults`]: DynamoDB errors answered instead of sending   |
//! | `seed.rs`     | [`TestDb::put_stored`]: many records fast, counts added   |
//! | `stream.rs`   | [`TestDb::stream`]: the test table's DynamoDB stream      |
use std::sync::Arc;

use aws_sdk_dynamodb::Client;

use crate::app::App;
use crate::config::Config;
use crate::domain::{Clock, FixedClock};
use crate::embedded::{self, Engine};
use crate::store::backoff::Backoff;
use crate::store::{table, Item, Store, StoreError};

pub mod counter;
pub mod faults;
pub mod requests;
pub mod seed;
pub mod store_ext;
pub mod stream;

pub use counter::{Counts, RequestCounter};
pub use faults::{Fault, Faults};
pub use requests::{assert_event_route, assert_json, assert_problem, assert_unavailable, error_fields, ApiRequest};
pub use store_ext::StoreExt;

/// Environment variable naming an external DynamoDB endpoint to test against instead of an
/// embedded engine; unset or empty: embedded.
pub const ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_DYNAMODB";

/// Every page of a paged store read, in order (the expiry scan's reads walk the index's
/// shards one after another): `read(start)` answers one page and where the next starts,
/// `None` after the last.
pub async fn every_page<T, F>(mut read: impl FnMut(Option<Item>) -> F) -> Vec<Vec<T>>
where
    F: std::future::Future<Output = Result<(Vec<T>, Option<Item>), StoreError>>,
{
    let (mut pages, mut start) = (Vec::new(), None);
    loop {
        let (items, next) = read(start).await.expect("a page of a store read");
        pages.push(items);
        match next {
            Some(k) => start = Some(k),
            None => return pages,
        }
    }
}

/// A DynamoDB client for `endpoint` with `counter` on every request.
pub async fn client_for(endpoint: &str, counter: &RequestCounter) -> Client {
    Client::from_conf(embedded::client_config(endpoint).await.interceptor(counter.clone()).build())
}

/// One table on a real DynamoDB API, ready for a test.
pub struct TestDb {
    /// A client for [`TestDb::endpoint`], counting through [`TestDb::counter`].
    pub client: Client,
    /// This test's table: `certifications-test-` + a lower-case ULID.
    pub table: String,
    /// Every request [`TestDb::client`] sends (reset after the table is created).
    pub counter: RequestCounter,
    /// The endpoint URL: the embedded engine's `http://127.0.0.1:PORT`, or [`ENDPOINT_VAR`].
    pub endpoint: String,
    external: bool,
    /// The endpoint is moto, whose conditional writes are not atomic under concurrency (see
    /// [`is_moto`]): tests of concurrent writes skip there.
    pub moto: bool,
    /// The embedded engine, stopped when the `TestDb` is dropped.
    _engine: Option<Engine>,
}

impl TestDb {
    /// Whether this is the embedded engine (not an endpoint from `AWS_ENDPOINT_URL_DYNAMODB`).
    pub fn embedded(&self) -> bool {
        !self.external
    }

    /// Embedded dynoxide, or the endpoint in `AWS_ENDPOINT_URL_DYNAMODB`.
    pub async fn start() -> Self {
        let counter = RequestCounter::default();
        let (endpoint, engine) = match std::env::var(ENDPOINT_VAR) {
            Ok(url) if !url.is_empty() => (url, None),
            _ => {
                let db = embedded::open_memory().expect("in-memory dynoxide database");
                let engine = Engine::start(db).await.expect("bind a loopback port");
                (engine.url().to_owned(), Some(engine))
            }
        };
        let external = engine.is_none();
        let moto = external && is_moto(&endpoint);
        let client = client_for(&endpoint, &counter).await;
        let table = format!("certifications-test-{}", ulid::Ulid::new().to_string().to_ascii_lowercase());
        table::create_table(&client, &table).await.expect("create the test table");
        counter.reset();
        Self { client, table, counter, endpoint, external, moto, _engine: engine }
    }

    /// Whether racing conditional writes on one item are atomic on this endpoint, as on
    /// DynamoDB: everywhere but moto ([`is_moto`]). moto evaluates a condition and applies the
    /// write without a lock: eight threads racing one `SET st = :e IF st = :a` saw 3 extra
    /// successes in 20 rounds (moto 5.2.1), so exactly-once assertions under races hold only
    /// where this is true; the final state is asserted everywhere.
    pub fn atomic_conditions(&self) -> bool {
        !self.moto
    }

    /// A store on this table, through [`TestDb::client`]. Retries do not wait
    /// ([`Backoff::none`]): tests never sleep.
    pub fn store(&self) -> Store {
        Store::new(self.client.clone(), self.table.clone()).with_backoff(Backoff::none())
    }

    /// A store on this table whose requests meet `faults` first; retries do not wait.
    pub fn store_with(&self, faults: &Faults) -> Store {
        Store::new(faults.client(&self.client), self.table.clone()).with_backoff(Backoff::none())
    }

    /// An [`App`] on this table with a clock stopped at `now` (RFC 3339).
    pub fn app_at(&self, now: &str) -> App {
        self.app_with_clock(Arc::new(FixedClock::at(now)))
    }

    /// An [`App`] on this table with `clock`, 30 expiring-soon days and the default key retention.
    pub fn app_with_clock(&self, clock: Arc<dyn Clock>) -> App {
        let config = Config {
            table_name: self.table.clone(),
            expiring_soon_days: 30,
            idempotency_ttl_hours: crate::config::DEFAULT_IDEMPOTENCY_TTL_HOURS,
        };
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

/// Whether `endpoint` is a moto server (it answers `GET /moto-api/`, its dashboard). moto 5.2 serves
/// requests on several threads and evaluates a condition and applies the write without a
/// lock (a transaction rolls back by restoring a deep copy of the table), so concurrent
/// conditional writes to one item are not atomic there. Measured: 20 concurrent first
/// requests with one Idempotency-Key made 2 items; the existing twenty-concurrent-renewals
/// store test failed 1 run in 3 on main. DynamoDB and dynoxide are atomic.
pub fn is_moto(endpoint: &str) -> bool {
    use std::io::{Read, Write};
    let Some(authority) = endpoint.strip_prefix("http://").map(|a| a.trim_end_matches('/')) else { return false };
    let Ok(addr) = authority.parse::<std::net::SocketAddr>() else { return false };
    let timeout = std::time::Duration::from_secs(10);
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, timeout) else { return false };
    let _ = stream.set_read_timeout(Some(timeout));
    let request = format!("GET /moto-api/ HTTP/1.0\r\nHost: {authority}\r\n\r\n");
    let mut head = Vec::new();
    let _ = stream.write_all(request.as_bytes()).and_then(|_| (&mut stream).take(12).read_to_end(&mut head));
    head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200")
}

/// Prints why a test of concurrent conditional writes does not run on `db`, and says
/// whether to skip it.
pub fn skip_concurrent_writes(db: &TestDb) -> bool {
    let skip = !db.atomic_conditions();
    if skip {
        eprintln!(
            "skipped on moto: its conditional writes are not atomic under concurrency (shared::testing::is_moto)"
        );
    }
    skip
}

/// An instant from an RFC 3339 literal (panics on a bad literal: tests only).
pub fn at(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
    FixedClock::at(rfc3339).now()
}

/// A certification to seed a table with: `mentor-42`, `peer_mentor_level_2`, issued
/// 2025-09-01, stored `active`, no renewals, created and updated 2026-01-01. Tests set the
/// public fields they care about.
pub fn certification(id: &str, expires_at: &str) -> crate::domain::Certification {
    crate::domain::Certification {
        id: id.into(),
        mentor_id: "mentor-42".into(),
        mentor_name: None,
        cert_type: "peer_mentor_level_2".into(),
        status: crate::domain::Status::Active,
        status_reason: None,
        issued_at: at("2025-09-01T00:00:00Z"),
        expires_at: at(expires_at),
        renewal_count: 0,
        renewal_history: Vec::new(),
        created_at: at("2026-01-01T00:00:00Z"),
        updated_at: at("2026-01-01T00:00:00Z"),
        version: 1,
    }
}

/// An [`App`] whose DynamoDB endpoint refuses connections (a port bound and released), with
/// the SDK's retries off so the 503 path runs fast.
pub async fn unreachable_app(now: &str) -> App {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free loopback port").port();
    let client = client_for(&format!("http://127.0.0.1:{port}"), &RequestCounter::default()).await;
    let config = client.config().to_builder().retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled());
    let store = Store::new(Client::from_conf(config.build()), "certifications");
    let config = Config {
        table_name: "certifications".into(),
        expiring_soon_days: 30,
        idempotency_ttl_hours: crate::config::DEFAULT_IDEMPOTENCY_TTL_HOURS,
    };
    App::new(store, Arc::new(FixedClock::at(now)), config)
}
