//! Exact totals (issue 9): a randomized concurrent workload ends with every filter
//! combination's `total` equal to what a full read-through of that list returns and to the
//! table's own items; a drift is found and fixed by `recount`; `migrate` upgrades items the
//! previous version wrote; `TransactionConflict` is retried, then a 503.
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use shared::domain::{Certification, CertificationPatch, Status};
use shared::store::{ListFilter, PageRequest, Store, StoreError};
use shared::testing::StoreExt;
use shared::testing::{at, certification, Fault, Faults, TestDb};

const MENTORS: [&str; 3] = ["mentor-a", "mentor-b", "mentor-c"];
const TYPES: [&str; 3] = ["level_1", "level_2", "level_3"];

/// A small deterministic generator per task (xorshift): the workload is random but
/// repeatable from its seed, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn base() -> DateTime<Utc> {
    at("2026-03-01T00:00:00Z")
}

/// One task's operations; ids it created are shared through `known`.
async fn task(
    store: Store,
    seed: u64,
    ops: usize,
    known: Arc<tokio::sync::Mutex<Vec<String>>>,
    gate: Arc<tokio::sync::Semaphore>,
) {
    let mut rng = Rng(seed);
    for op in 0..ops {
        let _turn = gate.acquire().await.unwrap();
        let now = base() + TimeDelta::days(rng.below(60) as i64);
        let pick = {
            let ids = known.lock().await;
            (!ids.is_empty()).then(|| ids[rng.below(ids.len())].clone())
        };
        match (rng.below(10), pick) {
            (0..=3, _) | (_, None) => {
                let id = format!("cert-s{seed:02}-{op:03}");
                let mut c = certification(&id, "2026-04-01T00:00:00Z");
                c.mentor_id = MENTORS[rng.below(3)].into();
                c.cert_type = TYPES[rng.below(3)].into();
                c.expires_at = base() + TimeDelta::days(rng.below(90) as i64);
                c.created_at = base() - TimeDelta::days(rng.below(5) as i64);
                store.create(&c).await.unwrap();
                known.lock().await.push(id);
            }
            (4, Some(id)) => match store.delete(&id).await {
                Ok(_) | Err(StoreError::NotFound(_)) => {}
                Err(e) => panic!("delete: {e:?}"),
            },
            (5..=6, Some(id)) => {
                let st = [Status::Active, Status::Suspended, Status::Revoked][rng.below(3)];
                let patch = CertificationPatch { status: Some(st), ..Default::default() };
                expect_update(store.update(&id, &patch, now).await);
            }
            (7, Some(id)) => {
                let patch = CertificationPatch { cert_type: Some(TYPES[rng.below(3)].into()), ..Default::default() };
                expect_update(store.update(&id, &patch, now).await);
            }
            (8, Some(id)) => {
                // A renewal (turns a stored `expired` back to `active`).
                let later = base() + TimeDelta::days(100 + rng.below(100) as i64);
                let patch = CertificationPatch { expires_at: Some(later), ..Default::default() };
                expect_update(store.update(&id, &patch, now).await);
            }
            (_, Some(_)) => expiry_scan(&store, now).await,
        }
    }
}

fn expect_update(r: Result<Certification, StoreError>) {
    match r {
        Ok(_) | Err(StoreError::NotFound(_) | StoreError::Conflict(_) | StoreError::Invalid { .. }) => {}
        Err(e) => panic!("update: {e:?}"),
    }
}

/// What the expiry scan does to the store: flip every due item.
async fn expiry_scan(store: &Store, now: DateTime<Utc>) {
    let mut start = None;
    loop {
        let (due, next) = store.due_for_expiry(now, 25, start).await.unwrap();
        for c in due {
            store.mark_expired(&c, now).await.unwrap();
        }
        match next {
            Some(k) => start = Some(k),
            None => return,
        }
    }
}

/// Every certification in the table (a Scan, every page: the ground truth).
async fn every_item(db: &TestDb) -> Vec<Certification> {
    let scan = db.client.scan().table_name(&db.table).into_paginator().items().send();
    let items: Vec<shared::store::Item> = scan.try_collect().await.unwrap();
    // Count items and key records have a `#` in their id, certifications never.
    let other =
        |item: &shared::store::Item| item.get("id").and_then(|id| id.as_s().ok()).is_some_and(|id| id.contains('#'));
    items.into_iter().filter(|i| !other(i)).map(|i| shared::store::item::from_item(i).unwrap()).collect()
}

/// Every filter combination the contract allows over the workload's values.
fn filters() -> Vec<ListFilter> {
    let mut out = Vec::new();
    for m in std::iter::once(None).chain(MENTORS.iter().map(|m| Some(m.to_string()))) {
        for t in std::iter::once(None).chain(TYPES.iter().map(|t| Some(t.to_string()))) {
            for st in std::iter::once(None).chain(Status::ALL.into_iter().map(Some)) {
                out.push(ListFilter { mentor_id: m.clone(), cert_type: t.clone(), status: st });
            }
        }
    }
    out
}

