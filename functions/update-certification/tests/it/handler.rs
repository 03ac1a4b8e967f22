//! `PUT /api/v1/certifications/{id}` against embedded dynoxide: renewal vs plain update,
//! reinstating and revoking, and every 4xx class.
use lambda_http::request::from_str;
use serde_json::{json, Value};
use shared::domain::{Certification, RenewalEntry, Status};
use shared::testing::assert_unavailable;
use shared::testing::{
    assert_event_route, assert_json, assert_problem, at, certification, error_fields, unreachable_app, ApiRequest,
    TestDb,
};
use shared::validation::MAX_BODY_BYTES;
use update_certification::handle;

const NOW: &str = "2026-03-26T10:05:00Z";
/// The id in `events/update-certification*.json`.
const SAMPLE_ID: &str = "cert-01jq3v4x5y6z7a8b9c0d1e2f3g";
const ROUTE: &str = "/api/v1/certifications/{id}";

fn sample() -> lambda_http::Request {
    from_str(include_str!("../../../../events/update-certification.json")).expect("a valid sample event")
}

fn put(id: &str, body: &Value) -> lambda_http::Request {
    ApiRequest::new("PUT", ROUTE).id(id).json(body).build()
}

/// The contract's example record: renewed once, expiring 2026-09-01.
fn seeded() -> Certification {
    let mut c = certification(SAMPLE_ID, "2026-09-01T00:00:00Z");
    c.renewal_count = 1;
    c.renewal_history =
        vec![RenewalEntry { renewed_at: at("2025-09-01T08:14:00Z"), expires_at: at("2026-09-01T00:00:00Z") }];
    c
}

async fn seed(db: &TestDb, c: &Certification) {
    db.store().create(c).await.unwrap();
}

async fn stored(db: &TestDb, id: &str) -> Certification {
    db.store().get(id).await.unwrap().expect("the record exists")
}

#[tokio::test]
async fn the_sample_event_is_a_renewal_in_one_transaction() {
    let db = TestDb::start().await;
    seed(&db, &seeded()).await;
    let app = db.app_at(NOW);

    let req = sample();
    assert_event_route(&req, "update-certification");
    let (r, counts) = db.counter.measure(handle(&app, req)).await;

    let body = assert_json(&r, 200);
    assert_eq!(
        body,
        json!({
            "id": SAMPLE_ID, "mentor_id": "mentor-42", "mentor_name": null,
            "cert_type": "peer_mentor_level_2", "status": "active",
            "issued_at": "2026-03-26T00:00:00Z", "expires_at": "2027-03-26T00:00:00Z",
            "renewal_count": 2,
            "renewal_history": [
                {"renewed_at": "2025-09-01T08:14:00Z", "expires_at": "2026-09-01T00:00:00Z"},
                {"renewed_at": NOW, "expires_at": "2027-03-26T00:00:00Z"}
            ],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": NOW
        })
    );
    // The body names cert_type, which may move the record between list partitions and
    // counts: the stored type is read first. Was one conditional UpdateItem (2 requests): a
    // renewal of an `active` record also moves its expiry counts (issue 18, `/expiring`'s
    // total), so the write is one transaction with them, and the record is read back.
    assert_eq!((counts.of("GetItem"), counts.of("TransactWriteItems")), (2, 1), "{counts:?}");
    assert_eq!(counts.total(), 3, "{counts:?}");
    assert_eq!(stored(&db, SAMPLE_ID).await.renewal_count, 2);
}

#[tokio::test]
async fn a_plain_update_leaves_the_renewal_fields_alone() {
    let db = TestDb::start().await;
    seed(&db, &seeded()).await;
    let app = db.app_at(NOW);
    let body = json!({"cert_type": "peer_mentor_level_3", "mentor_name": "Lars Eriksen"});
    let (r, counts) = db.counter.measure(handle(&app, put(SAMPLE_ID, &body))).await;
    let got = assert_json(&r, 200);
    assert_eq!(got["cert_type"], "peer_mentor_level_3");
    assert_eq!(got["mentor_name"], "Lars Eriksen");
    assert_eq!(got["renewal_count"], 1);
    assert_eq!(got["renewal_history"].as_array().unwrap().len(), 1);
    assert_eq!(got["updated_at"], NOW);
    // A type change: read, one transaction with the count moves, read back.
    assert_eq!((counts.of("GetItem"), counts.of("TransactWriteItems")), (2, 1), "{counts:?}");

    // Shortening the expiry, then sending the same expiry again, is not a renewal either.
    let shorter = "2026-08-01T00:00:00Z";
    for expires in [shorter, shorter] {
        let got = assert_json(&handle(&app, put(SAMPLE_ID, &json!({ "expires_at": expires }))).await, 200);
        assert_eq!(got["expires_at"], expires);
        assert_eq!(got["renewal_count"], 1);
    }
    // mentor_name can be cleared.
    let got = assert_json(&handle(&app, put(SAMPLE_ID, &json!({"mentor_name": null}))).await, 200);
    assert_eq!(got["mentor_name"], Value::Null);
    assert_eq!(stored(&db, SAMPLE_ID).await.renewal_history.len(), 1);
}

