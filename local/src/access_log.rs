//! The access log: one line per request (method, path, status, milliseconds, request id) for
//! everything the server answers: the API, its 404/405s and the local-only admin routes.
use std::time::Instant;

use tracing::Instrument;

/// The request id of one request: logged, and passed to the handler as API Gateway's and
/// Lambda's request ids (see the `apigw_event` module).
#[derive(Clone)]
pub(crate) struct RequestId(pub(crate) String);

/// `router` with the access log around every route.
pub fn with_request_log(router: axum::Router) -> axum::Router {
    router.layer(axum::middleware::from_fn(log_request))
}

/// One line per request: method, path, status and milliseconds (never the body), inside a
/// span carrying the request id so the handler's own log lines carry it too.
async fn log_request(mut req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let request_id = ulid::Ulid::new().to_string().to_ascii_lowercase();
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let span = tracing::info_span!("request", request_id = %request_id);
    async move {
        let started = Instant::now();
        let response = next.run(req).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let status = response.status().as_u16();
        tracing::info!(%method, %path, status, ms, "{method} {path} {status} {ms:.1}ms");
        response
    }
    .instrument(span)
    .await
}
