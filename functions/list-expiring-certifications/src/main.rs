//! The `list-expiring-certifications` Lambda: [`list_expiring_certifications::handle`] behind the shared bootstrap.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::run_http(env!("CARGO_PKG_NAME"), list_expiring_certifications::handle).await
}
