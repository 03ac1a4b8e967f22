//! The handler against a mocked EventBridge (aws-smithy-mocks): batches of at most ten in
//! order, the first failed record reported, nothing after it sent, and a redelivery that
//! reproduces the same event ids.
use std::sync::{Arc, Mutex};

use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord};
use aws_sdk_eventbridge::operation::put_events::{PutEventsError, PutEventsInput, PutEventsOutput};
use aws_sdk_eventbridge::types::error::InternalException;
use aws_sdk_eventbridge::types::PutEventsResultEntry;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use publish_events::Publisher;
use serde_json::Value;
use shared::Status;

use crate::support::*;

/// One entry as sent: (detail-type, detail).
type Sent = (String, Value);

/// A bus that records every request and rejects the entries `reject(event_id)` names.
struct Bus {
    rule: Rule,
    requests: Arc<Mutex<Vec<Vec<Sent>>>>,
}

fn bus(reject: impl Fn(&str) -> Option<&'static str> + Send + Sync + 'static) -> Bus {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let rule = mock!(aws_sdk_eventbridge::Client::put_events).then_compute_output(move |input: &PutEventsInput| {
        let sent: Vec<Sent> = input
            .entries()
            .iter()
            .map(|e| {
                assert_eq!((e.event_bus_name(), e.source()), (Some("mentoring"), Some("certifications")));
                let detail: Value = serde_json::from_str(e.detail().unwrap_or_default()).expect("JSON detail");
                validate(e.detail_type().unwrap_or_default(), &detail);
                (e.detail_type().unwrap_or_default().to_owned(), detail)
            })
            .collect();
        let mut failed = 0;
        let results = sent
            .iter()
            .map(|(_, d)| match reject(d["event_id"].as_str().unwrap_or_default()) {
                Some(code) => {
                    failed += 1;
                    PutEventsResultEntry::builder().error_code(code).error_message("injected").build()
                }
                None => PutEventsResultEntry::builder().event_id("eb-id").build(),
            })
            .collect();
        seen.lock().unwrap().push(sent);
        PutEventsOutput::builder().failed_entry_count(failed).set_entries(Some(results)).build()
    });
    Bus { rule, requests }
}

fn publisher(rule: &Rule) -> Publisher {
    Publisher::new(mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [rule]), "mentoring", false)
}

/// `n` inserts of distinct certifications, sequence numbers 1..=n.
fn inserts(n: usize) -> Vec<EventRecord> {
    (0..n).map(|i| record(i as u64 + 1, None, Some(&image(&cert(&id(i)), None)))).collect()
}

fn stream_event(records: Vec<EventRecord>) -> StreamEvent {
    let mut e = StreamEvent::default();
    e.records = records;
    e
}

fn event_ids(requests: &[Vec<Sent>]) -> Vec<String> {
    requests.iter().flatten().map(|(_, d)| d["event_id"].as_str().unwrap_or_default().to_owned()).collect()
}

fn reported(r: &aws_lambda_events::event::streams::DynamoDbEventResponse) -> Vec<Option<String>> {
    r.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect()
}

