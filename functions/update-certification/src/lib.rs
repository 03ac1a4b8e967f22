//! `PUT /api/v1/certifications/{id}`: a plain update or a renewal (a later `expires_at`),
//! decided atomically by the write's condition against the stored record. A PUT that changes
//! neither status, `cert_type` nor `expires_at` (a name, `issued_at`) is one conditional
//! UpdateItem. One that does (every renewal: the expiry counts move with `expires_at`) learns
//! the stored record first (a GetItem, or the record a failed condition returns), then writes
//! the update and its count moves as one TransactWriteItems conditional on what it read, and
//! reads the result back. A failed condition
//! is retried from the stored record a bounded number of times (then 503). Revoked is final
//! (409); so is setting `active` once `expires_at` has passed (renew instead). `If-Match` is
//! part of every attempt's condition (412 on a stale tag); the answer carries the new `ETag`.
use chrono::{DateTime, Utc};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::domain::CertificationPatch;
use shared::http::etag::{if_match, with_etag};
use shared::http::views::CertificationView;
use shared::http::{json, json_body, path_id, query, respond};
use shared::metrics::Change;
use shared::validation::parse_update;
use shared::{ApiError, App, Certification, Status};

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
    for change in changes(&patch, &cert, now) {
        shared::metrics::count(change);
    }
    let version = cert.version;
    Ok(with_etag(json(StatusCode::OK, &CertificationView::full(cert, now)), version))
}

/// What a successful PUT did, for the business metrics. A renewal is the store's decision
/// (a later `expires_at`), visible as a history entry written at `now` for the patch's
/// `expires_at`: a repeated identical PUT in the same second counts again, which the metric
/// tolerates. A status counts when the PUT set it, even to the value it had.
pub fn changes(patch: &CertificationPatch, cert: &Certification, now: DateTime<Utc>) -> Vec<Change> {
    let mut out = Vec::new();
    let renewed =
        cert.renewal_history.last().is_some_and(|r| r.renewed_at == now && Some(r.expires_at) == patch.expires_at);
    if renewed {
        out.push(Change::Renewed);
    }
    match patch.status {
        Some(Status::Suspended) => out.push(Change::Suspended),
        Some(Status::Revoked) => out.push(Change::Revoked),
        _ => {}
    }
    out
}
