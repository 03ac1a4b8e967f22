//! Every write path's events, through the real stream of the embedded engine: the local
//! server's router and handlers write, [`EventFeed::drain`] reads the table's stream to its
//! end and runs the publisher's translation, exactly as `serve` does in its background task
//! (no sleeping, nothing timed). Each test checks the exact events in order, and every event
//! validates against `docs/events.schema.json` with the publisher's own test validator.
use std::sync::Arc;

use axum::http::{header, Request as HttpRequest, StatusCode};
use http_body_util::BodyExt;
use local_api::events::EventFeed;
use local_api::expiry::{LocalScan, ReminderDays, ScanArgs};
use local_api::routes::api_router;
use local_api::storage::{Storage, StorageArgs};
use serde_json::{json, Value};
use shared::domain::FixedClock;
use shared::store::stream::Start;
use shared::App;
use tower::ServiceExt;

/// Fails unless `detail` validates against `docs/events.schema.json`, as a whole (exactly one
/// branch) and against its own detail-type's branch: the check the publisher's tests make
/// (`functions/publish-events/tests/it/support.rs`, which reads the file relative to its own
/// crate, so it cannot be included from here).
fn validate(detail_type: &str, detail: &Value) {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let doc =
        SCHEMA.get_or_init(|| serde_json::from_str(include_str!("../../../docs/events.schema.json")).expect("JSON"));
    let build = |doc: &Value| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(doc)
            .expect("a valid 2020-12 schema")
    };
    if let Err(e) = build(doc).validate(detail) {
        panic!("{detail_type} does not validate: {e}\n{detail:#}");
    }
    let mut branch = doc.clone();
    branch["oneOf"] = json!([{ "$ref": format!("#/$defs/{detail_type}") }]);
    if let Err(e) = build(&branch).validate(detail) {
        panic!("{detail_type} does not match its branch: {e}\n{detail:#}");
    }
}

const API: &str = "/api/v1/certifications";
const NOW: &str = "2026-03-26T10:00:00Z";

/// The local server's storage (embedded, in memory), its router at a fixed clock, and the
/// event feed into a file of its own.
struct Local {
    storage: Storage,
    feed: EventFeed,
    file: std::path::PathBuf,
}

impl Local {
    async fn start() -> Self {
        let args = StorageArgs::memory();
        let storage = Storage::open(&args).await.expect("the embedded engine");
        let file = std::env::temp_dir().join(format!("local-events-{}.jsonl", ulid::Ulid::new()));
        let feed = EventFeed::open(&storage, &file, Start::Latest).await.expect("the table has a stream");
        Self { storage, feed, file }
    }

    fn app_at(&self, now: &str) -> App {
        App { clock: Arc::new(FixedClock::at(now)), ..self.storage.app.clone() }
    }

    async fn send(
        &self,
        now: &str,
        method: &str,
        uri: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let router = api_router(self.app_at(now), None).expect("every route has a handler");
        let mut req = HttpRequest::builder().method(method).uri(uri);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let body = match body {
            Some(b) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                axum::body::Body::from(b.to_string())
            }
            None => axum::body::Body::empty(),
        };
        let response = router.oneshot(req.body(body).expect("a request")).await.expect("a response");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("the body").to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// The events since the last call: the file's new lines, which must be exactly what the
    /// drain wrote; each validated against the schema.
    async fn events(&mut self) -> Vec<Value> {
        let before = std::fs::read_to_string(&self.file).map(|t| t.lines().count()).unwrap_or(0);
        let drained = self.feed.drain().await.expect("read the stream");
        let text = std::fs::read_to_string(&self.file).unwrap_or_default();
        let lines: Vec<Value> =
            text.lines().skip(before).map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
        assert_eq!(lines, drained.iter().map(|e| e.envelope()).collect::<Vec<_>>());
        for e in &lines {
            assert_eq!(e["source"], "certifications");
            validate(e["detail-type"].as_str().expect("a detail-type"), &e["detail"]);
        }
        lines
    }

    /// Stops the engine; the event file goes too.
    async fn close(self) {
        let _ = std::fs::remove_file(&self.file);
        self.storage.close().await;
    }