#[tokio::test]
async fn twenty_five_records_are_three_put_events_calls_in_order() {
    let b = bus(|_| None);
    let response = publisher(&b.rule).handle(&stream_event(inserts(25))).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    let requests = b.requests.lock().unwrap().clone();
    assert_eq!(requests.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
    let expected: Vec<String> = (1..=25).map(|s| format!("evt-{s:04}")).collect();
    assert_eq!(event_ids(&requests), expected, "in record order");
    let ids: Vec<&str> = requests.iter().flatten().map(|(_, d)| d["certification_id"].as_str().unwrap()).collect();
    assert_eq!(ids, (0..25).map(id).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_rejected_entry_fails_its_record_and_every_later_one_and_the_retry_repeats_the_ids() {
    // Record 13 (the third entry of the second request) is throttled, once.
    let rejected = Arc::new(Mutex::new(false));
    let once = rejected.clone();
    let flaky = bus(move |event_id| {
        let mut done = once.lock().unwrap();
        (event_id == "evt-0013" && !*done).then(|| {
            *done = true;
            "ThrottlingException"
        })
    });
    let records = inserts(25);
    let p = publisher(&flaky.rule);
    let outcome = p.publish_records(&records).await.unwrap();
    assert_eq!(reported(&outcome.response()), [Some("13".to_owned())], "exactly the first failed record");
    let failure = outcome.failure.clone().unwrap();
    assert_eq!((failure.code.as_str(), failure.retryable), ("ThrottlingException", true));
    let first = flaky.requests.lock().unwrap().clone();
    assert_eq!(first.len(), 2, "nothing after the failed request is sent");
    // Counted as published: the entries before the failed one. The second request's last
    // entries (records 14..=20) were accepted too, and are sent again by the retry.
    assert_eq!(outcome.published, 12);

    // Lambda retries from the reported record: 13..=25, the same event ids again.
    let from = records.iter().position(|r| r.change.sequence_number.as_deref() == Some("13")).unwrap();
    let healthy = bus(|_| None);
    let retry = publisher(&healthy.rule).handle(&stream_event(records[from..].to_vec())).await.unwrap();
    assert!(retry.batch_item_failures.is_empty());
    let again = event_ids(&healthy.requests.lock().unwrap());
    assert_eq!(again, (13..=25).map(|s| format!("evt-{s:04}")).collect::<Vec<_>>());
    // Between the two invocations every record was delivered at least once; the duplicates
    // (14..=20, after the rejected entry in its request) carry the same event ids, so a consumer drops them.
    let mut all = event_ids(&first);
    all.extend(again);
    let first_rejected = all.iter().position(|e| e == "evt-0013").unwrap();
    all.remove(first_rejected);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 25);
}

#[tokio::test]
async fn a_failed_request_fails_its_first_record() {
    let down = mock!(aws_sdk_eventbridge::Client::put_events)
        .then_error(|| PutEventsError::InternalException(InternalException::builder().message("down").build()));
    let outcome = publisher(&down).publish_records(&inserts(12)).await.unwrap();
    assert_eq!(reported(&outcome.response()), [Some("1".to_owned())]);
    assert_eq!((outcome.published, down.num_calls()), (0, 1));
    assert_eq!(outcome.failure.unwrap().code, "RequestFailed");
}

#[tokio::test]
async fn an_undecodable_record_is_reported_after_the_ones_before_it_are_published() {
    let mut records = inserts(3);
    let mut broken = image(&cert(&id(9)), None);
    broken.insert("version".into(), aws_sdk_dynamodb::types::AttributeValue::S("x".into()));
    records.insert(1, record(99, None, Some(&broken)));
    let b = bus(|_| None);
    let outcome = publisher(&b.rule).publish_records(&records).await.unwrap();
    assert_eq!(reported(&outcome.response()), [Some("99".to_owned())]);
    let f = outcome.failure.unwrap();
    assert_eq!((f.code.as_str(), f.retryable), ("Undecodable", false));
    assert_eq!(event_ids(&b.requests.lock().unwrap()), ["evt-0001"]);
}

#[tokio::test]
async fn records_that_announce_nothing_pass_and_the_rest_keep_their_order() {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    let count = Image::from([("id".to_owned(), S("count#m=*#t=*#s=active#0".into())), ("n".to_owned(), N("1".into()))]);
    let key = Image::from([("id".to_owned(), S("idempotency#k".into())), ("purge_at".to_owned(), N("1".into()))]);
    let c = cert(ID);
    let suspended = next(&c, |n| n.status = Status::Suspended);
    let records = vec![
        record(1, None, Some(&image(&c, None))),
        record(2, None, Some(&count)),
        record(3, Some(&key), None),
        record(4, Some(&image(&c, None)), Some(&image(&suspended, None))),
        record(5, Some(&image(&suspended, None)), None),
    ];
    let b = bus(|_| None);
    let response = publisher(&b.rule).handle(&stream_event(records)).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    let sent: Vec<String> = b.requests.lock().unwrap().iter().flatten().map(|(dt, _)| dt.clone()).collect();
    assert_eq!(sent, ["certification.created", "certification.suspended", "certification.deleted"]);
}

/// `events/publish-events.json`, the sample for `sam local invoke`, is a stream event the
/// handler accepts and publishes.
#[tokio::test]
async fn the_sample_event_publishes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/publish-events.json");
    let event: StreamEvent = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let b = bus(|_| None);
    let response = publisher(&b.rule).handle(&event).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    let sent: Vec<String> = b.requests.lock().unwrap().iter().flatten().map(|(dt, _)| dt.clone()).collect();
    assert_eq!(sent, ["certification.created", "certification.renewed", "certification.deleted"]);
}

/// A rough figure, printed, not asserted: CPU per record of translating and sending a batch
/// of 100 (the mock answers in-process, so this is the publisher's own work).
#[tokio::test]
async fn batch_of_100_cost_is_printed() {
    let b = bus(|_| None);
    let p = publisher(&b.rule);
    let event = stream_event(inserts(100));
    let started = std::time::Instant::now();
    let runs = 20;
    for _ in 0..runs {
        p.handle(&event).await.unwrap();
    }
    let per_batch = started.elapsed() / runs;
    println!(
        "publish-events: batch of 100 in {per_batch:?} ({:?} per record, {:.0} records/s; debug build, mocked PutEvents)",
        per_batch / 100,
        100.0 / per_batch.as_secs_f64()
    );
}
