//! Forged cursors (issue 18): FNV-1a is unkeyed, so anyone can edit a cursor and recompute
//! its check. Such a cursor is validated like any other input: a 400 naming `cursor`, and no
//! request reaches DynamoDB. Before, a far-future key made the store's `BETWEEN` empty-ranged
//! and DynamoDB's ValidationException a 500.
use list_expiring_certifications::handle;
use shared::http::cursor::encode;
use shared::testing::{assert_json, assert_problem, certification, error_fields, ApiRequest, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";
const ROUTE: &str = "/api/v1/certifications/expiring";

fn get(query: &str) -> lambda_http::Request {
    ApiRequest::new("GET", ROUTE).query(query).build()
}

/// A cursor for `/expiring?days=<days>&limit=10` with a recomputed check.
fn forged(days: u32, page: u32, after: &str) -> String {
    encode(&format!("{ROUTE}|days={days}|limit=10"), page, after)
}

#[tokio::test]
async fn a_forged_cursor_is_a_400_and_sends_nothing() {
    let db = TestDb::start().await;
    for i in 0..3 {
        db.store().create(&certification(&format!("cert-{i}"), "2026-04-10T00:00:00Z")).await.unwrap();
    }
    let app = db.app_at(NOW);
    let cases = [
        // Far future: past the window's end (the 500 before).
        (30, 2, "9999-12-31T23:59:59Z#cert-0"),
        (30, 2, "2026-04-25T10:00:01Z#cert-0"),
        (3650, 2, "2036-03-24T10:00:01Z#cert-0"),
        // Far past: more than one window length before now.
        (30, 2, "0000-01-01T00:00:00Z#cert-0"),
        (30, 2, "2026-02-24T09:59:59Z#cert-0"),
        // Page out of range.
        (30, u32::MAX, "2026-04-10T00:00:00Z#cert-0"),
        (30, 1, "2026-04-10T00:00:00Z#cert-0"),
        // Not a sort key.
        (30, 2, "2026-04-10T00:00:00Z"),
        (30, 2, "2026-04-10T00:00:00Z#cert 0"),
        (30, 2, "2026-04-10#cert-0"),
        (30, 2, "zzzz"),
    ];
    for (days, page, after) in cases {
        let query = format!("days={days}&limit=10&cursor={}", forged(days, page, after));
        let (r, sent) = db.counter.measure(handle(&app, get(&query))).await;
        assert_eq!(error_fields(&assert_problem(&r, 400)), ["cursor"], "{days} {page} {after}");
        assert_eq!(sent.total(), 0, "{days} {page} {after}: {sent:?}");
    }
    // The edges of what a real cursor can hold still work: the window's last second, and a
    // key that has just left the window (its item expired since the cursor was issued).
    for after in ["2026-04-25T10:00:00Z#cert-9", "2026-03-26T09:00:00Z#cert-9", "2026-02-24T10:00:00Z#cert-9"] {
        let r = handle(&app, get(&format!("days=30&limit=10&cursor={}", forged(30, 2, after)))).await;
        let body = assert_json(&r, 200);
        assert_eq!(body["pagination"]["total"], 3, "{after}");
    }
}
