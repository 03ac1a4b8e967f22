//! Metrics in CloudWatch Embedded Metric Format (EMF): JSON lines on stdout that CloudWatch
//! Logs turns into metrics, with no API call and no agent.
//!
//! The code records through the [`metrics`] facade (`metrics::counter!` and friends, a no-op
//! until a recorder is installed, so handlers and tests that do not care pay nothing);
//! [`metrics_cloudwatch_embedded`] is the recorder and writes the EMF documents. [`Metrics`]
//! owns one collector per process and flushes it after every invocation ([`Metrics::observe`]
//! for the HTTP functions, [`Metrics::invocation`] for anything else), because a Lambda
//! environment runs one invocation at a time and may be frozen right after it.
//!
//! What is emitted, all in one namespace (`METRICS_NAMESPACE`, default `Certifications`),
//! dimensions `Operation` (the function: `create-certification`, `expiry-scan`, ...) and, on
//! the per-request metrics only, `StatusClass` (`2xx` ... `5xx`). No per-id dimension ever.
//!
//! | metric | unit | dimensions | when |
//! |---|---|---|---|
//! | `Requests` | Count | Operation, StatusClass | every HTTP request |
//! | `Duration` | Milliseconds | Operation, StatusClass | every HTTP request |
//! | `ColdStart` | Count | Operation | first invocation of an environment |
//! | `CertificationsCreated` / `Renewed` / `Suspended` / `Revoked` / `Deleted` | Count | Operation | a successful change ([`count`]) |
//!
//! The expiry scan's metrics are listed in `expiry_scan::metrics`.
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use lambda_http::{Body, Response};
use metrics::Unit;
use metrics_cloudwatch_embedded::{Builder, Collector};

/// Environment variable naming the CloudWatch namespace (template parameter `MetricsNamespace`).
pub const NAMESPACE_ENV: &str = "METRICS_NAMESPACE";
/// The namespace when [`NAMESPACE_ENV`] is unset or blank.
pub const DEFAULT_NAMESPACE: &str = "Certifications";

/// Dimension on every metric: the function's crate name (`create-certification`, ...).
pub const OPERATION: &str = "Operation";
/// Dimension on the per-request metrics: the response's [`status_class`].
pub const STATUS_CLASS: &str = "StatusClass";
/// Count of HTTP requests answered.
pub const REQUESTS: &str = "Requests";
/// Milliseconds spent in the handler, per HTTP request.
pub const DURATION: &str = "Duration";
/// Count of first invocations of an execution environment.
pub const COLD_START: &str = "ColdStart";
/// The expiry scan's completion gauge, which the `ExpiryScanIncompleteAlarm` reads.
pub const SCAN_COMPLETED: &str = "ScanCompleted";

/// A change a handler made, counted once per successful request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A certification was created (`CertificationsCreated`).
    Created,
    /// A PUT renewed one: a later `expires_at` (`CertificationsRenewed`).
    Renewed,
    /// A PUT set one `suspended` (`CertificationsSuspended`).
    Suspended,
    /// A PUT set one `revoked` (`CertificationsRevoked`).
    Revoked,
    /// A certification was deleted (`CertificationsDeleted`).
    Deleted,
}

impl Change {
    /// Every change, in declaration order.
    pub const ALL: [Change; 5] =
        [Change::Created, Change::Renewed, Change::Suspended, Change::Revoked, Change::Deleted];

    /// The CloudWatch metric name this change is counted under.
    pub fn metric(self) -> &'static str {
        match self {
            Change::Created => "CertificationsCreated",
            Change::Renewed => "CertificationsRenewed",
            Change::Suspended => "CertificationsSuspended",
            Change::Revoked => "CertificationsRevoked",
            Change::Deleted => "CertificationsDeleted",
        }
    }
}

/// Counts one business change. The hook handlers call; outside [`Metrics::observe`] (the
/// local server, most tests) there is no recorder and this does nothing.
pub fn count(change: Change) {
    metrics::counter!(change.metric()).increment(1);
}

/// `2xx`, `4xx`, `5xx` (and `1xx`/`3xx`, which the API does not answer).
pub fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// One process's collector: one function, so one `Operation`, set as the default dimension
/// (a handler's [`count`] needs no label).
///
/// The crate installs its collector as the *global* recorder ([`Builder::init`]) and has no
/// other way to build one, so there is one per process: right for a Lambda, and tests that
/// read the output live in a test binary of their own, one invocation at a time.
pub struct Metrics {
    collector: &'static Collector,
    cold: AtomicBool,
}

/// The recorder could not be installed (most likely one already is).
#[derive(Debug, thiserror::Error)]
#[error("cannot install the metrics recorder: {0}")]
pub struct MetricsError(String);

impl Metrics {
    /// Installs the process's recorder for `operation` in `namespace`. Fails if one is
    /// already installed.
    pub fn install(namespace: impl Into<String>, operation: &'static str) -> Result<Self, MetricsError> {
        let collector = Builder::new()
            .cloudwatch_namespace(namespace.into())
            .with_dimension(OPERATION, operation)
            .init()
            .map_err(|e| MetricsError(e.to_string()))?;
        describe();
        Ok(Self { collector, cold: AtomicBool::new(true) })
    }

    /// The namespace from `METRICS_NAMESPACE` (blank or unset: `Certifications`).
    pub fn namespace_from(lookup: impl Fn(&str) -> Option<String>) -> String {
        lookup(NAMESPACE_ENV).filter(|n| !n.trim().is_empty()).unwrap_or_else(|| DEFAULT_NAMESPACE.into())
    }

