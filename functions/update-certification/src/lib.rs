//! `PUT /api/v1/certifications/{id}`: a plain update or a renewal (a later `expires_at`),
//! decided atomically by the store's single conditional UpdateItem. Revoked is final (409);
//! so is setting `active` once `expires_at` has passed (renew instead). `If-Match` is part
//! of that write's condition (412 on a stale tag); the answer carries the new `ETag`.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::etag::{if_match, with_etag};
use shared::http::views::CertificationView;
use shared::http::{json, json_body, path_id, query, respond};
use shared::validation::parse_update;
use shared::{ApiError, App};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(update(app, &req).await)
}

async fn update(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = path_id(req)?;
    query(req, &[]).finish()?;
    let if_match = if_match(req)?;
    let patch = parse_update(json_body(req)?)?;
    let now = app.clock.now();
    let cert = app.store.update_if(&id, &patch, now, if_match.as_ref()).await?;
    tracing::info!(id = %id, renewal_count = cert.renewal_count, "certification updated");
    let version = cert.version;
    Ok(with_etag(json(StatusCode::OK, &CertificationView::full(cert, now)), version))
}
