//! `GET /api/v1/certifications/{id}`: the whole record, with its effective status and its
//! `ETag` (for `If-Match` on PUT and DELETE).
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::etag::with_etag;
use shared::http::views::CertificationView;
use shared::http::{json, path_id, query, respond};
use shared::{ApiError, App, ReadOnly};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(get(app.read_only(), &req).await)
}

async fn get(app: ReadOnly<'_>, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = path_id(req)?;
    query(req, &[]).finish()?;
    let cert = app.get(&id).await?.ok_or_else(|| ApiError::not_found(&id))?;
    let version = cert.version;
    Ok(with_etag(json(StatusCode::OK, &CertificationView::full(cert, app.clock.now())), version))
}