/// Walks a whole list by cursor; returns its total and the ids read.
async fn read_through(store: &Store, f: &ListFilter, now: DateTime<Utc>) -> (u64, Vec<String>) {
    let mut page = PageRequest { page: 1, limit: 7, after: None, numbered: false };
    let mut ids = Vec::new();
    let first = store.list(f, now, &page).await.unwrap();
    let total = first.total;
    let mut current = first;
    loop {
        ids.extend(current.items.iter().map(|c| c.id.clone()));
        match current.next.take() {
            Some(after) => {
                page = PageRequest { page: page.page + 1, limit: 7, after: Some(after), numbered: false };
                current = store.list(f, now, &page).await.unwrap();
            }
            None => return (total, ids),
        }
    }
}

async fn assert_totals_exact(db: &TestDb, now: DateTime<Utc>) -> usize {
    let store = db.store();
    let items = every_item(db).await;
    let mut checked = 0;
    for f in filters() {
        let expected: Vec<&Certification> = items
            .iter()
            .filter(|c| f.mentor_id.as_deref().is_none_or(|m| c.mentor_id == m))
            .filter(|c| f.cert_type.as_deref().is_none_or(|t| c.cert_type == t))
            .filter(|c| f.status.is_none_or(|st| c.effective_status(now) == st))
            .collect();
        let (total, ids) = read_through(&store, &f, now).await;
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{f:?}: an item read twice");
        assert_eq!(total, ids.len() as u64, "{f:?}: total vs the read-through");
        assert_eq!(total, expected.len() as u64, "{f:?}: total vs the table");
        checked += 1;
    }
    checked
}

#[tokio::test]
async fn a_random_concurrent_workload_leaves_every_total_exact() {
    let db = TestDb::start().await;
    let known = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    // moto's TransactWriteItems deep-copies the table without a lock, so two at once crash
    // it (HTTP 500, "dictionary changed size during iteration"): on moto the 16 tasks still
    // interleave at random, one operation at a time. Everywhere else they run at once.
    let gate = Arc::new(tokio::sync::Semaphore::new(if db.moto { 1 } else { 16 }));
    let tasks: Vec<_> =
        (1..=16u64).map(|seed| tokio::spawn(task(db.store(), seed * 7919, 13, known.clone(), gate.clone()))).collect();
    for t in tasks {
        t.await.unwrap();
    }
    // 16 × 13 = 208 operations. Read at two instants: some stored-active items are past
    // their expiry (not flipped yet) at the later one.
    assert_eq!(assert_totals_exact(&db, base() + TimeDelta::days(30)).await, 80);
    assert_eq!(assert_totals_exact(&db, base() + TimeDelta::days(75)).await, 80);
    // The counts match the items exactly: recount finds nothing to correct.
    assert!(db.store().recount().await.unwrap().corrected.is_empty());
}

#[tokio::test]
async fn recount_finds_and_fixes_drift() {
    let db = TestDb::start().await;
    let store = db.store();
    for i in 0..3 {
        store.create(&certification(&format!("cert-{i}"), "2027-01-01T00:00:00Z")).await.unwrap();
    }
    // A certification written around the store (as an older version or a bulk load would).
    let stray = certification("cert-stray", "2027-01-01T00:00:00Z");
    let item = shared::store::stored_item(&stray).unwrap();
    db.client.put_item().table_name(&db.table).set_item(Some(item)).send().await.unwrap();
    let now = at("2026-06-01T00:00:00Z");
    let all = ListFilter::default();
    let page = PageRequest { page: 1, limit: 10, after: None, numbered: true };
    assert_eq!(store.list(&all, now, &page).await.unwrap().total, 3, "the stray is not counted yet");

    let report = store.recount().await.unwrap();
    assert_eq!(report.certifications, 4);
    // (active), (type, active), (mentor, active), (mentor, type, active): each off by one.
    assert_eq!(report.corrected.len(), 4, "{report:?}");
    assert!(report.corrected.iter().all(|d| d.actual == d.stored + 1));
    assert_eq!(store.list(&all, now, &page).await.unwrap().total, 4);
    assert!(store.recount().await.unwrap().corrected.is_empty(), "a second run finds nothing");
}

