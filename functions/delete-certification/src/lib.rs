//! `DELETE /api/v1/certifications/{id}`: one conditional DeleteItem; an unknown id is a 404,
//! a stale `If-Match` (checked by the same condition) a 412.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::etag::if_match;
use shared::http::views::Deleted;
use shared::http::{json, path_id, query, respond};
use shared::metrics::Change;
use shared::{ApiError, App};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(delete(app, &req).await)
}

async fn delete(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let id = path_id(req)?;
    query(req, &[]).finish()?;
    let if_match = if_match(req)?;
    app.store.delete_if(&id, if_match.as_ref()).await?;
    tracing::info!(id = %id, "certification deleted");
    shared::metrics::count(Change::Deleted);
    Ok(json(StatusCode::OK, &Deleted { deleted: true, id }))
}
