//! The API's router (`local_api::routes::api_router`, as `serve` builds it) from the outside:
//! API Gateway's precedence, 404 and 405 problems, query strings and path ids as the handler
//! receives them, and body limits.
use axum::http::{header, Request as HttpRequest, StatusCode};
use http_body_util::BodyExt;
use local_api::routes::api_router;
use serde_json::{json, Value};
use shared::testing::TestDb;
use shared::validation::MAX_BODY_BYTES;
use tower::ServiceExt;

const NOW: &str = "2026-03-26T10:00:00Z";

async fn send(app: &axum::Router, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Option<String>, Value) {
    let mut req = HttpRequest::builder().method(method).uri(uri);
    let body = match body {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            axum::body::Body::from(b.to_string())
        }
        None => axum::body::Body::empty(),
    };
    let response = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let allow = response.headers().get(header::ALLOW).map(|v| v.to_str().unwrap().to_owned());
    let content_type = response.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_client_error() {
        assert_eq!(content_type.as_deref(), Some("application/problem+json"), "{method} {uri}");
        assert_eq!(json["status"], status.as_u16(), "{method} {uri}: {json}");
    }
    (status, allow, json)
}

async fn test_router() -> (TestDb, axum::Router) {
    let db = TestDb::start().await;
    let router = api_router(db.app_at(NOW), None).expect("every route has a handler");
    (db, router)
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let (_db, app) = test_router().await;
    for uri in [
        "/",
        "/api/v1",
        "/api/v1/certification",
        "/api/v2/certifications",
        "/api/v1/certifications/",
        "/api/v1/certifications/cert-1/history",
        "/api/v1/certifications/cert-1/status/extra",
    ] {
        let (status, _, body) = send(&app, "GET", uri, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(body["type"], "/problems/not-found", "{uri}");
    }
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let (_db, app) = test_router().await;
    for (method, uri, allow) in [
        ("PATCH", "/api/v1/certifications", "GET, POST"),
        ("DELETE", "/api/v1/certifications", "GET, POST"),
        ("POST", "/api/v1/certifications/cert-1", "GET, PUT, DELETE"),
        ("PATCH", "/api/v1/certifications/cert-1", "GET, PUT, DELETE"),
        ("POST", "/api/v1/certifications/expiring", "GET"),
        ("PUT", "/api/v1/certifications/cert-1/status", "GET"),
    ] {
        let (status, got_allow, body) = send(&app, method, uri, None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert_eq!(got_allow.as_deref(), Some(allow), "{method} {uri}");
        assert_eq!(body["type"], "/problems/method-not-allowed");
    }
}

#[tokio::test]
async fn expiring_is_a_literal_route_that_wins_over_id() {
    let (_db, app) = test_router().await;
    let new = json!({"mentor_id": "mentor-42", "cert_type": "peer_mentor_level_2",
                     "issued_at": "2025-09-01T00:00:00Z", "expires_at": "2026-04-10T00:00:00Z"});
    let (status, _, created) = send(&app, "POST", "/api/v1/certifications", Some(new)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();

    let (status, _, expiring) = send(&app, "GET", "/api/v1/certifications/expiring", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(expiring["data"][0]["id"], id);
    assert_eq!(expiring["data"][0]["days_until_expiry"], 15);
    assert_eq!(expiring["pagination"]["total"], 1);

    let (status, _, got) = send(&app, "GET", &format!("/api/v1/certifications/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, created);
    let (status, _, got) = send(&app, "GET", &format!("/api/v1/certifications/{id}/status"), None).await;
    assert_eq!((status, &got["status"]), (StatusCode::OK, &json!("active")));
    // Below the literal segment `expiring` is an ordinary (unknown) id.
    let (status, _, _) = send(&app, "GET", "/api/v1/certifications/expiring/status", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The literal route has only GET: other methods fall through to `/{id}` with id
    // `expiring`, as API Gateway routes them, and that id is unknown.
    let renew = json!({"expires_at": "2030-01-01T00:00:00Z"});
    for (method, body) in [("PUT", Some(renew)), ("DELETE", None)] {
        let (status, _, problem) = send(&app, method, "/api/v1/certifications/expiring", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(problem["detail"], "no certification with id 'expiring'", "{method}");
    }
}

#[tokio::test]
async fn query_repeats_and_decoded_path_ids_reach_the_handler() {
    let (_db, app) = test_router().await;
    let (status, _, body) = send(&app, "GET", "/api/v1/certifications?limit=5&limit=6", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["field"], "limit");
    let (status, _, body) = send(&app, "GET", "/api/v1/certifications?mentor_id=m%3A1&limit=5", None).await;
    assert_eq!((status, &body["pagination"]["limit"]), (StatusCode::OK, &json!(5)));
    // `%2D` decodes to `-`: a well-formed, unknown id.
    let (status, _, body) = send(&app, "GET", "/api/v1/certifications/cert%2Dnope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["detail"], "no certification with id 'cert-nope'");
    // Not UTF-8 once decoded: no id can match.
    let (status, _, _) = send(&app, "GET", "/api/v1/certifications/%FF", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_oversized_body_is_413_and_the_wrong_content_type_415() {
    let (_db, app) = test_router().await;
    let huge = json!({"mentor_id": "m", "mentor_name": "x".repeat(MAX_BODY_BYTES)});
    let (status, _, _) = send(&app, "POST", "/api/v1/certifications", Some(huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let req = HttpRequest::post("/api/v1/certifications")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(axum::body::Body::from("{}"))
        .unwrap();
    assert_eq!(app.clone().oneshot(req).await.unwrap().status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}
