//! `POST /api/v1/certifications`: validates the whole body (every bad field at once),
//! stores the new record with a conditional PutItem and answers 201 with `Location`.
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::domain::ids::new_certification_id;
use shared::http::views::CertificationView;
use shared::http::{json, json_body, query, respond};
use shared::metrics::Change;
use shared::validation::parse_create;
use shared::{ApiError, App, Certification};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(create(app, &req).await)
}

async fn create(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    query(req, &[]).finish()?;
    let new = parse_create(json_body(req)?)?;
    let now = app.clock.now();
    let cert = Certification::new(new_certification_id(), new, now);
    app.store.create(&cert).await?;
    tracing::info!(id = %cert.id, "certification created");
    shared::metrics::count(Change::Created);
    // Generated ids are ASCII, so this header value is always valid.
    let location = HeaderValue::try_from(format!("/api/v1/certifications/{}", cert.id)).map_err(|e| {
        tracing::error!(error = %e, "could not build the Location header");
        ApiError::Internal
    })?;
    let mut response = json(StatusCode::CREATED, &CertificationView::full(cert, now));
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}
