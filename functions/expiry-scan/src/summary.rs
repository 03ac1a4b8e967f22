//! What a run did: the [`Summary`] the scanner fills in, the Lambda returns and logs, and
//! `metrics::record` turns into the run's metrics. A module of its own, importing nothing
//! from the crate: the scanner imports it and calls the metrics, the metrics import only
//! it, so no two modules import each other.
use serde::Serialize;

/// What a run did; returned by the Lambda and logged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Certifications this run flipped to `expired` (each announced by the table's stream).
    pub expired: u64,
    /// Reminder thresholds this run recorded (`reminded_days`; each announced by the table's
    /// stream as `certification.expiring`).
    pub reminders: u64,
    /// Query pages read from the index.
    pub pages: u64,
    /// Items this run read but left for the next run because the deadline came before their
    /// batch. Items a run never read because it stopped at the deadline are not counted
    /// here; `complete: false` says there may be more.
    pub remaining: u64,
    /// `true` when the run read every page to the end (no deadline stop). A complete run
    /// with `remaining: 0` left nothing due.
    pub complete: bool,
    /// Writes refused because the certification changed since it was read (renewed, updated,
    /// deleted, or recorded by another run): nothing written, so nothing announced.
    pub skipped: u64,
    /// Items whose write failed for a reason other than the store being unavailable (an item
    /// at the size limit, say): logged, left for the next run, and the scan went on.
    pub failed: u64,
}
