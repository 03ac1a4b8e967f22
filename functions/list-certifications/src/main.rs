//! The `list-certifications` Lambda: [`list_certifications::handle`] behind the shared bootstrap.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::run_http(list_certifications::handle).await
}
