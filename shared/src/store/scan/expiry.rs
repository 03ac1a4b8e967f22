//! What the scheduled expiry scan (`functions/expiry-scan`) needs from the store: the due
//! items and the reminder windows on the sparse `active-by-expiry` index (`scan/by_expiry.rs`),
//! the conditional flip to `expired`, and the atomic record of a reminder on the item.
//!
//! Reminder state is one number per item, `reminded_days`: the tightest threshold already
//! announced in the current expiry cycle. A renewal removes it (see `Store::update`), which
//! starts a new cycle.
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use chrono::{DateTime, NaiveTime, SubsecRound, TimeDelta, Utc};
use tracing::instrument;

use crate::domain::lifecycle::{plan, Change, DomainError, Stored};
use crate::domain::{Certification, Status};
use crate::store::dynamo::attrs::{n, s, status, ts, Item};
use crate::store::dynamo::error::{built, classify, unless_condition_failed, StoreError};
use crate::store::dynamo::expr::{Cond, Expr, WithExpr};
use crate::store::dynamo::handle::Store;
use crate::store::dynamo::transact::Transacted;
use crate::store::scan::by_expiry::{continue_after, expiry_from, expiry_through, resume_at};
use crate::store::schema::item::from_item;
use crate::store::schema::table::attr;
use crate::store::write::transition::{changes, deltas, guard};

/// The items of one page the expiry scan reads. An item that does not decode is logged
/// and skipped, so one bad item cannot stall every later expiry and reminder; the request
/// paths, by contrast, fail loudly on it (500) since they would otherwise answer wrongly.
fn decode_scan_page(items: Option<Vec<Item>>) -> Vec<Certification> {
    let decoded = items.unwrap_or_default().into_iter().map(from_item);
    decoded
        .filter_map(|r| r.map_err(|e| tracing::error!(error = %e, "expiry scan skipped an undecodable item")).ok())
        .collect()
}

/// One reminder threshold's slice of the `active-by-expiry` index: the stored-`active` items whose
/// `days_until_expiry` is above the next tighter threshold and at most `threshold_days`,
/// and whose `expires_at` is still after now. A certification seen inside several thresholds
/// falls in exactly one band, the tightest, so it is announced only for that one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderBand {
    /// The reminder threshold (days before expiry) this band announces.
    pub threshold_days: u32,
    /// First `expires_at` in the band (inclusive).
    pub from: DateTime<Utc>,
    /// Last `expires_at` in the band (inclusive, whole seconds).
    pub to: DateTime<Utc>,
}

impl ReminderBand {
    /// The bands for `thresholds` (any order, duplicates ignored) at `now`, tightest first.
    ///
    /// `days_until_expiry` counts UTC calendar days, so `days_until_expiry <= t` means
    /// `expires_at` is before midnight UTC at the start of day `today + t + 1`.
    pub fn for_thresholds(now: DateTime<Utc>, thresholds: &[u32]) -> Vec<ReminderBand> {
        let now = now.trunc_subsecs(0);
        let midnight =
            |days: u32| (now.date_naive() + TimeDelta::days(i64::from(days))).and_time(NaiveTime::MIN).and_utc();
        let mut sorted = thresholds.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut bands = Vec::with_capacity(sorted.len());
        // The tightest band starts just after now: an `expires_at <= now` is due for expiry.
        let mut from = now + TimeDelta::seconds(1);
        for t in sorted {
            let to = midnight(t + 1) - TimeDelta::seconds(1);
            // Empty only for a 0-day threshold in the last second of a day.
            if from <= to {
                bands.push(ReminderBand { threshold_days: t, from, to });
            }
            from = from.max(midnight(t + 1));
        }
        bands
    }
}

impl Store {
    /// Stored-`active` certifications with `expires_at <= now`, oldest expiry first within
    /// each of the index's shards, one DynamoDB page at a time (`start` is the previous
    /// page's continuation). This is what the expiry scan reads: it grows with the due
    /// items, not with the table.
    #[instrument(skip(self, now, start))]
    pub async fn due_for_expiry(
        &self,
        now: DateTime<Utc>,
        page_size: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Certification>, Option<Item>), StoreError> {
        let now = now.trunc_subsecs(0);
        self.page_of(start, page_size, Expr::new(), |e, key| e.lt(key, expiry_through(now))).await
    }

