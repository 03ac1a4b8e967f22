//! `GET /api/v1/certifications/{id}` against a real DynamoDB API (embedded dynoxide).
use get_certification::handle;
use lambda_http::request::from_str;
use serde_json::json;
use shared::domain::{RenewalEntry, Status};
use shared::testing::{
    assert_event_route, assert_json, assert_problem, at, certification, error_fields, unreachable_app, ApiRequest,
    TestDb,
};

const NOW: &str = "2026-03-26T10:00:00Z";
/// The id in `events/get-certification.json`.
const SAMPLE_ID: &str = "cert-01jq3v4x5y6z7a8b9c0d1e2f3g";
const ROUTE: &str = "/api/v1/certifications/{id}";

fn sample() -> lambda_http::Request {
    from_str(include_str!("../../../../events/get-certification.json")).expect("a valid sample event")
}

#[tokio::test]
async fn the_sample_event_answers_the_whole_record_with_one_get_item() {
    let db = TestDb::start().await;
    let mut c = certification(SAMPLE_ID, "2026-09-01T00:00:00Z");
    c.mentor_name = Some("Lars Eriksen".into());
    c.renewal_count = 1;
    c.renewal_history =
        vec![RenewalEntry { renewed_at: at("2025-09-01T08:14:00Z"), expires_at: at("2026-09-01T00:00:00Z") }];
    db.store().create(&c).await.unwrap();
    let app = db.app_at(NOW);

    let req = sample();
    assert_event_route(&req, "get-certification");
    let (r, counts) = db.counter.measure(handle(&app, req)).await;

    let body = assert_json(&r, 200);
    assert_eq!(
        body,
        json!({
            "id": SAMPLE_ID, "mentor_id": "mentor-42", "mentor_name": "Lars Eriksen",
            "cert_type": "peer_mentor_level_2", "status": "active",
            "issued_at": "2025-09-01T00:00:00Z", "expires_at": "2026-09-01T00:00:00Z",
            "renewal_count": 1,
            "renewal_history": [{"renewed_at": "2025-09-01T08:14:00Z", "expires_at": "2026-09-01T00:00:00Z"}],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
        })
    );
    assert_eq!(counts.of("GetItem"), 1, "{counts:?}");
    assert_eq!(counts.total(), 1, "{counts:?}");
}

#[tokio::test]
async fn the_status_shown_is_the_effective_one() {
    let db = TestDb::start().await;
    // Stored active, expiring exactly now: already expired, before any scan ran.
    db.store().create(&certification("cert-at-now", NOW)).await.unwrap();
    db.store().create(&certification("cert-later", "2026-03-26T10:00:01Z")).await.unwrap();
    let mut suspended = certification("cert-suspended", "2025-01-01T00:00:00Z");
    suspended.issued_at = at("2024-01-01T00:00:00Z");
    suspended.status = Status::Suspended;
    db.store().create(&suspended).await.unwrap();
    let app = db.app_at(NOW);

    for (id, status) in [("cert-at-now", "expired"), ("cert-later", "active"), ("cert-suspended", "suspended")] {
        let r = handle(&app, ApiRequest::new("GET", ROUTE).id(id).build()).await;
        assert_eq!(assert_json(&r, 200)["status"], status, "{id}");
    }
}

#[tokio::test]
async fn the_unknown_id_sample_is_a_404_problem() {
    let db = TestDb::start().await;
    db.store().create(&certification(SAMPLE_ID, "2027-01-01T00:00:00Z")).await.unwrap();
    let app = db.app_at(NOW);

    let req = from_str(include_str!("../../../../events/get-certification.unknown-id.json")).unwrap();
    assert_event_route(&req, "get-certification");
    let (r, counts) = db.counter.measure(handle(&app, req)).await;

    let problem = assert_problem(&r, 404);
    assert_eq!(problem["type"], "/problems/not-found");
    assert!(problem["detail"].as_str().unwrap().contains("cert-01jq3v4x5y6z7a8b9c0d1e2f3z"), "{problem}");
    assert_eq!(counts.total(), 1);
}

#[tokio::test]
async fn an_id_that_cannot_exist_is_a_404_without_touching_dynamodb() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let too_long = "a".repeat(65);
    for id in ["cert.1", "cert 1", "ü", "cert%201", "", too_long.as_str()] {
        let (r, counts) = db.counter.measure(handle(&app, ApiRequest::new("GET", ROUTE).id(id).build())).await;
        assert_problem(&r, 404);
        assert_eq!(counts.total(), 0, "{id:?}");
    }
}

#[tokio::test]
async fn query_parameters_are_refused_by_name() {
    let db = TestDb::start().await;
    db.store().create(&certification(SAMPLE_ID, "2027-01-01T00:00:00Z")).await.unwrap();
    let app = db.app_at(NOW);
    for (raw, field) in [("page=1", "page"), ("fields=id", "fields"), ("x=1&x=2", "x")] {
        let r = handle(&app, ApiRequest::new("GET", ROUTE).id(SAMPLE_ID).query(raw).build()).await;
        let problem = assert_problem(&r, 400);
        assert_eq!(problem["type"], "/problems/validation-error");
        assert!(error_fields(&problem).iter().all(|f| f == field), "{problem}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("takes none"), "{problem}");
    }
}

#[tokio::test]
async fn dynamodb_unreachable_is_a_503_with_retry_after_and_no_internal_detail() {
    let app = unreachable_app(NOW).await;
    let r = handle(&app, sample()).await;
    let problem = assert_problem(&r, 503);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(problem["type"], "/problems/service-unavailable");
    let text = problem.to_string();
    assert!(!text.contains("127.0.0.1") && !text.to_lowercase().contains("connect"), "{text}");
}