#[tokio::test]
async fn renewing_an_expired_certification_makes_it_active_again() {
    let db = TestDb::start().await;
    let mut scanned = certification("cert-scanned", "2026-03-01T00:00:00Z");
    scanned.status = Status::Expired;
    seed(&db, &scanned).await;
    // Past its expiry but not yet touched by the scan.
    seed(&db, &certification("cert-lapsed", "2026-03-01T00:00:00Z")).await;
    let app = db.app_at(NOW);
    for id in ["cert-scanned", "cert-lapsed"] {
        assert_eq!(stored(&db, id).await.effective_status(at(NOW)), Status::Expired, "{id}");
        let got = assert_json(&handle(&app, put(id, &json!({"expires_at": "2027-03-01T00:00:00Z"}))).await, 200);
        assert_eq!(got["status"], "active", "{id}");
        assert_eq!(got["renewal_count"], 1, "{id}");
        assert_eq!(got["renewal_history"], json!([{"renewed_at": NOW, "expires_at": "2027-03-01T00:00:00Z"}]));
        assert_eq!(stored(&db, id).await.status, Status::Active);
    }
}

#[tokio::test]
async fn suspend_reinstate_and_revoke_through_status() {
    let db = TestDb::start().await;
    seed(&db, &seeded()).await;
    let app = db.app_at(NOW);
    for status in ["suspended", "active", "revoked"] {
        let got = assert_json(&handle(&app, put(SAMPLE_ID, &json!({ "status": status }))).await, 200);
        assert_eq!(got["status"], status);
        assert_eq!(got["renewal_count"], 1);
    }
    // Revocation is final.
    let problem = assert_problem(&handle(&app, put(SAMPLE_ID, &json!({"status": "active"}))).await, 409);
    assert_eq!(problem["type"], "/problems/conflict");
    assert_eq!(stored(&db, SAMPLE_ID).await.status, Status::Revoked);
}

#[tokio::test]
async fn every_put_on_a_revoked_certification_is_a_409_and_changes_nothing() {
    let db = TestDb::start().await;
    let mut revoked = seeded();
    revoked.status = Status::Revoked;
    seed(&db, &revoked).await;
    let app = db.app_at(NOW);

    let (r, counts) = db.counter.measure(handle(&app, sample())).await;
    let problem = assert_problem(&r, 409);
    assert!(problem["detail"].as_str().unwrap().contains("revoked"), "{problem}");
    assert_eq!(counts.of("GetItem"), 1, "the read before a type change shows the revocation: {counts:?}");
    assert_eq!(counts.total(), 1, "{counts:?}");
    for body in
        [json!({"mentor_name": "x"}), json!({"status": "revoked"}), json!({"expires_at": "2026-05-01T00:00:00Z"})]
    {
        assert_problem(&handle(&app, put(SAMPLE_ID, &body)).await, 409);
    }
    assert_eq!(stored(&db, SAMPLE_ID).await, revoked);
}

