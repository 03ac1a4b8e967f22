//! The scheduled expiry scan (`functions/expiry-scan`), locally. In AWS an EventBridge
//! schedule runs it; here it runs
//!
//! - once, with `local-api scan` (optionally `--at <instant>` to replay a day);
//! - on an interval beside the API, with `local-api serve --scan-every <SECONDS>`;
//! - on demand, with `POST /_local/expiry-scan` on the local server. That route exists only
//!   in the local server (API Gateway has no such route) and answers the run's summary.
//!   With `--auth` it needs the write scope, as the API's writes do.
//!
//! It only writes, as in AWS: its flips and reminders reach the event file (`--events`,
//! default `.local/events.jsonl`) through the table's stream, like every request's writes
//! ([`crate::events`]).
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use chrono::{DateTime, Utc};
use expiry_scan::config::{parse_reminder_days, DEFAULT_REMINDER_DAYS};
use expiry_scan::{NoDeadline, ScanOptions, Scanner, Summary};
use shared::domain::FixedClock;
use shared::http::ApiError;
use shared::App;

use crate::auth::{authorize, AuthRules};
use crate::response::{problem, to_axum};
use crate::storage::{Storage, StorageArgs, StorageError};

pub use crate::events::DEFAULT_EVENTS_FILE;
/// The local-only admin route.
pub const SCAN_ROUTE: &str = "/_local/expiry-scan";

/// Where the events go and which thresholds the scan uses (shared by `serve` and `scan`).
#[derive(Debug, Clone, clap::Args)]
pub struct ScanArgs {
    /// JSON-lines file the events (every write's, from the table's stream) are appended to;
    /// created with its directory.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_EVENTS_FILE)]
    pub events: PathBuf,
    /// Reminder thresholds in days, as the Lambda's EXPIRY_REMINDER_DAYS.
    #[arg(long, value_name = "DAYS,...", env = "EXPIRY_REMINDER_DAYS", default_value = DEFAULT_REMINDER_DAYS,
          value_parser = reminder_days)]
    pub reminder_days: ReminderDays,
}

/// `--scan-every` for `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeScanArgs {
    /// Also run the expiry scan every SECONDS while serving (first run at start-up).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub scan_every: Option<u64>,
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// `local-api scan`.
#[derive(Debug, Clone, clap::Args)]
pub struct ScanCommandArgs {
    /// Scan as if it were this instant (RFC 3339), e.g. to see next month's reminders.
    #[arg(long, value_name = "RFC3339", value_parser = instant)]
    pub at: Option<DateTime<Utc>>,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderDays(pub Vec<u32>);

fn reminder_days(raw: &str) -> Result<ReminderDays, String> {
    parse_reminder_days(raw)
        .map(ReminderDays)
        .ok_or_else(|| "expected comma-separated whole numbers of days from 0 to 3650, e.g. 90,60,30,7".into())
}

fn instant(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("expected an RFC 3339 date-time such as 2026-04-01T09:00:00Z: {e}"))
}

#[derive(Debug, thiserror::Error)]
pub enum ScanCommandError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the expiry scan failed: {0}")]
    Scan(#[from] expiry_scan::ScanError),
}

/// The scan on the local server's store. It only writes; the event feed announces its
/// writes ([`crate::events`]).
#[derive(Clone)]
pub struct LocalScan {
    scanner: Arc<Scanner>,
}

impl LocalScan {
    /// The scan on `app`'s store, by `app`'s clock, with `args`' thresholds (`args.events` is
    /// the event feed's, not the scan's).
    pub fn new(app: &App, args: &ScanArgs) -> Self {
        let options = ScanOptions::new(args.reminder_days.0.clone());
        Self { scanner: Arc::new(Scanner::new(app.store.clone(), app.clock.clone(), options)) }
    }

    /// One complete run (no Lambda deadline locally).
    pub async fn run(&self) -> Result<Summary, expiry_scan::ScanError> {
        self.scanner.run(&NoDeadline).await
    }

    /// `POST /_local/expiry-scan`: runs the scan, answers its summary. With `auth` (`--auth`)
    /// it needs the write scope, as the API's writes do (401 without a valid token, 403
    /// without the scope). Errors (another method is a 405, before auth, as on the API's
    /// routes) go through the one problem+json mapping.
    pub fn routes(&self, auth: Option<Arc<AuthRules>>) -> axum::Router {
        let other_methods = || async { problem(ApiError::MethodNotAllowed { allow: "POST".into() }) };
        axum::Router::new().route(SCAN_ROUTE, post(run_route).fallback(other_methods)).with_state((self.clone(), auth))
    }

    /// Runs the scan now and then every `period`, until the task is aborted. A run that is
    /// still going when the next is due delays it (no overlapping runs).
    pub fn every(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let scan = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                // The scanner logs its summary or its error.
                let _ = scan.run().await;
            }
        })
    }
}

