//! The `publish-events` Lambda: [`publish_events::run`].
#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    publish_events::run().await
}
