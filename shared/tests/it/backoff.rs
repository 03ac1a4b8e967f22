//! Backoff under conflicts (issue 18): with `TransactionConflict` injected on half of all
//! transaction attempts, 50 concurrent creates for one mentor (one count item per mentor key,
//! so every create touches the same items) all succeed, with exact totals, and each retry
//! waited a jittered time within the schedule. Time is injected: nothing sleeps.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::domain::Status;
use shared::store::backoff::Backoff;
use shared::store::{ListFilter, PageRequest};
use shared::testing::{at, certification, skip_concurrent_writes, Fault, Faults, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";
const CREATES: usize = 50;

fn now() -> DateTime<Utc> {
    at(NOW)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_creates_for_one_mentor_with_half_the_attempts_conflicting() {
    let db = TestDb::start().await;
    if skip_concurrent_writes(&db) {
        return;
    }
    // Every transaction naming this mentor; the 1st, 3rd, ... attempt of each certification
    // is cancelled with TransactionConflict on all five parts (the Put and four count ADDs).
    let conflict = Fault::transaction_cancelled("mentor-busy", &["TransactionConflict"; 5], usize::MAX)
        .every_other_attempt_of("cert-busy-");
    let faults = Faults::new(vec![conflict]);
    let waits: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let seen = waits.clone();
    let backoff = Backoff::none().sleeping_with(move |d| {
        if let Ok(mut w) = seen.lock() {
            w.push(d);
        }
        Box::pin(std::future::ready(()))
    });
    let store = db.store_with(&faults).with_backoff(backoff.clone());

    let tasks: Vec<_> = (0..CREATES)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut c = certification(&format!("cert-busy-{i:03}"), "2027-01-01T00:00:00Z");
                c.mentor_id = "mentor-busy".into();
                c.cert_type = ["level_1", "level_2"][i % 2].into();
                store.create(&c).await
            })
        })
        .collect();
    for (i, t) in futures::future::join_all(tasks).await.into_iter().enumerate() {
        assert!(matches!(t, Ok(Ok(()))), "create {i}: {t:?}");
    }
    // Half of the 100 attempts conflicted; each create retried once, after one wait.
    assert_eq!(faults.injected(), CREATES);
    let waits = waits.lock().map(|w| w.clone()).unwrap_or_default();
    assert_eq!(waits.len(), CREATES);
    assert!(waits.iter().all(|w| *w <= backoff.ceiling(0)), "{waits:?}");

    // Exact totals, read back through the store.
    let total = |mentor: Option<&str>, cert_type: Option<&str>, status: Option<Status>| {
        let store = db.store();
        let filter =
            ListFilter { mentor_id: mentor.map(str::to_owned), cert_type: cert_type.map(str::to_owned), status };
        async move {
            let page = PageRequest { page: 1, limit: 100, after: None, numbered: true };
            let found = store.list(&filter, now(), &page).await.expect("a list");
            (found.total, found.items.len() as u64)
        }
    };
    assert_eq!(total(Some("mentor-busy"), None, None).await, (50, 50));
    assert_eq!(total(Some("mentor-busy"), None, Some(Status::Active)).await, (50, 50));
    assert_eq!(total(Some("mentor-busy"), Some("level_1"), Some(Status::Active)).await, (25, 25));
    assert_eq!(total(None, Some("level_2"), None).await, (25, 25));
    assert_eq!(total(None, None, Some(Status::Active)).await, (50, 50));
    assert_eq!(total(None, None, Some(Status::Expired)).await, (0, 0));
}
