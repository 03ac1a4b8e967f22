//! `PUT` with `If-Match`, the `ETag` it answers with, and the 409 for reactivating a
//! certification past its `expires_at`; against a real DynamoDB API.
use serde_json::{json, Value};
use shared::testing::{assert_json, assert_problem, certification, error_fields, ApiRequest, TestDb};
use update_certification::handle;

const NOW: &str = "2026-03-26T10:05:00Z";
const ROUTE: &str = "/api/v1/certifications/{id}";

fn put(id: &str, if_match: Option<&str>, body: &Value) -> lambda_http::Request {
    let mut r = ApiRequest::new("PUT", ROUTE).id(id);
    if let Some(tag) = if_match {
        r = r.header("If-Match", tag);
    }
    r.json(body).build()
}

fn etag(r: &lambda_http::Response<lambda_http::Body>) -> String {
    r.headers().get("etag").and_then(|v| v.to_str().ok()).expect("an ETag").to_owned()
}

#[tokio::test]
async fn if_match_with_the_current_tag_writes_and_a_stale_one_is_412() {
    let db = TestDb::start().await;
    db.store().create(&certification("cert-a", "2027-01-01T00:00:00Z")).await.unwrap();
    let app = db.app_at(NOW);

    let r = handle(&app, put("cert-a", Some("\"v1\""), &json!({"cert_type": "level_3"}))).await;
    assert_eq!(assert_json(&r, 200)["cert_type"], "level_3");
    assert_eq!(etag(&r), "\"v2\"");
    // Without If-Match: today's behaviour, and a new tag.
    let r = handle(&app, put("cert-a", None, &json!({"mentor_name": "Lars"}))).await;
    assert_eq!(etag(&assert_json_ok(r)), "\"v3\"");

    let p = assert_problem(&handle(&app, put("cert-a", Some("\"v1\""), &json!({"status": "revoked"}))).await, 412);
    assert_eq!(p["type"], "/problems/precondition-failed");
    let stored = db.store().get("cert-a").await.unwrap().unwrap();
    assert_eq!((stored.status.as_str(), stored.version), ("active", 3));

    // A list, W/ tags (never match) and `*`.
    assert_problem(&handle(&app, put("cert-a", Some("W/\"v3\""), &json!({"cert_type": "x"}))).await, 412);
    let r = handle(&app, put("cert-a", Some("\"v1\", \"v3\""), &json!({"cert_type": "x"}))).await;
    assert_eq!(etag(&assert_json_ok(r)), "\"v4\"");
    let r = handle(&app, put("cert-a", Some("*"), &json!({"cert_type": "y"}))).await;
    assert_eq!(etag(&assert_json_ok(r)), "\"v5\"");
    // Missing record: 404; malformed If-Match: 400 naming the header.
    assert_problem(&handle(&app, put("cert-zz", Some("\"v1\""), &json!({"cert_type": "x"}))).await, 404);
    assert_problem(&handle(&app, put("cert-zz", Some("*"), &json!({"cert_type": "x"}))).await, 404);
    let p = assert_problem(&handle(&app, put("cert-a", Some("v5"), &json!({"cert_type": "x"}))).await, 400);
    assert_eq!(error_fields(&p), ["If-Match"]);
}

fn assert_json_ok(r: lambda_http::Response<lambda_http::Body>) -> lambda_http::Response<lambda_http::Body> {
    assert_json(&r, 200);
    r
}

#[tokio::test]
async fn of_concurrent_puts_with_the_same_tag_exactly_one_wins() {
    let db = TestDb::start().await;
    if shared::testing::skip_concurrent_writes(&db) {
        return;
    }
    db.store().create(&certification("cert-race", "2027-01-01T00:00:00Z")).await.unwrap();
    let app = db.app_at(NOW);
    let puts =
        (0..10).map(|i| handle(&app, put("cert-race", Some("\"v1\""), &json!({"mentor_name": format!("n{i}")}))));
    let responses = futures::future::join_all(puts).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 9, "{statuses:?}");
    let winner = responses.iter().find(|r| r.status() == 200).unwrap();
    let name = assert_json(winner, 200)["mentor_name"].clone();
    let stored = db.store().get("cert-race").await.unwrap().unwrap();
    assert_eq!((json!(stored.mentor_name), stored.version), (name, 2));
}

#[tokio::test]
async fn reactivating_past_expires_at_is_409_and_renewing_is_the_way_back() {
    let db = TestDb::start().await;
    let mut c = certification("cert-old", "2026-03-01T00:00:00Z");
    c.status = shared::Status::Suspended;
    db.store().create(&c).await.unwrap();
    let app = db.app_at(NOW);
    let p = assert_problem(&handle(&app, put("cert-old", None, &json!({"status": "active"}))).await, 409);
    assert!(p["detail"].as_str().unwrap().contains("renew"), "{p}");
    assert_eq!(db.store().get("cert-old").await.unwrap().unwrap(), c);
    let r =
        handle(&app, put("cert-old", None, &json!({"status": "active", "expires_at": "2027-03-01T00:00:00Z"}))).await;
    assert_eq!(assert_json(&r, 200)["status"], "active");
}
