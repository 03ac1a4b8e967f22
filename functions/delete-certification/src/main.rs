//! The `delete-certification` Lambda: [`delete_certification::handle`] behind the shared bootstrap.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::run_http(env!("CARGO_PKG_NAME"), delete_certification::handle).await
}
