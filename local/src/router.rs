//! API Gateway in miniature: an axum router built from [`shared::http::routes::ROUTES`] that turns
//! each HTTP request into the `lambda_http::Request` the Lambda would receive and hands it to
//! the same handler function the Lambda binary runs.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{ConnectInfo, RawPathParams, State};
use axum::http::{Method, Uri};
use axum::routing::{MethodFilter, MethodRouter};
use http_body_util::BodyExt;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Context, RequestExt, Response};
use shared::http::routes::{Route, ROUTES};
use shared::http::ApiError;
use shared::validation::MAX_BODY_BYTES;
use shared::App;
use tracing::Instrument;

use crate::auth::AuthRules;

/// A function crate's handler, boxed so the seven can share one table.
pub type Handler = for<'a> fn(&'a App, lambda_http::Request) -> BoxFuture<'a>;
pub type BoxFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Response<Body>> + Send + 'a>>;

/// Every function the server can run, by its name in [`ROUTES`].
pub const HANDLERS: [(&str, Handler); 7] = [
    ("list-certifications", |app, req| Box::pin(list_certifications::handle(app, req))),
    ("create-certification", |app, req| Box::pin(create_certification::handle(app, req))),
    ("get-certification", |app, req| Box::pin(get_certification::handle(app, req))),
    ("update-certification", |app, req| Box::pin(update_certification::handle(app, req))),
    ("delete-certification", |app, req| Box::pin(delete_certification::handle(app, req))),
    ("get-certification-status", |app, req| Box::pin(get_certification_status::handle(app, req))),
    ("list-expiring-certifications", |app, req| Box::pin(list_expiring_certifications::handle(app, req))),
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RouteError {
    #[error("route {method} {path} names function {function:?}, which the local server does not link")]
    MissingHandler { method: &'static str, path: &'static str, function: &'static str },
    #[error("route {method} {path} has a method axum cannot route")]
    BadMethod { method: &'static str, path: &'static str },
}

/// The router for every route in [`ROUTES`], with API Gateway's precedence (axum, like API
/// Gateway, prefers a literal segment such as `/expiring` to a parameter such as `/{id}`).
/// An unknown path is a 404 and a known path with another method a 405 with `Allow`, both
/// problem+json through the one error mapping. [`with_request_log`] adds the log line.
pub fn router(app: App) -> Result<axum::Router, RouteError> {
    router_with_auth(app, None)
}

/// [`router`], with `auth` checked once a request has matched a route (see [`crate::auth`]).
pub fn router_with_auth(app: App, auth: Option<Arc<AuthRules>>) -> Result<axum::Router, RouteError> {
    let mut router = axum::Router::new();
    // Each path once, with all its methods: axum takes one method router per path.
    let mut paths: Vec<&'static str> = Vec::new();
    for route in &ROUTES {
        if !paths.contains(&route.path) {
            paths.push(route.path);
        }
    }
    for path in paths {
        let routes: Vec<&Route> = ROUTES.iter().filter(|r| r.path == path).collect();
        let allow: Vec<&str> = routes.iter().map(|r| r.method).collect();
        let mut methods = MethodRouter::new();
        for route in routes {
            methods = methods.merge(endpoint(route, HashMap::new(), auth.clone())?);
        }
        // API Gateway picks the literal route only for its own method: `PUT .../expiring`
        // goes to `PUT .../{id}` with id `expiring` (an unknown id, so 404). Same here. `Allow`
        // still lists only the literal route's methods: the others can only answer 404 there
        // (and openapi.yaml, which schemathesis holds `Allow` to, documents only those).
        let mut routed = allow.clone();
        for (route, params) in shadowed_by(path) {
            if !routed.contains(&route.method) {
                routed.push(route.method);
                methods = methods.merge(endpoint(route, params, auth.clone())?);
            }
        }
        let allow = allow.join(", ");
        let methods = methods.fallback(move || {
            let allow = allow.clone();
            async move { to_axum(ApiError::MethodNotAllowed { allow }.into_response()) }
        });
        router = router.route(path, methods);
    }
    Ok(router
        .fallback(|method: Method, uri: Uri| async move {
            to_axum(ApiError::NotFound(format!("no route for {method} {}", uri.path())).into_response())
        })
        .with_state(app))
}

/// One log line per request (method, path, status, milliseconds), for everything the
/// server answers: the API, its 404/405s and the local-only admin routes.
pub fn with_request_log(router: axum::Router) -> axum::Router {
    router.layer(axum::middleware::from_fn(log_request))
}

fn method_filter(route: &Route) -> Result<MethodFilter, RouteError> {
    let bad = || RouteError::BadMethod { method: route.method, path: route.path };
    let method = Method::from_bytes(route.method.as_bytes()).map_err(|_| bad())?;
    MethodFilter::try_from(method).map_err(|_| bad())
}

/// The parameterised routes that a literal `path` also matches, with the parameters it
/// gives them (`/api/v1/certifications/expiring` matches `.../{id}` with `id = expiring`).
fn shadowed_by(path: &str) -> Vec<(&'static Route, HashMap<String, String>)> {
    let segments: Vec<&str> = path.split('/').collect();
    ROUTES
        .iter()
        .filter(|r| r.path != path && r.path.contains('{'))
        .filter_map(|r| {
            let pattern: Vec<&str> = r.path.split('/').collect();
            if pattern.len() != segments.len() {
                return None;
            }
            let mut params = HashMap::new();
            for (p, s) in pattern.iter().zip(&segments) {
                match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(name) if !s.starts_with('{') => {
                        params.insert(name.to_owned(), (*s).to_owned());
                    }
                    _ if p == s => {}
                    _ => return None,
                }
            }
            Some((r, params))
        })
        .collect()
}

/// The method route for one route: build the Lambda request, run the function. `fixed`
/// are path parameters the path itself supplies (see [`shadowed_by`]).
fn endpoint(
    route: &'static Route,
    fixed: HashMap<String, String>,
    auth: Option<Arc<AuthRules>>,
) -> Result<MethodRouter<App>, RouteError> {
    let handler = HANDLERS
        .iter()
        .find(|(name, _)| *name == route.function)
        .map(|(_, h)| *h)
        .ok_or(RouteError::MissingHandler { method: route.method, path: route.path, function: route.function })?;
    let filter = method_filter(route)?;
    Ok(axum::routing::on(
        filter,
        move |State(app): State<App>,
              params: Result<RawPathParams, RawPathParamsRejection>,
              req: axum::extract::Request| async move {
            if let Some(rules) = &auth {
                let header = req.headers().get(axum::http::header::AUTHORIZATION).map(|v| v.as_bytes());
                if let Err(e) = rules.check(route.method, header) {
                    return to_axum(e.into_response());
                }
            }
            // A parameter that is not UTF-8 once decoded cannot be an id: 404, as an unknown id is.
            let params: RawPathParams = match params {
                Ok(p) => p,
                Err(_) => {
                    return to_axum(ApiError::NotFound("no certification with that id".into()).into_response());
                }
            };
            let mut path_params: HashMap<String, String> =
                params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            path_params.extend(fixed.clone());
            match to_lambda(req, route, path_params).await {
                Ok(lambda_req) => to_axum(handler(&app, lambda_req).await),
                Err(e) => to_axum(e.into_response()),
            }
        },
    ))
}

/// The request id of one request: logged, and passed to the handler as API Gateway's and
/// Lambda's request ids.
#[derive(Clone)]
struct RequestId(String);

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

/// Builds what `lambda_http` would build from API Gateway's payload 2.0 event for `route`.
async fn to_lambda(
    req: axum::extract::Request,
    route: &Route,
    path_params: HashMap<String, String>,
) -> Result<lambda_http::Request, ApiError> {
    let (parts, body) = req.into_parts();
    let body = read_limited(body).await?;
    let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let host = parts.headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned);
    let raw_path = parts.uri.path().to_owned();
    // lambda_http parses `rawQueryString` this way too: every pair kept, repeats included.
    let query: QueryMap = parts.uri.query().unwrap_or("").parse().unwrap_or_default();
    // lambda_http gives the handler an absolute URI built from the Host header.
    let uri = host
        .as_deref()
        .and_then(|h| format!("http://{h}{}", parts.uri.path_and_query().map_or("/", |p| p.as_str())).parse().ok())
        .unwrap_or(parts.uri.clone());

    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = parts.method.clone();
    http.path = Some(raw_path.clone());
    http.protocol = Some(format!("{:?}", parts.version));
    http.source_ip = peer;
    http.user_agent = parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(format!("{} {}", route.method, route.path));
    context.stage = Some("$default".into());
    context.request_id = Some(request_id.clone());
    context.domain_name = host;
    context.time_epoch = chrono::Utc::now().timestamp_millis();
    context.http = http;
    let mut lambda_context = Context::default();
    lambda_context.request_id = request_id;
    lambda_context.invoked_function_arn = format!("arn:aws:lambda:local:000000000000:function:{}", route.function);

    let mut out = lambda_http::http::Request::new(body);
    *out.method_mut() = parts.method;
    *out.uri_mut() = uri;
    *out.headers_mut() = parts.headers;
    Ok(out
        .with_raw_http_path(raw_path)
        .with_path_parameters(path_params)
        .with_query_string_parameters(query)
        .with_request_context(RequestContext::ApiGatewayV2(context))
        .with_lambda_context(lambda_context))
}

