//! The HTTP edge: the one problem mapping, request guards, responses, the JSON views and the
//! routes. The top layer: builds on domain, validation and store; nothing below imports it.
//!
//! | file          | what lives there                                              |
//! |---------------|---------------------------------------------------------------|
//! | `cursor.rs`   | list cursors bound to their filters and limit; `Link` headers  |
//! | `problem.rs`  | [`ApiError`] and its RFC 9457 problem+json mapping            |
//! | `request.rs`  | path id, JSON body, query string and paging guards            |
//! | `response.rs` | JSON responses; results through the one mapping               |
//! | `views.rs`    | every JSON shape the API answers with                         |
//! | `routes.rs`   | the seven routes and the function serving each                |
//! | `etag.rs`     | `ETag` from the record version; `If-Match` parsed             |
//! | `idempotency.rs` | `Idempotency-Key`: fingerprint, keyed create, replay       |
//! | `location.rs` | `Location` with the API Gateway stage prefix                  |
pub mod cursor;
pub mod etag;
pub mod idempotency;
pub mod location;
pub mod problem;
pub mod request;
pub mod response;
pub mod routes;
pub mod views;

pub use problem::{ApiError, PROBLEM_JSON};
pub use request::{json_body, page_request, path_id, query, DEFAULT_LIMIT, MAX_LIMIT, MAX_PAGE};
pub use response::{json, respond};
