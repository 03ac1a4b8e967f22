//! What a list costs as the table grows (issue 9): seeds N certifications into embedded
//! dynoxide with `TestDb::put_stored` (BatchWriteItem, then the counts a create keeps), then
//! for each list variant and for a cursor page in the middle of the list prints requests,
//! items read (Query `ScannedCount` plus the count items one BatchGetItem returns) and the
//! median latency of 5 runs.
//!
//! Then the issue 18 adversarial tables on top ([`adversarial`]): a mentor with 400 records the
//! filters match none of, 600 creates already past expiry, 1,000 records a stalled scan left
//! stored `active`, and `/expiring` over ten years.
//!
//! `cargo run --release -p list-certifications --example list_bench -- 10000 100000`
use std::time::Instant;

use shared::domain::{Certification, Status};
use shared::http::cursor;
use shared::testing::{at, certification, ApiRequest, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";
const TYPES: [&str; 4] = ["level_1", "level_2", "level_3", "level_4"];

fn cert(i: usize) -> Certification {
    let mut c = certification(&format!("cert-{i:07}"), "2027-01-01T00:00:00Z");
    // mentor-7 holds the first 50 at every size (a mentor's list grows with that mentor, not
    // with the table); the rest spread over 5,000 others.
    c.mentor_id = if i < 50 { "mentor-7".into() } else { format!("mentor-{}", 100 + i % 5000) };
    c.cert_type = TYPES[i % 4].into();
    c.status = [Status::Active, Status::Active, Status::Expired, Status::Suspended][i % 4];
    c.created_at = at("2025-01-01T00:00:00Z") + chrono::TimeDelta::seconds(i as i64);
    c.expires_at = at("2026-03-27T00:00:00Z") + chrono::TimeDelta::minutes((i % 100_000) as i64);
    c
}

async fn seed(db: &TestDb, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    Ok(db.put_stored(&(0..n).map(cert).collect::<Vec<_>>()).await?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000] } else { sizes };
    for n in sizes {
        let db = TestDb::start().await;
        let t = Instant::now();
        seed(&db, n).await?;
        println!("\n{n} items (seeded in {:.1} s)", t.elapsed().as_secs_f64());
        println!("{:<52} {:>8} {:>10} {:>12}", "variant", "requests", "items read", "median ms");
        let app = db.app_at(NOW);
        // The item in the middle of the list (newest first): a cursor right after it.
        let middle = cert(n / 2);
        let after = shared::store::item::sort_key(middle.created_at, &middle.id);
        let deep = cursor::encode("/api/v1/certifications||limit=20", (n / 2 / 20) as u32 + 1, &after);
        let variants = [
            ("list ?limit=20".to_string(), "/api/v1/certifications", "limit=20".to_string()),
            ("list ?page=50".into(), "/api/v1/certifications", "limit=20&page=50".into()),
            ("list ?status=expired".into(), "/api/v1/certifications", "status=expired".into()),
            ("list ?status=active".into(), "/api/v1/certifications", "status=active".into()),
            ("list ?cert_type=level_2".into(), "/api/v1/certifications", "cert_type=level_2".into()),
            (
                "list ?cert_type=level_2&status=active".into(),
                "/api/v1/certifications",
                "cert_type=level_2&status=active".into(),
            ),
            ("list ?mentor_id=mentor-7".into(), "/api/v1/certifications", "mentor_id=mentor-7".into()),
            (format!("list cursor at position {}", n / 2), "/api/v1/certifications", format!("limit=20&cursor={deep}")),
            ("expiring ?days=30".into(), "/api/v1/certifications/expiring", "days=30".into()),
        ];
        for (name, route, query) in variants {
            measure(&db, &app, &name, route, &query).await;
        }
        adversarial(&db, &app).await?;
    }
    Ok(())
}

/// One variant: requests, items read, median of 5, printed as a row.
async fn measure(db: &TestDb, app: &shared::App, name: &str, route: &str, query: &str) {
    let mut times = Vec::new();
    let mut counts = None;
    for _ in 0..5 {
        let req = ApiRequest::new("GET", route).query(query).build();
        let t = Instant::now();
        let (r, c) = if route.ends_with("expiring") {
            db.counter.measure(list_expiring_certifications::handle(app, req)).await
        } else {
            db.counter.measure(list_certifications::handle(app, req)).await
        };
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.status(), 200, "{name}");
        counts = Some(c);
    }
    times.sort_by(f64::total_cmp);
    let c = counts.unwrap_or_default();
    let requests: Vec<String> = c.requests.iter().map(|(op, k)| format!("{k} {op}")).collect();
    println!("{name:<52} {:>8} {:>10} {:>12.1}   ({})", c.total(), c.items_read(), times[2], requests.join(", "));
}

