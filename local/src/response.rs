//! Lambda responses as HTTP responses, as API Gateway sends them on: the one conversion every
//! local route uses (the API's handlers, the local-only admin routes, their 404s and 405s).
use lambda_http::{Body, Response};
use shared::http::ApiError;

/// A Lambda response as an HTTP response, as API Gateway sends it on.
pub fn to_axum(response: Response<Body>) -> axum::response::Response {
    let (parts, body) = response.into_parts();
    let body = match body {
        Body::Text(text) => axum::body::Body::from(text),
        Body::Binary(bytes) => axum::body::Body::from(bytes),
        _ => axum::body::Body::empty(),
    };
    axum::response::Response::from_parts(parts, body)
}

/// An error as its problem+json response, through `shared`'s one error mapping.
pub fn problem(error: ApiError) -> axum::response::Response {
    to_axum(error.into_response())
}
