//! What the scan promises over many runs, against a real DynamoDB API: at most one
//! `certification.expired` per certification and `expires_at`, at most one reminder per
//! threshold and expiry cycle (also when a client tries to set an expired certification
//! `active` again); and one item's failed record does not stop the run.
use std::collections::HashMap;
use std::sync::Arc;

use expiry_scan::{NoDeadline, ScanOptions, Scanner, Summary};
use shared::domain::{CertificationPatch, FixedClock};
use shared::testing::StoreExt;
use shared::testing::{at, certification, Fault, Faults, TestDb};
use shared::{Status, Store, StoreError};

use crate::announced::Announced;

async fn scan(store: &Store, now: &str) -> Summary {
    let scanner = Scanner::new(store.clone(), Arc::new(FixedClock::at(now)), ScanOptions::new(vec![90, 60, 30, 7]));
    scanner.run(&NoDeadline).await.expect("scan")
}

#[tokio::test]
async fn one_expired_event_per_expires_at_and_one_reminder_per_threshold_and_cycle() {
    let db = TestDb::start().await;
    let store = db.store();
    let mut announced = Announced::of(&db).await;
    store.create(&certification("cert-1", "2026-04-20T00:00:00Z")).await.unwrap();

    // Reminders as the expiry approaches, each scan run twice.
    for now in ["2026-01-25T00:00:00Z", "2026-02-25T00:00:00Z", "2026-03-25T00:00:00Z", "2026-04-15T00:00:00Z"] {
        scan(&store, now).await;
        scan(&store, now).await;
    }
    // Expired; then three rounds of "set it active again" and a scan: the 409 keeps the
    // record expired, so the scan has nothing to announce a second time.
    let activate = CertificationPatch { status: Some(Status::Active), ..Default::default() };
    for now in ["2026-04-20T00:00:00Z", "2026-04-21T00:00:00Z", "2026-04-22T00:00:00Z", "2026-04-23T00:00:00Z"] {
        scan(&store, now).await;
        assert!(matches!(store.update("cert-1", &activate, at(now)).await, Err(StoreError::Conflict(_))));
    }
    // A renewal starts a new cycle with its own reminders and its own expiry.
    let renew = CertificationPatch { expires_at: Some(at("2026-06-01T00:00:00Z")), ..Default::default() };
    store.update("cert-1", &renew, at("2026-04-24T00:00:00Z")).await.unwrap();
    for now in ["2026-04-24T00:00:00Z", "2026-05-28T00:00:00Z", "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"] {
        scan(&store, now).await;
        scan(&store, now).await;
    }

    let mut seen: HashMap<(String, String, Option<u64>), usize> = HashMap::new();
    // The scan's kinds only: the create and the renewal announce themselves too.
    for e in announced.new_scan_events().await {
        let d = &e["detail"];
        let key = (
            e["detail-type"].as_str().unwrap().to_owned(),
            d["expires_at"].as_str().unwrap().to_owned(),
            d["threshold_days"].as_u64(),
        );
        *seen.entry(key).or_default() += 1;
    }
    let count = |t: &str, exp: &str, th: Option<u64>| seen.get(&(t.into(), exp.into(), th)).copied().unwrap_or(0);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    assert_eq!(count("certification.expired", "2026-04-20T00:00:00Z", None), 1);
    assert_eq!(count("certification.expired", "2026-06-01T00:00:00Z", None), 1);
    for th in [90, 60, 30, 7] {
        assert_eq!(count("certification.expiring", "2026-04-20T00:00:00Z", Some(th)), 1, "{th}");
    }
    assert_eq!(count("certification.expiring", "2026-06-01T00:00:00Z", Some(60)), 1);
    assert_eq!(count("certification.expiring", "2026-06-01T00:00:00Z", Some(7)), 1);
    assert_eq!(seen.len(), 8, "{seen:?}");
}

#[tokio::test]
async fn one_item_s_failed_record_is_counted_and_the_scan_goes_on() {
    let db = TestDb::start().await;
    for id in ["cert-a", "cert-big", "cert-c"] {
        db.store().create(&certification(id, "2026-03-01T00:00:00Z")).await.unwrap();
    }
    // The flip of cert-big fails as an item at the size limit would (ValidationException).
    let faults = Faults::new(vec![Fault::validation("TransactWriteItems", "cert-big", 1)]);
    let summary = scan(&db.store_with(&faults), "2026-03-26T10:00:00Z").await;
    assert_eq!((summary.expired, summary.failed, summary.complete), (2, 1, true), "{summary:?}");
    assert_eq!(db.store().get("cert-big").await.unwrap().unwrap().status, Status::Active);
    assert_eq!(db.store().get("cert-c").await.unwrap().unwrap().status, Status::Expired);
    // The next run picks it up.
    let summary = scan(&db.store(), "2026-03-26T11:00:00Z").await;
    assert_eq!((summary.expired, summary.failed), (1, 0));
}
