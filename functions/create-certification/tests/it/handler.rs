//! `POST /api/v1/certifications` against embedded dynoxide: the record, `Location`, and
//! every 4xx class a body or header can earn.
use create_certification::handle;
use lambda_http::request::from_str;
use serde_json::{json, Value};
use shared::domain::ids::ID_PREFIX;
use shared::store::{ListFilter, PageRequest};
use shared::testing::assert_unavailable;
use shared::testing::{
    assert_event_route, assert_json, assert_problem, at, error_fields, unreachable_app, ApiRequest, TestDb,
};
use shared::validation::MAX_BODY_BYTES;

const NOW: &str = "2026-03-26T10:00:00Z";
const ROUTE: &str = "/api/v1/certifications";

fn sample() -> lambda_http::Request {
    from_str(include_str!("../../../../events/create-certification.json")).expect("a valid sample event")
}

fn valid_body() -> Value {
    json!({"mentor_id": "mentor-42", "cert_type": "peer_mentor_level_2",
           "issued_at": "2026-03-01T00:00:00Z", "expires_at": "2027-03-01T00:00:00Z"})
}

fn post(body: &Value) -> lambda_http::Request {
    ApiRequest::new("POST", ROUTE).json(body).build()
}

/// How many certifications the table holds.
async fn stored(db: &TestDb) -> u64 {
    let now = at(NOW);
    db.store()
        .list(&ListFilter::default(), now, &PageRequest { page: 1, limit: 100, after: None, numbered: true })
        .await
        .unwrap()
        .total
}

#[tokio::test]
async fn the_sample_event_creates_the_record_and_answers_201_with_location() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);

    let req = sample();
    assert_event_route(&req, "create-certification");
    let (r, counts) = db.counter.measure(handle(&app, req)).await;

    let body = assert_json(&r, 201);
    let id = body["id"].as_str().unwrap().to_owned();
    let ulid = id.strip_prefix(ID_PREFIX).expect("a cert- id");
    assert_eq!(ulid.len(), 26);
    assert!(ulid.chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()), "{id}");
    assert_eq!(r.headers()["location"], format!("/api/v1/certifications/{id}").as_str());
    assert_eq!(
        body,
        json!({
            "id": id, "mentor_id": "mentor-42", "mentor_name": "Lars Eriksen",
            "cert_type": "peer_mentor_level_2", "status": "active",
            "issued_at": "2026-03-01T00:00:00Z", "expires_at": "2027-03-01T00:00:00Z",
            "renewal_count": 0, "renewal_history": [],
            "created_at": NOW, "updated_at": NOW
        })
    );
    // The Put and its count updates: one TransactWriteItems.
    assert_eq!(counts.of("TransactWriteItems"), 1, "{counts:?}");
    assert_eq!(counts.total(), 1, "{counts:?}");

    let saved = db.store().get(&id).await.unwrap().expect("the record is stored");
    assert_eq!(saved.mentor_name.as_deref(), Some("Lars Eriksen"));
    assert_eq!(saved.created_at, at(NOW));
}

#[tokio::test]
async fn offsets_are_normalised_to_utc_and_each_create_gets_its_own_id() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let mut b = valid_body();
    b["issued_at"] = json!("2026-03-01T02:00:00.900+02:00");
    let first = assert_json(&handle(&app, post(&b)).await, 201);
    let second = assert_json(&handle(&app, post(&b)).await, 201);
    assert_eq!(first["issued_at"], "2026-03-01T00:00:00Z");
    assert_eq!(first["mentor_name"], Value::Null);
    assert_ne!(first["id"], second["id"]);
    assert_eq!(stored(&db).await, 2);
}

#[tokio::test]
async fn an_already_past_expiry_is_reported_expired() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let mut b = valid_body();
    b["issued_at"] = json!("2025-01-01T00:00:00Z");
    b["expires_at"] = json!("2026-01-01T00:00:00Z");
    assert_eq!(assert_json(&handle(&app, post(&b)).await, 201)["status"], "expired");
}

#[tokio::test]
async fn the_invalid_body_sample_lists_every_bad_field_and_stores_nothing() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let req = from_str(include_str!("../../../../events/create-certification.invalid-body.json")).unwrap();
    assert_event_route(&req, "create-certification");
    let (r, counts) = db.counter.measure(handle(&app, req)).await;

    let problem = assert_problem(&r, 400);
    assert_eq!(problem["type"], "/problems/validation-error");
    assert_eq!(error_fields(&problem), ["status", "mentor_id", "cert_type", "issued_at", "expires_at"]);
    assert_eq!(problem["detail"], "5 fields are invalid");
    assert_eq!(problem["errors"][4]["message"], "must be a string, not a number");
    assert_eq!(counts.total(), 0);
    assert_eq!(stored(&db).await, 0);
}