    /// `(detail-type, certification_id)` of [`Local::events`].
    async fn kinds(&mut self) -> Vec<(String, String)> {
        let events = self.events().await;
        events.iter().map(|e| (s(&e["detail-type"]), s(&e["detail"]["certification_id"]))).collect()
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn new_cert(mentor: &str, expires: &str) -> Value {
    json!({"mentor_id": mentor, "mentor_name": "Lars Eriksen", "cert_type": "peer_mentor_level_2",
           "issued_at": "2026-03-01T00:00:00Z", "expires_at": expires})
}

#[tokio::test]
async fn every_request_write_is_announced_once_in_order() {
    let mut local = Local::start().await;
    // Create, then the same request with the same Idempotency-Key: one record, one event.
    let body = new_cert("mentor-1", "2027-03-01T00:00:00Z");
    let (status, created) = local.send(NOW, "POST", API, Some(body.clone()), Some("key-1")).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = s(&created["id"]);
    let (status, replayed) = local.send(NOW, "POST", API, Some(body), Some("key-1")).await;
    assert_eq!((status, s(&replayed["id"])), (StatusCode::CREATED, id.clone()));
    let events = local.events().await;
    assert_eq!(events.len(), 1, "a replay writes nothing, so announces nothing: {events:#?}");
    let d = &events[0]["detail"];
    assert_eq!(s(&events[0]["detail-type"]), "certification.created");
    assert_eq!((s(&d["certification_id"]), &d["version"], s(&d["status"])), (id.clone(), &json!(1), "active".into()));
    assert!(d.get("mentor_name").is_none(), "no name unless opted in");

    let uri = format!("{API}/{id}");
    let put = |body: Value| body;
    // Renew.
    assert_eq!(
        local.send(NOW, "PUT", &uri, Some(put(json!({"expires_at": "2028-03-01T00:00:00Z"}))), None).await.0,
        StatusCode::OK
    );
    let e = local.events().await;
    assert_eq!(e.len(), 1);
    assert_eq!(s(&e[0]["detail-type"]), "certification.renewed");
    let d = &e[0]["detail"];
    assert_eq!(
        (s(&d["previous_expires_at"]), s(&d["expires_at"]), &d["renewal_count"], &d["version"]),
        ("2027-03-01T00:00:00Z".into(), "2028-03-01T00:00:00Z".into(), &json!(1), &json!(2))
    );

    // Suspend with a reason: stored, returned on GET, carried by the event.
    let reason = "Conduct review pending";
    let (status, suspended) =
        local.send(NOW, "PUT", &uri, Some(json!({"status": "suspended", "status_reason": reason})), None).await;
    assert_eq!((status, s(&suspended["status_reason"])), (StatusCode::OK, reason.into()));
    assert_eq!(s(&local.send(NOW, "GET", &uri, None, None).await.1["status_reason"]), reason);
    let e = local.events().await;
    assert_eq!(e.len(), 1);
    assert_eq!(s(&e[0]["detail-type"]), "certification.suspended");
    let d = &e[0]["detail"];
    assert_eq!(
        (s(&d["status_reason"]), s(&d["previous_status"]), &d["version"]),
        (reason.into(), "active".into(), &json!(3))
    );

    // Reactivate: the reason goes with the suspension.
    let (status, active) = local.send(NOW, "PUT", &uri, Some(json!({"status": "active"})), None).await;
    assert_eq!((status, active.get("status_reason")), (StatusCode::OK, None));
    let e = local.events().await;
    assert_eq!(e.len(), 1);
    assert_eq!(s(&e[0]["detail-type"]), "certification.reactivated");
    assert_eq!(e[0]["detail"]["changed_fields"], json!(["status", "status_reason"]));

    // A type change is an update naming the field.
    local.send(NOW, "PUT", &uri, Some(json!({"cert_type": "first_aid"})), None).await;
    let e = local.events().await;
    assert_eq!(
        (s(&e[0]["detail-type"]), &e[0]["detail"]["changed_fields"]),
        ("certification.updated".into(), &json!(["cert_type"]))
    );
    assert_eq!(e.len(), 1);

    // Revoke with a reason, then delete.
    local
        .send(NOW, "PUT", &uri, Some(json!({"status": "revoked", "status_reason": "Withdrawn by the programme"})), None)
        .await;
    assert_eq!(local.send(NOW, "DELETE", &uri, None, None).await.0, StatusCode::OK);
    let e = local.events().await;
    let kinds: Vec<String> = e.iter().map(|e| s(&e["detail-type"])).collect();
    assert_eq!(kinds, ["certification.revoked", "certification.deleted"]);
    assert_eq!(s(&e[0]["detail"]["status_reason"]), "Withdrawn by the programme");
    assert_eq!(
        (&e[0]["detail"]["version"], &e[1]["detail"]["version"]),
        (&json!(6), &json!(7)),
        "a delete orders after the last write"
    );

    // Refused writes write nothing and announce nothing.
    let (status, _) = local.send(NOW, "PUT", &uri, Some(json!({"status": "suspended"})), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) =
        local.send(NOW, "PUT", &uri, Some(json!({"status": "active", "status_reason": "x"})), None).await;
    assert_eq!((status, s(&problem["errors"][0]["field"])), (StatusCode::BAD_REQUEST, "status_reason".into()));
    assert!(local.events().await.is_empty());
    local.close().await;
}

#[tokio::test]
async fn a_create_already_past_is_announced_expired_and_the_scan_has_nothing_to_add() {
    let mut local = Local::start().await;
    let (status, created) =
        local.send(NOW, "POST", API, Some(new_cert("mentor-2", "2026-03-20T00:00:00Z")), None).await;
    assert_eq!((status, s(&created["status"])), (StatusCode::CREATED, "expired".into()));
    let e = local.events().await;
    assert_eq!(e.len(), 1);
    assert_eq!(
        (s(&e[0]["detail-type"]), s(&e[0]["detail"]["status"])),
        ("certification.expired".into(), "expired".into())
    );

    let scan = LocalScan::new(
        &local.app_at(NOW),
        &ScanArgs { events: local.file.clone(), reminder_days: ReminderDays(vec![7, 30]) },
    );
    let summary = scan.run().await.expect("scan");
    assert_eq!((summary.expired, summary.reminders), (0, 0));
    assert!(local.events().await.is_empty(), "stored expired at its create: never flipped again");
    local.close().await;
}

#[tokio::test]
async fn the_scan_s_flip_and_reminders_are_announced_once_and_a_second_scan_adds_nothing() {
    let mut local = Local::start().await;
    // Written a month earlier: due by NOW, and one inside 7 days of NOW, one inside 30.
    let earlier = "2026-02-20T10:00:00Z";
    let mut ids = Vec::new();
    for expires in ["2026-03-20T00:00:00Z", "2026-03-30T00:00:00Z", "2026-04-20T00:00:00Z"] {
        let (status, c) = local.send(earlier, "POST", API, Some(new_cert("mentor-3", expires)), None).await;
        assert_eq!(status, StatusCode::CREATED);
        ids.push(s(&c["id"]));
    }
    let created: Vec<String> = local.kinds().await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(created, ["certification.created"; 3]);

    let scan = LocalScan::new(
        &local.app_at(NOW),
        &ScanArgs { events: local.file.clone(), reminder_days: ReminderDays(vec![7, 30]) },
    );
    let summary = scan.run().await.expect("scan");
    assert_eq!((summary.expired, summary.reminders), (1, 2));
    // The expiry pass first, then the reminder bands tightest first.
    let e = local.events().await;
    let got: Vec<(String, String, Option<u64>)> = e
        .iter()
        .map(|e| (s(&e["detail-type"]), s(&e["detail"]["certification_id"]), e["detail"]["threshold_days"].as_u64()))
        .collect();
    assert_eq!(
        got,
        [
            ("certification.expired".into(), ids[0].clone(), None),
            ("certification.expiring".into(), ids[1].clone(), Some(7)),
            ("certification.expiring".into(), ids[2].clone(), Some(30)),
        ]
    );
    assert_eq!(s(&e[0]["detail"]["previous_status"]), "active");
    // (`days_until_expiry` counts from the commit time, the stream record's, not from the
    // scan's fixed clock: not asserted here.)

    // The same instant again, and the next day: nothing new written, nothing announced.
    for now in [NOW, "2026-03-27T10:00:00Z"] {
        let scan = LocalScan::new(
            &local.app_at(now),
            &ScanArgs { events: local.file.clone(), reminder_days: ReminderDays(vec![7, 30]) },
        );
        let again = scan.run().await.expect("scan");
        assert_eq!((again.expired, again.reminders), (0, 0), "{now}");
        assert!(local.events().await.is_empty(), "{now}");
    }
    local.close().await;
}

/// A data file from before the stream: its table has none. The server turns it on (in place)
/// and announces from then on.
#[tokio::test]
async fn an_embedded_table_without_a_stream_gets_one() {
    let mut local = Local::start().await;
    let client = local.storage.app.store.client().clone();
    let off = aws_sdk_dynamodb::types::StreamSpecification::builder().stream_enabled(false).build().expect("a spec");
    client.update_table().table_name("certifications").stream_specification(off).send().await.expect("stream off");
    assert!(EventFeed::open(&local.storage, &local.file, Start::Latest).await.is_err(), "no stream now");

    local.feed = EventFeed::open_or_warn(&local.storage, &local.file).await.expect("turned on again");
    local.send(NOW, "POST", API, Some(new_cert("mentor-4", "2027-03-01T00:00:00Z")), None).await;
    let kinds: Vec<String> = local.kinds().await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["certification.created"]);
    local.close().await;
}
