//! The scheduled expiry scan. Two EventBridge schedules invoke it: every minute for the
//! expiry pass alone, daily for both passes (by default; [`Passes`]). A run
//!
//! 1. flips every stored-`active` certification whose `expires_at <= now` to `expired`;
//! 2. (daily) for each threshold in `EXPIRY_REMINDER_DAYS` records `reminded_days` once per
//!    certification and expiry cycle, only the tightest threshold it is inside;
//!
//! and returns a [`Summary`]. It only writes: the table's stream announces each flip
//! (`certification.expired`) and each recorded threshold (`certification.expiring`) through
//! `publish-events`, so a change is announced if and only if it was written.
//!
//! | module      | concern                                   | imports from the crate |
//! |-------------|-------------------------------------------|------------------------|
//! | [`config`]  | `TABLE_NAME`, `EXPIRY_REMINDER_DAYS`      | nothing |
//! | [`summary`] | what a run did                            | nothing |
//! | [`metrics`] | the run's EMF metrics                     | `summary` |
//! | [`scanner`] | the passes, the deadline                  | `summary`, `metrics` |
pub mod config;
pub mod metrics;
pub mod scanner;
pub mod summary;

use std::sync::Arc;

use lambda_runtime::LambdaEvent;
use serde_json::Value;
use shared::{Store, SystemClock};

pub use config::{ConfigError, ScanConfig};
pub use scanner::{Deadline, NoDeadline, Passes, ScanError, ScanOptions, Scanner, WallDeadline, DEADLINE_MARGIN};
pub use summary::Summary;

/// Production wiring, once per cold start: environment, the DynamoDB client (from the one
/// `shared::config::lambda_sdk_config`, so `AWS_ENDPOINT_URL_*` and the region variables apply),
/// the wall clock.
pub async fn from_env() -> Result<Scanner, ConfigError> {
    let config = ScanConfig::from_env()?;
    let sdk = shared::config::lambda_sdk_config().await;
    let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), config.table_name);
    Ok(Scanner::new(store, Arc::new(SystemClock), ScanOptions::new(config.reminder_days)))
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

impl Scanner {
    /// One invocation. The payload's `passes` chooses the passes ([`Passes::from_payload`]);
    /// anything else in it is only logged, and any payload without `passes` (the daily
    /// scheduled event, a manual `aws lambda invoke` with `{}`) runs both.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Summary, ScanError> {
        let (payload, ctx) = event.into_parts();
        let passes = Passes::from_payload(&payload)?;
        tracing::info!(
            event_id = payload.get("id").and_then(serde_json::Value::as_str).unwrap_or_default(),
            scheduled_time = payload.get("time").and_then(serde_json::Value::as_str).unwrap_or_default(),
            expire = passes.expire,
            remind = passes.remind,
            "expiry scan started"
        );
        self.run_passes(passes, &WallDeadline::before(ctx.deadline(), DEADLINE_MARGIN)).await
    }
}
