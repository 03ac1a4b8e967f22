//! The service's events, locally: the table's DynamoDB stream, translated by the publisher's
//! own code (`publish_events::events_of`, what the `publish-events` Lambda runs in AWS) and
//! appended to a JSON-lines file (`--events`, default `.local/events.jsonl`), one event per
//! line in EventBridge's envelope (`source`, `detail-type`, `time`, `detail`). Every request's
//! write and every expiry-scan write lands there, in stream order.
//!
//! [`EventFeed::drain`] reads the stream until it has nothing more and writes what it read;
//! the server runs it in a background task every [`POLL_EVERY`] ([`EventFeed::spawn`]), so a
//! request never waits for it, and tests call it directly (no sleeping). An endpoint without
//! the Streams API (moto), or a table without a stream, gets one warning and no file.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use publish_events::{events_of, Event, StreamChange};
use shared::store::stream::{Start, StreamError, TableStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::storage::{Backend, Storage};

/// The default event file, relative to the working directory (ignored by git).
pub const DEFAULT_EVENTS_FILE: &str = ".local/events.jsonl";
/// How often the server's feed polls a local stream (the embedded engine, DynamoDB Local, moto):
/// an event reaches the file at most this long after its write was answered (plus the read).
pub const POLL_EVERY: Duration = Duration::from_millis(100);
/// How often it polls a stream elsewhere (AWS): DynamoDB Streams serves about 5 reads a second
/// per shard to all its readers together, and the publisher's event source mapping is one of
/// them, so a developer's server must not take most of them.
pub const POLL_EVERY_REMOTE: Duration = Duration::from_secs(2);

/// The poll interval for `backend` ([`POLL_EVERY`] or [`POLL_EVERY_REMOTE`]).
pub fn poll_interval(backend: &Backend) -> Duration {
    match backend {
        Backend::External(url) if !crate::remote::is_loopback(url) => POLL_EVERY_REMOTE,
        _ => POLL_EVERY,
    }
}

/// Why events could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The stream could not be opened or read.
    #[error("the table's stream: {0}")]
    Stream(#[from] StreamError),
    /// The event file could not be written.
    #[error("cannot append to {0}: {1}")]
    Write(PathBuf, std::io::Error),
}

/// The table's stream, feeding the event file.
pub struct EventFeed {
    stream: TableStream,
    path: PathBuf,
    include_mentor_name: bool,
    /// Events read but not yet in the file (its last write failed): written first next time.
    pending: Vec<Event>,
}

impl EventFeed {
    /// A feed of `storage`'s table into `path`, from `start`. `EVENTS_INCLUDE_MENTOR_NAME`
    /// decides `mentor_name`, as for the publisher.
    pub async fn open(storage: &Storage, path: &Path, start: Start) -> Result<Self, FeedError> {
        let store = &storage.app.store;
        let stream = TableStream::open(store.client(), storage.streams_client(), store.table_name(), start).await?;
        let include_mentor_name = publish_events::PublishConfig::from_env().include_mentor_name;
        Ok(Self { stream, path: path.to_path_buf(), include_mentor_name, pending: Vec::new() })
    }

    /// [`EventFeed::open`] from the newest record (what happens from now on), or `None` with
    /// one warning saying why there will be no events.
    /// The embedded engine's table made before it had a stream gets one first (in place); a
    /// table elsewhere is left as it is.
    pub async fn open_or_warn(storage: &Storage, path: &Path) -> Option<Self> {
        let mut opened = Self::open(storage, path, Start::Latest).await;
        if let (Err(FeedError::Stream(StreamError::NoStream(table))), Backend::File(_) | Backend::Memory) =
            (&opened, &storage.backend)
        {
            tracing::info!(%table, "the table has no stream (made by an earlier version): turning it on");
            opened = match shared::store::stream::enable(storage.app.store.client(), table).await {
                Ok(()) => Self::open(storage, path, Start::Latest).await,
                Err(e) => Err(e.into()),
            };
        }
        match opened {
            Ok(feed) => {
                let events = path.display().to_string();
                tracing::info!(%events, "events (every write, from the table's stream) are appended to {events} (tail -F it)");
                Some(feed)
            }
            Err(e) => {
                let data = storage.backend.to_string();
                tracing::warn!(error = %e, %data, "no events: the table's stream cannot be read here ({e}); requests work as before");
                None
            }
        }
    }

    /// The file the events go to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the stream until a read returns nothing, and appends one line per event. Returns
    /// the events written, in order. A certification image that does not decode is logged
    /// and skipped (the publisher would send it to its on-failure queue).
    pub async fn drain(&mut self) -> Result<Vec<Event>, FeedError> {
        // Each read is translated at once: the iterator has moved past it, so a later failed
        // read or write must not lose it.
        loop {
            let records = self.stream.read().await?;
            if records.is_empty() {
                break;
            }
            for r in &records {
                match StreamChange::from_images(&r.event_id, &r.sequence_number, r.at, r.old.as_ref(), r.new.as_ref()) {
                    Ok(change) => self.pending.extend(events_of(&change, self.include_mentor_name)),
                    Err(e) => tracing::error!(error = %e, "a stream record that does not decode; no event for it"),
                }
            }
        }
        self.append(&self.pending)?;
        Ok(std::mem::take(&mut self.pending))
    }

    /// One write per drain, so lines never interleave; the file and its directory are
    /// created with the first event.
    fn append(&self, events: &[Event]) -> Result<(), FeedError> {
        if events.is_empty() {
            return Ok(());
        }
        let failed = |e| FeedError::Write(self.path.clone(), e);
        let mut text = String::new();
        for e in events {
            text.push_str(&e.envelope().to_string());
            text.push('\n');
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&self.path).map_err(failed)?;
        file.write_all(text.as_bytes()).map_err(failed)
    }

    /// Drains every `every` in a task of its own until [`FeedTask::stop`], which drains once
    /// more so the events of every answered write are in the file. A failed read or write
    /// is logged (once per failing streak) and retried at the next tick; nothing read is
    /// lost (see [`EventFeed::drain`]).
    pub fn spawn(mut self, every: Duration) -> FeedTask {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                let last = tokio::select! {
                    _ = ticks.tick() => false,
                    _ = &mut stopped => true,
                };
                match self.drain().await {
                    Ok(_) => failing = false,
                    Err(e) if !failing => {
                        failing = true;
                        tracing::warn!(error = %e, "events not read or written; retrying");
                    }
                    Err(_) => {}
                }
                if last {
                    return;
                }
            }
        });
        FeedTask { stop, task }
    }
}

/// The server's background feed.
pub struct FeedTask {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl FeedTask {
    /// Stops after one last drain (call it before the storage closes).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_on_aws_is_polled_gently() {
        assert_eq!(poll_interval(&Backend::Memory), POLL_EVERY);
        assert_eq!(poll_interval(&Backend::File(".local/c.db".into())), POLL_EVERY);
        assert_eq!(poll_interval(&Backend::External("http://127.0.0.1:8000".into())), POLL_EVERY);
        let aws = Backend::External("https://dynamodb.eu-west-1.amazonaws.com".into());
        assert_eq!(poll_interval(&aws), POLL_EVERY_REMOTE);
    }
}
