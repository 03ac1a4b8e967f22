//! The EMF lines of one invocation: `EventsPublished` and `EventsFailed` by `DetailType`,
//! dimension `Operation = publish-events`. Its own test binary, one test: the metrics
//! recorder is process-global.
use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord};
use aws_sdk_eventbridge::operation::put_events::{PutEventsInput, PutEventsOutput};
use aws_sdk_eventbridge::types::PutEventsResultEntry;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use publish_events::Publisher;
use serde_json::json;
use shared::metrics::emf::{documents, metric};
use shared::metrics::Metrics;

fn insert(i: u64) -> EventRecord {
    let mut c = shared::testing::certification(&format!("cert-01kmmyq7v0m2y0v4f7d0sr1h{i:02}"), "2027-01-01T00:00:00Z");
    c.version = 1;
    let image = serde_dynamo::Item::from(shared::store::stored_item(&c).unwrap());
    serde_json::from_value(json!({
        "eventID": format!("evt-{i}"), "eventName": "INSERT", "awsRegion": "us-east-1",
        "dynamodb": {"ApproximateCreationDateTime": 1774500000, "Keys": {"id": {"S": c.id}},
                     "NewImage": image, "SequenceNumber": i.to_string(), "SizeBytes": 400,
                     "StreamViewType": "NEW_AND_OLD_IMAGES"}
    }))
    .unwrap()
}

#[tokio::test]
async fn an_invocation_prints_published_and_failed_by_detail_type() {
    let metrics = Metrics::install("Certifications", "publish-events").expect("the only recorder here");
    publish_events::metrics::describe();
    // The third entry is rejected: two published, the third and the fourth left for the retry.
    let rule = mock!(aws_sdk_eventbridge::Client::put_events).then_compute_output(|input: &PutEventsInput| {
        let results = (0..input.entries().len())
            .map(|i| match i {
                2 => PutEventsResultEntry::builder().error_code("InternalFailure").build(),
                _ => PutEventsResultEntry::builder().event_id("eb").build(),
            })
            .collect();
        PutEventsOutput::builder().failed_entry_count(1).set_entries(Some(results)).build()
    });
    let publisher = Publisher::new(mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&rule]), "b", false);
    let mut event = StreamEvent::default();
    event.records = (1..=4).map(insert).collect();
    let mut out = Vec::new();
    let response = metrics.invocation(publisher.handle(&event), &mut out).await.unwrap();
    assert_eq!(response.batch_item_failures[0].item_identifier.as_deref(), Some("3"));
    let docs = documents(&out);
    for (name, value) in [("EventsPublished", 2), ("EventsFailed", 2)] {
        let m = metric(&docs, name).unwrap_or_else(|| panic!("{name} in {docs:?}"));
        assert_eq!(m.value, &json!(value), "{name}");
        assert_eq!((m.namespace, m.unit), ("Certifications", Some("Count")), "{name}");
        assert_eq!(m.dimensions, ["Operation", "DetailType"], "{name}");
        assert_eq!(
            (&m.doc["Operation"], &m.doc["DetailType"]),
            (&json!("publish-events"), &json!("certification.created"))
        );
    }
}
