//! Request guards shared by the handlers: path id, body size and content type, query string,
//! and the paging limits.
use lambda_http::http::header;
use lambda_http::{Request, RequestExt};

use super::problem::ApiError;
use crate::store::PageRequest;
use crate::validation::{is_valid_path_id, Query, MAX_BODY_BYTES};

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

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
/// Keeps `(page - 1) * limit` far from overflow and from absurd offsets.
pub const MAX_PAGE: u32 = 1_000_000;

/// `page` (from 1, default 1) and `limit` (1 to 100, default 20).
pub fn page_request(q: &mut Query) -> PageRequest {
    PageRequest { page: q.int("page", 1..=MAX_PAGE, 1), limit: q.int("limit", 1..=MAX_LIMIT, DEFAULT_LIMIT) }
}