/// An oversized body is read on and dropped up to this many bytes, so that a client still
/// sending it gets the 413 rather than a connection reset (closing a socket with unread data
/// resets it). Past this the connection is simply closed.
const DRAIN_BYTES: usize = 1024 * 1024;

/// Keeps at most `MAX_BODY_BYTES + 1` bytes: enough for the handler to see that a body is too
/// large (and answer 413) without ever buffering an unbounded one.
async fn read_limited(mut body: axum::body::Body) -> Result<Body, ApiError> {
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    while seen <= DRAIN_BYTES {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    seen = seen.saturating_add(data.len());
                    let room = (MAX_BODY_BYTES + 1).saturating_sub(buf.len());
                    buf.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "could not read the request body");
                return Err(ApiError::Malformed("the request body could not be read".into()));
            }
        }
    }
    // API Gateway passes a JSON or text body as text and anything else base64-encoded;
    // lambda_http turns those into Text and Binary.
    Ok(match String::from_utf8(buf) {
        Ok(text) if text.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    })
}

/// A Lambda response as an HTTP response, as API Gateway sends it on.
pub(crate) fn to_axum(response: Response<Body>) -> axum::response::Response {
    let (parts, body) = response.into_parts();
    let body = match body {
        Body::Text(text) => axum::body::Body::from(text),
        Body::Binary(bytes) => axum::body::Body::from(bytes),
        _ => axum::body::Body::empty(),
    };
    axum::response::Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::http::{header, Request as HttpRequest, StatusCode};
    use lambda_http::RequestExt;
    use serde_json::{json, Value};
    use shared::testing::{ApiRequest, TestDb};
    use tower::ServiceExt;

    use super::*;

    const NOW: &str = "2026-03-26T10:00:00Z";

    async fn send(
        app: &axum::Router,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Option<String>, Value) {
        let mut req = HttpRequest::builder().method(method).uri(uri);
        let body = match body {
            Some(b) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                axum::body::Body::from(b.to_string())
            }
            None => axum::body::Body::empty(),
        };
        let response = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let allow = response.headers().get(header::ALLOW).map(|v| v.to_str().unwrap().to_owned());
        let content_type = response.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_client_error() {
            assert_eq!(content_type.as_deref(), Some("application/problem+json"), "{method} {uri}");
            assert_eq!(json["status"], status.as_u16(), "{method} {uri}: {json}");
        }
        (status, allow, json)
    }

    async fn test_router() -> (TestDb, axum::Router) {
        let db = TestDb::start().await;
        let router = router(db.app_at(NOW)).expect("every route has a handler");
        (db, router)
    }

    #[test]
    fn the_handler_table_covers_exactly_the_routes() {
        let routed: BTreeSet<&str> = ROUTES.iter().map(|r| r.function).collect();
        let linked: BTreeSet<&str> = HANDLERS.iter().map(|(name, _)| *name).collect();
        assert_eq!(linked.len(), HANDLERS.len(), "a function is linked twice");
        assert_eq!(routed, linked);
    }

    #[tokio::test]
    async fn unknown_routes_are_404_problems() {
        let (_db, app) = test_router().await;
        for uri in [
            "/",
            "/api/v1",
            "/api/v1/certification",
            "/api/v2/certifications",
            "/api/v1/certifications/",
            "/api/v1/certifications/cert-1/history",
            "/api/v1/certifications/cert-1/status/extra",
        ] {
            let (status, _, body) = send(&app, "GET", uri, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(body["type"], "/problems/not-found", "{uri}");
        }
    }

    #[tokio::test]
    async fn a_wrong_method_is_405_with_allow() {
        let (_db, app) = test_router().await;
        for (method, uri, allow) in [
            ("PATCH", "/api/v1/certifications", "GET, POST"),
            ("DELETE", "/api/v1/certifications", "GET, POST"),
            ("POST", "/api/v1/certifications/cert-1", "GET, PUT, DELETE"),
            ("PATCH", "/api/v1/certifications/cert-1", "GET, PUT, DELETE"),
            ("POST", "/api/v1/certifications/expiring", "GET"),
            ("PUT", "/api/v1/certifications/cert-1/status", "GET"),
        ] {
            let (status, got_allow, body) = send(&app, method, uri, None).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
            assert_eq!(got_allow.as_deref(), Some(allow), "{method} {uri}");
            assert_eq!(body["type"], "/problems/method-not-allowed");
        }
    }

    #[tokio::test]
    async fn expiring_is_a_literal_route_that_wins_over_id() {
        let (_db, app) = test_router().await;
        let new = json!({"mentor_id": "mentor-42", "cert_type": "peer_mentor_level_2",
                         "issued_at": "2025-09-01T00:00:00Z", "expires_at": "2026-04-10T00:00:00Z"});
        let (status, _, created) = send(&app, "POST", "/api/v1/certifications", Some(new)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap();

        let (status, _, expiring) = send(&app, "GET", "/api/v1/certifications/expiring", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(expiring["data"][0]["id"], id);
        assert_eq!(expiring["data"][0]["days_until_expiry"], 15);
        assert_eq!(expiring["pagination"]["total"], 1);

        let (status, _, got) = send(&app, "GET", &format!("/api/v1/certifications/{id}"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got, created);
        let (status, _, got) = send(&app, "GET", &format!("/api/v1/certifications/{id}/status"), None).await;
        assert_eq!((status, &got["status"]), (StatusCode::OK, &json!("active")));
        // Below the literal segment `expiring` is an ordinary (unknown) id.
        let (status, _, _) = send(&app, "GET", "/api/v1/certifications/expiring/status", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The literal route has only GET: other methods fall through to `/{id}` with id
        // `expiring`, as API Gateway routes them, and that id is unknown.
        let renew = json!({"expires_at": "2030-01-01T00:00:00Z"});
        for (method, body) in [("PUT", Some(renew)), ("DELETE", None)] {
            let (status, _, problem) = send(&app, method, "/api/v1/certifications/expiring", body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
            assert_eq!(problem["detail"], "no certification with id 'expiring'", "{method}");
        }
    }

    #[tokio::test]
    async fn query_repeats_and_decoded_path_ids_reach_the_handler() {
        let (_db, app) = test_router().await;
        let (status, _, body) = send(&app, "GET", "/api/v1/certifications?limit=5&limit=6", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["errors"][0]["field"], "limit");
        let (status, _, body) = send(&app, "GET", "/api/v1/certifications?mentor_id=m%3A1&limit=5", None).await;
        assert_eq!((status, &body["pagination"]["limit"]), (StatusCode::OK, &json!(5)));
        // `%2D` decodes to `-`: a well-formed, unknown id.
        let (status, _, body) = send(&app, "GET", "/api/v1/certifications/cert%2Dnope", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["detail"], "no certification with id 'cert-nope'");
        // Not UTF-8 once decoded: no id can match.
        let (status, _, _) = send(&app, "GET", "/api/v1/certifications/%FF", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn an_oversized_body_is_413_and_the_wrong_content_type_415() {
        let (_db, app) = test_router().await;
        let huge = json!({"mentor_id": "m", "mentor_name": "x".repeat(MAX_BODY_BYTES)});
        let (status, _, _) = send(&app, "POST", "/api/v1/certifications", Some(huge)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        let req = HttpRequest::post("/api/v1/certifications")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(axum::body::Body::from("{}"))
            .unwrap();
        assert_eq!(app.clone().oneshot(req).await.unwrap().status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    /// The request a handler sees locally matches what `lambda_http` builds from API
    /// Gateway's event for the same call.
    #[tokio::test]
    async fn the_lambda_request_matches_api_gateways() {
        let route = ROUTES.iter().find(|r| r.function == "update-certification").unwrap();
        let body = r#"{"status":"revoked"}"#;
        let local = HttpRequest::put("/api/v1/certifications/cert-1?x=1&x=2&y=%20z")
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        let mut req_id = local;
        req_id.extensions_mut().insert(RequestId("req-1".into()));
        let params = HashMap::from([("id".to_string(), "cert-1".to_string())]);
        let local = to_lambda(req_id, route, params).await.unwrap();
        let lambda = ApiRequest::new("PUT", route.path)
            .id("cert-1")
            .query("x=1&x=2&y=%20z")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(body)
            .build();

        assert_eq!(local.method(), lambda.method());
        assert_eq!(local.uri().path(), lambda.uri().path());
        assert_eq!(local.uri().query(), lambda.uri().query());
        assert_eq!(local.raw_http_path(), lambda.raw_http_path());
        assert_eq!(local.path_parameters(), lambda.path_parameters());
        assert_eq!(local.query_string_parameters(), lambda.query_string_parameters());
        assert_eq!(local.query_string_parameters().all("x"), Some(vec!["1", "2"]));
        assert_eq!(local.query_string_parameters().first("y"), Some(" z"));
        assert_eq!(local.headers()["content-type"], lambda.headers()["content-type"]);
        assert_eq!(local.body(), lambda.body());
        let Some(RequestContext::ApiGatewayV2(context)) = local.request_context_ref() else {
            panic!("no API Gateway v2 request context");
        };
        assert_eq!(context.request_id.as_deref(), Some("req-1"));
        assert_eq!(context.route_key.as_deref(), Some("PUT /api/v1/certifications/{id}"));
        assert_eq!(local.lambda_context_ref().map(|c| c.request_id.as_str()), Some("req-1"));
    }

    #[tokio::test]
    async fn bodies_are_read_to_one_byte_past_the_limit() {
        let exact = read_limited(axum::body::Body::from(vec![b'a'; MAX_BODY_BYTES])).await.unwrap();
        assert_eq!(exact.as_ref().len(), MAX_BODY_BYTES);
        let over = read_limited(axum::body::Body::from(vec![b'a'; 10 * MAX_BODY_BYTES])).await.unwrap();
        assert_eq!(over.as_ref().len(), MAX_BODY_BYTES + 1);
        let past_the_drain = read_limited(axum::body::Body::from(vec![b'a'; 2 * DRAIN_BYTES])).await.unwrap();
        assert_eq!(past_the_drain.as_ref().len(), MAX_BODY_BYTES + 1);
        assert_eq!(read_limited(axum::body::Body::empty()).await.unwrap(), Body::Empty);
        assert!(matches!(read_limited(axum::body::Body::from(vec![0xff, 0xfe])).await.unwrap(), Body::Binary(_)));
    }
}
