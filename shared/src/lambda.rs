//! The one Lambda bootstrap for the HTTP functions: tracing, metrics, the [`App`]
//! (configuration and SDK client, once per cold start), then every invocation to the handler,
//! observed (EMF metrics per request, see [`crate::metrics`]). Each function's `main.rs` only
//! names its operation and its handler.
use std::future::Future;
use std::pin::Pin;

use lambda_http::{service_fn, Body, Error, IntoResponse, Request, Response};

use crate::app::App;
use crate::metrics::Metrics;
use crate::telemetry::init_tracing;

/// Runs `handler` as the HTTP handler of the function `operation` (its crate name, the
/// metrics' `Operation` dimension) until the runtime stops it.
pub async fn run_http<F, Fut>(operation: &'static str, handler: F) -> Result<(), Error>
where
    F: Fn(&'static App, Request) -> Fut + Sync,
    Fut: Future<Output = Response<Body>> + Send,
{
    init_tracing("");
    // The App lives as long as the process (one per cold start); leaking it gives the
    // handlers a `'static` reference without a clone per invocation.
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    let metrics = &Metrics::from_env(operation)?;
    let handler = &handler;
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(AsBuilt(metrics.observe(handler(app, req)).await))
    }))
    .await
}

/// A handler's response as lambda_http hands it to API Gateway, without its `IntoResponse`
/// for `Response<B>`: that one re-decodes every text body by its `charset` through encoding_rs,
/// to turn our UTF-8 JSON into the same UTF-8 JSON, and so links the tables of every legacy
/// encoding (~130 KB; leaving them out took 141 KB off update-certification's zip, README
/// "Package size"). The one difference it made, kept: an empty body went out as `""`, not as
/// no body. Bodies are never binary here (JSON, or empty).
pub struct AsBuilt(pub Response<Body>);

impl IntoResponse for AsBuilt {
    fn into_response(self) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
        let (parts, body) = self.0.into_parts();
        let body = match body {
            Body::Empty => Body::Text(String::new()),
            other => other,
        };
        Box::pin(std::future::ready(Response::from_parts(parts, body)))
    }
}

#[cfg(test)]
mod tests {
    use lambda_http::http::{header, StatusCode};

    use super::*;

    async fn as_built(response: Response<Body>) -> Response<Body> {
        AsBuilt(response).into_response().await
    }

    #[tokio::test]
    async fn responses_pass_as_built_and_an_empty_body_as_empty_text() {
        let json = Response::builder()
            .status(StatusCode::CREATED)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ETAG, "\"3\"")
            .body(Body::from(r#"{"name":"Zoë"}"#))
            .unwrap();
        let out = as_built(json).await;
        assert_eq!(out.status(), StatusCode::CREATED);
        assert_eq!(out.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(out.headers()[header::ETAG], "\"3\"");
        assert_eq!(out.body(), &Body::Text(r#"{"name":"Zoë"}"#.into()));

        let mut empty = Response::new(Body::Empty);
        *empty.status_mut() = StatusCode::NO_CONTENT;
        let out = as_built(empty).await;
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        assert_eq!(out.body(), &Body::Text(String::new()));
    }
}
