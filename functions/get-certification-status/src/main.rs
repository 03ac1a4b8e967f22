//! The `get-certification-status` Lambda: [`get_certification_status::handle`] behind the shared bootstrap.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::run_http(env!("CARGO_PKG_NAME"), get_certification_status::handle).await
}
