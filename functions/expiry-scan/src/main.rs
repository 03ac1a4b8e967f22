//! The `expiry-scan` Lambda: tracing, configuration and SDK clients once per cold start;
//! every scheduled invocation goes to [`expiry_scan::Scanner::handle`].
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::config::init_tracing();
    let scanner = &expiry_scan::from_env().await?;
    run(service_fn(move |event: LambdaEvent<serde_json::Value>| scanner.handle(event))).await
}
