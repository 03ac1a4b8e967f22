//! The `create-certification` Lambda: [`create_certification::handle`] behind the shared bootstrap.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::run_http(env!("CARGO_PKG_NAME"), create_certification::handle).await
}
