//! The EMF lines of one scan run: counts, `Remaining` and `ScanCompleted`, dimension
//! `Operation = expiry-scan`. Its own test binary, one test: the metrics recorder is
//! process-global.
use std::sync::Arc;

use expiry_scan::{NoDeadline, ScanOptions, Scanner};
use serde_json::json;
use shared::domain::FixedClock;
use shared::metrics::emf::{documents, metric};
use shared::metrics::Metrics;
use shared::testing::{certification, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";

#[tokio::test]
async fn a_run_prints_its_counts_and_whether_it_completed() {
    let metrics = Metrics::install("Certifications", "expiry-scan").expect("the only recorder here");
    let db = TestDb::start().await;
    for (id, expires) in [
        ("cert-due-1", "2026-03-01T00:00:00Z"),
        ("cert-due-2", "2026-03-20T00:00:00Z"),
        ("cert-soon", "2026-03-30T00:00:00Z"),
    ] {
        db.store().create(&certification(id, expires)).await.unwrap();
    }
    let scanner = || Scanner::new(db.store(), Arc::new(FixedClock::at(NOW)), ScanOptions::new(vec![7, 30]));

    let mut out = Vec::new();
    let s = metrics.invocation(scanner().run(&NoDeadline), &mut out).await.unwrap();
    assert_eq!((s.expired, s.reminders), (2, 1));
    let docs = documents(&out);
    for (name, value) in [
        ("Expired", json!(2)),
        ("RemindersRecorded", json!(1)),
        ("Remaining", json!(0.0)),
        ("ScanCompleted", json!(1.0)),
        ("ColdStart", json!(1)),
    ] {
        let m = metric(&docs, name).unwrap_or_else(|| panic!("{name} in {docs:?}"));
        assert_eq!(m.value, &value, "{name}");
        assert_eq!(
            (m.namespace, m.dimensions.as_slice(), m.unit),
            ("Certifications", ["Operation"].as_slice(), Some("Count")),
            "{name}"
        );
        assert_eq!(m.doc["Operation"], "expiry-scan");
    }
    assert!(metric(&docs, "ItemsSkipped").is_none(), "zero counts are left out");
    for gone in ["PublishFailures", "RemindersPublished"] {
        assert!(metric(&docs, gone).is_none(), "the scan publishes nothing: no {gone}");
    }

    // A second run at the same instant: nothing left to write, still complete.
    let mut out = Vec::new();
    let s = metrics.invocation(scanner().run(&NoDeadline), &mut out).await.unwrap();
    assert_eq!((s.expired, s.reminders, s.remaining, s.complete), (0, 0, 0, true));
    let docs = documents(&out);
    assert_eq!(metric(&docs, "Remaining").map(|m| m.value), Some(&json!(0.0)));
    assert_eq!(metric(&docs, "ScanCompleted").map(|m| m.value), Some(&json!(1.0)));
    assert!(metric(&docs, "ColdStart").is_none());

    // A store that cannot be reached: the run fails and says it did not complete.
    let down = shared::testing::unreachable_app(NOW).await;
    let failing = Scanner::new(down.store.clone(), Arc::new(FixedClock::at(NOW)), ScanOptions::new(vec![7]));
    let mut out = Vec::new();
    assert!(metrics.invocation(failing.run(&NoDeadline), &mut out).await.is_err());
    assert_eq!(metric(&documents(&out), "ScanCompleted").map(|m| m.value), Some(&json!(0.0)));
}
