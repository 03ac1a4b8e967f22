//! `TestDb::put_stored`, which cost tests and benchmarks seed with: what it adds to the counts
//! is exactly what `recount` finds, and the table's stream is on again after it.
use chrono::TimeDelta;
use shared::domain::Status;
use shared::store::item::from_item;
use shared::testing::{at, certification, TestDb};

#[tokio::test]
async fn put_stored_counts_what_recount_finds_and_leaves_the_stream_on() {
    let db = TestDb::start().await;
    let statuses = [Status::Active, Status::Active, Status::Expired, Status::Suspended, Status::Revoked];
    let certs = |from: usize| {
        (from..from + 300)
            .map(|i| {
                let mut c = certification(&format!("cert-{i:04}"), "2027-01-01T00:00:00Z");
                c.mentor_id = format!("mentor-{}", i % 7);
                c.cert_type = ["level_1", "level_2", "level_3"][i % 3].into();
                c.status = statuses[i % 5];
                // Four days apart over six years from January: the first ones stored active
                // but past their expiry (a stalled scan), some sharing a day with another.
                c.expires_at = at("2026-01-01T00:00:00Z") + TimeDelta::hours(97 * i as i64);
                c
            })
            .collect::<Vec<_>>()
    };
    db.put_stored(&certs(0)).await.unwrap();
    db.put_stored(&certs(300)).await.unwrap();
    // Shard 0 of each count, as `recount` adds: the count items a recount leaves.
    let scan = db.client.scan().table_name(&db.table).send().await.unwrap();
    let ids: Vec<String> = scan.items().iter().filter_map(|i| i.get("id")?.as_s().ok().cloned()).collect();
    let counts: Vec<&String> = ids.iter().filter(|id| id.contains('#')).collect();
    assert!(!counts.is_empty() && counts.iter().all(|id| id.ends_with("#00")), "{counts:?}");
    let report = db.store().recount().await.unwrap();
    assert_eq!(report.certifications, 600);
    assert!(report.keys > 0 && report.buckets > 0, "{report:?}");
    assert!(report.corrected.is_empty() && report.expiry_corrected.is_empty(), "{report:?}");

    // The stream is on: a create after the seeding is on it; on the embedded engine the seeded
    // records are not (its stream is off while seeding; another endpoint's stays on).
    let created = certification("cert-after", "2027-01-01T00:00:00Z");
    db.store().create(&created).await.unwrap();
    let records = db.stream().await.drain().await.unwrap();
    let ids: Vec<String> = records
        .into_iter()
        .filter_map(|r| r.new)
        .filter(|item| item.get("id").and_then(|v| v.as_s().ok()).is_some_and(|id| !id.contains('#')))
        .map(|item| from_item(item).unwrap().id)
        .collect();
    if db.embedded() {
        assert_eq!(ids, ["cert-after"]);
    } else {
        assert_eq!(ids.last().map(String::as_str), Some("cert-after"));
    }
}
