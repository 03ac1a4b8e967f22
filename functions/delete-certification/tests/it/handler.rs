//! `DELETE /api/v1/certifications/{id}` against embedded dynoxide.
use delete_certification::handle;
use lambda_http::request::from_str;
use serde_json::json;
use shared::testing::assert_unavailable;
use shared::testing::{
    assert_event_route, assert_json, assert_problem, certification, error_fields, unreachable_app, ApiRequest, TestDb,
};

const NOW: &str = "2026-03-26T10:00:00Z";
/// The id in `events/delete-certification.json`.
const SAMPLE_ID: &str = "cert-01jq3v4x5y6z7a8b9c0d1e2f3g";
const ROUTE: &str = "/api/v1/certifications/{id}";

fn sample() -> lambda_http::Request {
    from_str(include_str!("../../../../events/delete-certification.json")).expect("a valid sample event")
}

#[tokio::test]
async fn the_sample_event_deletes_with_a_read_and_one_transaction() {
    let db = TestDb::start().await;
    db.store().create(&certification(SAMPLE_ID, "2027-01-01T00:00:00Z")).await.unwrap();
    db.store().create(&certification("cert-other", "2027-01-01T00:00:00Z")).await.unwrap();
    let app = db.app_at(NOW);

    let req = sample();
    assert_event_route(&req, "delete-certification");
    let (r, counts) = db.counter.measure(handle(&app, req)).await;

    assert_eq!(assert_json(&r, 200), json!({"deleted": true, "id": SAMPLE_ID}));
    // The read gives the status and type whose counts the conditional Delete's transaction moves.
    assert_eq!((counts.of("GetItem"), counts.of("TransactWriteItems")), (1, 1), "{counts:?}");
    assert_eq!(counts.total(), 2, "{counts:?}");
    assert!(db.store().get(SAMPLE_ID).await.unwrap().is_none());
    assert!(db.store().get("cert-other").await.unwrap().is_some(), "only the addressed record goes");
}

#[tokio::test]
async fn deleting_twice_or_an_unknown_id_is_a_404() {
    let db = TestDb::start().await;
    db.store().create(&certification(SAMPLE_ID, "2027-01-01T00:00:00Z")).await.unwrap();
    let app = db.app_at(NOW);
    assert_json(&handle(&app, sample()).await, 200);

    let (r, counts) = db.counter.measure(handle(&app, sample())).await;
    let problem = assert_problem(&r, 404);
    assert_eq!(problem["type"], "/problems/not-found");
    assert!(problem["detail"].as_str().unwrap().contains(SAMPLE_ID));
    assert_eq!(counts.total(), 1);

    let r = handle(&app, ApiRequest::new("DELETE", ROUTE).id("cert-never-existed").build()).await;
    assert_problem(&r, 404);
}

#[tokio::test]
async fn an_id_that_cannot_exist_is_a_404_without_touching_dynamodb() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    for id in ["cert.1", "cert 1", "", &"a".repeat(65)] {
        let (r, counts) = db.counter.measure(handle(&app, ApiRequest::new("DELETE", ROUTE).id(id).build())).await;
        assert_problem(&r, 404);
        assert_eq!(counts.total(), 0, "{id:?}");
    }
}

#[tokio::test]
async fn query_parameters_are_refused_and_nothing_is_deleted() {
    let db = TestDb::start().await;
    db.store().create(&certification(SAMPLE_ID, "2027-01-01T00:00:00Z")).await.unwrap();
    let app = db.app_at(NOW);
    let r = handle(&app, ApiRequest::new("DELETE", ROUTE).id(SAMPLE_ID).query("force=true").build()).await;
    assert_eq!(error_fields(&assert_problem(&r, 400)), ["force"]);
    assert!(db.store().get(SAMPLE_ID).await.unwrap().is_some());
}

#[tokio::test]
async fn dynamodb_unreachable_is_a_503_with_retry_after() {
    let app = unreachable_app(NOW).await;
    let r = handle(&app, sample()).await;
    assert_unavailable(&r);
}
