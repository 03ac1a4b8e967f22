//! The `publish-events` Lambda: the table's DynamoDB stream in, one EventBridge event per
//! committed certification change out (`docs/events.md`).
//!
//! | module        | concern                                                          |
//! |---------------|------------------------------------------------------------------|
//! | [`change`]    | a stream record as a [`StreamChange`]: images decoded into certifications |
//! | [`translate`] | [`events_of`]: what a change announces                           |
//! | [`config`]    | `EVENT_BUS_NAME`, `EVENTS_INCLUDE_MENTOR_NAME`                   |
//! | [`publish`]   | the handler: batches of `PutEvents`, the first failed record     |
//! | [`metrics`]   | `EventsPublished`, `EventsFailed` by detail-type                 |
pub mod change;
pub mod config;
pub mod metrics;
pub mod publish;
pub mod translate;

pub use change::{decode_image, is_certification, reminded_days, DecodeError, Image, StreamChange};
pub use config::PublishConfig;
pub use publish::{Outcome, Publisher, MAX_BATCH};
pub use translate::{events_of, Event, DETAIL_TYPES, SOURCE};

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use lambda_runtime::LambdaEvent;

/// Production wiring, once per cold start: the environment and the EventBridge client (from
/// `shared::config::lambda_sdk_config`, so `AWS_ENDPOINT_URL_EVENTBRIDGE` and the region apply).
pub async fn from_env() -> Publisher {
    let config = PublishConfig::from_env();
    let sdk = shared::config::lambda_sdk_config().await;
    Publisher::new(aws_sdk_eventbridge::Client::new(&sdk), config.event_bus_name, config.include_mentor_name)
}

/// The Lambda: tracing, metrics, [`from_env`] once, then every stream batch to
/// [`Publisher::handle`].
pub async fn run() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init_tracing("");
    let publisher = &from_env().await;
    let emf = &shared::metrics::Metrics::from_env("publish-events")?;
    metrics::describe();
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<StreamEvent>| async move {
        // Boxed: the SDK call's future nested in the metrics wrapper exceeds the compiler's
        // default type-layout recursion limit (as in expiry-scan).
        let response = emf.invocation(Box::pin(publisher.handle(&event.payload)), std::io::stdout()).await;
        response.map_err(lambda_runtime::Error::from)
    }))
    .await
}