/// Follows `next_cursor` from the first page of `query` until `items` items have come back:
/// the pages it took, and their requests and items read in all (short pages included).
async fn walk(db: &TestDb, app: &shared::App, query: &str, items: usize) {
    let (mut got, mut pages, mut requests, mut read, mut cursor) = (0, 0, 0, 0, None::<String>);
    while got < items && pages < 1_000 {
        let q = cursor.as_ref().map_or(query.to_string(), |c| format!("{query}&cursor={c}"));
        let req = ApiRequest::new("GET", "/api/v1/certifications").query(&q).build();
        let (r, c) = db.counter.measure(list_certifications::handle(app, req)).await;
        let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap_or_default();
        got += body["data"].as_array().map_or(0, Vec::len);
        (pages, requests, read) = (pages + 1, requests + c.total(), read + c.items_read());
        match body["pagination"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let name = format!("walk ?{query}: first {items} items, {pages} pages");
    println!("{name:<52} {requests:>8} {read:>10} {:>12}", "-");
}

/// The adversarial tables, added on top of the seeded one: a mentor with 400 records
/// that filters match none of; 600 creates whose `expires_at` has passed (through the store,
/// as the API creates); 1,000 records past expiry that a stalled scan left stored `active`
/// (the newest, so `status=active` meets them first); and `/expiring` over ten years.
async fn adversarial(db: &TestDb, app: &shared::App) -> Result<(), Box<dyn std::error::Error>> {
    let newest = at(NOW) - chrono::TimeDelta::days(20);
    let bulk: Vec<Certification> = (0..400)
        .map(|i| {
            let mut c = certification(&format!("cert-bulk-{i:04}"), "2027-06-01T00:00:00Z");
            c.mentor_id = "bulk".into();
            c.cert_type = "level_1".into();
            c.created_at = newest + chrono::TimeDelta::seconds(i);
            c
        })
        .collect();
    db.put_stored(&bulk).await?;
    println!("-- a mentor with 400 active records of one type");
    for q in ["mentor_id=bulk&status=suspended&limit=1", "mentor_id=bulk&cert_type=x&limit=1", "mentor_id=bulk&limit=1"]
    {
        measure(db, app, &format!("list ?{q}"), "/api/v1/certifications", q).await;
    }
    for i in 0..600 {
        let mut c = certification(&format!("cert-past-{i:04}"), "2026-03-01T00:00:00Z");
        c.created_at = at(NOW) - chrono::TimeDelta::seconds(600 - i);
        db.store().create(&c).await?;
    }
    println!("-- and 600 creates whose expires_at had passed");
    for q in ["status=active&limit=1", "status=expired&limit=1"] {
        measure(db, app, &format!("list ?{q}"), "/api/v1/certifications", q).await;
    }
    let lapsed: Vec<Certification> = (0..1_000)
        .map(|i| {
            let mut c = certification(&format!("cert-lapsed-{i:04}"), "2026-03-01T00:00:00Z");
            c.created_at = newest + chrono::TimeDelta::minutes(1_000 + i);
            c.expires_at = at(NOW) - chrono::TimeDelta::minutes(i + 1);
            c
        })
        .collect();
    db.put_stored(&lapsed).await?;
    println!("-- and 1,000 records past expiry a stalled scan left stored active");
    for q in [
        "status=active&limit=1",
        "status=expired&limit=1",
        "status=active&limit=20",
        "status=expired&limit=20",
        "status=active&limit=20&page=1",
        "status=expired&limit=20&page=1",
    ] {
        measure(db, app, &format!("list ?{q}"), "/api/v1/certifications", q).await;
    }
    for q in ["status=active&limit=20", "status=expired&limit=20"] {
        walk(db, app, q, 20).await;
    }
    println!("-- /expiring");
    for q in ["days=30", "days=3650"] {
        measure(db, app, &format!("expiring ?{q}"), "/api/v1/certifications/expiring", q).await;
    }
    Ok(())
}
