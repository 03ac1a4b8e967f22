//! `POST` with `Idempotency-Key`, against a real DynamoDB API: replays, reuse with another
//! body, concurrent duplicates, expiry of the record, injected transaction conflicts; and
//! `ETag`/`Location` on the answer.
use std::sync::Arc;

use create_certification::handle;
use serde_json::{json, Value};
use shared::domain::{Clock, FixedClock};
use shared::store::{ListFilter, PageRequest};
use shared::testing::{
    assert_json, assert_problem, assert_unavailable, at, error_fields, ApiRequest, Fault, Faults, TestDb,
};
use shared::App;

const NOW: &str = "2026-03-26T10:00:00Z";
const ROUTE: &str = "/api/v1/certifications";

fn body() -> Value {
    json!({"mentor_id": "mentor-42", "cert_type": "peer_mentor_level_2",
           "issued_at": "2026-03-01T00:00:00Z", "expires_at": "2027-03-01T00:00:00Z"})
}

fn keyed(key: &str, body: &Value) -> lambda_http::Request {
    ApiRequest::new("POST", ROUTE).header("Idempotency-Key", key).json(body).build()
}

async fn stored(db: &TestDb) -> u64 {
    db.store()
        .list(&ListFilter::default(), at(NOW), &PageRequest { page: 1, limit: 100, after: None, numbered: true })
        .await
        .unwrap()
        .total
}

fn header<'a>(r: &'a lambda_http::Response<lambda_http::Body>, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_gets_the_first_response_and_creates_nothing() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let first = handle(&app, keyed("order-7781", &body())).await;
    let created = assert_json(&first, 201);
    assert_eq!(header(&first, "etag"), Some("\"v1\""));
    assert_eq!(header(&first, "idempotent-replayed"), None);
    let id = created["id"].as_str().unwrap();

    // Later, the same body with other key order and spacing: the same request.
    let later = db.app_at("2026-03-26T18:00:00Z");
    let text = r#"{ "expires_at":"2027-03-01T00:00:00Z", "issued_at":"2026-03-01T00:00:00Z",
                    "cert_type":"peer_mentor_level_2", "mentor_id":"mentor-42" }"#;
    let req = ApiRequest::new("POST", ROUTE)
        .header("Idempotency-Key", "order-7781")
        .header("content-type", "application/json")
        .body(text)
        .build();
    let (again, counts) = db.counter.measure(handle(&later, req)).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.body().as_ref(), first.body().as_ref(), "the very same body");
    assert_eq!(header(&again, "location"), Some(format!("{ROUTE}/{id}").as_str()));
    assert_eq!(header(&again, "etag"), Some("\"v1\""));
    assert_eq!(header(&again, "idempotent-replayed"), Some("true"));
    assert_eq!(header(&again, "content-type"), Some("application/json"));
    assert_eq!((counts.of("GetItem"), counts.total()), (1, 1), "{counts:?}");
    assert_eq!(stored(&db).await, 1);

    // Another key is another request.
    assert_json(&handle(&app, keyed("order-7782", &body())).await, 201);
    assert_eq!(stored(&db).await, 2);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422_and_writes_nothing() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    assert_json(&handle(&app, keyed("k-1", &body())).await, 201);
    let mut other = body();
    other["cert_type"] = json!("other_type");
    let p = assert_problem(&handle(&app, keyed("k-1", &other)).await, 422);
    assert_eq!(p["type"], "/problems/idempotency-key-reused");
    assert_eq!(stored(&db).await, 1);
}

#[tokio::test]
async fn a_key_is_remembered_for_the_retention_window_only() {
    let db = TestDb::start().await;
    assert_json(&handle(&db.app_at(NOW), keyed("k-2", &body())).await, 201);
    // 24 h later (the default IDEMPOTENCY_TTL_HOURS) the key is free again.
    let r = handle(&db.app_at("2026-03-27T09:59:59Z"), keyed("k-2", &body())).await;
    assert_eq!(header(&r, "idempotent-replayed"), Some("true"));
    let r = handle(&db.app_at("2026-03-27T10:00:00Z"), keyed("k-2", &body())).await;
    assert_json(&r, 201);
    assert_eq!(header(&r, "idempotent-replayed"), None);
    assert_eq!(stored(&db).await, 2);
    // The window is configuration.
    let mut short = db.app_at(NOW);
    short.config.idempotency_ttl_hours = 1;
    assert_json(&handle(&short, keyed("k-3", &body())).await, 201);
    let r = handle(&db.app_at("2026-03-26T11:00:00Z"), keyed("k-3", &body())).await;
    assert_eq!(header(&r, "idempotent-replayed"), None);
}

