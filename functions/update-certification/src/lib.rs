//! `PUT /api/v1/certifications/{id}`: a plain update or a renewal (a later `expires_at`),
//! decided atomically by the store's single conditional UpdateItem. Revoked is final (409).
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
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
    let patch = parse_update(json_body(req)?)?;
    let now = app.clock.now();
    let cert = app.store.update(&id, &patch, now).await?;
    tracing::info!(id = %id, renewal_count = cert.renewal_count, "certification updated");
    Ok(json(StatusCode::OK, &CertificationView::full(cert, now)))
}
