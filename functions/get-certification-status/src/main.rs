//! The `get-certification-status` Lambda: tracing, configuration and the DynamoDB client, once per cold
//! start; every invocation goes to [`get_certification_status::handle`].
use lambda_http::{run, service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::config::init_tracing();
    let app = shared::App::from_env().await?;
    let app = &app;
    let metrics = &shared::metrics::Metrics::from_env("get-certification-status")?;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(metrics.observe(get_certification_status::handle(app, req)).await)
    }))
    .await
}
