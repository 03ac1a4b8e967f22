//! `GET /api/v1/certifications/{id}/status`: the record plus `days_until_expiry` and
//! `is_expiring_soon` (window from `EXPIRING_SOON_DAYS`).
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::views::CertificationView;
use shared::http::{json, path_id, query, respond};
use shared::{ApiError, App, ReadOnly};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(status(app.read_only(), &req).await)
}

async fn status(app: ReadOnly<'_>, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = path_id(req)?;
    query(req, &[]).finish()?;
    let cert = app.get(&id).await?.ok_or_else(|| ApiError::not_found(&id))?;
    let view = CertificationView::status(cert, app.clock.now(), app.config.expiring_soon_days);
    Ok(json(StatusCode::OK, &view))
}
