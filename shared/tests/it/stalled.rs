//! A stalled expiry scan (issue 18, point 2): hundreds of records stored `active` whose
//! `expires_at` has passed. `status=active` and `status=expired` lists, with and without
//! `cert_type` and `mentor_id`, walked page by page with `next` as the cursor: every page's
//! total is exact, the walk returns exactly the records whose effective status matches,
//! newest first, none twice and none missing, and no page costs more than the stated bound,
//! however many lapsed records there are (short pages are allowed, empty ones too).
use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use shared::domain::{Certification, Status};
use shared::store::{ListFilter, PageRequest};
use shared::testing::{at, certification, Counts, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";

fn record(i: usize, status: Status, created: DateTime<Utc>, expires: DateTime<Utc>) -> Certification {
    let mut c = certification(&format!("cert-{i:05}"), "2027-01-01T00:00:00Z");
    c.mentor_id = format!("m{}", i % 4);
    c.cert_type = ["level_1", "level_2"][i % 2].into();
    c.status = status;
    c.created_at = created;
    c.updated_at = created;
    c.issued_at = created - TimeDelta::days(1);
    c.expires_at = expires;
    c
}

/// 120 settled records (a third stored `expired`, the rest `active` until next year, ten of
/// them expiring later today), and `lapsed` stored `active` past expiry: the newest half
/// lapsed weeks ago, a third interleaved with the settled ones by creation, the rest earlier
/// today (the expiry counts' partial day).
fn table(lapsed: usize) -> Vec<Certification> {
    let old = at("2025-06-01T00:00:00Z");
    let mut out = Vec::new();
    for i in 0..120 {
        let created = old + TimeDelta::hours(i as i64);
        let (st, e) = match i % 12 {
            0 | 3 | 6 | 9 => (Status::Expired, at("2026-01-01T00:00:00Z")),
            1 => (Status::Active, at("2026-03-26T12:00:00Z") + TimeDelta::minutes(i as i64)),
            _ => (Status::Active, at("2027-01-01T00:00:00Z") + TimeDelta::minutes(i as i64)),
        };
        out.push(record(i, st, created, e));
    }
    for j in 0..lapsed {
        let i = 1_000 + j;
        let (created, e) = match j % 6 {
            0..=2 => {
                let c = at("2026-03-01T00:00:00Z") + TimeDelta::minutes(j as i64);
                (c, c + TimeDelta::hours(2))
            }
            3 | 4 => (old + TimeDelta::hours(j as i64 % 120) + TimeDelta::minutes(30), at("2026-03-15T00:00:00Z")),
            _ => (at("2026-02-01T00:00:00Z") + TimeDelta::minutes(j as i64), at("2026-03-26T09:00:00Z")),
        };
        out.push(record(i, Status::Active, created, e + TimeDelta::seconds(j as i64 % 60)));
    }
    out
}

/// Effective status at `now` (semantics.md): stored `active` at or past expiry is `expired`.
fn effective(c: &Certification, now: DateTime<Utc>) -> Status {
    if c.status == Status::Active && c.expires_at <= now {
        Status::Expired
    } else {
        c.status
    }
}

fn expected(certs: &[Certification], f: &ListFilter, now: DateTime<Utc>) -> Vec<String> {
    let mut hits: Vec<&Certification> = certs
        .iter()
        .filter(|c| f.status.is_none_or(|st| effective(c, now) == st))
        .filter(|c| f.cert_type.as_deref().is_none_or(|t| c.cert_type == t))
        .filter(|c| f.mentor_id.as_deref().is_none_or(|m| c.mentor_id == m))
        .collect();
    hits.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    hits.into_iter().map(|c| c.id.clone()).collect()
}

fn filters() -> Vec<ListFilter> {
    let mut out = Vec::new();
    for status in [Status::Active, Status::Expired] {
        for cert_type in [None, Some("level_1")] {
            for mentor_id in [None, Some("m2")] {
                out.push(ListFilter {
                    mentor_id: mentor_id.map(Into::into),
                    cert_type: cert_type.map(Into::into),
                    status: Some(status),
                });
            }
        }
    }
    out
}

/// The stated bound on one page, for `streams` index partitions merged. Queries: the
/// unflipped read (4), at most 8 for the page, the COUNT of today's lapsed records (4) and,
/// when today holds more than it may read, the COUNT of what expires later today (4).
/// BatchGetItems: the count items (1) and the expiry counts (1: here this month's count less
/// its 5 days after today, 6 buckets of 16 shards). Items read by Query: the
/// page's budget (twice the page plus one per stream, the unflipped read included) plus one
/// round's overshoot per stream, today's COUNT (≤ 8), and the 10 records expiring later
/// today. None of it grows with the lapsed records.
fn within_bound(f: &ListFilter, limit: u32, c: &Counts) -> Result<(), String> {
    let streams = match (&f.mentor_id, f.status) {
        (Some(_), _) => 2,
        (None, Some(Status::Expired)) => 8,
        _ => 4,
    };
    let queries = 4 + 8 + 4 + 4;
    let scanned = 2 * (i64::from(limit) + 1) + 2 * streams as i64 + 8 + 10;
    if c.of("Query") > queries || c.of("BatchGetItem") > 2 || c.query_scanned > scanned {
        return Err(format!("{f:?}: {c:?} (bound: {queries} Queries, {scanned} scanned, 2 BatchGetItems)"));
    }
    Ok(())
}

/// Walks `f` by cursor to its end: every page's total, the ids in order, each page's cost.
async fn walk(db: &TestDb, f: &ListFilter, limit: u32, now: DateTime<Utc>, want: &[String]) -> usize {
    let store = db.store();
    let mut page = PageRequest { page: 1, limit, after: None, numbered: false };
    let (mut got, mut pages, mut short) = (Vec::new(), 0, 0);
    loop {
        let (p, counts) = db.counter.measure(store.list(f, now, &page)).await;
        let p = p.unwrap();
        assert_eq!(p.total, want.len() as u64, "{f:?} page {pages}: total");
        within_bound(f, limit, &counts).unwrap();
        short += usize::from(p.items.len() < limit as usize && p.next.is_some());
        got.extend(p.items.iter().map(|c| c.id.clone()));
        pages += 1;
        assert!(pages <= 400, "{f:?}: no end after 400 pages");
        match p.next {
            Some(next) => page = PageRequest { page: page.page + 1, limit, after: Some(next), numbered: false },
            None => break,
        }
    }
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "{f:?}: a record came twice");
    assert_eq!(got, want, "{f:?}: {pages} pages, {short} short");
    short
}

#[tokio::test]
async fn status_lists_stay_exact_and_bounded_while_the_scan_stalls() {
    let db = TestDb::start().await;
    let certs = table(300);
    db.put_stored(&certs).await.unwrap();
    let now = at(NOW);
    let mut short = 0;
    for f in filters() {
        let want = expected(&certs, &f, now);
        assert!(!want.is_empty(), "{f:?}");
        short += walk(&db, &f, 7, now, &want).await;
    }
    // The read budget ended pages early: the walks above went through that path.
    assert!(short > 0);
}

#[tokio::test]
async fn a_few_lapsed_records_are_read_whole_and_pages_stay_full() {
    // Within what the unflipped read asks each shard for (5 at `limit=20`): they are read
    // whole (the usual case), so every page but the last is full.
    let db = TestDb::start().await;
    let certs = table(6);
    db.put_stored(&certs).await.unwrap();
    let now = at(NOW);
    for f in filters() {
        assert_eq!(walk(&db, &f, 20, now, &expected(&certs, &f, now)).await, 0, "{f:?}: short pages");
    }
}
