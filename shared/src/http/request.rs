//! Request guards shared by the handlers: path id, body size and content type, query string,
//! and the paging limits.
use lambda_http::http::header;
use lambda_http::{Request, RequestExt};

use super::cursor;
use super::problem::ApiError;
use crate::store::{PageRequest, MAX_OFFSET};
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

/// Items per page when the request gives no `limit`.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest `limit` a request may ask for.
pub const MAX_LIMIT: u32 = 100;
/// Keeps `(page - 1) * limit` far from overflow and from absurd offsets.
pub const MAX_PAGE: u32 = 1_000_000;

/// `page` (from 1, default 1, while `(page − 1) × limit` < 10,000), `limit` (1 to 100,
/// default 20) and `cursor` (instead of `page`; only with the filters and limit it was
/// issued for, which `scope` names given the limit: see [`cursor`]).
pub fn page_request(q: &mut Query, scope: impl FnOnce(u32) -> String) -> PageRequest {
    let limit = q.int("limit", 1..=MAX_LIMIT, DEFAULT_LIMIT);
    let page = q.int("page", 1..=MAX_PAGE, 1);
    let first = PageRequest::first(limit);
    if let Some(raw) = q.text("cursor") {
        if q.has("page") {
            q.reject("cursor", "cannot be combined with page: a cursor knows its page");
            return first;
        }
        return match cursor::decode(&scope(limit), &raw) {
            Ok(c) => PageRequest { page: c.page, limit, after: Some(c.after), numbered: false },
            Err(message) => {
                q.reject("cursor", message);
                first
            }
        };
    }
    let request = PageRequest { page, limit, after: None, numbered: q.has("page") };
    if request.offset() >= MAX_OFFSET {
        q.reject(
            "page",
            format!(
                "reaches past the first {MAX_OFFSET} items ((page - 1) × limit); follow pagination.next_cursor instead"
            ),
        );
        return first;
    }
    request
}