#[tokio::test]
async fn migrate_upgrades_items_the_previous_version_wrote() {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    let db = TestDb::start().await;
    let store = db.store();
    // The previous layout: the record, `kind`, and `active_pk = "active"`; no counts.
    let mut old = Vec::new();
    for (i, st) in [Status::Active, Status::Active, Status::Expired, Status::Suspended].into_iter().enumerate() {
        let mut c = certification(&format!("cert-old-{i}"), "2027-01-01T00:00:00Z");
        c.status = st;
        c.created_at = at("2026-01-01T00:00:00Z") + TimeDelta::hours(i as i64);
        let mut item: shared::store::Item = serde_dynamo::to_item(&c).unwrap();
        item.insert("kind".into(), V::S("certification".into()));
        if st == Status::Active {
            item.insert("active_pk".into(), V::S("active".into()));
        }
        db.client.put_item().table_name(&db.table).set_item(Some(item)).send().await.unwrap();
        old.push(c);
    }
    // An `Idempotency-Key` record the previous version wrote: neither migrated nor counted.
    let key_record = shared::store::Item::from([
        ("id".to_owned(), V::S("idempotency#key-1".into())),
        ("purge_at".to_owned(), V::N("1900000000".into())),
    ]);
    db.client.put_item().table_name(&db.table).set_item(Some(key_record)).send().await.unwrap();
    let now = at("2026-06-01T00:00:00Z");
    let page = PageRequest { page: 1, limit: 10, after: None, numbered: true };
    assert!(store.list(&ListFilter::default(), now, &page).await.unwrap().items.is_empty(), "not listed yet");

    let report = store.migrate().await.unwrap();
    assert_eq!((report.certifications, report.updated, report.raced), (4, 4, 0));
    let got = store.list(&ListFilter::default(), now, &page).await.unwrap();
    let ids: Vec<_> = got.items.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["cert-old-3", "cert-old-2", "cert-old-1", "cert-old-0"]);
    assert_eq!(got.total, 0, "no counts until recount");
    assert_eq!(store.recount().await.unwrap().corrected.len(), 4 * 3);
    assert_totals_exact(&db, now).await;
    // The items read back unchanged, and the old attribute is gone.
    for c in &old {
        assert_eq!(store.get(&c.id).await.unwrap().as_ref(), Some(c));
    }
    let raw = db.client.get_item().table_name(&db.table).key("id", V::S("cert-old-0".into())).send().await.unwrap();
    assert!(!raw.item.unwrap().contains_key("kind"));
    // Idempotent, and a second run writes nothing: every item is already current.
    let (again, sent) = db.counter.measure(store.migrate()).await;
    let again = again.unwrap();
    assert_eq!((again.certifications, again.current, again.updated, again.raced), (4, 4, 0, 0));
    assert_eq!((sent.of("UpdateItem"), sent.total()), (0, sent.of("Scan")));
    assert!(store.recount().await.unwrap().corrected.is_empty());
}

#[tokio::test]
async fn a_transaction_conflict_is_retried_then_a_503() {
    let db = TestDb::start().await;
    let store = db.store();
    let now = at("2026-06-01T00:00:00Z");
    let page = PageRequest { page: 1, limit: 10, after: None, numbered: true };
    // Injected on the transactions whose body names the id (five parts: the record and four
    // count updates; the reasons' count does not change the outcome).
    let conflicts = |id: &str, times| {
        let faults = Faults::new(vec![Fault::transaction_conflict(format!("\"{id}\""), 5, times)]);
        (db.store_with(&faults), faults)
    };

    // Two conflicts, then through: one record, counted once.
    let (faulty, faults) = conflicts("cert-1", 2);
    faulty.create(&certification("cert-1", "2027-01-01T00:00:00Z")).await.unwrap();
    assert_eq!(faults.injected(), 2);
    let listed = store.list(&ListFilter::default(), now, &page).await.unwrap();
    assert_eq!((listed.items.len(), listed.total), (1, 1));

    // Conflicting on every attempt: a 503 (Unavailable), and nothing written.
    let (faulty, _) = conflicts("cert-2", usize::MAX);
    let r = faulty.create(&certification("cert-2", "2027-01-01T00:00:00Z")).await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    let (faulty, _) = conflicts("cert-1", usize::MAX);
    let r = faulty.delete("cert-1").await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    assert_eq!(store.get("cert-2").await.unwrap(), None);
    let listed = store.list(&ListFilter::default(), now, &page).await.unwrap();
    assert_eq!((listed.items.len(), listed.total), (1, 1));
    // A status change under conflicts moves the counts exactly once.
    let (faulty, faults) = conflicts("cert-1", 3);
    let suspend = CertificationPatch { status: Some(Status::Suspended), ..Default::default() };
    assert_eq!(faulty.update("cert-1", &suspend, now).await.unwrap().status, Status::Suspended);
    assert_eq!(faults.injected(), 3);
    let suspended = ListFilter { status: Some(Status::Suspended), ..Default::default() };
    assert_eq!(store.list(&suspended, now, &page).await.unwrap().total, 1);
    let active = ListFilter { status: Some(Status::Active), ..Default::default() };
    assert_eq!(store.list(&active, now, &page).await.unwrap().total, 0);

    // A part throttled inside the transaction (a hot count shard): retried like a conflict,
    // and past the attempts a 503, never a 500.
    let throttled = |id: &str, times| {
        let codes = ["None", "ThrottlingError", "None", "None", "None"];
        let faults = Faults::new(vec![Fault::transaction_cancelled(format!("\"{id}\""), &codes, times)]);
        (db.store_with(&faults), faults)
    };
    let (faulty, faults) = throttled("cert-3", 2);
    faulty.create(&certification("cert-3", "2027-01-01T00:00:00Z")).await.unwrap();
    assert_eq!(faults.injected(), 2);
    let (faulty, _) = throttled("cert-4", usize::MAX);
    let r = faulty.create(&certification("cert-4", "2027-01-01T00:00:00Z")).await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    assert_eq!(store.list(&ListFilter::default(), now, &page).await.unwrap().total, 2);
}
