//! `GET /openapi.yaml`: the API's OpenAPI document (the repository root's `openapi.yaml`,
//! compiled in). Local only, like `/_local/expiry-scan`: API Gateway has no such route.
use axum::http::header;
use axum::routing::get;
use shared::http::ApiError;

use crate::response::problem;

pub const ROUTE: &str = "/openapi.yaml";
pub const DOCUMENT: &str = include_str!("../../openapi.yaml");
/// RFC 9512's media type for YAML.
pub const MEDIA_TYPE: &str = "application/yaml";

pub fn routes() -> axum::Router {
    let other_methods = || async { problem(ApiError::MethodNotAllowed { allow: "GET".into() }) };
    axum::Router::new()
        .route(ROUTE, get(|| async { ([(header::CONTENT_TYPE, MEDIA_TYPE)], DOCUMENT) }).fallback(other_methods))
}

#[cfg(test)]
mod tests {
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn the_document_is_served_as_yaml_and_other_methods_are_405() {
        let response = routes().oneshot(Request::get(ROUTE).body(axum::body::Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], MEDIA_TYPE);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(body.starts_with(b"openapi: 3.1."), "{:?}", String::from_utf8_lossy(&body[..40]));
        assert_eq!(body.len(), DOCUMENT.len());

        let response = routes().oneshot(Request::post(ROUTE).body(axum::body::Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "GET");
    }
}
