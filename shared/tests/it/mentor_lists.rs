//! `mentor_id` with `cert_type` and/or `status` (issue 18, point 1): each combination reads one
//! partition keyed by every filter given (`mentor-type-by-created`, `mentor-status-by-created`,
//! `mentor-type-status-by-created`), so a page's cost does not depend on how many of the
//! mentor's records the filters drop; pages, totals and order stay exact as records move
//! between partitions.
use chrono::{DateTime, TimeDelta, Utc};
use shared::domain::{Certification, CertificationPatch, Status};
use shared::store::{ListFilter, PageRequest, Store};
use shared::testing::{at, certification, Counts, StoreExt, TestDb};

const NOW: &str = "2026-03-26T10:00:00Z";

fn filter(mentor: &str, cert_type: Option<&str>, status: Option<Status>) -> ListFilter {
    ListFilter { mentor_id: Some(mentor.into()), cert_type: cert_type.map(Into::into), status }
}

fn first(limit: u32) -> PageRequest {
    PageRequest { page: 1, limit, after: None, numbered: true }
}

/// A record of `mentor`, of `cert_type`, stored `status`, created at `created`, expiring at
/// `expires` (a stored `active` already past `expires` is one the expiry scan has not
/// flipped yet).
fn record(
    id: &str,
    mentor: &str,
    cert_type: &str,
    status: Status,
    created: DateTime<Utc>,
    expires: &str,
) -> Certification {
    let mut c = certification(id, expires);
    c.mentor_id = mentor.into();
    c.cert_type = cert_type.into();
    c.status = status;
    c.created_at = created;
    c.updated_at = created;
    c
}

async fn seed(db: &TestDb, certs: &[Certification]) {
    db.put_stored(certs).await.unwrap();
}

/// Mentor `bulk`: `n` stored-`active` `level_1` records expiring next year (the newest), and
/// the same ten older ones at every `n`: three `other`/`suspended`, three `other`/`revoked`,
/// three `level_1`/`expired` and one `level_1` stored `active` but past its expiry (not flipped
/// yet). Another mentor holds one record of each kind, which no `bulk` list may show. Mentor
/// `solo` holds `n` stored-`active` `level_1` records and nothing else (the case).
fn bulk(n: usize) -> Vec<Certification> {
    let old = at("2025-01-01T00:00:00Z");
    let mut out = Vec::new();
    let fixed = [
        ("other", Status::Suspended, "2027-01-01T00:00:00Z"),
        ("other", Status::Revoked, "2027-01-01T00:00:00Z"),
        ("level_1", Status::Expired, "2026-02-01T00:00:00Z"),
    ];
    for (k, (cert_type, st, expires)) in fixed.iter().enumerate() {
        for i in 0..3 {
            let created = old + TimeDelta::hours((k * 3 + i) as i64);
            out.push(record(&format!("cert-f{k}{i}"), "bulk", cert_type, *st, created, expires));
            out.push(record(&format!("cert-o{k}{i}"), "other-mentor", cert_type, *st, created, expires));
        }
    }
    out.push(record("cert-due", "bulk", "level_1", Status::Active, old + TimeDelta::hours(20), "2026-03-01T00:00:00Z"));
    let newer = at("2026-01-01T00:00:00Z");
    for i in 0..n {
        let created = newer + TimeDelta::minutes(i as i64);
        out.push(record(&format!("cert-b{i:04}"), "bulk", "level_1", Status::Active, created, "2027-06-01T00:00:00Z"));
        out.push(record(&format!("cert-s{i:04}"), "solo", "level_1", Status::Active, created, "2027-06-01T00:00:00Z"));
    }
    out
}

