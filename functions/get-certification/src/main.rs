//! The `get-certification` Lambda: [`get_certification::handle`] behind the shared bootstrap.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::run_http(env!("CARGO_PKG_NAME"), get_certification::handle).await
}
