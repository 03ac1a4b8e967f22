//! What a stalled expiry scan costs a status list (issue 18): 1,000 records stored `active`
//! whose `expires_at` has passed. The list reads at most 4 per `active-by-expiry` shard; past
//! that it takes their number from the expiry counts (so the totals stay exact) and pages
//! past them within each page's read budget (short pages, with a cursor), so a page costs at
//! most twice what it costs with none, and nothing grows with the table. The expiry pass
//! runs every minute (`ExpiryScanSchedule`), so outside a stall the set is about a minute of
//! expiries, read whole.
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
async fn a_stalled_scan_costs_a_status_list_at_most_twice_what_it_costs_without() {
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
    let (expired, e) = list(&db, queries[1]).await;
    assert_eq!(expired["pagination"]["total"], 400 + UNFLIPPED as u64, "exact: the lapsed ones are expired");
    assert_eq!(ids(&expired).first(), Some(&"cert-01999"), "newest first, lapsed records included");
    assert!(expired["data"].as_array().unwrap().iter().all(|c| c["status"] == "expired"));
    let (typed, t) = list(&db, queries[2]).await;
    assert_eq!(typed["pagination"]["total"], 300);

    // Stated bound (issue 18): at most twice the requests and twice the items read of the
    // same page with none lapsed. Their number comes from the expiry counts, and a page reads
    // past them only within its read budget.
    for ((q, was), now) in queries.iter().zip(&before).zip([&a, &e, &t]) {
        assert!(now.total() <= 2 * was.total(), "{q}: {was:?} then {now:?}");
        assert!(now.items_read() <= 2 * was.items_read(), "{q}: {was:?} then {now:?}");
    }
    // `status=active` pages run short (here empty) while they pass the lapsed records; their
    // cursors lead on to the newest active one, and each page stays within the bound.
    for (q, first) in [(queries[0], "cert-00599"), (queries[2], "cert-00599")] {
        let (mut body, mut pages) = (list(&db, q).await.0, 1);
        while ids(&body).is_empty() {
            let cursor = body["pagination"]["next_cursor"].as_str().expect("a short page has a cursor").to_owned();
            let (next, cost) = list(&db, &format!("{q}&cursor={cursor}")).await;
            let was = &before[queries.iter().position(|x| *x == q).unwrap_or(0)];
            assert!(cost.total() <= 2 * was.total() && cost.items_read() <= 2 * was.items_read(), "{q}: {cost:?}");
            (body, pages) = (next, pages + 1);
        }
        assert_eq!(ids(&body).first(), Some(&first), "{q}: after {pages} pages");
        assert!(pages > 1 && pages < 100, "{q}: {pages} pages");
    }

    // Asked for by number, a page holds its `limit` items, exact, whatever that reads (`page`
    // means positions; a numbered walk must not skip what a short page left out).
    let (numbered, _) = list(&db, "status=active&limit=20&page=1").await;
    assert_eq!(ids(&numbered).len(), 20);
    assert_eq!(ids(&numbered).first(), Some(&"cert-00599"));
    assert_eq!(numbered["pagination"]["total"], 600);

    // Nothing else grows: 2,000 more settled records cost every list above nothing.
    db.put_stored(&records(3_000, 2_000, Status::Active, "2024-01-01T00:00:00Z", TimeDelta::days(900))).await.unwrap();
    for (q, was) in queries.iter().zip([&a, &e, &t]) {
        let (_, now) = list(&db, q).await;
        assert_eq!(now.requests, was.requests, "{q}");
        assert_eq!(now.items_read(), was.items_read(), "{q}: {was:?} then {now:?}");
    }
}
