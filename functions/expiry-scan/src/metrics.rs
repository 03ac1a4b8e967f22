//! The expiry scan's metrics, one set per run, recorded through the `metrics` facade and
//! written as EMF by `shared::metrics::Metrics::invocation` (dimension `Operation` =
//! `expiry-scan`, namespace `METRICS_NAMESPACE`):
//!
//! | metric | kind | meaning |
//! |---|---|---|
//! | `Expired` | count | certifications flipped to `expired` |
//! | `RemindersRecorded` | count | reminder thresholds recorded (`reminded_days`) |
//! | `ItemsSkipped` | count | writes refused because the item changed meanwhile |
//! | `ItemsFailed` | count | items whose write failed for the item's own reason (size limit, say); the run went on |
//! | `Remaining` | gauge | items read but left for the next run (the deadline came first) |
//! | `ScanCompleted` | gauge | 1 when the run read every page without error, else 0 |
//!
//! The scan publishes nothing itself (the table's stream announces what it writes), so it
//! has no delivery metric: the publisher's `EventsPublished`/`EventsFailed` are those.
//! Counts of 0 are left out of the document (the crate's default); the two gauges are always
//! written, so the `ExpiryScanIncompleteAlarm` sees every run.
use metrics::Unit;

use crate::summary::Summary;

pub const EXPIRED: &str = "Expired";
pub const REMINDERS: &str = "RemindersRecorded";
pub const SKIPPED: &str = "ItemsSkipped";
pub const FAILED: &str = "ItemsFailed";
pub const REMAINING: &str = "Remaining";
pub const COMPLETED: &str = shared::metrics::SCAN_COMPLETED;

/// Records one run. `ok` is false when it stopped on a store error; such a run is not
/// complete whatever the summary says.
pub fn record(s: &Summary, ok: bool) {
    metrics::describe_gauge!(REMAINING, Unit::Count, "items left for the next run");
    metrics::describe_gauge!(COMPLETED, Unit::Count, "1 when the run completed");
    for name in [EXPIRED, REMINDERS, SKIPPED, FAILED] {
        metrics::describe_counter!(name, Unit::Count, "per run");
    }
    metrics::counter!(EXPIRED).increment(s.expired);
    metrics::counter!(REMINDERS).increment(s.reminders);
    metrics::counter!(SKIPPED).increment(s.skipped);
    metrics::counter!(FAILED).increment(s.failed);
    metrics::gauge!(REMAINING).set(s.remaining as f64);
    metrics::gauge!(COMPLETED).set(if ok && s.complete { 1.0 } else { 0.0 });
}