#[tokio::test]
async fn malformed_json_is_a_400_malformed_request() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    for text in ["", "{\"mentor_id\": ", "[1, 2]", "\"text\"", "null", "{\"a\":1}{"] {
        let req = ApiRequest::new("POST", ROUTE).header("content-type", "application/json").body(text).build();
        let problem = assert_problem(&handle(&app, req).await, 400);
        assert_eq!(problem["type"], "/problems/malformed-request", "{text:?}");
    }
    assert_eq!(stored(&db).await, 0);
}

#[tokio::test]
async fn wrong_types_missing_fields_and_rules_are_each_named() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let cases: Vec<(&str, Value)> = vec![
        ("mentor_id", json!(42)),
        ("mentor_id", json!("mentor 42")),
        ("mentor_name", json!("")),
        ("mentor_name", json!(["Lars"])),
        ("cert_type", json!(true)),
        ("cert_type", json!("Peer-Mentor")),
        ("issued_at", json!("2026-03-01")),
        ("expires_at", json!("2026-02-30T00:00:00Z")),
        // Not later than issued_at.
        ("expires_at", json!("2026-03-01T00:00:00Z")),
    ];
    for (field, value) in cases {
        let mut b = valid_body();
        b[field] = value.clone();
        let problem = assert_problem(&handle(&app, post(&b)).await, 400);
        assert_eq!(error_fields(&problem), [field], "{field} = {value}");
    }
    let problem = assert_problem(&handle(&app, post(&json!({}))).await, 400);
    assert_eq!(error_fields(&problem), ["mentor_id", "cert_type", "issued_at", "expires_at"]);
    assert!(problem["errors"].as_array().unwrap().iter().all(|e| e["message"] == "is required"));
    assert_eq!(stored(&db).await, 0);
}

#[tokio::test]
async fn unknown_and_server_owned_fields_are_refused() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    for field in ["id", "status", "renewal_count", "renewal_history", "created_at", "updated_at", "colour"] {
        let mut b = valid_body();
        b[field] = json!("x");
        let problem = assert_problem(&handle(&app, post(&b)).await, 400);
        assert_eq!(error_fields(&problem), [field]);
    }
    assert_eq!(stored(&db).await, 0);
}

#[tokio::test]
async fn content_type_must_be_json() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let req = from_str(include_str!("../../../../events/create-certification.wrong-content-type.json")).unwrap();
    assert_event_route(&req, "create-certification");
    let problem = assert_problem(&handle(&app, req).await, 415);
    assert_eq!(problem["type"], "/problems/unsupported-media-type");

    let body = valid_body().to_string();
    let missing = ApiRequest::new("POST", ROUTE).body(body.clone()).build();
    assert_problem(&handle(&app, missing).await, 415);
    let form = ApiRequest::new("POST", ROUTE).header("content-type", "application/x-www-form-urlencoded").body(&*body);
    assert_problem(&handle(&app, form.build()).await, 415);
    assert_eq!(stored(&db).await, 0);

    // Parameters and case do not matter.
    let charset = ApiRequest::new("POST", ROUTE).header("content-type", "Application/JSON; charset=utf-8").body(body);
    assert_json(&handle(&app, charset.build()).await, 201);
}

#[tokio::test]
async fn a_body_over_16_kib_is_a_413_and_exactly_16_kib_is_accepted() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    // Valid JSON padded with whitespace to the byte.
    let padded = |len: usize| {
        let text = valid_body().to_string();
        format!("{text}{}", " ".repeat(len - text.len()))
    };
    let req = |text: String| ApiRequest::new("POST", ROUTE).header("content-type", "application/json").body(text);
    let problem = assert_problem(&handle(&app, req(padded(MAX_BODY_BYTES + 1)).build()).await, 413);
    assert_eq!(problem["type"], "/problems/payload-too-large");
    assert_eq!(stored(&db).await, 0);
    assert_json(&handle(&app, req(padded(MAX_BODY_BYTES)).build()).await, 201);
    assert_eq!(MAX_BODY_BYTES, 16 * 1024);
}

#[tokio::test]
async fn query_parameters_are_refused_by_name() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let req = ApiRequest::new("POST", ROUTE).query("dry_run=1").json(&valid_body()).build();
    assert_eq!(error_fields(&assert_problem(&handle(&app, req).await, 400)), ["dry_run"]);
    assert_eq!(stored(&db).await, 0);
}

#[tokio::test]
async fn dynamodb_unreachable_is_a_503_with_retry_after() {
    let app = unreachable_app(NOW).await;
    let r = handle(&app, sample()).await;
    assert_unavailable(&r);
    assert!(r.headers().get("location").is_none());
}
