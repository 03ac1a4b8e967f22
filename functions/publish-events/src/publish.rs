//! The handler: every record of a stream batch translated, the events sent with `PutEvents`
//! in order, at most [`MAX_BATCH`] a request, and the first record that did not make it
//! reported as the batch's only item failure (`ReportBatchItemFailures`): Lambda then retries
//! the batch from that record, so it and every later one are delivered again, in order.
//!
//! A failure stops the invocation: nothing after the failed record is sent, since it will be
//! retried anyway and sending it now would only put a later change ahead of an earlier one
//! of the same certification. Entries after a rejected one *in the same request* may have
//! been accepted already; the retry sends them again, with the same `event_id`.
use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::change::{DecodeError, StreamChange};
use crate::metrics;
use crate::translate::{events_of, Event};

/// Most entries one `PutEvents` request takes.
pub const MAX_BATCH: usize = 10;

/// Why a record was not published, and whether trying again can help. Either way the record
/// is reported: the stream never skips a change; one that cannot succeed exhausts its
/// retries and lands in the on-failure queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The record's `SequenceNumber` (reported in `batchItemFailures`).
    pub sequence_number: String,
    /// The record's `eventID`.
    pub event_id: String,
    /// EventBridge's error code, `RequestFailed`, or `Undecodable`.
    pub code: String,
    pub message: String,
    /// Throttling, internal errors, a failed request: another attempt may succeed. Anything
    /// else (a missing bus, no permission, a record that does not decode) needs a person.
    pub retryable: bool,
}

/// What one batch came to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Entries `PutEvents` accepted before the first failure (entries after a rejected one in
    /// the same request may have been accepted too; they are retried with the rest).
    pub published: usize,
    /// The first record that did not make it; `None` when all did.
    pub failure: Option<Failure>,
}

impl Outcome {
    /// The Lambda response: the failed record's sequence number, or no item failures.
    pub fn response(&self) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        if let Some(f) = &self.failure {
            let mut item = DynamoDbBatchItemFailure::default();
            item.item_identifier = Some(f.sequence_number.clone());
            response.batch_item_failures.push(item);
        }
        response
    }
}

/// A batch cannot even report which record failed (a record without `SequenceNumber`): the
/// whole invocation fails and Lambda retries (and bisects) the batch.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BatchError(#[from] DecodeError);

/// `PutEvents` on one bus, with the translation's options.
#[derive(Debug, Clone)]
pub struct Publisher {
    client: aws_sdk_eventbridge::Client,
    bus: String,
    include_mentor_name: bool,
}

impl Publisher {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>, include_mentor_name: bool) -> Self {
        Self { client, bus: bus.into(), include_mentor_name }
    }

    /// One invocation: the Lambda event in, the batch-item-failures response out.
    pub async fn handle(&self, event: &StreamEvent) -> Result<DynamoDbEventResponse, BatchError> {
        let outcome = self.publish_records(&event.records).await?;
        if let Some(f) = &outcome.failure {
            tracing::warn!(
                sequence_number = %f.sequence_number, event_id = %f.event_id, code = %f.code,
                retryable = f.retryable, message = %f.message, published = outcome.published,
                "record not published; Lambda retries the batch from it"
            );
        }
        Ok(outcome.response())
    }

    /// Translates and publishes `records` in order (see the module).
    pub async fn publish_records(&self, records: &[EventRecord]) -> Result<Outcome, BatchError> {
        let mut changes = Vec::with_capacity(records.len());
        let mut failure = None;
        for r in records {
            match StreamChange::from_lambda_record(r) {
                Ok(change) => changes.push(change),
                Err(e @ DecodeError::NoSequenceNumber(_)) => return Err(e.into()),
                Err(e) => {
                    // Reported at this record; the ones before it are still published.
                    metrics::failed(metrics::UNDECODABLE, 1);
                    failure = Some(Failure {
                        sequence_number: r.change.sequence_number.clone().unwrap_or_default(),
                        event_id: r.event_id.clone(),
                        code: "Undecodable".into(),
                        message: e.to_string(),
                        retryable: false,
                    });
                    break;
                }
            }
        }
        let mut outcome = self.publish_changes(&changes).await;
        if outcome.failure.is_none() {
            outcome.failure = failure;
        }
        Ok(outcome)
    }

    /// Publishes the events of `changes`, in order, stopping at the first record that fails.
    pub async fn publish_changes(&self, changes: &[StreamChange]) -> Outcome {
        let events: Vec<(usize, Event)> = changes
            .iter()
            .enumerate()
            .flat_map(|(i, c)| events_of(c, self.include_mentor_name).into_iter().map(move |e| (i, e)))
            .collect();
        let mut outcome = Outcome::default();
        for (chunk_no, chunk) in events.chunks(MAX_BATCH).enumerate() {
            let Some((at, code, message, retryable)) = self.send(chunk, &mut outcome).await else { continue };
            let record = &changes[chunk[at].0];
            // Everything from the failed entry on is left for the retry.
            let rest = &events[chunk_no * MAX_BATCH + at..];
            for (_, e) in rest {
                metrics::failed(&e.detail_type, 1);
            }
            outcome.failure = Some(Failure {
                sequence_number: record.sequence_number.clone(),
                event_id: record.event_id.clone(),
                code,
                message,
                retryable,
            });
            break;
        }
        outcome
    }

    /// One request; `None` when every entry was accepted, else the index of the first entry
    /// that was not, with why.
    async fn send(&self, chunk: &[(usize, Event)], outcome: &mut Outcome) -> Option<(usize, String, String, bool)> {
        let entries = chunk.iter().map(|(_, e)| self.entry(e)).collect();
        let out = match self.client.put_events().set_entries(Some(entries)).send().await {
            Ok(out) => out,
            Err(e) => {
                // Whatever the cause (network, throttling, permissions), nothing of this
                // request is known to be published; the retry sends it all again.
                let code = e.as_service_error().and_then(|s| s.meta().code()).unwrap_or("RequestFailed");
                let retryable =
                    !matches!(code, "AccessDeniedException" | "ResourceNotFoundException" | "ValidationException");
                return Some((0, "RequestFailed".into(), format!("{code}: {}", DisplayErrorContext(&e)), retryable));
            }
        };
        let results = out.entries();
        for (i, (_, event)) in chunk.iter().enumerate() {
            // Results come back in request order; accepted means an event id and no error.
            match results.get(i) {
                Some(r) if r.error_code().is_none() && r.event_id().is_some() => {
                    outcome.published += 1;
                    metrics::published(&event.detail_type);
                }
                Some(r) => {
                    let code = r.error_code().unwrap_or("NoEventId").to_owned();
                    let retryable = retryable_code(&code);
                    return Some((i, code, r.error_message().unwrap_or_default().to_owned(), retryable));
                }
                None => return Some((i, "MissingResult".into(), "no result entry".into(), true)),
            }
        }
        None
    }

    fn entry(&self, e: &Event) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(&e.source)
            .detail_type(&e.detail_type)
            .detail(e.detail.to_string())
            .time(aws_smithy_types::DateTime::from_millis(e.time.timestamp_millis()))
            .build()
    }
}

/// Entry error codes another attempt can fix (EventBridge's `PutEventsResultEntry.ErrorCode`).
pub fn retryable_code(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingException"
            | "InternalFailure"
            | "InternalException"
            | "ServiceUnavailable"
            | "MissingResult"
            | "NoEventId"
    )
}