/// The variants measured: name, filter, limit.
fn variants() -> Vec<(&'static str, ListFilter, u32)> {
    vec![
        // The issue's: a mentor whose every record is `active` and of one type; none match.
        ("solo: status=suspended&limit=1", filter("solo", None, Some(Status::Suspended)), 1),
        ("solo: cert_type=other&limit=1", filter("solo", Some("other"), None), 1),
        ("solo: cert_type=other&status=revoked&limit=1", filter("solo", Some("other"), Some(Status::Revoked)), 1),
        ("solo: status=expired&limit=1", filter("solo", None, Some(Status::Expired)), 1),
        ("status=suspended&limit=1", filter("bulk", None, Some(Status::Suspended)), 1),
        ("cert_type=other&limit=1", filter("bulk", Some("other"), None), 1),
        ("cert_type=other&status=revoked&limit=1", filter("bulk", Some("other"), Some(Status::Revoked)), 1),
        ("status=expired&limit=1", filter("bulk", None, Some(Status::Expired)), 1),
        ("cert_type=x&limit=1 (no match at all)", filter("bulk", Some("x"), None), 1),
        ("status=suspended&limit=20", filter("bulk", None, Some(Status::Suspended)), 20),
        ("cert_type=other&limit=20", filter("bulk", Some("other"), None), 20),
        ("status=expired&limit=20", filter("bulk", None, Some(Status::Expired)), 20),
        ("status=active&limit=20", filter("bulk", None, Some(Status::Active)), 20),
        ("cert_type=level_1&status=active&limit=5", filter("bulk", Some("level_1"), Some(Status::Active)), 5),
    ]
}

/// The bound on one page of a `mentor_id` list with any other filters, whatever the mentor
/// holds that the filters drop. Requests: the mentor partition's Query and at most one refill
/// (2), for `status=active|expired` one Query per `active-by-expiry` shard for the not-yet-
/// flipped items (4), and one BatchGetItem of at most 4 count items (1). Items read: the page,
/// the item that says a next page exists and one more per Query (limit + 2), the not-yet-flipped
/// items twice (once from `active-by-expiry`, once dropped by `status=active`'s
/// `expires_at > now` filter or merged into `status=expired`), and the count items (≤ 4).
const MAX_REQUESTS: usize = 2 + 4 + 1;

fn max_items_read(limit: u32, unflipped: i64) -> i64 {
    i64::from(limit) + 2 + 2 * unflipped + 4
}

async fn measure(db: &TestDb, f: &ListFilter, limit: u32) -> (u64, usize, Counts) {
    let store = db.store();
    let (r, n) = db.counter.measure(store.list(f, at(NOW), &first(limit))).await;
    let page = r.unwrap();
    (page.total, page.items.len(), n)
}

#[tokio::test]
async fn a_mentor_filter_reads_only_matching_items_at_40_and_at_400_records() {
    let mut seen = Vec::new();
    for n in [40, 400] {
        let db = TestDb::start().await;
        seed(&db, &bulk(n)).await;
        let mut row = Vec::new();
        for (name, f, limit) in variants() {
            let (total, len, c) = measure(&db, &f, limit).await;
            let expected_total: u64 = match name.split('&').take(2).collect::<Vec<_>>().as_slice() {
                [solo, _] if solo.starts_with("solo: ") => 0,
                ["status=suspended", _] | ["cert_type=other", "status=revoked"] => 3,
                ["cert_type=other", _] => 6,
                // Three stored `expired` and the one not flipped yet.
                ["status=expired", _] => 4,
                ["cert_type=x", _] => 0,
                ["status=active", _] | ["cert_type=level_1", "status=active"] => n as u64,
                _ => unreachable!("{name}"),
            };
            assert_eq!(total, expected_total, "{name} at {n}");
            assert_eq!(len, (expected_total as usize).min(limit as usize), "{name} at {n}");
            assert!(c.total() <= MAX_REQUESTS, "{name} at {n}: {c:?}");
            assert_eq!(c.of("Scan"), 0, "{name}");
            assert!(c.items_read() <= max_items_read(limit, 1), "{name} at {n}: read {} ({c:?})", c.items_read());
            eprintln!("{n:>4} records, {name:<45} {:>2} requests, {:>3} items read", c.total(), c.items_read());
            row.push((name, c.total(), c.items_read()));
        }
        seen.push(row);
    }
    // The cost does not grow with what the filters drop: exactly the same at 400 as at 40.
    assert_eq!(seen[0], seen[1]);
}

/// Every `bulk`-style list of `mentor`, from the records themselves: the filter's effective
/// matches, newest first, ties by id (descending).
fn expected(all: &[Certification], f: &ListFilter, now: DateTime<Utc>) -> Vec<String> {
    let mut out: Vec<&Certification> = all
        .iter()
        .filter(|c| f.mentor_id.as_deref().is_none_or(|m| c.mentor_id == m))
        .filter(|c| f.cert_type.as_deref().is_none_or(|t| c.cert_type == t))
        .filter(|c| f.status.is_none_or(|st| c.effective_status(now) == st))
        .collect();
    out.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    out.into_iter().map(|c| c.id.clone()).collect()
}

