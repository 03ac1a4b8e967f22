//! API Gateway's routing in miniature: an axum router built from
//! [`shared::http::routes::ROUTES`], with API Gateway's precedence, that runs the authorizer
//! ([`crate::auth`]), turns each request into the Lambda's request ([`crate::apigw_event`]) and
//! hands it to the same handler the Lambda binary runs ([`crate::handlers`]).
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, State};
use axum::http::{Method, Uri};
use axum::routing::{MethodFilter, MethodRouter};
use shared::http::routes::{Route, ROUTES};
use shared::http::ApiError;
use shared::App;

use crate::apigw_event::to_lambda;
use lambda_http::aws_lambda_events::apigw::{ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription};
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;

use crate::auth::{authorize, AuthRules, Claims};
use crate::response::{problem, to_axum};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RouteError {
    #[error("route {method} {path} names function {function:?}, which the local server does not link")]
    MissingHandler { method: &'static str, path: &'static str, function: &'static str },
    #[error("route {method} {path} has a method axum cannot route")]
    BadMethod { method: &'static str, path: &'static str },
}

/// The API: every route in [`ROUTES`], with API Gateway's precedence (axum, like API Gateway,
/// prefers a literal segment such as `/expiring` to a parameter such as `/{id}`), and `auth`
/// checked once a request has matched a route (see [`crate::auth`]). An unknown path is a 404
/// and a known path with another method a 405 with `Allow`, both problem+json through the one
/// error mapping. `access_log::with_request_log` adds the log line.
pub fn api_router(app: App, auth: Option<Arc<AuthRules>>) -> Result<axum::Router, RouteError> {
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
            async move { problem(ApiError::MethodNotAllowed { allow }) }
        });
        router = router.route(path, methods);
    }
    Ok(router
        .fallback(|method: Method, uri: Uri| async move {
            problem(ApiError::NotFound(format!("no route for {method} {}", uri.path())))
        })
        .with_state(app))
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

/// The method route for one route: authorize, build the Lambda request, run the function.
/// `fixed` are path parameters the path itself supplies (see [`shadowed_by`]).
fn endpoint(
    route: &'static Route,
    fixed: HashMap<String, String>,
    auth: Option<Arc<AuthRules>>,
) -> Result<MethodRouter<App>, RouteError> {
    let handler = crate::handlers::handler(route.function).ok_or(RouteError::MissingHandler {
        method: route.method,
        path: route.path,
        function: route.function,
    })?;
    let filter = method_filter(route)?;
    Ok(axum::routing::on(
        filter,
        move |State(app): State<App>,
              params: Result<RawPathParams, RawPathParamsRejection>,
              req: axum::extract::Request| async move {
            let claims = match authorize(auth.as_deref(), route.method, req.headers()) {
                Ok(claims) => claims,
                Err(e) => return problem(e),
            };
            // A parameter that is not UTF-8 once decoded cannot be an id: 404, as an unknown id is.
            let params: RawPathParams = match params {
                Ok(p) => p,
                Err(_) => return problem(ApiError::NotFound("no certification with that id".into())),
            };
            let mut path_params: HashMap<String, String> =
                params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            path_params.extend(fixed.clone());
            match to_lambda(req, route, path_params).await {
                Ok(lambda_req) => to_axum(handler(&app, with_claims(lambda_req, claims)).await),
                Err(e) => problem(e),
            }
        },
    ))
}

/// `req` with the token's claims in its request context, where API Gateway's JWT authorizer
/// puts them (`requestContext.authorizer.jwt.claims`); unchanged without claims.
fn with_claims(req: lambda_http::Request, claims: Option<Claims>) -> lambda_http::Request {
    let Some(claims) = claims else { return req };
    let Some(RequestContext::ApiGatewayV2(mut context)) = req.request_context_ref().cloned() else { return req };
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims.for_request();
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    context.authorizer = Some(authorizer);
    req.with_request_context(RequestContext::ApiGatewayV2(context))
}
