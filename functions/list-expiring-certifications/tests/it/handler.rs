//! `GET /api/v1/certifications/expiring` against embedded dynoxide: the window's edges,
//! soonest-first order, pages, and what is left out.
use lambda_http::request::from_str;
use list_expiring_certifications::handle;
use serde_json::{json, Value};
use shared::domain::Status;
use shared::testing::assert_unavailable;
use shared::testing::{
    assert_event_route, assert_json, assert_problem, certification, error_fields, unreachable_app, ApiRequest, TestDb,
};

const NOW: &str = "2026-03-26T10:00:00Z";
const ROUTE: &str = "/api/v1/certifications/expiring";

fn get(query: &str) -> lambda_http::Request {
    ApiRequest::new("GET", ROUTE).query(query).build()
}

/// Around the default 30-day window from NOW, plus records that must never show.
async fn seed(db: &TestDb) {
    let active = [
        ("e-at-now", NOW),                         // expired at this instant: out
        ("e-just-after", "2026-03-26T10:00:01Z"),  // in, 0 days
        ("e-tomorrow", "2026-03-27T09:00:00Z"),    // in, 1 day
        ("e-contract", "2026-04-10T00:00:00Z"),    // in, 15 days
        ("e-tie-b", "2026-04-20T00:00:00Z"),       // in, tie with e-tie-a: by id
        ("e-tie-a", "2026-04-20T00:00:00Z"),       // in
        ("e-window-end", "2026-04-25T10:00:00Z"),  // exactly now + 30 days: in
        ("e-past-window", "2026-04-25T10:00:01Z"), // out
        ("e-long-past", "2026-01-01T00:00:00Z"),   // effectively expired: out
    ];
    for (id, expires) in active {
        let mut c = certification(id, expires);
        if id == "e-contract" {
            c.mentor_id = "mentor-19".into();
            c.mentor_name = Some("Lars Eriksen".into());
            c.cert_type = "peer_mentor_level_1".into();
        }
        db.store().create(&c).await.unwrap();
    }
    for (id, status) in
        [("x-suspended", Status::Suspended), ("x-revoked", Status::Revoked), ("x-expired", Status::Expired)]
    {
        let mut c = certification(id, "2026-04-01T00:00:00Z");
        c.status = status;
        db.store().create(&c).await.unwrap();
    }
}

const IN_WINDOW: [&str; 6] = ["e-just-after", "e-tomorrow", "e-contract", "e-tie-a", "e-tie-b", "e-window-end"];

fn ids(body: &Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_sample_event_returns_the_window_soonest_first() {
    let db = TestDb::start().await;
    seed(&db).await;
    let app = db.app_at(NOW);

    let req = from_str(include_str!("../../../../events/list-expiring-certifications.json")).expect("a valid sample");
    assert_event_route(&req, "list-expiring-certifications");
    let (r, counts) = db.counter.measure(handle(&app, req)).await;

    let body = assert_json(&r, 200);
    assert_eq!(ids(&body), IN_WINDOW);
    assert_eq!(body["pagination"], json!({"page": 1, "limit": 20, "total": 6, "next_cursor": null}));
    let days: Vec<i64> =
        body["data"].as_array().unwrap().iter().map(|c| c["days_until_expiry"].as_i64().unwrap()).collect();
    assert_eq!(days, [0, 1, 15, 25, 25, 30]);
    // The contract's item shape.
    assert_eq!(
        body["data"][2],
        json!({
            "id": "e-contract", "mentor_id": "mentor-19", "mentor_name": "Lars Eriksen",
            "cert_type": "peer_mentor_level_1", "expires_at": "2026-04-10T00:00:00Z",
            "days_until_expiry": 15, "status": "active",
            "issued_at": "2025-09-01T00:00:00Z", "renewal_count": 0,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
        })
    );
    assert_eq!(body["data"][0]["mentor_name"], Value::Null);
    assert_eq!(counts.of("Scan"), 0, "{counts:?}");
    assert!(counts.of("Query") >= 1, "{counts:?}");
}

#[tokio::test]
async fn days_sets_the_window_and_defaults_to_30() {
    let db = TestDb::start().await;
    seed(&db).await;
    let app = db.app_at(NOW);
    assert_eq!(ids(&assert_json(&handle(&app, get("")).await, 200)), IN_WINDOW);
    assert_eq!(ids(&assert_json(&handle(&app, get("days=1")).await, 200)), ["e-just-after", "e-tomorrow"]);
    assert_eq!(
        ids(&assert_json(&handle(&app, get("days=15")).await, 200)),
        ["e-just-after", "e-tomorrow", "e-contract"]
    );
    let all = assert_json(&handle(&app, get("days=3650")).await, 200);
    assert_eq!(all["pagination"]["total"], 7, "e-past-window joins; suspended, revoked, expired never do");
    assert!(!ids(&all).iter().any(|id| id.starts_with("x-") || id == "e-at-now" || id == "e-long-past"));
}

#[tokio::test]
async fn pages_split_the_window_and_a_page_past_the_end_is_empty() {
    let db = TestDb::start().await;
    seed(&db).await;
    let app = db.app_at(NOW);
    let pages: [(&str, &[&str]); 4] = [
        ("limit=4", &IN_WINDOW[..4]),
        ("limit=4&page=2", &IN_WINDOW[4..]),
        ("limit=4&page=3", &[]),
        ("days=1&limit=1&page=2", &["e-tomorrow"]),
    ];
    for (query, want) in pages {
        let body = assert_json(&handle(&app, get(query)).await, 200);
        assert_eq!(ids(&body), want, "{query}");
    }
    let body = assert_json(&handle(&app, get("limit=4&page=3")).await, 200);
    assert_eq!(body["pagination"], json!({"page": 3, "limit": 4, "total": 6, "next_cursor": null}));
}

#[tokio::test]
async fn the_bad_query_sample_and_every_bad_parameter_are_400s_naming_it() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let req = from_str(include_str!("../../../../events/list-expiring-certifications.bad-query.json")).unwrap();
    assert_event_route(&req, "list-expiring-certifications");
    let problem = assert_problem(&handle(&app, req).await, 400);
    assert_eq!(error_fields(&problem), ["days"]);
    assert_eq!(problem["errors"][0]["message"], "must be a whole number from 1 to 3650");

    let cases = [
        ("days=3651", "days"),
        ("days=-5", "days"),
        ("days=seven", "days"),
        ("days=", "days"),
        ("days=7&days=8", "days"),
        ("page=0", "page"),
        ("limit=101", "limit"),
        ("status=active", "status"),
        ("mentor_id=mentor-42", "mentor_id"),
    ];
    for (query, field) in cases {
        let problem = assert_problem(&handle(&app, get(query)).await, 400);
        assert_eq!(error_fields(&problem), [field], "{query}");
    }
}

#[tokio::test]
async fn dynamodb_unreachable_is_a_503_with_retry_after() {
    let app = unreachable_app(NOW).await;
    let r = handle(&app, get("days=7")).await;
    assert_unavailable(&r);
}
