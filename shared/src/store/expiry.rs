//! What the scheduled expiry scan (`functions/expiry-scan`) needs from the store: the due
//! items and the reminder windows on the sparse `active-by-expiry` index (`store::by_expiry`), the conditional flip to
//! `expired`, and the atomic record of a reminder on the item.
//!
//! Reminder state is one number per item, `reminded_days`: the tightest threshold already
//! announced in the current expiry cycle. A renewal removes it (see `Store::update`), which
//! starts a new cycle.
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use chrono::{DateTime, NaiveTime, SubsecRound, TimeDelta, Utc};
use tracing::instrument;

use super::by_expiry::{continue_after, expiry_from, expiry_through, resume_at};
use super::counts::Deltas;
use super::error::{built, classify, unless_condition_failed, StoreError};
use super::handle::Store;
use super::item::{from_item, n, s, sharded, status, ts, type_status_pk, Item};
use super::table::attr;
use super::transact::Transacted;
use super::version::{self, VERSION_NAME};
use crate::domain::{Certification, Status};

/// The items of one page the expiry scan reads. An item that does not decode is logged
/// and skipped, so one bad item cannot stall every later expiry and reminder; the request
/// paths, by contrast, fail loudly on it (500) since they would otherwise answer wrongly.
fn decode_scan_page(items: Option<Vec<Item>>) -> Vec<Certification> {
    let decoded = items.unwrap_or_default().into_iter().map(from_item);
    decoded
        .filter_map(|r| r.map_err(|e| tracing::error!(error = %e, "expiry scan skipped an undecodable item")).ok())
        .collect()
}