async fn run_route(
    State((scan, auth)): State<(LocalScan, Option<Arc<AuthRules>>)>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if let Err(e) = authorize(auth.as_deref(), "POST", &headers) {
        return problem(e);
    }
    match scan.run().await {
        Ok(summary) => to_axum(shared::http::json(axum::http::StatusCode::OK, &summary)),
        Err(expiry_scan::ScanError::Store(e)) => problem(ApiError::from(e)),
        // `run` makes both passes and reads no payload, so this cannot come back from it.
        Err(e @ expiry_scan::ScanError::Payload(_)) => {
            tracing::error!(error = %e, "local expiry scan");
            problem(ApiError::Internal)
        }
    }
}

/// `local-api scan`: open the storage, run the scan once, append the events of its writes
/// to the event file (read from the table's stream), print the summary as one JSON line on
/// stdout, close.
pub async fn scan_command(args: &ScanCommandArgs, storage: &StorageArgs) -> Result<(), ScanCommandError> {
    let storage = Storage::open(storage).await?;
    let app = match args.at {
        Some(t) => App { clock: Arc::new(FixedClock(t)), ..storage.app.clone() },
        None => storage.app.clone(),
    };
    // Opened before the run: it reads from the newest record, so exactly this run's writes.
    let mut feed = crate::events::EventFeed::open_or_warn(&storage, &args.scan.events).await;
    let scan = LocalScan::new(&app, &args.scan);
    let result = scan.run().await;
    if let Some(feed) = feed.as_mut() {
        if let Err(e) = feed.drain().await {
            tracing::warn!(error = %e, "the scan's writes are done, but their events were not all written: {e}");
        }
    }
    drop((scan, feed, app));
    storage.close().await;
    let summary = result?;
    println!("{}", serde_json::json!(summary));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn t(s: &str) -> DateTime<Utc> {
        instant(s).unwrap()
    }

    fn cert(id: &str, expires: &str) -> shared::Certification {
        shared::testing::certification(id, expires)
    }

    async fn call(router: &axum::Router, method: &str) -> (u16, String, serde_json::Value) {
        let req =
            axum::http::Request::builder().method(method).uri(SCAN_ROUTE).body(axum::body::Body::empty()).unwrap();
        let res = router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let content_type =
            res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, content_type, serde_json::from_slice(&body).unwrap_or_default())
    }

    #[tokio::test]
    async fn the_admin_route_runs_the_scan_and_its_writes_events_land_in_the_file() {
        let args = StorageArgs::memory();
        let storage = Storage::open(&args).await.unwrap();
        storage.app.store.create(&cert("cert-due", "2026-03-01T00:00:00Z")).await.unwrap();
        storage.app.store.create(&cert("cert-soon", "2026-03-30T00:00:00Z")).await.unwrap();
        let events = std::env::temp_dir().join(format!("local-scan-test-{}.jsonl", ulid::Ulid::new()));
        // From the newest record: the two creates above are not this test's events.
        let mut feed =
            crate::events::EventFeed::open(&storage, &events, shared::store::stream::Start::Latest).await.unwrap();
        let scan_args = ScanArgs { events: events.clone(), reminder_days: ReminderDays(vec![7, 30]) };
        let app = App { clock: Arc::new(FixedClock(t("2026-03-26T10:00:00Z"))), ..storage.app.clone() };
        let scan = LocalScan::new(&app, &scan_args);
        let router = scan.routes(None);

        let (status, _, summary) = call(&router, "POST").await;
        assert_eq!(status, 200);
        assert_eq!(
            summary,
            serde_json::json!({"expired": 1, "reminders": 1, "pages": 12, "remaining": 0, "complete": true,
                               "skipped": 0, "failed": 0})
        );
        let (_, _, again) = call(&router, "POST").await;
        assert_eq!((again["expired"].as_u64(), again["reminders"].as_u64()), (Some(0), Some(0)));
        let (status, content_type, problem) = call(&router, "GET").await;
        assert_eq!(
            (status, content_type.as_str(), problem["status"].as_u64()),
            (405, "application/problem+json", Some(405))
        );

        assert_eq!(feed.drain().await.unwrap().len(), 2, "two writes, two events; the second run wrote nothing");
        let text = std::fs::read_to_string(&events).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let kinds: Vec<(&str, &str)> = lines
            .iter()
            .map(|e| (e["detail-type"].as_str().unwrap(), e["detail"]["certification_id"].as_str().unwrap()))
            .collect();
        assert_eq!(kinds, [("certification.expired", "cert-due"), ("certification.expiring", "cert-soon")]);
        for line in &lines {
            let mut keys: Vec<&str> = line.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["detail", "detail-type", "source", "time"], "EventBridge's envelope: {line}");
        }
        let _ = std::fs::remove_file(events);
        storage.close().await;
    }

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ScanCommandArgs,
    }

    #[test]
    fn scan_flags_are_checked() {
        let parse = |a: &[&str]| Cli::try_parse_from(std::iter::once("scan").chain(a.iter().copied())).map(|c| c.args);
        let ok = parse(&["--at", "2026-04-01T11:00:00+02:00", "--reminder-days", "30, 7"]).unwrap();
        assert_eq!((ok.at, ok.scan.reminder_days), (Some(t("2026-04-01T09:00:00Z")), ReminderDays(vec![7, 30])));
        assert!(parse(&["--at", "tomorrow"]).is_err());
        assert!(parse(&["--reminder-days", "7,x"]).is_err());
        assert!(parse(&["--reminder-days", "4000"]).is_err());
    }
}
