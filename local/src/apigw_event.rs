//! HTTP request → the `lambda_http::Request` that API Gateway's HTTP API (payload 2.0) event
//! becomes in a Lambda: path parameters, raw query string with repeats, headers, body (see
//! [`crate::body_limit`]), request context and Lambda context.
use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::request::RequestContext;
use lambda_http::{Context, RequestExt};
use shared::http::routes::Route;
use shared::http::ApiError;

use crate::access_log::RequestId;
use crate::body_limit::read_limited;

/// Builds what `lambda_http` would build from API Gateway's payload 2.0 event for `route`.
pub async fn to_lambda(
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

#[cfg(test)]
mod tests {
    use axum::http::{header, Request as HttpRequest};
    use shared::http::routes::ROUTES;
    use shared::testing::ApiRequest;

    use super::*;

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
}
