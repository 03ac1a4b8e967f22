//! The scan itself: expire what is due, then announce what is about to expire.
//!
//! # Ordering: publish, then record
//!
//! For every item the scan first publishes the notice and only then records it on the item
//! (flips the status with [`Store::mark_expired`], or sets `reminded_days` with
//! [`Store::record_reminder`]). The record is what takes an item out of the next run's work,
//! so:
//!
//! - a notice that could not be published (PutEvents failed, or its entry kept failing after
//!   [`ScanOptions::publish_attempts`]) is not recorded: the item stays due, and the next run
//!   publishes it. Nothing is lost.
//! - a crash, timeout or DynamoDB error between publish and record leaves a published notice
//!   unrecorded: the next run publishes it again. Delivery is at-least-once.
//! - a normal re-run finds nothing to do: every notice it published was recorded, and the
//!   Queries no longer return those items.
//! - both records are conditional on the item still being stored `active` with the
//!   `expires_at` the scan read (the flip also on the `cert_type` read, which decides its
//!   count moves). A renewal that lands between the read and the record wins:
//!   the record is refused, the renewed certification stays `active` and its new cycle gets
//!   its own reminders. The notice already published describes the cycle it names (its
//!   `expires_at`), which had really reached that point when the scan read it.
//! - two scans running at once (a duplicated delivery of the scheduled event) can both publish
//!   a notice for the same item before either records it; the conditional record keeps the
//!   item's state right (one flip, `reminded_days` never loosened), and the duplicate notice is
//!   the at-least-once case. Consumers deduplicate as [`crate::notice::Notice`] explains.
//!
//! The opposite order (record, then publish) would lose the notice whenever the process died
//! between the two, because the recorded item leaves the due set for good.
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

use crate::notice::{Notice, NoticeFields, NoticeKind};
use crate::sink::{EventSink, MAX_BATCH};
use crate::summary::Summary;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A Query failed, or a record failed because the store is unavailable, after the SDK's
    /// retries. The run stops; notices already published but not yet recorded are published
    /// again by the next run. (One item's record failing otherwise only counts in
    /// [`Summary::failed`].)
    #[error("store: {0}")]
    Store(#[from] StoreError),
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
/// or one batch: a PutEvents with its retries, then up to ten records sent together, each a
/// TransactWriteItems for a flip or an UpdateItem for a reminder).
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
    /// Attempts per notice (the first send included) before it is left for the next run.
    pub publish_attempts: u32,
    /// Wait before the second attempt; doubles for each further one.
    pub retry_backoff: Duration,
    /// Which personal fields the events carry (none by default).
    pub fields: NoticeFields,
}

impl ScanOptions {
    pub fn new(reminder_days: Vec<u32>) -> Self {
        Self {
            reminder_days,
            page_size: 100,
            publish_attempts: 3,
            retry_backoff: Duration::from_millis(200),
            fields: NoticeFields::default(),
        }
    }
}

/// Which pass an item belongs to.
#[derive(Debug, Clone, Copy)]
enum Pass {
    Expire,
    Remind(ReminderBand),
}

pub struct Scanner<S> {
    store: Store,
    sink: S,
    clock: Arc<dyn Clock>,
    options: ScanOptions,
}

impl<S: EventSink> Scanner<S> {
    pub fn new(store: Store, sink: S, clock: Arc<dyn Clock>, options: ScanOptions) -> Self {
        Self { store, sink, clock, options }
    }