/// One reminder threshold's slice of the `by-expiry` index: the stored-`active` items whose
/// `days_until_expiry` is above the next tighter threshold and at most `threshold_days`,
/// and whose `expires_at` is still after now. A certification seen inside several thresholds
/// falls in exactly one band, the tightest, so it is announced only for that one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderBand {
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
        let (shard, start) = resume_at(start);
        let out = self
            .active_by_expiry(shard, "#exp < :now")
            .expression_attribute_values(":now", expiry_through(now.trunc_subsecs(0)))
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
        let deltas = Deltas::moved(&c.mentor_id, (&c.cert_type, Status::Active), (&c.cert_type, Status::Expired));
        let parts = || {
            let (bump, bump_values) = version::bump();
            let mut update = Update::builder()
                .table_name(&self.table)
                .key(attr::ID, s(&c.id))
                .update_expression(format!(
                    "SET #st = :expired, #upd = :now, #spk = :spk, #tspk = :tspk, {bump} REMOVE #apk"
                ))
                .condition_expression("#st = :active AND #exp = :seen AND #ct = :ct")
                .expression_attribute_names("#st", attr::STATUS)
                .expression_attribute_names("#upd", attr::UPDATED_AT)
                .expression_attribute_names("#apk", attr::ACTIVE_PK)
                .expression_attribute_names("#spk", attr::STATUS_PK)
                .expression_attribute_names("#tspk", attr::TYPE_STATUS_PK)
                .expression_attribute_names("#exp", attr::EXPIRES_AT)
                .expression_attribute_names("#ct", attr::CERT_TYPE)
                .expression_attribute_names(VERSION_NAME, attr::VERSION)
                .expression_attribute_values(":expired", status(Status::Expired))
                .expression_attribute_values(":active", status(Status::Active))
                .expression_attribute_values(":now", ts(now))
                .expression_attribute_values(":seen", ts(c.expires_at))
                .expression_attribute_values(":ct", s(&c.cert_type))
                .expression_attribute_values(":spk", s(sharded(Status::Expired.as_str(), &c.id)))
                .expression_attribute_values(":tspk", s(type_status_pk(&c.cert_type, Status::Expired, &c.id)));
            for (k, v) in bump_values {
                update = update.expression_attribute_values(k, v);
            }
            let update = built("the expiry flip", update.build())?;
            let mut parts: Vec<TransactWriteItem> = vec![TransactWriteItem::builder().update(update).build()];
            parts.extend(self.count_updates(&deltas)?);
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
        let (shard, start) = resume_at(start);
        let out = self
            .active_by_expiry(shard, "#exp BETWEEN :from AND :to")
            .filter_expression("attribute_not_exists(#rd) OR #rd > :t")
            .expression_attribute_names("#rd", attr::REMINDED_DAYS)
            .expression_attribute_values(":from", expiry_from(band.from))
            .expression_attribute_values(":to", expiry_through(band.to))
            .expression_attribute_values(":t", n(band.threshold_days))
            .set_exclusive_start_key(start)
            .limit(page_size)
            .send()
            .await
            .map_err(classify)?;
        let next = continue_after(shard, &out);
        Ok((decode_scan_page(out.items), next))
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
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::ID, s(&c.id))
            .update_expression("SET #rd = :t")
            .condition_expression("#st = :active AND #exp = :seen AND (attribute_not_exists(#rd) OR #rd > :t)")
            .expression_attribute_names("#rd", attr::REMINDED_DAYS)
            .expression_attribute_names("#st", attr::STATUS)
            .expression_attribute_names("#exp", attr::EXPIRES_AT)
            .expression_attribute_values(":t", n(threshold_days))
            .expression_attribute_values(":active", status(Status::Active))
            .expression_attribute_values(":seen", ts(c.expires_at))
            .send()
            .await;
        Ok(unless_condition_failed(r)?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::days_until_expiry;
    use crate::domain::{CertificationPatch, Clock, FixedClock};
    use crate::testing::TestDb;

    fn t(s: &str) -> DateTime<Utc> {
        FixedClock::at(s).now()
    }

    fn cert(id: &str, expires: &str) -> Certification {
        crate::testing::certification(id, expires)
    }

    /// Every page of a band, across the index's shards, by id.
    async fn band_all(store: &Store, band: &ReminderBand) -> Vec<Certification> {
        let pages = crate::testing::every_page(|start| store.reminders_due(band, 100, start)).await;
        let mut out: Vec<Certification> = pages.into_iter().flatten().collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    #[test]
    fn bands_split_days_until_expiry_at_each_threshold() {
        let now = t("2026-03-26T10:00:00Z");
        let bands = ReminderBand::for_thresholds(now, &[90, 7, 30, 60, 30]);
        let got: Vec<_> = bands.iter().map(|b| (b.threshold_days, b.from, b.to)).collect();
        assert_eq!(
            got,
            [
                (7, t("2026-03-26T10:00:01Z"), t("2026-04-02T23:59:59Z")),
                (30, t("2026-04-03T00:00:00Z"), t("2026-04-25T23:59:59Z")),
                (60, t("2026-04-26T00:00:00Z"), t("2026-05-25T23:59:59Z")),
                (90, t("2026-05-26T00:00:00Z"), t("2026-06-24T23:59:59Z")),
            ]
        );
        // Each band holds exactly the days_until_expiry the thresholds give it.
        for b in &bands {
            assert!(days_until_expiry(b.to, now) == i64::from(b.threshold_days));
            assert!(days_until_expiry(b.to + TimeDelta::seconds(1), now) == i64::from(b.threshold_days) + 1);
        }
        assert_eq!(days_until_expiry(bands[1].from, now), 8);
    }

    #[test]
    fn a_zero_day_band_is_the_rest_of_today_and_vanishes_at_its_last_second() {
        let bands = ReminderBand::for_thresholds(t("2026-03-26T10:00:00Z"), &[0, 7]);
        assert_eq!((bands[0].from, bands[0].to), (t("2026-03-26T10:00:01Z"), t("2026-03-26T23:59:59Z")));
        let bands = ReminderBand::for_thresholds(t("2026-03-26T23:59:59Z"), &[0, 7]);
        assert_eq!(bands.len(), 1);
        assert_eq!((bands[0].threshold_days, bands[0].from), (7, t("2026-03-27T00:00:00Z")));
        assert!(ReminderBand::for_thresholds(t("2026-03-26T10:00:00Z"), &[]).is_empty());
    }

    #[tokio::test]
    async fn a_band_returns_only_items_not_yet_reminded_that_tightly_and_recording_is_conditional() {
        let db = TestDb::start().await;
        let store = db.store();
        let now = t("2026-03-26T10:00:00Z");
        for (id, exp) in [
            ("cert-a", "2026-04-01T00:00:00Z"), // 6 days: band 7
            ("cert-b", "2026-04-02T23:59:59Z"), // 7 days: band 7
            ("cert-c", "2026-04-03T00:00:00Z"), // 8 days: band 30
            ("cert-d", "2026-03-26T10:00:00Z"), // due now: no band
        ] {
            store.create(&cert(id, exp)).await.unwrap();
        }
        let bands = ReminderBand::for_thresholds(now, &[7, 30]);
        let ids = |items: Vec<Certification>| items.into_iter().map(|c| c.id).collect::<Vec<_>>();
        let due = band_all(&store, &bands[0]).await;
        assert_eq!(ids(due.clone()), ["cert-a", "cert-b"]);
        assert_eq!(ids(band_all(&store, &bands[1]).await), ["cert-c"]);

        // Recorded at 30 (looser than the band): still due in band 7.
        let a = &due[0];
        assert!(store.record_reminder(a, 30).await.unwrap());
        assert_eq!(ids(band_all(&store, &bands[0]).await), ["cert-a", "cert-b"]);
        // Recorded at 7: gone from band 7; a second, looser or equal record is refused.
        assert!(store.record_reminder(a, 7).await.unwrap());
        assert!(!store.record_reminder(a, 7).await.unwrap());
        assert!(!store.record_reminder(a, 30).await.unwrap());
        assert_eq!(ids(band_all(&store, &bands[0]).await), ["cert-b"]);
        // The record is bookkeeping: the certification itself reads unchanged.
        assert_eq!(store.get("cert-a").await.unwrap().unwrap(), *a);

        // A stale read (renewed since) is refused, and the renewal starts a new cycle.
        let b = &due[1];
        let later = CertificationPatch { expires_at: Some(t("2027-04-02T00:00:00Z")), ..Default::default() };
        store.update(&b.id, &later, now).await.unwrap();
        assert!(!store.record_reminder(b, 7).await.unwrap());
        let renewed_a = store.update(&a.id, &later, now).await.unwrap();
        let bands_next_year = ReminderBand::for_thresholds(t("2027-03-30T10:00:00Z"), &[7]);
        let due = band_all(&store, &bands_next_year[0]).await;
        assert_eq!(ids(due), ["cert-a", "cert-b"], "a renewal clears the previous cycle's reminder");
        assert!(store.record_reminder(&renewed_a, 7).await.unwrap());

        // Not active any more: refused.
        store.mark_expired(&store.get("cert-d").await.unwrap().unwrap(), now).await.unwrap();
        assert!(!store.record_reminder(&cert("cert-d", "2026-03-26T10:00:00Z"), 7).await.unwrap());
        assert!(!store.record_reminder(&cert("cert-missing", "2026-03-26T10:00:00Z"), 7).await.unwrap());
    }

    #[tokio::test]
    async fn a_stored_item_written_directly_reads_back_like_a_created_one() {
        let db = TestDb::start().await;
        let c = cert("cert-bulk", "2026-03-01T00:00:00Z");
        let item = crate::store::item::stored_item(&c).unwrap();
        db.client.put_item().table_name(&db.table).set_item(Some(item)).send().await.unwrap();
        assert_eq!(db.store().get("cert-bulk").await.unwrap(), Some(c.clone()));
        let store = db.store();
        let due = crate::testing::every_page(|start| store.due_for_expiry(t("2026-03-26T10:00:00Z"), 10, start)).await;
        assert_eq!(due.concat(), [c], "indexed like a created one");
    }

    #[tokio::test]
    async fn a_band_query_pages_and_reads_only_its_slice_of_the_index() {
        let db = TestDb::start().await;
        let store = db.store();
        let now = t("2026-03-26T10:00:00Z");
        for i in 0..5 {
            store.create(&cert(&format!("cert-in-{i}"), "2026-03-30T00:00:00Z")).await.unwrap();
            store.create(&cert(&format!("cert-far-{i}"), "2027-03-30T00:00:00Z")).await.unwrap();
            store.create(&cert(&format!("cert-past-{i}"), "2026-01-30T00:00:00Z")).await.unwrap();
        }
        let band = ReminderBand::for_thresholds(now, &[7])[0];
        db.counter.reset();
        let mut seen = Vec::new();
        let mut start = None;
        loop {
            let (items, next) = store.reminders_due(&band, 2, start).await.unwrap();
            seen.extend(items.into_iter().map(|c| c.id));
            match next {
                Some(k) => start = Some(k),
                None => break,
            }
        }
        seen.sort();
        assert_eq!(seen, (0..5).map(|i| format!("cert-in-{i}")).collect::<Vec<_>>());
        assert_eq!(db.counter.snapshot().query_scanned, 5);
    }
}
