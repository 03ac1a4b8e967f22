//! The `expiry-scan` Lambda: [`expiry_scan::run`].
#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    expiry_scan::run().await
}
