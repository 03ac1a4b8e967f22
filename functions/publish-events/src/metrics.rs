//! The publisher's metrics, recorded through the `metrics` facade and written as EMF by
//! `shared::metrics::Metrics::invocation` (namespace `METRICS_NAMESPACE`, dimensions
//! `Operation` = `publish-events` and `DetailType`):
//!
//! | metric | meaning |
//! |---|---|
//! | `EventsPublished` | entries `PutEvents` accepted |
//! | `EventsFailed` | entries not published by this invocation: rejected, in a failed request, or after the first failed record (all retried); `DetailType` `undecodable` for a record that cannot be translated |
use metrics::Unit;

pub const PUBLISHED: &str = "EventsPublished";
pub const FAILED: &str = "EventsFailed";
/// The dimension naming the event's detail-type.
pub const DETAIL_TYPE: &str = "DetailType";
/// `DetailType` of a record that could not be translated.
pub const UNDECODABLE: &str = "undecodable";

pub fn describe() {
    metrics::describe_counter!(PUBLISHED, Unit::Count, "events PutEvents accepted");
    metrics::describe_counter!(FAILED, Unit::Count, "events left for the retry");
}

pub fn published(detail_type: &str) {
    metrics::counter!(PUBLISHED, DETAIL_TYPE => detail_type.to_owned()).increment(1);
}

pub fn failed(detail_type: &str, n: u64) {
    metrics::counter!(FAILED, DETAIL_TYPE => detail_type.to_owned()).increment(n);
}
