//! `Idempotency-Key` on `POST` (draft-ietf-httpapi-idempotency-key-header, as Stripe runs
//! it): the first request with a key creates and records its response in the same
//! transaction; a retry with the same key and body within the retention window gets that
//! response again with `Idempotent-Replayed: true`; the same key with another body is 422.
//!
//! **A key belongs to its caller.** Behind API Gateway's JWT authorizer the request context
//! carries the token's claims; the key is then stored under the caller, `sub` and `client_id`
//! ([`caller_scope`]), so two callers' keys never collide: each gets its own record, its own
//! replay and its own 422. The caller part is a SHA-256 over the two claims, length-prefixed,
//! so no choice of `sub`, `client_id` or key text can name another caller's record. Without
//! an authorizer (auth off) keys are shared by everyone, as before: `idempotency#<key>`.
use chrono::{DateTime, TimeDelta, Utc};
use lambda_http::http::{header, HeaderName, HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use sha2::{Digest, Sha256};

use super::problem::ApiError;
use crate::domain::Certification;
use crate::store::idempotency::{KeyRecord, KeyedCreate, StoredResponse};
use crate::store::Store;
use crate::validation::json::{canonical, parse_strict};
use crate::validation::FieldError;

/// The request header carrying the client's key (lower case, as `http` header names are).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header set to `true` on a replayed response.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
/// Longest accepted `Idempotency-Key`, in bytes (printable ASCII, so also characters).
pub const MAX_KEY_LENGTH: usize = 255;

fn bad_key(message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new("Idempotency-Key", message)])
}

/// The request's `Idempotency-Key`: absent, or 1 to 255 printable ASCII characters
/// (space to `~`), sent once.
pub fn idempotency_key(req: &Request) -> Result<Option<String>, ApiError> {
    let mut values = req.headers().get_all(IDEMPOTENCY_KEY).iter();
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(bad_key("must be sent once"));
    }
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_KEY_LENGTH || !bytes.iter().all(|b| (b' '..=b'~').contains(b)) {
        return Err(bad_key("must be 1 to 255 printable ASCII characters"));
    }
    // Printable ASCII is valid UTF-8.
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// The caller a key belongs to, from the JWT authorizer's claims in the request context:
/// `c<SHA-256 hex of len(sub) ‖ sub ‖ len(client_id) ‖ client_id>`, or `None` without claims
/// (auth off, or a token with neither claim). A token without `client_id` (some issuers name
/// it `azp` or `cid`) is scoped by `sub` alone, with the client part empty.
pub fn caller_scope(req: &Request) -> Option<String> {
    let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() else { return None };
    let claims = &ctx.authorizer.as_ref()?.jwt.as_ref()?.claims;
    let claim = |name: &str| claims.get(name).map(String::as_str).unwrap_or("");
    let (sub, client) = (claim("sub"), claim("client_id"));
    if sub.is_empty() && client.is_empty() {
        return None;
    }
    let mut h = Sha256::new();
    for part in [sub, client] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    Some(format!("c{}", hex::encode(h.finalize())))
}

/// The key as stored for this request: `<caller>#<key>` when the request has a caller
/// ([`caller_scope`]), else the key itself. The store prefixes it with `idempotency#`.
pub fn scoped_key(req: &Request, key: String) -> String {
    match caller_scope(req) {
        Some(caller) => format!("{caller}#{key}"),
        None => key,
    }
}

/// SHA-256 (hex) of the body's canonical JSON: key order and spacing do not change it.
pub fn fingerprint(body: &[u8]) -> Result<String, ApiError> {
    let value = parse_strict(body)?;
    Ok(hex::encode(Sha256::digest(canonical(&value).as_bytes())))
}

/// A stored response as the client gets it; `replayed` adds `Idempotent-Replayed: true`.
pub fn response_of(stored: &StoredResponse, replayed: bool) -> Response<Body> {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = Response::new(Body::from(stored.body.clone()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut put = |name: HeaderName, value: &Option<String>| {
        if let Some(v) = value.as_deref().and_then(|v| HeaderValue::try_from(v).ok()) {
            headers.insert(name, v);
        }
    };
    put(header::LOCATION, &stored.location);
    put(header::ETAG, &stored.etag);
    if replayed {
        headers.insert(HeaderName::from_static(IDEMPOTENT_REPLAYED), HeaderValue::from_static("true"));
    }
    response
}

/// The live record of `key` as a replay, a 422 when it was made for another body, or
/// `None` when there is none.
pub async fn replay(
    store: &Store,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Option<Response<Body>>, ApiError> {
    let Some(record) = store.key_record(key, now).await? else { return Ok(None) };
    if record.fingerprint != fingerprint {
        return Err(ApiError::KeyReused(
            "this Idempotency-Key was already used with a different request body; use a new key for a new request"
                .into(),
        ));
    }
    tracing::info!(id = %record.certification_id, "idempotent replay");
    Ok(Some(response_of(&record.response, true)))
}

/// A POST that carries an `Idempotency-Key`: the key, the fingerprint of its body, and how
/// long the key is remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedRequest {
    /// The `Idempotency-Key` header's value, scoped to its caller ([`scoped_key`]).
    pub key: String,
    /// SHA-256 (hex) of the canonical body ([`fingerprint`]).
    pub fingerprint: String,
    /// How long the key's record counts (`IDEMPOTENCY_TTL_HOURS`).
    pub ttl_hours: i64,
}

impl KeyedRequest {
    /// Creates `cert` with the key's record (holding `response`) in one transaction, or
    /// answers as the request that got the key first did.
    pub async fn create(
        &self,
        store: &Store,
        cert: &Certification,
        response: StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<Response<Body>, ApiError> {
        let purge_at = (now + TimeDelta::hours(self.ttl_hours)).timestamp();
        let fingerprint = self.fingerprint.clone();
        let record = KeyRecord { fingerprint, certification_id: cert.id.clone(), response, purge_at };
        match store.create_keyed(cert, &self.key, &record, now).await? {
            KeyedCreate::Created => Ok(response_of(&record.response, false)),
            // A concurrent request with this key won; its record is complete (it was written in
            // the same transaction as its certification).
            KeyedCreate::KeyTaken => match replay(store, &self.key, &self.fingerprint, now).await? {
                Some(r) => Ok(r),
                None => {
                    Err(ApiError::Conflict("a request with this Idempotency-Key is in progress; retry shortly".into()))
                }
            },
        }
    }
}
