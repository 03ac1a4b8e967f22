//! The scan itself: expire what is due, then record the reminders due.
//!
//! # It only writes
//!
//! For every due item the scan makes one conditional write: the flip to `expired`
//! ([`Store::mark_expired`]) or the reminder threshold ([`Store::record_reminder`], which
//! sets `reminded_days`). It publishes nothing: the table's stream carries every committed
//! write to `publish-events`, which announces it (`certification.expired`,
//! `certification.expiring`). So a change is announced if and only if it was written, and
//! nothing the scan does depends on EventBridge being reachable or configured.
//!
//! - The write is what takes an item out of the next run's work: a re-run finds nothing to
//!   do, and the same scheduled event delivered twice writes (and so announces) nothing new.
//! - Both writes are conditional on the item still being stored `active` with the
//!   `expires_at` the scan read (the flip also on the `cert_type` read, which decides its
//!   count moves). A renewal that lands between the read and the write wins: the write is
//!   refused ([`Summary::skipped`]), nothing is announced for the old cycle, and the renewed
//!   certification's new cycle gets its own reminders.
//! - Two scans at once (a duplicated delivery of the scheduled event): the conditional write
//!   lets one of them flip or record each item; the other's is refused.
//! - A crash or store error mid-run leaves the unwritten items due: the next run writes them.
//!
//! # Scale and the deadline
//!
//! Both passes Query the sparse `active-by-expiry` index page by page (never a Scan): the expiry
//! pass reads the stored-`active` items with `expires_at <= now` ([`Store::due_for_expiry`]);
//! the reminder pass reads, per threshold, the slice of the index whose items fall in that
//! threshold and not a tighter one ([`ReminderBand`]). Before each page and each batch of
//! [`MAX_BATCH`] the scan checks its [`Deadline`]; when it is reached it stops cleanly. There
//! is no cursor to keep: what a run finished left the due set, so the next run resumes where
//! this one stopped.
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use shared::domain::Clock;
use shared::store::Item;
use shared::store::ReminderBand;
use shared::{Certification, Store, StoreError};

use crate::summary::Summary;

/// Writes sent together: independent conditional writes on different items (a flip's
/// TransactWriteItems also moves count items, retried on a conflict by the store), so a batch
/// costs one round trip rather than ten; the deadline is checked between batches.
pub const MAX_BATCH: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A Query failed, or a write failed because the store is unavailable, after the SDK's
    /// retries. The run stops; what it did not write stays due for the next run. (One item's
    /// write failing otherwise only counts in [`Summary::failed`].)
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The payload's `passes` is not a list of `"expire"` / `"remind"`: a schedule's `Input`
    /// was edited by hand. Nothing runs; the failed invocation lands in the dead-letter queue.
    #[error("payload: {0}")]
    Payload(String),
}

impl From<ScanError> for lambda_runtime::Diagnostic {
    fn from(e: ScanError) -> Self {
        lambda_runtime::Diagnostic { error_type: "ExpiryScanError".into(), error_message: e.to_string() }
    }
}

/// When the scan must stop starting new work.
pub trait Deadline: Send + Sync {
    fn reached(&self) -> bool;
}

/// The Lambda invocation's deadline less a margin for the work already started (one page,
/// or one batch: up to ten writes sent together, each a TransactWriteItems for a flip or an
/// UpdateItem for a reminder).
#[derive(Debug, Clone, Copy)]
pub struct WallDeadline {
    stop_at: SystemTime,
}

/// Default margin before the Lambda deadline.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

impl WallDeadline {
    pub fn before(deadline: SystemTime, margin: Duration) -> Self {
        Self { stop_at: deadline.checked_sub(margin).unwrap_or(SystemTime::UNIX_EPOCH) }
    }
}

impl Deadline for WallDeadline {
    fn reached(&self) -> bool {
        SystemTime::now() >= self.stop_at
    }
}

/// No deadline: local runs go to the end.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDeadline;

impl Deadline for NoDeadline {
    fn reached(&self) -> bool {
        false
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Reminder thresholds in days (any order).
    pub reminder_days: Vec<u32>,
    /// Items one Query evaluates.
    pub page_size: i32,
}

impl ScanOptions {
    pub fn new(reminder_days: Vec<u32>) -> Self {
        Self { reminder_days, page_size: 100 }
    }
}

/// The passes a run makes. Two schedules invoke the scan (`template.yaml`): the frequent one
/// (every minute) sends `{"passes": ["expire"]}`, so the not-yet-flipped set stays about a
/// minute of expiries
/// (each run reads only what is due); the daily one sends the scheduled event itself, and any
/// payload without `passes` makes both. Reminders count whole days, so once a day is enough
/// for them, and their pass reads the widest threshold's slice of the index (README, "Expiry
/// scan", for the cost of each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Passes {
    /// Flip what expired.
    pub expire: bool,
    /// Record the reminder thresholds reached.
    pub remind: bool,
}

impl Passes {
    /// Both passes: a payload without `passes`.
    pub const ALL: Passes = Passes { expire: true, remind: true };

