//! The one Lambda bootstrap for the HTTP functions: tracing, metrics, the [`App`]
//! (configuration and SDK client, once per cold start), then every invocation to the handler,
//! observed (EMF metrics per request, see [`crate::metrics`]). Each function's `main.rs` only
//! names its operation and its handler.
use std::future::Future;

use lambda_http::{service_fn, Body, Error, Request, Response};

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
    lambda_http::run(service_fn(
        move |req: Request| async move { Ok::<_, Error>(metrics.observe(handler(app, req)).await) },
    ))
    .await
}
