//! `POST /api/v1/certifications`: validates the whole body (every bad field at once),
//! stores the new record and answers 201 with `Location` and `ETag`. The write is one
//! TransactWriteItems: the record's Put (conditional on the id being new) and its count
//! updates; with an `Idempotency-Key` also the key's record (holding this response,
//! conditional on the key being unused or past its window), so a retry gets the first
//! response again and racing requests with one key create once (`shared::http::idempotency`).
//! Behind the JWT authorizer a key is the caller's own: other callers' keys never collide.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::domain::ids::new_certification_id;
use shared::http::etag::etag;
use shared::http::idempotency::{fingerprint, idempotency_key, replay, response_of, scoped_key, KeyedRequest};
use shared::http::location::public_path;
use shared::http::views::CertificationView;
use shared::http::{json_body, query, respond};
use shared::metrics::Change;
use shared::store::idempotency::StoredResponse;
use shared::validation::parse_create;
use shared::{ApiError, App, Certification};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(create(app, &req).await)
}

async fn create(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    query(req, &[]).finish()?;
    // With auth on, a key belongs to its caller (the token's `sub` and `client_id`).
    let key = idempotency_key(req)?.map(|k| scoped_key(req, k));
    let body = json_body(req)?;
    let new = parse_create(body)?;
    let now = app.clock.now();
    let keyed = match key {
        Some(key) => {
            let fingerprint = fingerprint(body)?;
            if let Some(replayed) = replay(&app.store, &key, &fingerprint, now).await? {
                return Ok(replayed);
            }
            Some(KeyedRequest { key, fingerprint, ttl_hours: app.config.idempotency_ttl_hours })
        }
        None => None,
    };
    let cert = Certification::new(new_certification_id(), new, now);
    let response = StoredResponse {
        status: StatusCode::CREATED.as_u16(),
        body: serde_json::to_string(&CertificationView::full(cert.clone(), now)).map_err(|e| {
            tracing::error!(error = %e, "could not serialise the new certification");
            ApiError::Internal
        })?,
        location: Some(public_path(req, &format!("/api/v1/certifications/{}", cert.id))),
        etag: Some(etag(cert.version)),
    };
    let answer = match keyed {
        Some(keyed) => keyed.create(&app.store, &cert, response, now).await?,
        None => {
            app.store.create(&cert).await?;
            response_of(&response, false)
        }
    };
    // A replay (a racing duplicate answered with the first response) created nothing.
    if !answer.headers().contains_key(shared::http::idempotency::IDEMPOTENT_REPLAYED) {
        tracing::info!(id = %cert.id, "certification created");
        shared::metrics::count(Change::Created);
    }
    Ok(answer)
}