    /// The passes `payload` asks for: its `passes`, a non-empty list of `"expire"` and
    /// `"remind"`, or both when it has none.
    pub fn from_payload(payload: &serde_json::Value) -> Result<Passes, ScanError> {
        let Some(listed) = payload.get("passes") else { return Ok(Passes::ALL) };
        let bad = || {
            ScanError::Payload(format!("passes must be a non-empty list of \"expire\" and \"remind\", got {listed}"))
        };
        let names = listed.as_array().filter(|l| !l.is_empty()).ok_or_else(bad)?;
        let mut out = Passes { expire: false, remind: false };
        for name in names {
            match name.as_str() {
                Some("expire") => out.expire = true,
                Some("remind") => out.remind = true,
                _ => return Err(bad()),
            }
        }
        Ok(out)
    }
}

/// Which pass an item belongs to.
#[derive(Debug, Clone, Copy)]
enum Pass {
    Expire,
    Remind(ReminderBand),
}

pub struct Scanner {
    store: Store,
    clock: Arc<dyn Clock>,
    options: ScanOptions,
}

impl Scanner {
    pub fn new(store: Store, clock: Arc<dyn Clock>, options: ScanOptions) -> Self {
        Self { store, clock, options }
    }

    /// One run of both passes (see [`Scanner::run_passes`]).
    pub async fn run(&self, deadline: &dyn Deadline) -> Result<Summary, ScanError> {
        self.run_passes(Passes::ALL, deadline).await
    }

    /// One run at the clock's `now`: the expiry pass, then the reminder bands, tightest
    /// first (each only if `passes` has it). Logs its summary whether it ends normally or on
    /// a store error.
    pub async fn run_passes(&self, passes: Passes, deadline: &dyn Deadline) -> Result<Summary, ScanError> {
        let now = self.clock.now();
        let mut summary = Summary { complete: true, ..Summary::default() };
        let mut result = match passes.expire {
            true => self.pass(Pass::Expire, now, deadline, &mut summary).await,
            false => Ok(()),
        };
        let thresholds: &[u32] = if passes.remind { &self.options.reminder_days } else { &[] };
        for band in ReminderBand::for_thresholds(now, thresholds) {
            if result.is_err() || !summary.complete {
                break;
            }
            result = self.pass(Pass::Remind(band), now, deadline, &mut summary).await;
        }
        let Summary { expired, reminders, pages, remaining, complete, skipped, failed } = summary;
        crate::metrics::record(&summary, result.is_ok());
        match result {
            Ok(()) => {
                tracing::info!(
                    expired, reminders, pages, remaining, complete, skipped, failed, now = %now,
                    "expiry scan finished"
                );
                Ok(summary)
            }
            Err(e) => {
                tracing::error!(
                    expired, reminders, pages, remaining, skipped, failed, error = %e,
                    "expiry scan stopped on an error"
                );
                Err(e)
            }
        }
    }

    async fn pass(
        &self,
        pass: Pass,
        now: DateTime<Utc>,
        deadline: &dyn Deadline,
        summary: &mut Summary,
    ) -> Result<(), ScanError> {
        let mut start: Option<Item> = None;
        loop {
            if deadline.reached() {
                summary.complete = false;
                return Ok(());
            }
            let (items, next) = match pass {
                Pass::Expire => self.store.due_for_expiry(now, self.options.page_size, start.take()).await?,
                Pass::Remind(band) => self.store.reminders_due(&band, self.options.page_size, start.take()).await?,
            };
            summary.pages += 1;
            for (i, batch) in items.chunks(MAX_BATCH).enumerate() {
                if deadline.reached() {
                    summary.remaining += (items.len() - i * MAX_BATCH) as u64;
                    summary.complete = false;
                    return Ok(());
                }
                self.batch(pass, batch, now, summary).await?;
            }
            match next {
                Some(k) => start = Some(k),
                None => return Ok(()),
            }
        }
    }

    /// Writes a batch: each flip or reminder, sent together.
    async fn batch(
        &self,
        pass: Pass,
        items: &[Certification],
        now: DateTime<Utc>,
        summary: &mut Summary,
    ) -> Result<(), ScanError> {
        let writes = items.iter().map(|c| async move {
            let written = match pass {
                Pass::Expire => self.store.mark_expired(c, now).await,
                Pass::Remind(band) => self.store.record_reminder(c, band.threshold_days).await,
            };
            (c, written)
        });
        let what = match pass {
            Pass::Expire => "expiry",
            Pass::Remind(_) => "reminder",
        };
        let mut failure = None;
        for (c, written) in futures::future::join_all(writes).await {
            match written {
                Ok(true) if matches!(pass, Pass::Expire) => summary.expired += 1,
                Ok(true) => summary.reminders += 1,
                Ok(false) => {
                    summary.skipped += 1;
                    tracing::info!(
                        certification_id = %c.id,
                        what,
                        "the certification changed since it was read (renewed, updated, deleted, or recorded by \
                         another run); left alone, nothing to announce"
                    )
                }
                Err(e @ StoreError::Unavailable(_)) => {
                    tracing::error!(certification_id = %c.id, what, error = %e, "not written; the next run does it");
                    failure.get_or_insert(e);
                }
                // This item's own problem (say, at the item size limit): the rest of the
                // run is unaffected, so it goes on.
                Err(e) => {
                    tracing::error!(
                        certification_id = %c.id,
                        what,
                        error = %e,
                        "its write failed; left for the next run, the scan goes on"
                    );
                    summary.failed += 1;
                }
            }
        }
        match failure {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }
}
