//! The `get-certification` Lambda: tracing, configuration and the DynamoDB client, once per cold
//! start; every invocation goes to [`get_certification::handle`].
use lambda_http::{run, service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::config::init_tracing();
    let app = shared::App::from_env().await?;
    let app = &app;
    run(service_fn(move |req: Request| async move { Ok::<_, Error>(get_certification::handle(app, req).await) })).await
}
