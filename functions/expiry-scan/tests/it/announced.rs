//! What the scan's writes announce: the test table's stream (read to its end, no sleeping)
//! through the publisher's own translation, `publish_events::events_of`. The scan publishes
//! nothing itself, so these are exactly the events its writes cause in AWS.
use publish_events::{events_of, StreamChange};
use serde_json::Value;
use shared::store::stream::TableStream;
use shared::testing::TestDb;

/// The stream of one test table, read incrementally.
pub struct Announced {
    stream: TableStream,
}

impl Announced {
    pub async fn of(db: &TestDb) -> Self {
        Self { stream: db.stream().await }
    }

    /// Every event announced since the last call, in stream order, as EventBridge envelopes
    /// (`source`, `detail-type`, `time`, `detail`).
    pub async fn new_events(&mut self) -> Vec<Value> {
        let records = self.stream.drain().await.expect("read the stream");
        records
            .iter()
            .flat_map(|r| {
                let change =
                    StreamChange::from_images(&r.event_id, &r.sequence_number, r.at, r.old.as_ref(), r.new.as_ref())
                        .expect("every stream image decodes");
                events_of(&change, false)
            })
            .map(|e| e.envelope())
            .collect()
    }

    /// Only the scan's kinds (`certification.expired`, `certification.expiring`) among
    /// [`Announced::new_events`]: what the seeding and a test's own requests announce is
    /// read and dropped.
    pub async fn new_scan_events(&mut self) -> Vec<Value> {
        let scan_kinds = ["certification.expired", "certification.expiring"];
        self.new_events()
            .await
            .into_iter()
            .filter(|e| scan_kinds.contains(&e["detail-type"].as_str().unwrap_or_default()))
            .collect()
    }
}