#[tokio::test]
async fn bad_bodies_are_400s_naming_every_field() {
    let db = TestDb::start().await;
    seed(&db, &seeded()).await;
    let app = db.app_at(NOW);

    let req = from_str(include_str!("../../../../events/update-certification.invalid-status.json")).unwrap();
    assert_event_route(&req, "update-certification");
    let problem = assert_problem(&handle(&app, req).await, 400);
    assert_eq!(error_fields(&problem), ["status"]);
    assert_eq!(problem["errors"][0]["message"], "must be one of active, suspended, revoked");

    let empty = assert_problem(&handle(&app, put(SAMPLE_ID, &json!({}))).await, 400);
    assert_eq!(error_fields(&empty), ["body"]);

    let several = json!({"mentor_id": "m-1", "renewal_count": 5, "id": "cert-x", "cert_type": 7,
                         "issued_at": "soon", "status": null});
    let problem = assert_problem(&handle(&app, put(SAMPLE_ID, &several)).await, 400);
    assert_eq!(error_fields(&problem), ["id", "mentor_id", "renewal_count", "issued_at", "cert_type", "status"]);
    assert_eq!(problem["detail"], "6 fields are invalid");

    let backwards = json!({"issued_at": "2027-01-01T00:00:00Z", "expires_at": "2026-12-01T00:00:00Z"});
    assert_eq!(error_fields(&assert_problem(&handle(&app, put(SAMPLE_ID, &backwards)).await, 400)), ["expires_at"]);

    for text in ["", "{", "[]", "{\"status\": \"active\",}"] {
        let req = ApiRequest::new("PUT", ROUTE).id(SAMPLE_ID).header("content-type", "application/json").body(text);
        assert_eq!(assert_problem(&handle(&app, req.build()).await, 400)["type"], "/problems/malformed-request");
    }
    assert_eq!(stored(&db, SAMPLE_ID).await, seeded());
}

#[tokio::test]
async fn the_result_must_keep_expiry_after_issue_against_the_stored_values() {
    let db = TestDb::start().await;
    seed(&db, &seeded()).await;
    let app = db.app_at(NOW);
    // Stored expiry is 2026-09-01.
    let problem =
        assert_problem(&handle(&app, put(SAMPLE_ID, &json!({"issued_at": "2026-10-01T00:00:00Z"}))).await, 400);
    assert_eq!(error_fields(&problem), ["issued_at"]);
    // Stored issue is 2025-09-01.
    let problem =
        assert_problem(&handle(&app, put(SAMPLE_ID, &json!({"expires_at": "2025-08-01T00:00:00Z"}))).await, 400);
    assert_eq!(error_fields(&problem), ["expires_at"]);
    assert_eq!(stored(&db, SAMPLE_ID).await, seeded());
}

#[tokio::test]
async fn unknown_and_impossible_ids_are_404s() {
    let db = TestDb::start().await;
    let app = db.app_at(NOW);
    let (r, counts) = db.counter.measure(handle(&app, sample())).await;
    let problem = assert_problem(&r, 404);
    assert!(problem["detail"].as_str().unwrap().contains(SAMPLE_ID));
    assert_eq!(counts.total(), 1);
    assert!(db.store().get(SAMPLE_ID).await.unwrap().is_none(), "a PUT never creates");

    for id in ["cert.1", "", &"a".repeat(65)] {
        let (r, counts) = db.counter.measure(handle(&app, put(id, &json!({"status": "active"})))).await;
        assert_problem(&r, 404);
        assert_eq!(counts.total(), 0, "{id:?}");
    }
}

#[tokio::test]
async fn content_type_size_and_query_are_checked() {
    let db = TestDb::start().await;
    seed(&db, &seeded()).await;
    let app = db.app_at(NOW);
    let body = json!({"status": "suspended"}).to_string();

    let no_type = ApiRequest::new("PUT", ROUTE).id(SAMPLE_ID).body(body.clone()).build();
    assert_problem(&handle(&app, no_type).await, 415);
    let text = ApiRequest::new("PUT", ROUTE).id(SAMPLE_ID).header("content-type", "text/json").body(body.clone());
    assert_problem(&handle(&app, text.build()).await, 415);

    let huge = format!("{{\"mentor_name\": \"{}\"}}", "x".repeat(MAX_BODY_BYTES));
    let huge = ApiRequest::new("PUT", ROUTE).id(SAMPLE_ID).header("content-type", "application/json").body(huge);
    assert_eq!(assert_problem(&handle(&app, huge.build()).await, 413)["type"], "/problems/payload-too-large");

    let query = ApiRequest::new("PUT", ROUTE).id(SAMPLE_ID).query("renew=true").json(&json!({"status": "suspended"}));
    assert_eq!(error_fields(&assert_problem(&handle(&app, query.build()).await, 400)), ["renew"]);

    assert_eq!(stored(&db, SAMPLE_ID).await, seeded());
}

#[tokio::test]
async fn dynamodb_unreachable_is_a_503_with_retry_after() {
    let app = unreachable_app(NOW).await;
    let r = handle(&app, sample()).await;
    assert_unavailable(&r);
}
