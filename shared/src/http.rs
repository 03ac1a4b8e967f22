//! The HTTP edge shared by the handlers: request guards (content type, body size, path id,
//! query string) and JSON responses. Errors leave through [`ApiError::into_response`].
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

use crate::error::ApiError;
use crate::store::PageRequest;
use crate::validation::{is_valid_path_id, Query, MAX_BODY_BYTES};

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

/// The `{id}` path parameter. An id that cannot exist answers 404, as an unknown one does.
pub fn path_id(req: &Request) -> Result<String, ApiError> {
    let params = req.path_parameters();
    let id = params.first("id").unwrap_or_default();
    if is_valid_path_id(id) {
        Ok(id.to_owned())
    } else {
        Err(ApiError::NotFound("no certification with that id".into()))
    }
}

/// The body of a POST or PUT: at most 16 KiB, sent as `application/json`.
pub fn json_body(req: &Request) -> Result<&[u8], ApiError> {
    let body = req.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES });
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(body)
}

/// The query string, strictly: see [`Query`].
pub fn query(req: &Request, allowed: &[&str]) -> Query {
    let params = req.query_string_parameters();
    // QueryMap::iter yields every (name, value) pair, repeats included.
    Query::new(params.iter(), allowed)
}

pub const PAGE_PARAMS: [&str; 2] = ["page", "limit"];
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
/// Keeps `(page - 1) * limit` far from overflow and from absurd offsets.
pub const MAX_PAGE: u32 = 1_000_000;

/// `page` (from 1, default 1) and `limit` (1 to 100, default 20).
pub fn page_request(q: &mut Query) -> PageRequest {
    PageRequest { page: q.int("page", 1..=MAX_PAGE, 1), limit: q.int("limit", 1..=MAX_LIMIT, DEFAULT_LIMIT) }
}
