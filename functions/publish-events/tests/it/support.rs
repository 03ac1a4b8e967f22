//! Fixtures: certifications with real-looking ids, stream changes and Lambda stream records
//! built from them, and [`checked`], which validates every event a test produces against
//! `docs/events.schema.json`.
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
pub use publish_events::Image;
use publish_events::{events_of, Event, StreamChange};
use serde_json::{json, Value};
use shared::domain::{Clock, FixedClock};
use shared::{Certification, Status};

pub const ID: &str = "cert-01kmmyq7v0m2y0v4f7d0sr1h2j";
pub const AT: &str = "2026-03-26T06:00:00Z";

pub fn t(s: &str) -> DateTime<Utc> {
    FixedClock::at(s).now()
}

/// The `i`th of a batch's certification ids (lower-case ULID shape).
pub fn id(i: usize) -> String {
    format!("cert-01kmmyq7v0m2y0v4f7d0sr1h{i:02}")
}

pub fn cert(id: &str) -> Certification {
    Certification {
        id: id.into(),
        mentor_id: "mentor-42".into(),
        mentor_name: Some("Lars Eriksen".into()),
        cert_type: "peer_mentor_level_2".into(),
        status: Status::Active,
        status_reason: None,
        issued_at: t("2026-03-01T00:00:00Z"),
        expires_at: t("2027-03-01T00:00:00Z"),
        renewal_count: 0,
        renewal_history: Vec::new(),
        created_at: t("2026-03-01T09:00:00Z"),
        updated_at: t("2026-03-01T09:00:00Z"),
        version: 1,
    }
}

/// `c` one write later: version + 1, `updated_at` moved on.
pub fn next(c: &Certification, change: impl FnOnce(&mut Certification)) -> Certification {
    let mut n = c.clone();
    n.version += 1;
    n.updated_at = t(AT);
    change(&mut n);
    n
}

pub fn image(c: &Certification, reminded_days: Option<u32>) -> Image {
    let mut item = shared::store::stored_item(c).expect("encodes");
    if let Some(d) = reminded_days {
        item.insert("reminded_days".into(), aws_sdk_dynamodb::types::AttributeValue::N(d.to_string()));
    }
    item
}

pub fn change(old: Option<&Certification>, new: Option<&Certification>) -> StreamChange {
    change_with(old.map(|c| image(c, None)), new.map(|c| image(c, None)), "evt-1")
}

pub fn change_with(old: Option<Image>, new: Option<Image>, event_id: &str) -> StreamChange {
    StreamChange::from_images(event_id, "4100000000000000000001", t(AT), old.as_ref(), new.as_ref()).expect("decodes")
}

/// The events of `change`, each checked against the schema.
pub fn events(change: &StreamChange, include_mentor_name: bool) -> Vec<Event> {
    checked(events_of(change, include_mentor_name))
}

/// The one event of `change` (no mentor name), checked.
pub fn one(change: &StreamChange) -> Event {
    let mut all = events(change, false);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

/// A Lambda DynamoDB stream record for a change of `old` → `new` (raw images: any item).
pub fn record_json(seq: u64, old: Option<&Image>, new: Option<&Image>) -> Value {
    let ddb = |i: &Image| serde_json::to_value(serde_dynamo::Item::from(i.clone())).expect("DynamoDB JSON");
    let name = match (old, new) {
        (None, Some(_)) => "INSERT",
        (Some(_), Some(_)) => "MODIFY",
        _ => "REMOVE",
    };
    let key = new.or(old).and_then(|i| i.get("id")).cloned().expect("an id");
    let mut stream = json!({
        "ApproximateCreationDateTime": t(AT).timestamp(),
        "Keys": ddb(&Image::from([("id".to_owned(), key)])),
        "SequenceNumber": seq.to_string(),
        "SizeBytes": 512,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    });
    if let Some(o) = old {
        stream["OldImage"] = ddb(o);
    }
    if let Some(n) = new {
        stream["NewImage"] = ddb(n);
    }
    json!({
        "eventID": format!("evt-{seq:04}"),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": stream,
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/certifications/stream/2026-03-01T00:00:00.000",
    })
}

pub fn record(seq: u64, old: Option<&Image>, new: Option<&Image>) -> aws_lambda_events::event::dynamodb::EventRecord {
    serde_json::from_value(record_json(seq, old, new)).expect("a stream record")
}

// ---- the schema --------------------------------------------------------------------------------

pub struct Schema {
    /// The whole schema: exactly one branch must match.
    pub whole: jsonschema::Validator,
    /// Each detail-type's own branch.
    pub by_type: Vec<(String, jsonschema::Validator)>,
}

pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/events.schema.json");
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("the schema")).expect("JSON");
        let opts = || jsonschema::options().with_draft(jsonschema::Draft::Draft202012).should_validate_formats(true);
        let whole = opts().build(&doc).expect("a valid 2020-12 schema");
        let by_type = publish_events::DETAIL_TYPES
            .iter()
            .map(|dt| {
                let mut branch = doc.clone();
                branch["oneOf"] = json!([{ "$ref": format!("#/$defs/{dt}") }]);
                (dt.to_string(), opts().build(&branch).expect("a branch"))
            })
            .collect();
        Schema { whole, by_type }
    })
}

/// Fails unless `detail` of a `detail_type` event validates against the schema, as a whole
/// and against its own branch.
pub fn validate(detail_type: &str, detail: &Value) {
    let s = schema();
    if let Err(e) = s.whole.validate(detail) {
        panic!("{detail_type} does not validate: {e}\n{detail:#}");
    }
    let (_, branch) = s.by_type.iter().find(|(dt, _)| dt == detail_type).expect("a documented detail-type");
    if let Err(e) = branch.validate(detail) {
        panic!("{detail_type} does not match its branch: {e}\n{detail:#}");
    }
}

pub fn checked(events: Vec<Event>) -> Vec<Event> {
    for e in &events {
        assert_eq!(e.source, "certifications");
        validate(&e.detail_type, &e.detail);
    }
    events
}
