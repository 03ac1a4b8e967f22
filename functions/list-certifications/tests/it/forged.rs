//! Forged cursors (issue 18): FNV-1a is unkeyed, so anyone can edit a cursor and recompute
//! its check. Such a cursor is validated like any other input: a 400 naming `cursor`, and no
//! request reaches DynamoDB.
use list_certifications::handle;
use shared::http::cursor::encode;
use shared::testing::{assert_json, assert_problem, certification, error_fields, ApiRequest, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";
const ROUTE: &str = "/api/v1/certifications";

fn get(query: &str) -> lambda_http::Request {
    ApiRequest::new("GET", ROUTE).query(query).build()
}

#[tokio::test]
async fn a_forged_cursor_is_a_400_and_sends_nothing() {
    let db = TestDb::start().await;
    for i in 0..3 {
        db.store().create(&certification(&format!("cert-{i}"), "2027-04-10T00:00:00Z")).await.unwrap();
    }
    let app = db.app_at(NOW);
    let scopes =
        [(format!("{ROUTE}||limit=10"), ""), (format!("{ROUTE}|mentor_id=mentor-42|limit=10"), "mentor_id=mentor-42&")];
    let cases = [
        // A created_at later than now (beyond the clocks' skew), and before the epoch.
        (2, "9999-12-31T23:59:59Z#cert-0"),
        (2, "2026-03-26T10:05:01Z#cert-0"),
        (2, "1969-12-31T23:59:59Z#cert-0"),
        (2, "0000-01-01T00:00:00Z#cert-0"),
        // Page out of range.
        (u32::MAX, "2026-01-01T00:00:00Z#cert-0"),
        (0, "2026-01-01T00:00:00Z#cert-0"),
        // Not a sort key.
        (2, "2026-01-01T00:00:00Z#"),
        (2, "2026-01-01T00:00:00Z#a#b"),
        (2, "2026-01-01 00:00:00Z#cert-0"),
        (2, "#cert-0"),
    ];
    for (scope, filter) in &scopes {
        for (page, after) in cases {
            let query = format!("{filter}limit=10&cursor={}", encode(scope, page, after));
            let (r, sent) = db.counter.measure(handle(&app, get(&query))).await;
            assert_eq!(error_fields(&assert_problem(&r, 400)), ["cursor"], "{query}: {page} {after}");
            assert_eq!(sent.total(), 0, "{page} {after}: {sent:?}");
        }
        // What a real cursor can hold still works: a key just after now (skew) and an old one.
        for after in ["2026-03-26T10:05:00Z#cert-9", "1970-01-01T00:00:00Z#cert-9"] {
            let body = assert_json(
                &handle(&app, get(&format!("{filter}limit=10&cursor={}", encode(scope, 2, after)))).await,
                200,
            );
            assert_eq!(body["pagination"]["total"], 3, "{after}");
        }
    }
}
