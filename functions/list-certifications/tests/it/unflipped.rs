//! What a stalled expiry scan costs a status list (issue 18): 1,000 records stored `active`
//! whose `expires_at` has passed. The list reads them (they are what makes the answer exact:
//! `active` drops them, `expired` adds them, and both totals correct the stored counts by
//! them), so the items read grow by them, but the requests do not, and nothing else grows
//! with the table. The expiry pass runs every minute (`ExpiryScanSchedule`), so outside a
//! stall the set is about a minute of expiries.
use chrono::TimeDelta;
use list_certifications::handle;
use serde_json::Value;
use shared::domain::{Certification, Status};
use shared::testing::{assert_json, at, certification, ApiRequest, Counts, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";
const UNFLIPPED: usize = 1_000;

fn get(query: &str) -> lambda_http::Request {
    ApiRequest::new("GET", "/api/v1/certifications").query(query).build()
}

/// `n` records from `first`, created a minute apart from `created` on, stored `status`, each
/// expiring `expires` after its creation.
fn records(first: usize, n: usize, status: Status, created: &str, expires: TimeDelta) -> Vec<Certification> {
    (first..first + n)
        .map(|i| {
            let mut c = certification(&format!("cert-{i:05}"), "2027-01-01T00:00:00Z");
            c.mentor_id = format!("mentor-{}", i % 40);
            c.cert_type = ["level_1", "level_2"][i % 2].into();
            c.status = status;
            c.created_at = at(created) + TimeDelta::minutes(i as i64);
            c.updated_at = c.created_at;
            c.issued_at = c.created_at;
            c.expires_at = c.created_at + expires;
            c
        })
        .collect()
}

async fn list(db: &TestDb, query: &str) -> (Value, Counts) {
    let app = db.app_at(NOW);
    let (r, counts) = db.counter.measure(handle(&app, get(query))).await;
    (assert_json(&r, 200), counts)
}

fn ids(body: &Value) -> Vec<&str> {
    body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_stalled_scan_adds_what_it_left_to_the_items_read_and_no_request() {
    let db = TestDb::start().await;
    // Ids 0..1000 are the table's settled records, older than everything else.
    let mut settled = records(0, 600, Status::Active, "2025-01-01T00:00:00Z", TimeDelta::days(730));
    settled.extend(records(600, 400, Status::Expired, "2025-01-01T00:00:00Z", TimeDelta::days(30)));
    db.put_stored(&settled).await.unwrap();
    let queries = ["status=active&limit=20", "status=expired&limit=20", "status=active&cert_type=level_2&limit=20"];
    let mut before = Vec::new();
    for q in queries {
        before.push(list(&db, q).await.1);
    }

    // The newest 1,000 records lapsed over the last days and the scan never ran: stored `active`.
    // Newest first, they come before every settled record: the worst place for `status=active`.
    let lapsed = records(1_000, UNFLIPPED, Status::Active, "2026-03-20T00:00:00Z", TimeDelta::hours(1));
    assert!(lapsed.iter().all(|c| c.expires_at <= at(NOW)));
    db.put_stored(&lapsed).await.unwrap();

    let (active, a) = list(&db, queries[0]).await;
    assert_eq!(active["pagination"]["total"], 600, "exact: the lapsed ones are not active");
    assert_eq!(ids(&active).first(), Some(&"cert-00599"));
    let (expired, e) = list(&db, queries[1]).await;
    assert_eq!(expired["pagination"]["total"], 400 + UNFLIPPED as u64, "exact: the lapsed ones are expired");
    assert_eq!(ids(&expired).first(), Some(&"cert-01999"), "newest first, lapsed records included");
    assert!(expired["data"].as_array().unwrap().iter().all(|c| c["status"] == "expired"));
    let (typed, t) = list(&db, queries[2]).await;
    assert_eq!(typed["pagination"]["total"], 300);
    assert_eq!(ids(&typed).first(), Some(&"cert-00599"));

    for ((q, was), now) in queries.iter().zip(&before).zip([&a, &e, &t]) {
        // Stated bound: the same requests (each shard's one Query reads past the lapsed
        // records it knows of), and at most the lapsed records twice more items (read once
        // up front from `active-by-expiry`; `status=active` reads past them once more).
        assert_eq!(now.requests, was.requests, "{q}: {was:?} then {now:?}");
        let extra = now.items_read() - was.items_read();
        assert!(extra <= 2 * UNFLIPPED as i64, "{q}: {extra} more items read ({was:?} then {now:?})");
    }

    // Nothing else grows: 2,000 more settled records cost every list above nothing.
    db.put_stored(&records(3_000, 2_000, Status::Active, "2024-01-01T00:00:00Z", TimeDelta::days(900))).await.unwrap();
    for (q, was) in queries.iter().zip([&a, &e, &t]) {
        let (_, now) = list(&db, q).await;
        assert_eq!(now.requests, was.requests, "{q}");
        assert_eq!(now.items_read(), was.items_read(), "{q}: {was:?} then {now:?}");
    }
}
