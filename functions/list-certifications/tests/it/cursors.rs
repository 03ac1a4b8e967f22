//! Cursor pagination, the offset window and the cost of a page (issue 9), as a client sees
//! them: walking by cursor and by page gives the same list, ties included; a cursor only
//! works with the filters and limit it was issued for; page 1 and any cursor page cost the
//! same at 50 and at 5,000 items.
use lambda_http::{Body, Response};
use list_certifications::handle;
use serde_json::Value;
use shared::domain::{Certification, Status};
use shared::testing::{assert_json, assert_problem, at, certification, error_fields, ApiRequest, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";
const ROUTE: &str = "/api/v1/certifications";
const TYPES: [&str; 2] = ["level_1", "level_2"];

fn get(query: &str) -> lambda_http::Request {
    ApiRequest::new("GET", ROUTE).query(query).build()
}

/// `n` certifications, all created at the same instant (one tie group), with a mix of
/// mentors, types and statuses, some stored `active` but already past expiry.
fn tied(n: usize) -> Vec<Certification> {
    (0..n)
        .map(|i| {
            let mut c = certification(&format!("cert-{i:05}"), "2027-01-01T00:00:00Z");
            c.mentor_id = format!("mentor-{}", i % 3);
            c.cert_type = TYPES[i % 2].into();
            c.status = [Status::Active, Status::Active, Status::Expired, Status::Suspended, Status::Revoked][i % 5];
            if i % 7 == 0 {
                c.expires_at = at("2026-03-01T00:00:00Z");
            }
            c
        })
        .collect()
}

fn ids(body: &Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

fn link(r: &Response<Body>) -> Option<String> {
    r.headers().get("link").map(|v| v.to_str().unwrap().to_owned())
}

/// Walks a list by cursor from `query` (which sets limit=10), checking page numbers and the
/// Link header on the way.
async fn walk_by_cursor(app: &shared::App, query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut r = handle(app, get(query)).await;
    for page in 1.. {
        let body = assert_json(&r, 200);
        assert_eq!(body["pagination"]["page"], page, "{query}");
        out.extend(ids(&body));
        match body["pagination"]["next_cursor"].as_str() {
            Some(cursor) => {
                let link = link(&r).expect("a Link header when there is a next page");
                assert!(link.ends_with(&format!("cursor={cursor}>; rel=\"next\"")), "{link}");
                assert!(link.starts_with(&format!("<{ROUTE}?")), "{link}");
                r = handle(app, get(&format!("{query}&cursor={cursor}"))).await;
            }
            None => {
                assert_eq!(link(&r), None, "no Link on the last page");
                return out;
            }
        }
    }
    unreachable!()
}

async fn walk_by_page(app: &shared::App, query: &str) -> Vec<String> {
    let mut out = Vec::new();
    for page in 1.. {
        let body = assert_json(&handle(app, get(&format!("{query}&page={page}"))).await, 200);
        if ids(&body).is_empty() {
            return out;
        }
        out.extend(ids(&body));
    }
    unreachable!()
}

#[tokio::test]
async fn walking_by_cursor_and_by_page_give_the_same_list_even_when_all_45_share_created_at() {
    let db = TestDb::start().await;
    let certs = tied(45);
    for c in &certs {
        db.store().create(c).await.unwrap();
    }
    let app = db.app_at(NOW);
    let now = at(NOW);
    for query in [
        "limit=10",
        "limit=10&status=active",
        "limit=10&status=expired",
        "limit=10&cert_type=level_2",
        "limit=10&cert_type=level_1&status=expired",
        "limit=10&mentor_id=mentor-1",
        "limit=10&mentor_id=mentor-2&status=active",
    ] {
        let param = |name: &str| query.split('&').find_map(|p| p.strip_prefix(&format!("{name}=")));
        let mut want: Vec<String> = certs
            .iter()
            .filter(|c| param("mentor_id").is_none_or(|m| c.mentor_id == m))
            .filter(|c| param("cert_type").is_none_or(|t| c.cert_type == t))
            .filter(|c| param("status").is_none_or(|s| c.effective_status(now).as_str() == s))
            .map(|c| c.id.clone())
            .collect();
        // One created_at: newest first is id descending.
        want.sort_by(|a, b| b.cmp(a));
        let by_cursor = walk_by_cursor(&app, query).await;
        let by_page = walk_by_page(&app, query).await;
        assert_eq!(by_cursor, want, "{query}: by cursor");
        assert_eq!(by_page, want, "{query}: by page");
        let total = assert_json(&handle(&app, get(query)).await, 200)["pagination"]["total"].clone();
        assert_eq!(total, want.len(), "{query}: total");
    }
}

#[tokio::test]
async fn under_a_named_stage_the_link_carries_the_stage_and_the_cursor_works() {
    let db = TestDb::start().await;
    for c in tied(3) {
        db.store().create(&c).await.unwrap();
    }
    let app = db.app_at(NOW);
    let staged = |query: &str| ApiRequest::new("GET", ROUTE).stage("prod").query(query).build();
    let r = handle(&app, staged("limit=1&cert_type=level_1")).await;
    let body = assert_json(&r, 200);
    let cursor = body["pagination"]["next_cursor"].as_str().expect("a next page").to_owned();
    // What a client calls: the stage prefix, every filter, the limit and the cursor.
    let want = format!("</prod{ROUTE}?cert_type=level_1&limit=1&cursor={cursor}>; rel=\"next\"");
    assert_eq!(link(&r).as_deref(), Some(want.as_str()));
    // The cursor belongs to the list, not to the stage: it works the same under it.
    let next = assert_json(&handle(&app, staged(&format!("limit=1&cert_type=level_1&cursor={cursor}"))).await, 200);
    assert_eq!(next["pagination"]["page"], 2);
}

#[tokio::test]
async fn rejected_cursors_and_pages_past_the_window_are_400s_that_send_nothing() {
    let db = TestDb::start().await;
    for c in tied(12) {
        db.store().create(&c).await.unwrap();
    }
    let app = db.app_at(NOW);
    let body = assert_json(&handle(&app, get("limit=2&status=active")).await, 200);
    let cursor = body["pagination"]["next_cursor"].as_str().unwrap().to_owned();
    // The cursor works where it was issued.
    assert_json(&handle(&app, get(&format!("limit=2&status=active&cursor={cursor}"))).await, 200);

    let mut tampered = cursor.clone().into_bytes();
    let last = tampered.len() - 3;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for (query, field) in [
        (format!("limit=2&status=active&cursor={tampered}"), "cursor"),
        (format!("limit=2&status=expired&cursor={cursor}"), "cursor"),
        (format!("limit=2&cursor={cursor}"), "cursor"),
        (format!("limit=3&status=active&cursor={cursor}"), "cursor"),
        (format!("limit=2&status=active&page=2&cursor={cursor}"), "cursor"),
        ("cursor=".to_string(), "cursor"),
        ("cursor=%%%".to_string(), "cursor"),
        ("limit=100&page=101".to_string(), "page"),
        ("page=501".to_string(), "page"),
    ] {
        let (r, counts) = db.counter.measure(handle(&app, get(&query))).await;
        let problem = assert_problem(&r, 400);
        assert_eq!(error_fields(&problem), [field], "{query}");
        assert_eq!(counts.total(), 0, "{query}: rejected before any request");
    }
    let r = handle(&app, get("page=501")).await;
    let problem = assert_problem(&r, 400);
    assert!(problem.to_string().contains("next_cursor"), "{problem}");
    // The last page inside the window still works.
    assert_json(&handle(&app, get("limit=100&page=100")).await, 200);
}

/// Seeds `n` certifications with BatchWriteItem, then recounts (the counts a create keeps).
async fn seed_bulk(db: &TestDb, n: usize) {
    let certs: Vec<Certification> = (0..n)
        .map(|i| {
            let mut c = certification(&format!("cert-{i:05}"), "2027-01-01T00:00:00Z");
            c.mentor_id = format!("mentor-{}", i % 97);
            c.cert_type = TYPES[i % 2].into();
            c.status = [Status::Active, Status::Active, Status::Expired, Status::Suspended][i % 4];
            c.created_at = at("2026-01-01T00:00:00Z") + chrono::TimeDelta::seconds((i / 3) as i64);
            // The first ten are stored active but past expiry (the scan has not run).
            if i < 10 {
                c.status = Status::Active;
                c.expires_at = at("2026-03-01T00:00:00Z");
            }
            c
        })
        .collect();
    db.put_stored(&certs).await.unwrap();
}

/// Requests and items read for page 1 and the cursor page after it, per list variant.
async fn costs(n: usize) -> Vec<(String, usize, i64)> {
    let db = TestDb::start().await;
    seed_bulk(&db, n).await;
    let app = db.app_at(NOW);
    let mut out = Vec::new();
    for query in [
        "limit=20",
        "limit=20&status=active",
        "limit=20&status=expired",
        "limit=20&status=suspended",
        "limit=20&cert_type=level_1",
        "limit=20&cert_type=level_2&status=active",
        "limit=20&mentor_id=mentor-5",
    ] {
        let (r, first) = db.counter.measure(handle(&app, get(query))).await;
        let body = assert_json(&r, 200);
        // A total reads at most 64 + 3 × 16 count items, in at most two BatchGetItems.
        assert!(first.batch_got <= 112, "{query}: {} count items", first.batch_got);
        assert!(first.of("BatchGetItem") <= 2, "{query}: {first:?}");
        out.push((query.to_string(), first.total(), first.query_scanned));
        if let Some(cursor) = body["pagination"]["next_cursor"].as_str() {
            let (r, next) = db.counter.measure(handle(&app, get(&format!("{query}&cursor={cursor}")))).await;
            assert_json(&r, 200);
            out.push((format!("{query} (cursor)"), next.total(), next.query_scanned));
        }
    }
    out
}

#[tokio::test]
async fn a_page_costs_the_same_at_50_and_at_5000_items() {
    let small = costs(50).await;
    let large = costs(5000).await;
    eprintln!("50 items: {small:?}\n5000 items: {large:?}");
    for (query, requests, read) in &large {
        // 4 shard Queries (8 for status=expired), a refill or two, one BatchGetItem for the
        // total, 4 Queries for the not-yet-flipped expired items: bounded whatever the size.
        assert!(*requests <= 16, "{query}: {requests} requests");
        // A page of 20 (plus the peek) and each shard's first share and refill: measured 21 to
        // 53 at 5,000; plus the ten not-yet-flipped items where status matters.
        assert!(*read <= 3 * 21 + 10, "{query}: read {read} items");
    }
    // Page 1 of each variant: the requests do not grow with the table (a refill at most).
    let small: std::collections::HashMap<_, _> = small.into_iter().map(|(q, r, _)| (q, r)).collect();
    for (q, large_requests, _) in &large {
        if let Some(small_requests) = small.get(q) {
            assert!(*large_requests <= small_requests + 4, "{q}: {small_requests} → {large_requests} requests");
        }
    }
}
