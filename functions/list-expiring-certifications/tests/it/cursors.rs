//! `/expiring` by cursor (issue 9): 45 certifications sharing one `expires_at` walk the same
//! by cursor as by page, soonest first then by id, nothing twice, nothing skipped.
use list_expiring_certifications::handle;
use serde_json::Value;
use shared::testing::{assert_json, assert_problem, certification, error_fields, ApiRequest, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";
const ROUTE: &str = "/api/v1/certifications/expiring";

fn get(query: &str) -> lambda_http::Request {
    ApiRequest::new("GET", ROUTE).query(query).build()
}

fn ids(body: &Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_cohort_sharing_one_expires_at_walks_the_same_by_cursor_and_by_page() {
    let db = TestDb::start().await;
    let mut want = Vec::new();
    for i in 0..45 {
        let id = format!("cert-{i:03}");
        db.store().create(&certification(&id, "2026-04-10T00:00:00Z")).await.unwrap();
        want.push(id);
    }
    // Outside the window: not listed.
    db.store().create(&certification("cert-later", "2027-04-10T00:00:00Z")).await.unwrap();
    let app = db.app_at(NOW);

    let mut by_cursor = Vec::new();
    let mut query = "limit=10".to_string();
    for page in 1..=5 {
        let r = handle(&app, get(&query)).await;
        let body = assert_json(&r, 200);
        assert_eq!((body["pagination"]["page"].clone(), body["pagination"]["total"].clone()), (page.into(), 45.into()));
        by_cursor.extend(ids(&body));
        match body["pagination"]["next_cursor"].as_str() {
            Some(c) => {
                assert!(r.headers()["link"].to_str().unwrap().contains(c));
                query = format!("limit=10&cursor={c}");
            }
            None => assert_eq!(page, 5, "the last page has no cursor"),
        }
    }
    let mut by_page = Vec::new();
    for page in 1..=5 {
        by_page.extend(ids(&assert_json(&handle(&app, get(&format!("limit=10&page={page}"))).await, 200)));
    }
    assert_eq!(by_cursor, want, "soonest first, then by id, by cursor");
    assert_eq!(by_page, want, "by page");

    // Bound to days and limit.
    let body = assert_json(&handle(&app, get("limit=10")).await, 200);
    let c = body["pagination"]["next_cursor"].as_str().unwrap();
    for q in [format!("days=60&limit=10&cursor={c}"), format!("limit=11&cursor={c}"), format!("page=2&cursor={c}")] {
        assert_eq!(error_fields(&assert_problem(&handle(&app, get(&q)).await, 400)), ["cursor"], "{q}");
    }
}
