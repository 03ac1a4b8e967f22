//! The `list-certifications` Lambda: tracing, configuration and the DynamoDB client, once per cold
//! start; every invocation goes to [`list_certifications::handle`].
use lambda_http::{run, service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::config::init_tracing();
    let app = shared::App::from_env().await?;
    let app = &app;
    let metrics = &shared::metrics::Metrics::from_env("list-certifications")?;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(metrics.observe(list_certifications::handle(app, req)).await)
    }))
    .await
}
