//! The scheduled expiry scan. An EventBridge schedule invokes it (daily by default); each run
//!
//! 1. flips every stored-`active` certification whose `expires_at <= now` to `expired` and
//!    publishes `certification.expired`;
//! 2. for each threshold in `EXPIRY_REMINDER_DAYS` publishes `certification.expiring` once per
//!    certification and expiry cycle, only the tightest threshold it is inside;
//!
//! and returns a [`Summary`]. Why it publishes before it records, and what that means for
//! failures, is in [`scanner`].
//!
//! | module      | concern                                                      | imports from the crate |
//! |-------------|--------------------------------------------------------------|------------------------|
//! | [`config`]  | `TABLE_NAME`, `EXPIRY_REMINDER_DAYS`, `EVENT_BUS_NAME`, `EVENTS_INCLUDE_MENTOR_NAME` | `notice` |
//! | [`notice`]  | the events: source, detail-types, detail                     | nothing |
//! | [`sink`]    | EventBridge `PutEvents`, or a JSON-lines file for local runs | `notice` |
//! | [`summary`] | what a run did                                               | nothing |
//! | [`metrics`] | the run's EMF metrics                                        | `summary` |
//! | [`scanner`] | the passes, the deadline                                     | `notice`, `sink`, `summary`, `metrics` |
pub mod config;
pub mod metrics;
pub mod notice;
pub mod scanner;
pub mod sink;
pub mod summary;

use std::sync::Arc;

use lambda_runtime::LambdaEvent;
use serde_json::Value;
use shared::{Store, SystemClock};

pub use config::{ConfigError, ScanConfig};
pub use scanner::{Deadline, NoDeadline, ScanError, ScanOptions, Scanner, WallDeadline, DEADLINE_MARGIN};
pub use sink::{EventBridgeSink, EventSink, JsonLinesSink};
pub use summary::Summary;

/// Production wiring, once per cold start: environment, the SDK clients (both from the one
/// `shared::config::sdk_config`, so `AWS_ENDPOINT_URL_*` and the region variables apply),
/// the wall clock.
pub async fn from_env() -> Result<Scanner<EventBridgeSink>, ConfigError> {
    let config = ScanConfig::from_env()?;
    let sdk = shared::config::sdk_config().await;
    let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), config.table_name);
    let sink = EventBridgeSink::new(aws_sdk_eventbridge::Client::new(&sdk), config.event_bus_name);
    let options = ScanOptions { fields: config.fields, ..ScanOptions::new(config.reminder_days) };
    Ok(Scanner::new(store, sink, Arc::new(SystemClock), options))
}

/// The Lambda: tracing, then [`from_env`] once per cold start, then every scheduled
/// invocation to [`Scanner::handle`].
pub async fn run() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init_tracing("");
    let scanner = &from_env().await?;
    let metrics = &shared::metrics::Metrics::from_env("expiry-scan")?;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<Value>| {
        // Boxed: the scan's future nested in the metrics wrapper is deep enough to exceed the
        // compiler's default type-layout recursion limit.
        metrics.invocation(Box::pin(scanner.handle(event)), std::io::stdout())
    }))
    .await
}

impl<S: EventSink> Scanner<S> {
    /// One invocation. The payload is only logged: the scheduled event carries nothing the
    /// scan needs, and any payload (a manual `aws lambda invoke` with `{}`) starts a run.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Summary, ScanError> {
        let (payload, ctx) = event.into_parts();
        tracing::info!(
            event_id = payload.get("id").and_then(serde_json::Value::as_str).unwrap_or_default(),
            scheduled_time = payload.get("time").and_then(serde_json::Value::as_str).unwrap_or_default(),
            "expiry scan started"
        );
        self.run(&WallDeadline::before(ctx.deadline(), DEADLINE_MARGIN)).await
    }
}