/// Reads `f`'s list by cursor (limit 2) and by page number (limit 3): both must be exactly
/// `want`, with `want.len()` as every page's total.
async fn assert_list(store: &Store, f: &ListFilter, now: DateTime<Utc>, want: &[String]) {
    let mut by_cursor = Vec::new();
    let mut page = PageRequest { page: 1, limit: 2, after: None, numbered: false };
    loop {
        let got = store.list(f, now, &page).await.unwrap();
        assert_eq!(got.total, want.len() as u64, "{f:?}: total");
        by_cursor.extend(got.items.into_iter().map(|c| c.id));
        match got.next {
            Some(after) => page = PageRequest { page: page.page + 1, limit: 2, after: Some(after), numbered: false },
            None => break,
        }
    }
    assert_eq!(by_cursor, want, "{f:?}: by cursor");
    let mut by_page = Vec::new();
    for p in 1..=want.len().div_ceil(3).max(1) as u32 {
        let got = store.list(f, now, &PageRequest { page: p, limit: 3, after: None, numbered: true }).await.unwrap();
        assert_eq!(got.total, want.len() as u64, "{f:?}: total on page {p}");
        by_page.extend(got.items.into_iter().map(|c| c.id));
    }
    assert_eq!(by_page, want, "{f:?}: by page number");
}

/// Every filter combination with `mentor_id` over `mentors` and `types`, checked against
/// the records as the table holds them now.
async fn assert_every_mentor_list(db: &TestDb, mentors: &[&str], types: &[&str], now: DateTime<Utc>) {
    let store = db.store();
    // The ground truth: every certification in the table (a Scan; count items have a `#`).
    let scan = db.client.scan().table_name(&db.table).into_paginator().items().send();
    let items: Vec<shared::store::Item> = scan.try_collect().await.unwrap();
    let all: Vec<Certification> = items
        .into_iter()
        .filter(|i| i.get("id").and_then(|id| id.as_s().ok()).is_some_and(|id| !id.contains('#')))
        .map(|i| shared::store::item::from_item(i).unwrap())
        .collect();
    for m in mentors {
        for t in std::iter::once(None).chain(types.iter().copied().map(Some)) {
            for st in std::iter::once(None).chain(Status::ALL.into_iter().map(Some)) {
                let f = filter(m, t, st);
                assert_list(&store, &f, now, &expected(&all, &f, now)).await;
            }
        }
    }
}

#[tokio::test]
async fn mentor_lists_stay_exact_as_records_change_status_and_type() {
    let db = TestDb::start().await;
    let store = db.store();
    let now = at(NOW);
    let t0 = at("2026-01-01T00:00:00Z");
    // Two mentors, same types and statuses; equal created_at in threes (ties ordered by id).
    let mut ids = Vec::new();
    for i in 0..12usize {
        for m in ["m-1", "m-2"] {
            let id = format!("cert-{m}-{i:02}");
            let cert_type = ["level_1", "level_2"][i % 2];
            let st = [Status::Active, Status::Active, Status::Suspended, Status::Active][i % 4];
            let created = t0 + TimeDelta::hours((i / 3) as i64);
            // cert-…-07 is stored `active` and expired on 2026-03-01: not flipped yet at NOW.
            let expires = if i == 7 { "2026-03-01T00:00:00Z" } else { "2027-01-01T00:00:00Z" };
            store.create(&record(&id, m, cert_type, st, created, expires)).await.unwrap();
            ids.push(id);
        }
    }
    let (mentors, types) = (["m-1", "m-2"], ["level_1", "level_2", "level_3"]);
    assert_every_mentor_list(&db, &mentors, &types, now).await;
    // Spelled out once: effective `active` (i % 4 != 2, and not 07, past its expiry), newest
    // first; 11/09, 05/04/03 and 01/00 share a created_at and are ordered by id, descending.
    let active = store.list(&filter("m-1", None, Some(Status::Active)), now, &first(20)).await.unwrap();
    let got: Vec<&str> = active.items.iter().map(|c| c.id.as_str()).collect();
    let want = ["11", "09", "08", "05", "04", "03", "01", "00"].map(|i| format!("cert-m-1-{i}"));
    assert_eq!((got, active.total), (want.iter().map(String::as_str).collect(), 8));

    // A status change moves a record between mentor-status partitions, a type change between
    // mentor-type partitions, and both between mentor-type-status ones.
    let suspend = CertificationPatch { status: Some(Status::Suspended), ..Default::default() };
    store.update("cert-m-1-00", &suspend, now).await.unwrap();
    let retype = CertificationPatch { cert_type: Some("level_3".into()), ..Default::default() };
    store.update("cert-m-1-03", &retype, now).await.unwrap();
    let both =
        CertificationPatch { cert_type: Some("level_3".into()), status: Some(Status::Revoked), ..Default::default() };
    store.update("cert-m-2-02", &both, now).await.unwrap();
    let reactivate = CertificationPatch { status: Some(Status::Active), ..Default::default() };
    store.update("cert-m-1-02", &reactivate, now).await.unwrap();
    // A renewal (same partitions, new expiry), and the expiry scan's flip of the due one.
    let renew = CertificationPatch { expires_at: Some(at("2028-01-01T00:00:00Z")), ..Default::default() };
    store.update("cert-m-1-01", &renew, now).await.unwrap();
    let due = store.get("cert-m-2-07").await.unwrap().unwrap();
    assert!(store.mark_expired(&due, now).await.unwrap());
    assert_every_mentor_list(&db, &mentors, &types, now).await;
    // A delete leaves every partition.
    store.delete("cert-m-1-05").await.unwrap();
    assert_every_mentor_list(&db, &mentors, &types, now).await;
    // And later, when more of them are past their expiry (not flipped): effective statuses.
    assert_every_mentor_list(&db, &mentors, &types, at("2027-06-01T00:00:00Z")).await;
    assert!(store.recount().await.unwrap().corrected.is_empty());
    assert_eq!(ids.len(), 24);
}