    /// One run at the clock's `now`: the expiry pass, then the reminder bands, tightest
    /// first. Logs its summary whether it ends normally or on a store error.
    pub async fn run(&self, deadline: &dyn Deadline) -> Result<Summary, ScanError> {
        let now = self.clock.now();
        let mut summary = Summary { complete: true, ..Summary::default() };
        let mut result = self.pass(Pass::Expire, now, deadline, &mut summary).await;
        for band in ReminderBand::for_thresholds(now, &self.options.reminder_days) {
            if result.is_err() || !summary.complete {
                break;
            }
            result = self.pass(Pass::Remind(band), now, deadline, &mut summary).await;
        }
        let Summary { expired, reminders, pages, remaining, complete, publish_failures, skipped, failed } = summary;
        crate::metrics::record(&summary, result.is_ok());
        match result {
            Ok(()) => {
                tracing::info!(
                    expired, reminders, pages, remaining, complete, publish_failures, skipped, failed, now = %now,
                    "expiry scan finished"
                );
                Ok(summary)
            }
            Err(e) => {
                tracing::error!(
                    expired, reminders, pages, remaining, publish_failures, skipped, failed, error = %e,
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

    /// Publish a batch, then record each notice that was delivered.
    async fn batch(
        &self,
        pass: Pass,
        items: &[Certification],
        now: DateTime<Utc>,
        summary: &mut Summary,
    ) -> Result<(), ScanError> {
        let kind = match pass {
            Pass::Expire => NoticeKind::Expired,
            Pass::Remind(band) => NoticeKind::Expiring { threshold_days: band.threshold_days },
        };
        let fields = self.options.fields;
        let notices: Vec<Notice> = items.iter().map(|c| Notice::new(kind, c, now, fields)).collect();
        let delivered = self.deliver(&notices).await;
        summary.publish_failures += delivered.iter().filter(|ok| !**ok).count() as u64;
        // The records of one batch are independent conditional writes on different items (a
        // flip's TransactWriteItems also moves count items, retried on a conflict by the store):
        // sent together, so a batch costs one round trip rather than ten.
        let records = items.iter().zip(delivered).filter(|(_, ok)| *ok).map(|(c, _)| async move {
            let recorded = match kind {
                NoticeKind::Expired => self.store.mark_expired(c, now).await,
                NoticeKind::Expiring { threshold_days } => self.store.record_reminder(c, threshold_days).await,
            };
            (c, recorded)
        });
        let records = futures::future::join_all(records).await;
        summary.remaining += (items.len() - records.len()) as u64;
        let mut failure = None;
        for (c, recorded) in records {
            match recorded {
                Ok(true) if kind == NoticeKind::Expired => summary.expired += 1,
                Ok(true) => summary.reminders += 1,
                Ok(false) => {
                    summary.skipped += 1;
                    tracing::info!(
                    certification_id = %c.id,
                    detail_type = kind.detail_type(),
                    "published, but the certification changed since it was read (renewed, updated, deleted, or \
                     recorded by another run); its record was left alone"
                    )
                }
                Err(e @ StoreError::Unavailable(_)) => {
                    tracing::error!(
                        certification_id = %c.id,
                        error = %e,
                        "published but not recorded; the next run publishes it again"
                    );
                    failure.get_or_insert(e);
                }
                // This item's own problem (say, at the item size limit): the rest of the
                // run is unaffected, so it goes on.
                Err(e) => {
                    tracing::error!(
                        certification_id = %c.id,
                        error = %e,
                        "published but its record failed; left for the next run, the scan goes on"
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

    /// Sends `notices`, resending only the entries that failed, up to `publish_attempts`
    /// times in all. Returns which were delivered.
    async fn deliver(&self, notices: &[Notice]) -> Vec<bool> {
        let mut delivered = vec![false; notices.len()];
        let mut pending: Vec<usize> = (0..notices.len()).collect();
        let mut backoff = self.options.retry_backoff;
        for attempt in 1..=self.options.publish_attempts.max(1) {
            if attempt > 1 {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            let batch: Vec<Notice> = pending.iter().map(|&i| notices[i].clone()).collect();
            let outcomes = self.sink.publish(&batch).await;
            let mut failed = Vec::new();
            for (k, &i) in pending.iter().enumerate() {
                match outcomes.get(k) {
                    Some(Ok(())) => delivered[i] = true,
                    Some(Err(r)) => {
                        tracing::warn!(
                            certification_id = notices[i].certification_id(),
                            detail_type = notices[i].kind.detail_type(),
                            code = %r.code,
                            message = %r.message,
                            attempt,
                            "event not delivered"
                        );
                        failed.push(i);
                    }
                    None => failed.push(i),
                }
            }
            pending = failed;
            if pending.is_empty() {
                break;
            }
        }
        if !pending.is_empty() {
            tracing::warn!(left = pending.len(), "events still failing are left for the next run");
        }
        delivered
    }
}
