//! `GET /api/v1/certifications` against embedded dynoxide: filters, order, pages, and
//! strict query parameters.
use lambda_http::request::from_str;
use list_certifications::handle;
use serde_json::{json, Value};
use shared::domain::{Certification, Status};
use shared::testing::assert_unavailable;
use shared::testing::{
    assert_event_route, assert_json, assert_problem, at, certification, error_fields, unreachable_app, ApiRequest,
    TestDb,
};

const NOW: &str = "2026-03-26T10:00:00Z";
const ROUTE: &str = "/api/v1/certifications";

fn get(query: &str) -> lambda_http::Request {
    ApiRequest::new("GET", ROUTE).query(query).build()
}

fn cert(id: &str, mentor: &str, cert_type: &str, status: Status, expires: &str, created: &str) -> Certification {
    let mut c = certification(id, expires);
    c.mentor_id = mentor.into();
    c.cert_type = cert_type.into();
    c.status = status;
    c.created_at = at(created);
    c.updated_at = at(created);
    c
}

/// Eight certifications; ids sort like their creation times except for a tie (c-6, c-7).
async fn seed(db: &TestDb) {
    use Status::*;
    let certs = [
        cert("c-1", "mentor-42", "peer_mentor_level_1", Active, "2027-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        cert("c-2", "mentor-42", "peer_mentor_level_2", Active, "2027-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
        // Stored active but past its expiry: effectively expired.
        cert("c-3", "mentor-42", "peer_mentor_level_2", Active, "2026-03-01T00:00:00Z", "2026-01-03T00:00:00Z"),
        cert("c-4", "mentor-42", "peer_mentor_level_2", Expired, "2026-02-01T00:00:00Z", "2026-01-04T00:00:00Z"),
        cert("c-5", "mentor-42", "peer_mentor_level_2", Suspended, "2027-01-01T00:00:00Z", "2026-01-05T00:00:00Z"),
        cert("c-6", "mentor-19", "peer_mentor_level_2", Revoked, "2027-01-01T00:00:00Z", "2026-01-06T00:00:00Z"),
        cert("c-7", "mentor-19", "peer_mentor_level_1", Active, "2027-01-01T00:00:00Z", "2026-01-06T00:00:00Z"),
        cert("c-8", "mentor-19", "peer_mentor_level_2", Active, "2027-01-01T00:00:00Z", "2026-01-08T00:00:00Z"),
    ];
    for c in &certs {
        db.store().create(c).await.unwrap();
    }
}

fn ids(body: &Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_sample_event_lists_a_mentors_active_certifications_newest_first() {
    let db = TestDb::start().await;
    seed(&db).await;
    let app = db.app_at(NOW);

    let req = from_str(include_str!("../../../../events/list-certifications.json")).expect("a valid sample event");
    assert_event_route(&req, "list-certifications");
    let (r, counts) = db.counter.measure(handle(&app, req)).await;

    let body = assert_json(&r, 200);
    assert_eq!(ids(&body), ["c-2", "c-1"]);
    assert_eq!(body["pagination"], json!({"page": 1, "limit": 20, "total": 2, "next_cursor": null}));
    // A list item is the record without renewal_history.
    assert_eq!(
        body["data"][0],
        json!({
            "id": "c-2", "mentor_id": "mentor-42", "mentor_name": null, "cert_type": "peer_mentor_level_2",
            "status": "active", "issued_at": "2025-09-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z",
            "renewal_count": 0, "created_at": "2026-01-02T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z"
        })
    );
    assert_eq!(counts.of("Scan"), 0, "{counts:?}");
    assert!(counts.of("Query") >= 1, "{counts:?}");
}

#[tokio::test]
async fn unfiltered_is_newest_first_with_ties_by_id_descending() {
    let db = TestDb::start().await;
    seed(&db).await;
    let app = db.app_at(NOW);
    let (r, counts) = db.counter.measure(handle(&app, get(""))).await;
    let body = assert_json(&r, 200);
    assert_eq!(ids(&body), ["c-8", "c-7", "c-6", "c-5", "c-4", "c-3", "c-2", "c-1"]);
    assert_eq!(body["pagination"], json!({"page": 1, "limit": 20, "total": 8, "next_cursor": null}));
    assert_eq!(counts.of("Scan"), 0, "{counts:?}");
}

#[tokio::test]
async fn filters_use_the_effective_status_and_combine() {
    let db = TestDb::start().await;
    seed(&db).await;
    let app = db.app_at(NOW);
    let cases: &[(&str, &[&str])] = &[
        ("status=active", &["c-8", "c-7", "c-2", "c-1"]),
        ("status=expired", &["c-4", "c-3"]),
        ("status=suspended", &["c-5"]),
        ("status=revoked", &["c-6"]),
        ("mentor_id=mentor-19", &["c-8", "c-7", "c-6"]),
        ("cert_type=peer_mentor_level_1", &["c-7", "c-1"]),
        ("mentor_id=mentor-42&cert_type=peer_mentor_level_2&status=expired", &["c-4", "c-3"]),
        ("cert_type=peer_mentor_level_2&status=active", &["c-8", "c-2"]),
        ("mentor_id=mentor-7", &[]),
    ];
    for (query, want) in cases {
        let body = assert_json(&handle(&app, get(query)).await, 200);
        assert_eq!(ids(&body), *want, "{query}");
        assert_eq!(body["pagination"]["total"], want.len(), "{query}");
    }
    // Every item reports its effective status.
    let body = assert_json(&handle(&app, get("status=expired")).await, 200);
    assert!(body["data"].as_array().unwrap().iter().all(|c| c["status"] == "expired"));
}

#[tokio::test]
async fn pages_split_the_order_and_a_page_past_the_end_is_empty() {
    let db = TestDb::start().await;
    seed(&db).await;
    let app = db.app_at(NOW);
    let pages: &[(&str, &[&str])] = &[
        ("limit=3", &["c-8", "c-7", "c-6"]),
        ("limit=3&page=2", &["c-5", "c-4", "c-3"]),
        ("page=3&limit=3", &["c-2", "c-1"]),
        ("page=4&limit=3", &[]),
        ("limit=100", &["c-8", "c-7", "c-6", "c-5", "c-4", "c-3", "c-2", "c-1"]),
        ("mentor_id=mentor-42&limit=2&page=2", &["c-3", "c-2"]),
    ];
    for (query, want) in pages {
        let body = assert_json(&handle(&app, get(query)).await, 200);
        assert_eq!(ids(&body), *want, "{query}");
    }
    let body = assert_json(&handle(&app, get("page=4&limit=3")).await, 200);
    assert_eq!(body["pagination"], json!({"page": 4, "limit": 3, "total": 8, "next_cursor": null}));
    let mut body = assert_json(&handle(&app, get("mentor_id=mentor-42&limit=2&page=2")).await, 200);
    assert!(body["pagination"]["next_cursor"].is_string(), "a third page follows");
    body["pagination"].as_object_mut().unwrap().remove("next_cursor");
    assert_eq!(body["pagination"], json!({"page": 2, "limit": 2, "total": 5}));
}

#[tokio::test]
async fn the_bad_query_sample_names_both_parameters() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let req = from_str(include_str!("../../../../events/list-certifications.bad-query.json")).unwrap();
    assert_event_route(&req, "list-certifications");
    let (r, counts) = db.counter.measure(handle(&app, req)).await;
    let problem = assert_problem(&r, 400);
    assert_eq!(problem["type"], "/problems/validation-error");
    assert_eq!(error_fields(&problem), ["sort", "limit"]);
    assert_eq!(problem["errors"][1]["message"], "must be a whole number from 1 to 100");
    assert_eq!(counts.total(), 0);
}

#[tokio::test]
async fn each_bad_parameter_is_a_400_naming_it() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let cases = [
        ("mentor_id=bad%20id", "mentor_id"),
        ("mentor_id=", "mentor_id"),
        ("cert_type=Peer-Mentor", "cert_type"),
        ("status=gone", "status"),
        ("status=ACTIVE", "status"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("page=1000001", "page"),
        // Past the offset window ((page - 1) × limit < 10000): follow next_cursor instead.
        ("page=101&limit=100", "page"),
        ("page=501", "page"),
        ("page", "page"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("page=1&page=2", "page"),
        ("status=active&status=active", "status"),
        ("sort=created_at", "sort"),
        ("Limit=5", "Limit"),
    ];
    for (query, field) in cases {
        let problem = assert_problem(&handle(&app, get(query)).await, 400);
        assert_eq!(error_fields(&problem), [field], "{query}");
    }
}

#[tokio::test]
async fn dynamodb_unreachable_is_a_503_with_retry_after() {
    let app = unreachable_app(NOW).await;
    let r = handle(&app, get("")).await;
    assert_unavailable(&r);
}