#[tokio::test]
async fn a_table_of_the_previous_version_gets_the_indexes_and_migrate_fills_them() {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    use shared::store::table::{create_table_with, INDEXES};
    let db = TestDb::start().await;
    let store = db.store();
    let now = at(NOW);
    // The previous version's table: the first six indexes, without the three `mentor-…` ones.
    db.client.delete_table().table_name(&db.table).send().await.unwrap();
    create_table_with(&db.client, &db.table, &INDEXES[..6]).await.unwrap();
    // And its items: every index attribute but the three mentor ones.
    let certs = bulk(4);
    seed(&db, &certs).await;
    for c in &certs {
        let key = V::S(c.id.clone());
        let update = db.client.update_item().table_name(&db.table).key("id", key);
        let update = update.update_expression("REMOVE mentor_type_pk, mentor_status_pk, mentor_type_status_pk");
        update.send().await.unwrap();
    }
    let suspended = filter("bulk", None, Some(Status::Suspended));
    assert!(store.list(&suspended, now, &first(10)).await.is_err(), "no such index yet");

    // The local server's start-up on such a database file: one index per UpdateTable.
    let (added, sent) = db.counter.measure(shared::store::upgrade::add_missing_indexes(&db.client, &db.table)).await;
    let added = added.unwrap();
    assert_eq!(added, ["mentor-type-by-created", "mentor-status-by-created", "mentor-type-status-by-created"]);
    assert_eq!(sent.of("UpdateTable"), 3, "{sent:?}");
    let (again, sent) = db.counter.measure(shared::store::upgrade::add_missing_indexes(&db.client, &db.table)).await;
    assert!(again.unwrap().is_empty());
    assert_eq!((sent.total(), sent.of("DescribeTable")), (1, 1), "an up-to-date table: one DescribeTable");
    assert!(store.list(&suspended, now, &first(10)).await.unwrap().items.is_empty(), "not in the index yet");

    let report = store.migrate().await.unwrap();
    let n = certs.len() as u64;
    assert_eq!((report.certifications, report.current, report.updated, report.raced), (n, 0, n, 0));
    assert_every_mentor_list(&db, &["bulk", "solo", "other-mentor"], &["level_1", "other"], now).await;
    // An up-to-date table: a second run writes nothing (Scans only).
    let (again, sent) = db.counter.measure(store.migrate()).await;
    let again = again.unwrap();
    assert_eq!((again.certifications, again.current, again.updated, again.raced), (n, n, 0, 0));
    assert_eq!((sent.of("UpdateItem"), sent.total()), (0, sent.of("Scan")));
}
