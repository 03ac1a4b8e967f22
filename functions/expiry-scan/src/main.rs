//! The `expiry-scan` Lambda: tracing, configuration and SDK clients once per cold start;
//! every scheduled invocation goes to [`expiry_scan::Scanner::handle`].
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::config::init_tracing();
    let scanner = &expiry_scan::from_env().await?;
    let metrics = &shared::metrics::Metrics::from_env("expiry-scan")?;
    run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        metrics.invocation(scanner.handle(event), std::io::stdout())
    }))
    .await
}