    /// Production, once per cold start: [`Metrics::install`] with the namespace from the
    /// environment.
    pub fn from_env(operation: &'static str) -> Result<Self, MetricsError> {
        Self::install(Self::namespace_from(|k| std::env::var(k).ok()), operation)
    }

    /// Runs one invocation: counts a cold start on the first, then writes everything recorded
    /// during it (by `fut` too) as EMF lines to `out`, one document per dimension set.
    pub async fn invocation<T, W: Write>(&self, fut: impl Future<Output = T>, mut out: W) -> T {
        if self.cold.swap(false, Ordering::Relaxed) {
            metrics::counter!(COLD_START).increment(1);
        }
        let value = fut.await;
        // Buffered, then one write: the documents reach stdout whole, never split by a log
        // line. Losing a metrics line must not fail the request; the log says why.
        let mut buf = Vec::new();
        let written = self.collector.flush(&mut buf).and_then(|()| out.write_all(&buf)).and_then(|()| out.flush());
        if let Err(e) = written {
            tracing::warn!(error = %e, "could not write the EMF metrics");
        }
        value
    }

    /// [`Metrics::invocation`] for an HTTP handler, adding `Requests` and `Duration` by the
    /// response's status class; writes to `out` ([`Metrics::observe`] writes to stdout).
    pub async fn observe_into<W: Write>(&self, fut: impl Future<Output = Response<Body>>, out: W) -> Response<Body> {
        let timed = async {
            let started = Instant::now();
            let response = fut.await;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let class = status_class(response.status().as_u16());
            metrics::counter!(REQUESTS, STATUS_CLASS => class).increment(1);
            metrics::histogram!(DURATION, STATUS_CLASS => class).record(ms);
            response
        };
        self.invocation(timed, out).await
    }

    /// One HTTP invocation, its metrics on stdout, where Lambda's log capture (and with it
    /// CloudWatch's EMF extraction) finds them.
    pub async fn observe(&self, fut: impl Future<Output = Response<Body>>) -> Response<Body> {
        self.observe_into(fut, std::io::stdout()).await
    }
}

/// Units, given to the recorder once.
fn describe() {
    metrics::describe_counter!(REQUESTS, Unit::Count, "HTTP requests answered");
    metrics::describe_histogram!(DURATION, Unit::Milliseconds, "time in the handler");
    metrics::describe_counter!(COLD_START, Unit::Count, "first invocation of an environment");
    for change in Change::ALL {
        metrics::describe_counter!(change.metric(), Unit::Count, "certifications changed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes() {
        let classes: Vec<&str> = [100, 200, 201, 304, 400, 404, 429, 500, 503, 599].map(status_class).to_vec();
        assert_eq!(classes, ["1xx", "2xx", "2xx", "3xx", "4xx", "4xx", "4xx", "5xx", "5xx", "5xx"]);
    }

    #[test]
    fn the_namespace_comes_from_the_environment_or_defaults() {
        assert_eq!(Metrics::namespace_from(|_| None), "Certifications");
        assert_eq!(Metrics::namespace_from(|_| Some("  ".into())), "Certifications");
        let named = Metrics::namespace_from(|k| (k == NAMESPACE_ENV).then(|| "Certs/Prod".to_owned()));
        assert_eq!(named, "Certs/Prod");
    }

    #[test]
    fn business_metric_names_are_distinct() {
        let names: std::collections::BTreeSet<&str> = Change::ALL.iter().map(|c| c.metric()).collect();
        assert_eq!(names.len(), Change::ALL.len());
    }
}

/// Reading EMF output back, for tests: every document, and one metric's value with the
/// dimensions it was filed under.
#[cfg(feature = "test-support")]
pub mod emf {
    use serde_json::Value;

    /// One JSON document per line; panics on anything else (EMF output must be only that).
    pub fn documents(out: &[u8]) -> Vec<Value> {
        let text = std::str::from_utf8(out).expect("EMF output is UTF-8");
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
    }

    /// `(value, dimension names, namespace, unit)` of `name` in the one document declaring
    /// it; `None` when no document does. Checks the `_aws` block is well formed on the way.
    pub fn metric<'a>(docs: &'a [Value], name: &str) -> Option<Found<'a>> {
        let mut found = docs.iter().filter_map(|d| {
            let block = &d["_aws"]["CloudWatchMetrics"][0];
            let declared = block["Metrics"].as_array()?.iter().find(|m| m["Name"] == name)?;
            assert!(d["_aws"]["Timestamp"].is_u64(), "Timestamp in epoch ms: {d}");
            let dims: Vec<&str> =
                block["Dimensions"][0].as_array()?.iter().map(|v| v.as_str().expect("dimension name")).collect();
            for dim in &dims {
                assert!(d[*dim].is_string(), "dimension {dim} has a value at top level: {d}");
            }
            Some(Found {
                value: &d[name],
                dimensions: dims,
                namespace: block["Namespace"].as_str()?,
                unit: declared["Unit"].as_str(),
                doc: d,
            })
        });
        let first = found.next();
        assert!(found.next().is_none(), "{name} is declared in more than one document");
        first
    }

    /// One metric as [`metric`] found it in the EMF output.
    #[derive(Debug)]
    pub struct Found<'a> {
        /// The metric's value in its document (a number, as written).
        pub value: &'a Value,
        /// The names of the document's dimensions, e.g. `["Operation", "StatusClass"]`.
        pub dimensions: Vec<&'a str>,
        /// The CloudWatch namespace it was filed under.
        pub namespace: &'a str,
        /// The declared unit (`Count`, `Milliseconds`, ...); `None` when none was declared.
        pub unit: Option<&'a str>,
        /// The whole document, for its dimension values (`doc["Operation"]`).
        pub doc: &'a Value,
    }
}
