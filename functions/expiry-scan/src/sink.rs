//! Where notices go: EventBridge in AWS, a JSON-lines file on a developer's machine.
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use shared::domain::timestamp;

use crate::notice::{Notice, SOURCE};

/// Most entries one PutEvents request takes.
pub const MAX_BATCH: usize = 10;

/// Why one notice was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub code: String,
    pub message: String,
}

pub trait EventSink: Send + Sync {
    /// Publishes at most [`MAX_BATCH`] notices in one request and answers one outcome per
    /// notice, in order. Never fails as a whole: a request that fails rejects every entry.
    fn publish(&self, notices: &[Notice]) -> impl Future<Output = Vec<Result<(), Rejected>>> + Send;
}

/// EventBridge `PutEvents` on one bus.
#[derive(Debug, Clone)]
pub struct EventBridgeSink {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridgeSink {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> Self {
        Self { client, bus: bus.into() }
    }
}

impl EventSink for EventBridgeSink {
    async fn publish(&self, notices: &[Notice]) -> Vec<Result<(), Rejected>> {
        let entries = notices
            .iter()
            .map(|n| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus)
                    .source(SOURCE)
                    .detail_type(n.kind.detail_type())
                    .detail(n.detail.to_string())
                    .time(aws_smithy_types::DateTime::from_secs(n.time.timestamp()))
                    .build()
            })
            .collect();
        let out = match self.client.put_events().set_entries(Some(entries)).send().await {
            Ok(out) => out,
            Err(e) => {
                let rejected = Rejected { code: "RequestFailed".into(), message: DisplayErrorContext(&e).to_string() };
                return vec![Err(rejected); notices.len()];
            }
        };
        // Results come back in request order; an entry succeeded when it has an event id
        // and no error code. Anything else (missing results included) is not delivered.
        let results = out.entries();
        (0..notices.len())
            .map(|i| match results.get(i) {
                Some(r) if r.error_code().is_none() && r.event_id().is_some() => Ok(()),
                Some(r) => Err(Rejected {
                    code: r.error_code().unwrap_or("NoEventId").to_owned(),
                    message: r.error_message().unwrap_or_default().to_owned(),
                }),
                None => Err(Rejected { code: "MissingResult".into(), message: "no result entry".into() }),
            })
            .collect()
    }
}

/// Local runs: one JSON line per event, shaped like the event EventBridge would deliver to
/// a rule target, appended to a file the developer can `tail -F`. The file (and its
/// directory) is created with the first event, so a run that announces nothing leaves no
/// file behind. Writes are a few hundred bytes per batch, done synchronously under a lock so
/// lines never interleave.
#[derive(Debug)]
pub struct JsonLinesSink {
    path: PathBuf,
    lock: Mutex<()>,
}

impl JsonLinesSink {
    pub fn new(path: impl AsRef<Path>) -> Self {
        Self { path: path.as_ref().to_path_buf(), lock: Mutex::new(()) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write(&self, notices: &[Notice]) -> std::io::Result<()> {
        let mut text = String::new();
        for n in notices {
            let event = EventLine {
                version: "0",
                id: ulid::Ulid::new().to_string().to_ascii_lowercase(),
                detail_type: n.kind.detail_type(),
                source: SOURCE,
                time: timestamp::format(&n.time),
                resources: [],
                detail: &n.detail,
            };
            text.push_str(&serde_json::to_string(&event)?);
            text.push('\n');
        }
        let _one_writer = self.lock.lock().map_err(|_| std::io::Error::other("event file lock poisoned"))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?;
        file.write_all(text.as_bytes())?;
        file.flush()
    }
}

/// One line of the file, fields in EventBridge's order.
#[derive(serde::Serialize)]
struct EventLine<'a> {
    version: &'static str,
    id: String,
    #[serde(rename = "detail-type")]
    detail_type: &'static str,
    source: &'static str,
    time: String,
    resources: [&'static str; 0],
    detail: &'a serde_json::Value,
}

impl EventSink for JsonLinesSink {
    async fn publish(&self, notices: &[Notice]) -> Vec<Result<(), Rejected>> {
        match self.write(notices) {
            Ok(()) => vec![Ok(()); notices.len()],
            Err(e) => vec![Err(Rejected { code: "WriteFailed".into(), message: e.to_string() }); notices.len()],
        }
    }
}
