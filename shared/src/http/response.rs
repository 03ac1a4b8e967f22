//! Responses: JSON bodies, and every handler result turned into a response with errors
//! through the one problem mapping ([`ApiError::into_response`]).
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

use super::problem::ApiError;

/// A JSON response. Serialising the model cannot fail; if it ever did, it is a 500.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    let built = serde_json::to_string(body).map_err(|e| e.to_string()).and_then(|text| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(text))
            .map_err(|e| e.to_string())
    });
    built.unwrap_or_else(|cause| {
        tracing::error!(error = %cause, "could not build a JSON response");
        ApiError::Internal.into_response()
    })
}

/// Turns a handler's result into the response, errors through the one mapping.
pub fn respond(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(ApiError::into_response)
}