#[tokio::test]
async fn twenty_concurrent_requests_with_one_key_create_exactly_one_certification() {
    let db = TestDb::start().await;
    if shared::testing::skip_concurrent_writes(&db) {
        return;
    }
    let app = db.app_at(NOW);
    let requests = (0..20).map(|_| handle(&app, keyed("burst", &body())));
    let responses = futures::future::join_all(requests).await;
    let ids: Vec<String> = responses.iter().map(|r| assert_json(r, 201)["id"].as_str().unwrap().to_owned()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let replayed = responses.iter().filter(|r| header(r, "idempotent-replayed") == Some("true")).count();
    assert_eq!(replayed, 19);
    assert_eq!(stored(&db).await, 1);
}

#[tokio::test]
async fn bad_keys_are_400_problems_naming_the_header_and_write_nothing() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    for key in ["", &"k".repeat(256), "ключ", "tab\there"] {
        let p = assert_problem(&handle(&app, keyed(key, &body())).await, 400);
        assert_eq!(error_fields(&p), ["Idempotency-Key"], "{key:?}");
    }
    assert_json(&handle(&app, keyed(&"k".repeat(255), &body())).await, 201);
    assert_json(&handle(&app, keyed(" !~", &body())).await, 201);
    assert_eq!(stored(&db).await, 2);
}

#[tokio::test]
async fn transaction_conflicts_are_retried_then_answer_503_with_nothing_written() {
    let db = TestDb::start().await;
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::at(NOW));
    let faults = Faults::new(vec![Fault::transaction_conflict("busy-key", 2, 1)]);
    let app = App::new(db.store_with(&faults), clock.clone(), db.app_at(NOW).config);
    assert_json(&handle(&app, keyed("busy-key", &body())).await, 201);
    assert_eq!(faults.injected(), 1);

    let faults = Faults::new(vec![Fault::transaction_conflict("stuck-key", 2, 1000)]);
    let app = App::new(db.store_with(&faults), clock, db.app_at(NOW).config);
    assert_unavailable(&handle(&app, keyed("stuck-key", &body())).await);
    assert_eq!(stored(&db).await, 1);
}

#[tokio::test]
async fn location_carries_a_named_stage_and_not_the_default_one() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let r = handle(&app, ApiRequest::new("POST", ROUTE).stage("prod").json(&body()).build()).await;
    let id = assert_json(&r, 201)["id"].as_str().unwrap().to_owned();
    assert_eq!(header(&r, "location"), Some(format!("/prod{ROUTE}/{id}").as_str()));
    let r = handle(&app, ApiRequest::new("POST", ROUTE).json(&body()).build()).await;
    let id = assert_json(&r, 201)["id"].as_str().unwrap().to_owned();
    assert_eq!(header(&r, "location"), Some(format!("{ROUTE}/{id}").as_str()));
}

#[tokio::test]
async fn edge_case_bodies_are_400_and_write_nothing() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let dup = r#"{"mentor_id":"m","cert_type":"a","cert_type":"b","issued_at":"2026-03-01T00:00:00Z","expires_at":"2027-03-01T00:00:00Z"}"#;
    let req = ApiRequest::new("POST", ROUTE).header("content-type", "application/json").body(dup).build();
    assert!(assert_problem(&handle(&app, req).await, 400)["detail"].as_str().unwrap().contains("duplicate key"));
    let mut leap = body();
    leap["issued_at"] = json!("2026-03-01T12:34:60Z");
    assert_eq!(error_fields(&assert_problem(&handle(&app, keyed("leap", &leap)).await, 400)), ["issued_at"]);
    let mut bidi = body();
    bidi["mentor_name"] = json!("Lars \u{202E}nesrikE");
    assert_eq!(error_fields(&assert_problem(&handle(&app, keyed("bidi", &bidi)).await, 400)), ["mentor_name"]);
    assert_eq!(stored(&db).await, 0);
}
