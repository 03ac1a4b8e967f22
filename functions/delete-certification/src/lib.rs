//! `DELETE /api/v1/certifications/{id}`: a strongly consistent GetItem (the stored status
//! and type decide which counts move), then one TransactWriteItems of the Delete,
//! conditional on the version read, and its count updates; read again if a write landed in
//! between. An unknown id is a 404; a stale `If-Match` (judged against the version the
//! Delete is conditional on) a 412, with nothing deleted.
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
