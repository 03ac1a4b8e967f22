//! One committed change as the table's stream reports it, decoded from stream images into
//! certifications, whatever carried it: a Lambda DynamoDB stream event
//! ([`StreamChange::from_lambda_record`]) or the Streams API read by the local server
//! ([`StreamChange::from_images`], SDK attribute maps).
//!
//! The table holds three kinds of item (`shared::store::table`): certifications (`cert-…`),
//! count items (`count#…`) and `Idempotency-Key` records (`idempotency#…`). Only the first
//! kind is announced. In AWS the event source mapping's filter drops the others before the
//! function runs; the local reader sees every record, so decoding answers `None` for them.
use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::EventRecord;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use shared::store::table::attr;
use shared::Certification;

/// An item as the SDK holds it (`shared::store::Item`).
pub type Image = HashMap<String, AttributeValue>;

/// The id prefix of certification items; every other item is not announced.
pub const CERTIFICATION_PREFIX: &str = "cert-";

/// One committed change of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamChange {
    /// The stream record's `eventID`: unique per record, the same on every redelivery.
    pub event_id: String,
    /// The stream record's `SequenceNumber` (what `batchItemFailures` reports).
    pub sequence_number: String,
    /// `ApproximateCreationDateTime`: when the change was committed.
    pub at: DateTime<Utc>,
    /// The certification before the change; `None` for an insert or an item that is not one.
    pub old: Option<Certification>,
    /// The certification after the change; `None` for a remove or an item that is not one.
    pub new: Option<Certification>,
    /// The old image's `reminded_days` (the expiry scan's record; not a field of
    /// [`Certification`]).
    pub old_reminded_days: Option<u32>,
    /// The new image's `reminded_days`.
    pub new_reminded_days: Option<u32>,
}

/// A stream record that cannot be translated. Never retryable: the same record decodes the
/// same way every time, so it goes the way of every failed record (retried, then the
/// on-failure queue, where it can be inspected and replayed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A `cert-…` image that is not a certification as this version stores it.
    #[error("stream record {event_id}: the {which} image of {id} does not decode: {reason}")]
    Corrupt {
        /// The record's `eventID`.
        event_id: String,
        /// `old` or `new`.
        which: &'static str,
        /// The item's id.
        id: String,
        /// What the decoder said.
        reason: String,
    },
    /// A record without a `SequenceNumber` (Lambda always sends one).
    #[error("stream record {0} has no SequenceNumber")]
    NoSequenceNumber(String),
}

impl StreamChange {
    /// A change from the two SDK images (`None`, or an empty map, where the record has none),
    /// as the Streams API read by the local server gives them (convert
    /// `aws_sdk_dynamodbstreams` maps with `serde_dynamo`, or read them as JSON).
    pub fn from_images(
        event_id: impl Into<String>,
        sequence_number: impl Into<String>,
        at: DateTime<Utc>,
        old: Option<&Image>,
        new: Option<&Image>,
    ) -> Result<Self, DecodeError> {
        let event_id = event_id.into();
        let old_cert = decode(&event_id, "old", old)?;
        let new_cert = decode(&event_id, "new", new)?;
        Ok(Self {
            old_reminded_days: old_cert.as_ref().and(old).and_then(reminded_days),
            new_reminded_days: new_cert.as_ref().and(new).and_then(reminded_days),
            old: old_cert,
            new: new_cert,
            event_id,
            sequence_number: sequence_number.into(),
            at,
        })
    }

    /// A change from one record of a Lambda DynamoDB stream event.
    pub fn from_lambda_record(record: &EventRecord) -> Result<Self, DecodeError> {
        let seq = record
            .change
            .sequence_number
            .clone()
            .ok_or_else(|| DecodeError::NoSequenceNumber(record.event_id.clone()))?;
        let old: Image = record.change.old_image.clone().into();
        let new: Image = record.change.new_image.clone().into();
        Self::from_images(
            record.event_id.clone(),
            seq,
            record.change.approximate_creation_date_time,
            Some(&old),
            Some(&new),
        )
    }

    /// The certification's id (either image's).
    pub fn certification_id(&self) -> Option<&str> {
        self.new.as_ref().or(self.old.as_ref()).map(|c| c.id.as_str())
    }
}

/// Whether an image is a certification item (`id` begins with `cert-`).
pub fn is_certification(image: &Image) -> bool {
    matches!(image.get(attr::ID), Some(AttributeValue::S(id)) if id.starts_with(CERTIFICATION_PREFIX))
}

/// A stream image as a certification: `Ok(None)` for no image, an empty one, or an item that
/// is not a certification (count items, `Idempotency-Key` records); an error for a
/// certification item that does not decode.
pub fn decode_image(event_id: &str, image: &Image) -> Result<Option<Certification>, DecodeError> {
    decode(event_id, "new", Some(image))
}

fn decode(event_id: &str, which: &'static str, image: Option<&Image>) -> Result<Option<Certification>, DecodeError> {
    let Some(image) = image.filter(|i| is_certification(i)) else { return Ok(None) };
    // from_item ignores the index attributes and `reminded_days`: serde skips unknown names.
    shared::store::item::from_item(image.clone()).map(Some).map_err(|e| DecodeError::Corrupt {
        event_id: event_id.to_owned(),
        which,
        id: match image.get(attr::ID) {
            Some(AttributeValue::S(id)) => id.clone(),
            _ => String::new(),
        },
        reason: e.to_string(),
    })
}

/// The image's `reminded_days`; `None` when absent or not a whole number of days.
pub fn reminded_days(image: &Image) -> Option<u32> {
    match image.get(attr::REMINDED_DAYS) {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
}