    /// One DynamoDB page of a walk over the `active-by-expiry` shards (`start`: where the
    /// previous page ended), with `e`'s filter and `range` on the sort key.
    async fn page_of(
        &self,
        start: Option<Item>,
        page_size: i32,
        e: Expr,
        range: impl FnOnce(&mut Expr, &'static str) -> Cond,
    ) -> Result<(Vec<Certification>, Option<Item>), StoreError> {
        let (shard, start) = resume_at(start);
        let out = self
            .active_by_expiry(shard, e, range)?
            .set_exclusive_start_key(start)
            .limit(page_size)
            .send()
            .await
            .map_err(classify)?;
        let next = continue_after(shard, &out);
        Ok((decode_scan_page(out.items), next))
    }

    /// Flips one certification to `expired`, on condition that it is still stored
    /// `active` with the `expires_at` and `cert_type` the scan read (a renewal racing the
    /// scan wins), in one transaction with its count moves. Returns `false` when the
    /// condition failed (renewed, changed or deleted meanwhile).
    #[instrument(skip(self, c, now), fields(id = %c.id))]
    pub async fn mark_expired(&self, c: &Certification, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let t = match plan(Stored::Found(c), Change::Expire { now }) {
            Ok(t) => t,
            Err(DomainError::NotDue) => return Ok(false),
            Err(e) => return Err(StoreError::rejected(&c.id, e)),
        };
        let parts = || {
            let mut e = Expr::new();
            guard(&mut e, &t.guards);
            changes(&mut e, &t, now)?;
            let update = Update::builder().table_name(&self.table).key(attr::ID, s(&c.id)).with_expr(&e)?;
            let update = built("the expiry flip", update.build())?;
            let mut parts: Vec<TransactWriteItem> = vec![TransactWriteItem::builder().update(update).build()];
            parts.extend(self.count_updates(&deltas(&t))?);
            Ok(parts)
        };
        Ok(self.transact(parts).await? == Transacted::Applied)
    }

    /// One DynamoDB page of `band` (`start` is the previous page's `LastEvaluatedKey`):
    /// the items in the band not yet reminded at `band.threshold_days` or tighter in this
    /// cycle, soonest expiry first. The Query reads the band's slice of the index (the
    /// filter only trims what comes back), so what the reminder pass reads grows with the
    /// certifications inside the widest threshold, not with the table.
    #[instrument(skip(self, start))]
    pub async fn reminders_due(
        &self,
        band: &ReminderBand,
        page_size: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Certification>, Option<Item>), StoreError> {
        let mut e = Expr::new();
        let (unset, looser) = (e.not_exists(attr::REMINDED_DAYS), e.gt(attr::REMINDED_DAYS, n(band.threshold_days)));
        e.filter(unset.or(looser));
        self.page_of(start, page_size, e, |e, key| e.between(key, expiry_from(band.from), expiry_through(band.to)))
            .await
    }

    /// Records on the item that the reminder for `threshold_days` was announced, in one
    /// conditional UpdateItem: the certification must still be stored `active` with the
    /// `expires_at` the scan read (a renewal racing the scan wins, and its new cycle is not
    /// marked), and not already reminded at this threshold or a tighter one (a concurrent
    /// scan's record is never loosened). Returns `false` when the condition failed.
    /// `updated_at` and `version` (the ETag) are left alone: this is bookkeeping, not a change
    /// to the record any response shows, and it must not fail a client's `If-Match`.
    #[instrument(skip(self, c), fields(id = %c.id))]
    pub async fn record_reminder(&self, c: &Certification, threshold_days: u32) -> Result<bool, StoreError> {
        let mut e = Expr::new();
        let same_cycle = e.eq(attr::STATUS, status(Status::Active)).and(e.eq(attr::EXPIRES_AT, ts(c.expires_at)));
        let (unset, looser) = (e.not_exists(attr::REMINDED_DAYS), e.gt(attr::REMINDED_DAYS, n(threshold_days)));
        e.condition(same_cycle.and(unset.or(looser)));
        e.set(attr::REMINDED_DAYS, n(threshold_days));
        let r = self.client.update_item().table_name(&self.table).key(attr::ID, s(&c.id)).with_expr(&e)?.send().await;
        Ok(unless_condition_failed(r)?.is_some())
    }
}

#[cfg(test)]
#[path = "expiry_tests.rs"]
mod tests;
