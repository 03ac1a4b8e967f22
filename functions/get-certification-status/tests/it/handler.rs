//! `GET /api/v1/certifications/{id}/status` at fixed instants, against embedded dynoxide.
use get_certification_status::handle;
use lambda_http::request::from_str;
use shared::domain::Status;
use shared::testing::assert_unavailable;
use shared::testing::{
    assert_event_route, assert_json, assert_problem, at, certification, error_fields, unreachable_app, ApiRequest,
    TestDb,
};

const NOW: &str = "2026-03-26T10:00:00Z";
/// The id in `events/get-certification-status.json`.
const SAMPLE_ID: &str = "cert-01jq3v4x5y6z7a8b9c0d1e2f3g";
const ROUTE: &str = "/api/v1/certifications/{id}/status";

fn sample() -> lambda_http::Request {
    from_str(include_str!("../../../../events/get-certification-status.json")).expect("a valid sample event")
}

/// Seeds one certification expiring at `expires_at` (stored `status`) and asks for its status.
async fn status_of(expires_at: &str, status: Status, now: &str, soon_days: i64) -> serde_json::Value {
    let db = TestDb::start().await;
    let mut c = certification("cert-probe", expires_at);
    c.status = status;
    db.store().create(&c).await.unwrap();
    let mut app = db.app_at(now);
    app.config.expiring_soon_days = soon_days;
    let r = handle(&app, ApiRequest::new("GET", ROUTE).id("cert-probe").build()).await;
    assert_json(&r, 200)
}

#[tokio::test]
async fn the_sample_event_matches_the_contract_example_with_one_get_item() {
    let db = TestDb::start().await;
    let mut c = certification(SAMPLE_ID, "2027-03-26T00:00:00Z");
    c.issued_at = at("2026-03-26T00:00:00Z");
    db.store().create(&c).await.unwrap();
    let app = db.app_at(NOW);

    let req = sample();
    assert_event_route(&req, "get-certification-status");
    let (r, counts) = db.counter.measure(handle(&app, req)).await;

    let body = assert_json(&r, 200);
    assert_eq!(body["id"], SAMPLE_ID);
    assert_eq!(body["mentor_id"], "mentor-42");
    assert_eq!(body["status"], "active");
    assert_eq!(body["cert_type"], "peer_mentor_level_2");
    assert_eq!(body["expires_at"], "2027-03-26T00:00:00Z");
    assert_eq!(body["days_until_expiry"], 365);
    assert_eq!(body["is_expiring_soon"], false);
    // The whole record comes along.
    assert_eq!(body["renewal_history"], serde_json::json!([]));
    assert_eq!(body["mentor_name"], serde_json::Value::Null);
    assert_eq!(counts.of("GetItem"), 1, "{counts:?}");
    assert_eq!(counts.total(), 1, "{counts:?}");
}

#[tokio::test]
async fn the_second_contract_example_is_fifteen_days_and_expiring_soon() {
    let body = status_of("2026-04-10T00:00:00Z", Status::Active, NOW, 30).await;
    assert_eq!(body["days_until_expiry"], 15);
    assert_eq!(body["is_expiring_soon"], true);
    assert_eq!(body["status"], "active");
}

#[tokio::test]
async fn expiring_soon_is_inclusive_of_the_configured_window() {
    // 30 days is inside the default window, 31 is not.
    assert_eq!(status_of("2026-04-25T00:00:00Z", Status::Active, NOW, 30).await["is_expiring_soon"], true);
    let outside = status_of("2026-04-26T00:00:00Z", Status::Active, NOW, 30).await;
    assert_eq!(outside["days_until_expiry"], 31);
    assert_eq!(outside["is_expiring_soon"], false);
    // EXPIRING_SOON_DAYS is honoured.
    assert_eq!(status_of("2026-04-10T00:00:00Z", Status::Active, NOW, 7).await["is_expiring_soon"], false);
    assert_eq!(status_of("2026-04-02T00:00:00Z", Status::Active, NOW, 7).await["is_expiring_soon"], true);
}

#[tokio::test]
async fn days_count_calendar_dates_and_expiry_is_effective_at_its_instant() {
    // Later today: 0 days, still active and expiring soon.
    let today = status_of("2026-03-26T23:59:59Z", Status::Active, NOW, 30).await;
    assert_eq!(today["status"], "active");
    assert_eq!(today["days_until_expiry"], 0);
    assert_eq!(today["is_expiring_soon"], true);
    // Tomorrow just after midnight is one calendar day, even 14 hours away.
    assert_eq!(status_of("2026-03-27T00:00:01Z", Status::Active, NOW, 30).await["days_until_expiry"], 1);
    // At the expiry instant: expired, whether or not the scan has run.
    let at_now = status_of(NOW, Status::Active, NOW, 30).await;
    assert_eq!(at_now["status"], "expired");
    assert_eq!(at_now["days_until_expiry"], 0);
    assert_eq!(at_now["is_expiring_soon"], false);
    // Past: negative days.
    let past = status_of("2026-03-20T00:00:00Z", Status::Active, NOW, 30).await;
    assert_eq!(past["status"], "expired");
    assert_eq!(past["days_until_expiry"], -6);
    assert_eq!(past["is_expiring_soon"], false);
}

#[tokio::test]
async fn only_active_certifications_are_expiring_soon() {
    for status in [Status::Suspended, Status::Revoked] {
        let body = status_of("2026-04-10T00:00:00Z", status, NOW, 30).await;
        assert_eq!(body["status"], status.as_str());
        assert_eq!(body["days_until_expiry"], 15);
        assert_eq!(body["is_expiring_soon"], false);
    }
}

#[tokio::test]
async fn unknown_and_impossible_ids_are_404_problems() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let (r, counts) = db.counter.measure(handle(&app, sample())).await;
    let problem = assert_problem(&r, 404);
    assert!(problem["detail"].as_str().unwrap().contains(SAMPLE_ID), "{problem}");
    assert_eq!(counts.of("GetItem"), 1);
    for id in ["cert.1", "cert/1", &"x".repeat(65)] {
        let (r, counts) = db.counter.measure(handle(&app, ApiRequest::new("GET", ROUTE).id(id).build())).await;
        assert_problem(&r, 404);
        assert_eq!(counts.total(), 0, "{id}");
    }
}

#[tokio::test]
async fn query_parameters_are_refused_by_name() {
    let db = TestDb::start().await;
    db.store().create(&certification(SAMPLE_ID, "2027-01-01T00:00:00Z")).await.unwrap();
    let app = db.app_at(NOW);
    let r = handle(&app, ApiRequest::new("GET", ROUTE).id(SAMPLE_ID).query("days=30").build()).await;
    assert_eq!(error_fields(&assert_problem(&r, 400)), ["days"]);
}

#[tokio::test]
async fn dynamodb_unreachable_is_a_503_with_retry_after() {
    let app = unreachable_app(NOW).await;
    let r = handle(&app, sample()).await;
    assert_unavailable(&r);
}
