//! Tests of the expiry scan's store requests (`scan/expiry.rs`): bands, pages, conditional writes.
use super::*;
use crate::domain::status::days_until_expiry;
use crate::domain::{CertificationPatch, Clock, FixedClock};
use crate::testing::{StoreExt, TestDb};

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
